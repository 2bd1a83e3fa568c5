import { describe, expect, it } from 'vitest';
import { readCampaign } from './src/campaign.js';

describe('readCampaign', () => {
  it('maps UTM parameters to Segment campaign names', () => {
    expect(
      readCampaign(
        '?utm_source=google&utm_medium=cpc&utm_campaign=spring+sale&utm_term=mugs&utm_content=ad%201',
      ),
    ).toEqual({
      campaign: { source: 'google', medium: 'cpc', name: 'spring sale', term: 'mugs', content: 'ad 1' },
      clickIds: undefined,
    });
  });

  it('collects the ad click ids', () => {
    expect(readCampaign('?gclid=g&fbclid=f&msclkid=m&ttclid=t&dclid=d&li_fat_id=l&other=x').clickIds).toEqual(
      {
        gclid: 'g',
        fbclid: 'f',
        msclkid: 'm',
        ttclid: 't',
        dclid: 'd',
        li_fat_id: 'l',
      },
    );
  });

  it('returns nothing for pages without attribution, and skips empty values', () => {
    expect(readCampaign('')).toEqual({ campaign: undefined, clickIds: undefined });
    expect(readCampaign('?q=mugs&utm_source=&gclid=')).toEqual({ campaign: undefined, clickIds: undefined });
  });

  it('cuts absurdly long values', () => {
    expect(readCampaign(`?utm_campaign=${'x'.repeat(5000)}`).campaign?.name).toHaveLength(200);
  });
});
