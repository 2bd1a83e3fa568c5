// Page, referrer and campaign enrichment, and the traffic-channel rule built on them. Pure.
import {
  APP_REFERRER_CHANNELS,
  CLICK_ID_PARAMS,
  EMAIL_DOMAINS,
  EMAIL_MEDIUM_OR_SOURCE,
  NOT_SEARCH_HOST_PATTERNS,
  ORGANIC_MEDIUM,
  PAID_CLICK_ID_PARAMS,
  PAID_MEDIUM,
  SEARCH_ENGINE_DOMAINS,
  SEARCH_ENGINE_HOST_PATTERNS,
  SEARCH_SOURCES,
  SOCIAL_DOMAINS,
  SOCIAL_HOST_PATTERNS,
  SOCIAL_MEDIUM,
  SOCIAL_SOURCES,
} from './channel-sources.js';
import { type EventType, isPlainObject, type PlainObject, readText, truncate } from './event-validation.js';
import { createMemoCache } from './memo-cache.js';

export type Channel = 'direct' | 'search' | 'social' | 'email' | 'paid' | 'referral' | 'internal';

export type UrlInfo = {
  pageUrl: string | null;
  pagePath: string | null;
  pageHost: string | null;
  pageTitle: string | null;
  referrer: string | null;
  referrerHost: string | null;
  channel: Channel;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
  clickIds: Record<string, string> | null;
};

/** Lowercase, no trailing dot, no leading `www.` — the form channel lists and self-referral checks compare. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h.startsWith('www.') ? h.slice(4) : h;
}

function matchesDomain(host: string, domains: readonly string[]): boolean {
  for (const domain of domains) {
    if (host === domain || host.endsWith(`.${domain}`)) return true;
  }
  return false;
}

// Referrers are sometimes sent without a scheme ("google.com/search?q=…"); read those as https.
const BARE_HOST = /^[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?(?:[/?#]|$)/i;

/** Parses an absolute URL; null when it is not one. Never throws. */
export function parseUrl(text: string): URL | null {
  if (URL.canParse(text)) return new URL(text);
  if (BARE_HOST.test(text) && URL.canParse(`https://${text}`)) return new URL(`https://${text}`);
  return null;
}

/** What enrichment reads from a URL: host, path and the first value of each query parameter. */
type UrlFacts = {
  readonly hostname: string;
  readonly pathname: string;
  readonly query: ReadonlyMap<string, string>;
};

function queryOf(params: URLSearchParams): ReadonlyMap<string, string> {
  const query = new Map<string, string>();
  for (const [key, value] of params) if (!query.has(key)) query.set(key, value);
  return query;
}

/** URLs longer than this are parsed but not cached: rare, and they would bloat the cache. */
const MAX_CACHED_URL_LENGTH = 2048;
const urlCache = createMemoCache<UrlFacts | null>(2000);

/**
 * parseUrl's facts, memoised: page URLs and referrers repeat (a shop's product pages, google.com), and `new
 * URL` plus its query parsing was the largest part of enrichment.
 */
function urlFacts(text: string): UrlFacts | null {
  const isCacheable = text.length <= MAX_CACHED_URL_LENGTH;
  if (isCacheable) {
    const hit = urlCache.get(text);
    if (hit !== undefined) return hit;
  }
  const url = parseUrl(text);
  const facts =
    url === null
      ? null
      : Object.freeze({ hostname: url.hostname, pathname: url.pathname, query: queryOf(url.searchParams) });
  if (isCacheable) urlCache.set(text, facts);
  return facts;
}

export function isSearchEngineHost(host: string): boolean {
  if (NOT_SEARCH_HOST_PATTERNS.some((pattern) => pattern.test(host))) return false;
  return (
    SEARCH_ENGINE_HOST_PATTERNS.some((pattern) => pattern.test(host)) ||
    matchesDomain(host, SEARCH_ENGINE_DOMAINS)
  );
}

export function isSocialHost(host: string): boolean {
  return SOCIAL_HOST_PATTERNS.some((pattern) => pattern.test(host)) || matchesDomain(host, SOCIAL_DOMAINS);
}

export function isEmailHost(host: string): boolean {
  return matchesDomain(host, EMAIL_DOMAINS);
}

export type ChannelInput = {
  /** Normalised (see normalizeHost). */
  referrerHost: string | null;
  pageHost: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  clickIds: Record<string, string> | null;
  ownHosts?: readonly string[];
};

/**
 * First match wins. Campaign tags first, because they state intent: paid (ad click id or paid utm_medium) →
 * email → social → search. Then the referrer: internal (page host or ownHosts, subdomains included) → Android
 * app → webmail → social → search → any other referrer is a referral. Without a referrer: an fbclid means
 * social, and tagged traffic nobody recognises is a referral — someone put the link somewhere. Only untagged
 * visits without a referrer are direct.
 */
export function classifyChannel(input: ChannelInput): Channel {
  const medium = input.utmMedium?.toLowerCase() ?? null;
  const source = input.utmSource?.toLowerCase() ?? null;
  const clickIds = input.clickIds ?? {};
  if (PAID_CLICK_ID_PARAMS.some((param) => clickIds[param] !== undefined)) return 'paid';
  if (medium !== null && PAID_MEDIUM.test(medium)) return 'paid';
  if (
    (medium !== null && EMAIL_MEDIUM_OR_SOURCE.test(medium)) ||
    (source !== null && EMAIL_MEDIUM_OR_SOURCE.test(source))
  ) {
    return 'email';
  }
  if (medium !== null && SOCIAL_MEDIUM.test(medium)) return 'social';
  if (medium !== null && ORGANIC_MEDIUM.test(medium)) {
    return source !== null && SOCIAL_SOURCES.has(source) ? 'social' : 'search';
  }
  if (medium === null && source !== null) {
    if (SOCIAL_SOURCES.has(source)) return 'social';
    if (SEARCH_SOURCES.has(source)) return 'search';
  }

  const referrerHost = input.referrerHost;
  if (referrerHost !== null && referrerHost !== '') {
    const pageHost = input.pageHost === null ? null : normalizeHost(input.pageHost);
    const isOwn =
      referrerHost === pageHost ||
      (input.ownHosts ?? []).some((own) => {
        const h = normalizeHost(own);
        return h !== '' && (referrerHost === h || referrerHost.endsWith(`.${h}`));
      });
    if (isOwn) return 'internal';
    const appChannel = APP_REFERRER_CHANNELS[referrerHost];
    if (appChannel !== undefined) return appChannel;
    if (isEmailHost(referrerHost)) return 'email';
    if (isSocialHost(referrerHost)) return 'social';
    if (isSearchEngineHost(referrerHost)) return 'search';
    return 'referral';
  }
  if (clickIds.fbclid !== undefined) return 'social';
  return source !== null || medium !== null ? 'referral' : 'direct';
}

function readObject(value: unknown): PlainObject {
  return isPlainObject(value) ? value : {};
}

function readIdText(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return readText(value);
}

const NO_QUERY: ReadonlyMap<string, string> = new Map();

/** The page URL's query, else `context.page.search` when the URL has none. */
function readQuery(url: UrlFacts | null, search: string | null): ReadonlyMap<string, string> {
  if (url !== null && url.query.size > 0) return url.query;
  if (search !== null) return queryOf(new URLSearchParams(search));
  return NO_QUERY;
}

export type UrlInput = {
  type: EventType;
  /** Sanitised event context. */
  context: PlainObject;
  /** Sanitised event properties; page events may carry url/path/title/referrer there. */
  properties: PlainObject;
  ownHosts?: readonly string[];
};

/**
 * Where the event happened and how the visitor got there. Reads Segment's `context.page`, then (page calls
 * only) the same keys in `properties`; campaign from `context.campaign`, falling back to the URL's utm_*.
 */
export function enrichUrl(input: UrlInput): UrlInfo {
  const page = readObject(input.context.page);
  const props = input.type === 'page' ? input.properties : {};
  // Whole values for parsing; the columns get them cut to MAX_COLUMN_LENGTH.
  const pickWhole = (key: string): string | null =>
    readText(page[key], Number.POSITIVE_INFINITY) ?? readText(props[key], Number.POSITIVE_INFINITY);
  const pick = (key: string): string | null => {
    const whole = pickWhole(key);
    return whole === null ? null : truncate(whole);
  };

  const wholePageUrl = pickWhole('url');
  const url = wholePageUrl === null ? null : urlFacts(wholePageUrl);
  const pageUrl = wholePageUrl === null ? null : truncate(wholePageUrl);
  const pagePath = pick('path') ?? (url === null ? null : readText(url.pathname));
  const pageHost = url === null ? null : readText(url.hostname.toLowerCase());
  const pageTitle = pick('title');
  const wholeReferrer = pickWhole('referrer');
  const referrer = wholeReferrer === null ? null : truncate(wholeReferrer);
  const referrerUrl = wholeReferrer === null ? null : urlFacts(wholeReferrer);
  const referrerHost = referrerUrl === null ? null : readText(normalizeHost(referrerUrl.hostname));

  const query = readQuery(url, readText(page.search));
  const campaign = readObject(input.context.campaign);
  const utm = (key: string, param: string): string | null =>
    readText(campaign[key]) ?? readText(query.get(param) ?? null);
  const utmSource = utm('source', 'utm_source');
  const utmMedium = utm('medium', 'utm_medium');
  const utmCampaign = utm('name', 'utm_campaign');
  const utmTerm = utm('term', 'utm_term');
  const utmContent = utm('content', 'utm_content');

  const contextClickIds = readObject(input.context.clickIds);
  let clickIds: Record<string, string> | null = null;
  for (const param of CLICK_ID_PARAMS) {
    const value = readIdText(contextClickIds[param]) ?? readText(query.get(param) ?? null);
    if (value !== null) {
      clickIds ??= {};
      clickIds[param] = value;
    }
  }

  const channel = classifyChannel({
    referrerHost,
    pageHost,
    utmSource,
    utmMedium,
    clickIds,
    ...(input.ownHosts === undefined ? {} : { ownHosts: input.ownHosts }),
  });

  return {
    pageUrl,
    pagePath,
    pageHost,
    pageTitle,
    referrer,
    referrerHost,
    channel,
    utmSource,
    utmMedium,
    utmCampaign,
    utmTerm,
    utmContent,
    clickIds,
  };
}
