// Attribution read from the landing page's query string, once per session.

export type Campaign = Partial<Record<'source' | 'medium' | 'name' | 'term' | 'content', string>>;
export type ClickIds = Partial<Record<(typeof CLICK_ID_PARAMS)[number], string>>;

export const CLICK_ID_PARAMS = ['gclid', 'fbclid', 'msclkid', 'ttclid', 'dclid', 'li_fat_id'] as const;

/** Values are cut to this length: a campaign name is not a place for a payload. */
const MAX_VALUE_CHARS = 200;

/**
 * UTM parameters (Segment's `context.campaign` names: utm_campaign → `name`) and ad click ids from a
 * query string. Each object is undefined when none of its parameters is present, so it drops out of JSON.
 */
export function readCampaign(search: string): { campaign?: Campaign; clickIds?: ClickIds } {
  const params = new URLSearchParams(search);
  const pick = <T>(keys: readonly string[], prefix = '') => {
    let found: Record<string, string> | undefined;
    for (const key of keys) {
      const value = params.get(prefix + (key === 'name' ? 'campaign' : key));
      if (value) {
        found ||= {};
        found[key] = value.slice(0, MAX_VALUE_CHARS);
      }
    }
    return found as T | undefined;
  };
  return {
    campaign: pick<Campaign>(['source', 'medium', 'name', 'term', 'content'], 'utm_'),
    clickIds: pick<ClickIds>(CLICK_ID_PARAMS),
  };
}
