import { describe, expect, it } from 'vitest';
import { EMAIL_DOMAINS, SEARCH_ENGINE_DOMAINS, SOCIAL_DOMAINS } from './channel-sources.js';
import { type ChannelInput, classifyChannel, enrichUrl, normalizeHost, parseUrl } from './enrich-url.js';

const none: ChannelInput = {
  referrerHost: null,
  pageHost: 'shop.example',
  utmSource: null,
  utmMedium: null,
  clickIds: null,
};

describe('classifyChannel', () => {
  it.each<[string, string, Partial<ChannelInput>]>([
    ['nothing at all', 'direct', {}],
    ['a gclid', 'paid', { clickIds: { gclid: 'abc' } }],
    ['an msclkid with a search referrer', 'paid', { clickIds: { msclkid: 'x' }, referrerHost: 'bing.com' }],
    ['utm_medium cpc', 'paid', { utmSource: 'google', utmMedium: 'cpc' }],
    ['utm_medium PPC in capitals', 'paid', { utmMedium: 'PPC' }],
    ['utm_medium paid_social', 'paid', { utmSource: 'facebook', utmMedium: 'paid_social' }],
    ['utm_medium display', 'paid', { utmMedium: 'display' }],
    ['utm_medium cpm', 'paid', { utmMedium: 'cpm' }],
    ['utm_medium email', 'email', { utmSource: 'klaviyo', utmMedium: 'email' }],
    ['utm_source newsletter', 'email', { utmSource: 'newsletter' }],
    ['utm_medium e-mail', 'email', { utmMedium: 'e-mail' }],
    ['a webmail referrer', 'email', { referrerHost: 'mail.google.com' }],
    ['the Gmail Android app', 'email', { referrerHost: 'com.google.android.gm' }],
    ['utm_medium social', 'social', { utmSource: 'instagram', utmMedium: 'social' }],
    ['utm_source facebook without a medium', 'social', { utmSource: 'facebook' }],
    ['a facebook referrer', 'social', { referrerHost: 'l.facebook.com' }],
    ['a t.co referrer', 'social', { referrerHost: 't.co' }],
    ['an x.com referrer', 'social', { referrerHost: 'x.com' }],
    ['a pinterest ccTLD referrer', 'social', { referrerHost: 'pinterest.co.uk' }],
    ['a youtube referrer', 'social', { referrerHost: 'm.youtube.com' }],
    ['a reddit referrer', 'social', { referrerHost: 'out.reddit.com' }],
    ['an fbclid without referrer', 'social', { clickIds: { fbclid: 'IwAR' } }],
    [
      'an fbclid with an instagram referrer',
      'social',
      { clickIds: { fbclid: 'IwAR' }, referrerHost: 'l.instagram.com' },
    ],
    ['a google referrer', 'search', { referrerHost: 'google.com' }],
    ['a google ccTLD referrer', 'search', { referrerHost: 'google.co.uk' }],
    ['a google.de referrer', 'search', { referrerHost: 'google.de' }],
    ['a bing referrer', 'search', { referrerHost: 'bing.com' }],
    ['a duckduckgo referrer', 'search', { referrerHost: 'duckduckgo.com' }],
    ['a yahoo search referrer', 'search', { referrerHost: 'search.yahoo.com' }],
    ['a yandex referrer', 'search', { referrerHost: 'yandex.ru' }],
    ['a baidu referrer', 'search', { referrerHost: 'm.baidu.com' }],
    ['an ecosia referrer', 'search', { referrerHost: 'ecosia.org' }],
    ['a brave search referrer', 'search', { referrerHost: 'search.brave.com' }],
    ['the Google app on Android', 'search', { referrerHost: 'com.google.android.googlequicksearchbox' }],
    ['utm_medium organic', 'search', { utmSource: 'google', utmMedium: 'organic' }],
    ['utm_source bing without a medium', 'search', { utmSource: 'bing' }],
    ['a self-referral', 'internal', { referrerHost: 'shop.example' }],
    ['a self-referral from www', 'internal', { referrerHost: 'shop.example', pageHost: 'www.shop.example' }],
    [
      'a referrer on an own host',
      'internal',
      { referrerHost: 'checkout.shopify.com', ownHosts: ['checkout.shopify.com'] },
    ],
    [
      'a referrer on a subdomain of an own host',
      'internal',
      { referrerHost: 'pay.shop.example', ownHosts: ['www.shop.example'] },
    ],
    ['a google docs referrer', 'referral', { referrerHost: 'docs.google.com' }],
    ['a blog referrer', 'referral', { referrerHost: 'someblog.example' }],
    ['a lookalike host', 'referral', { referrerHost: 'notfacebook.com' }],
    ['unknown campaign tags without referrer', 'referral', { utmSource: 'partner', utmMedium: 'affiliate' }],
  ])('%s → %s', (_label, channel, overrides) => {
    expect(classifyChannel({ ...none, ...overrides })).toBe(channel);
  });
});

describe('normalizeHost', () => {
  it.each([
    ['WWW.Example.COM', 'example.com'],
    ['example.com.', 'example.com'],
    ['www2.example.com', 'www2.example.com'],
  ])('%s → %s', (host, expected) => {
    expect(normalizeHost(host)).toBe(expected);
  });

  it('is the form every channel list is written in', () => {
    for (const host of [...SEARCH_ENGINE_DOMAINS, ...SOCIAL_DOMAINS, ...EMAIL_DOMAINS]) {
      expect(normalizeHost(host)).toBe(host);
    }
  });
});

describe('parseUrl', () => {
  it.each([
    ['https://shop.example/a?b=1', 'shop.example'],
    ['google.com/search?q=x', 'google.com'],
    ['android-app://com.google.android.gm/', 'com.google.android.gm'],
  ])('parses %s', (text, host) => {
    expect(parseUrl(text)?.hostname).toBe(host);
  });

  it.each([['/relative/path'], ['not a url'], ['']])('refuses %j', (text) => {
    expect(parseUrl(text)).toBeNull();
  });
});

describe('enrichUrl', () => {
  it('reads page, referrer and campaign from a track event context', () => {
    const info = enrichUrl({
      type: 'track',
      properties: { url: 'https://ignored.example/' },
      context: {
        page: {
          url: 'https://Shop.Example/products/tee?utm_source=news&utm_medium=email&utm_campaign=june&gclid=G1',
          title: ' Tee ',
          referrer: 'https://www.Google.com/',
        },
      },
    });
    expect(info).toEqual({
      pageUrl:
        'https://Shop.Example/products/tee?utm_source=news&utm_medium=email&utm_campaign=june&gclid=G1',
      pagePath: '/products/tee',
      pageHost: 'shop.example',
      pageTitle: 'Tee',
      referrer: 'https://www.Google.com/',
      referrerHost: 'google.com',
      channel: 'paid',
      utmSource: 'news',
      utmMedium: 'email',
      utmCampaign: 'june',
      utmTerm: null,
      utmContent: null,
      clickIds: { gclid: 'G1' },
    });
  });

  it('gives a repeated URL the same facts, each event still reading its own campaign and path', () => {
    const page = {
      url: 'https://shop.example/p/1?utm_source=news&utm_medium=email',
      referrer: 'google.com/',
    };
    const plain = enrichUrl({ type: 'track', properties: {}, context: { page } });
    const again = enrichUrl({ type: 'track', properties: {}, context: { page } });
    expect(again).toEqual(plain);
    expect(plain).toMatchObject({ pagePath: '/p/1', referrerHost: 'google.com', utmSource: 'news' });
    const tagged = enrichUrl({
      type: 'track',
      properties: {},
      context: { page: { ...page, path: '/own/path' }, campaign: { source: 'other', medium: 'cpc' } },
    });
    expect(tagged).toMatchObject({
      pagePath: '/own/path',
      utmSource: 'other',
      utmMedium: 'cpc',
      channel: 'paid',
    });
    const searchOnly = enrichUrl({
      type: 'track',
      properties: {},
      context: { page: { url: 'https://shop.example/p/1', search: '?utm_source=fallback' } },
    });
    expect(searchOnly.utmSource).toBe('fallback');
  });

  it('prefers context.campaign and context.clickIds over the query string', () => {
    const info = enrichUrl({
      type: 'page',
      properties: {},
      context: {
        page: { url: 'https://shop.example/?utm_source=q&utm_term=shoes&msclkid=Q' },
        campaign: { source: 'ctx', medium: 'social', name: 'c', content: 'banner' },
        clickIds: { msclkid: 'C', unknown_id: 'ignored' },
      },
    });
    expect(info).toMatchObject({
      utmSource: 'ctx',
      utmMedium: 'social',
      utmCampaign: 'c',
      utmTerm: 'shoes',
      utmContent: 'banner',
      clickIds: { msclkid: 'C' },
      channel: 'paid',
    });
  });

  it('reads page properties on page calls', () => {
    const info = enrichUrl({
      type: 'page',
      context: {},
      properties: {
        url: 'https://shop.example/cart',
        path: '/cart',
        title: 'Cart',
        referrer: 'https://shop.example/',
      },
    });
    expect(info).toMatchObject({
      pagePath: '/cart',
      pageTitle: 'Cart',
      referrerHost: 'shop.example',
      channel: 'internal',
    });
  });

  it('falls back to context.page.search for campaign tags', () => {
    const info = enrichUrl({
      type: 'page',
      properties: {},
      context: { page: { path: '/', search: '?utm_source=facebook&fbclid=F' } },
    });
    expect(info).toMatchObject({
      utmSource: 'facebook',
      clickIds: { fbclid: 'F' },
      channel: 'social',
      pageUrl: null,
    });
  });

  it('treats ownHosts as internal', () => {
    const info = enrichUrl({
      type: 'page',
      properties: {},
      context: {
        page: { url: 'https://shop.example/thanks', referrer: 'https://checkout.payments.example/x' },
      },
      ownHosts: ['payments.example'],
    });
    expect(info.channel).toBe('internal');
  });

  it('survives a page object of the wrong shape', () => {
    const info = enrichUrl({
      type: 'page',
      properties: { url: 42 },
      context: { page: 'nope', campaign: [] },
    });
    expect(info).toMatchObject({ pageUrl: null, pageHost: null, channel: 'direct', clickIds: null });
  });

  it('truncates over-long values for the columns', () => {
    const url = `https://shop.example/${'a'.repeat(9000)}`;
    const info = enrichUrl({ type: 'page', properties: {}, context: { page: { url } } });
    expect(info.pageUrl?.length).toBe(8192);
    expect(info.pagePath?.length).toBe(8192);
  });
});
