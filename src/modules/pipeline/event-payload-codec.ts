/**
 * Storage codec for an event's JSON payload. Trackers repeat in `context.page` (and a page call's
 * `properties`) what enrichment already stored in columns: the path, the title, the URL (host + path +
 * query), the referrer and the session id. Storing them twice was a quarter of a page view's row. A value is
 * left out of the stored JSON only when it equals what the columns rebuild exactly, and a bit in `packed`
 * says so; reading puts it back. Anything else (a URL with a fragment, a referrer with a path, a number where
 * a string was expected) stays in the JSON as sent, so every payload reads back deep-equal.
 *
 * The bits are a storage format: never renumber one. Rows written before the codec have `packed` = 0 and
 * read back unchanged.
 */

/** Column values of the row, as stored (already cut to the columns' widths). */
export interface PayloadColumns {
  type: string;
  path: string | null;
  page_host: string | null;
  title: string | null;
  referrer_host: string | null;
  session_id: string | null;
}

export const PACKED = {
  contextPagePath: 1,
  contextPageUrl: 2,
  contextPageTitle: 4,
  contextPageSearch: 8,
  contextPageReferrer: 16,
  contextSessionId: 32,
  propertiesPath: 64,
  propertiesUrl: 128,
  propertiesTitle: 256,
  /** `context.page` held only lifted values: it is rebuilt from nothing. */
  contextPageEmpty: 512,
} as const;

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The URL a page of this host and path has with this query string, as trackers report it. */
function pageUrl(columns: PayloadColumns, search: string): string | null {
  if (columns.page_host === null || columns.path === null) return null;
  return `https://${columns.page_host}${columns.path}${search}`;
}

/** A cross-origin referrer as browsers send it by default (strict-origin-when-cross-origin): the origin. */
function originReferrer(columns: PayloadColumns): string | null {
  return columns.referrer_host === null ? null : `https://${columns.referrer_host}/`;
}

function stringify(value: Json): string | null {
  for (const _ in value) return JSON.stringify(value);
  return null;
}

/** The bit when `source[key]` is exactly `expected` (and so is left out), else 0. */
function liftable(source: Json, key: string, expected: string | null, bit: number): number {
  return expected !== null && source[key] === expected ? bit : 0;
}

/**
 * A copy of `source` without the keys whose bits are set in `lifted`, in the same key order. Built key by key:
 * copying with a spread and then deleting keys left V8 a slow dictionary object to stringify.
 */
function without(source: Json, lifted: number, keys: readonly (readonly [string, number])[]): Json {
  const out: Json = {};
  copy: for (const key in source) {
    for (const [name, bit] of keys) if (key === name && (lifted & bit) !== 0) continue copy;
    out[key] = source[key];
  }
  return out;
}

/** The keys of `context.page` and of a page view's properties that may be lifted, with their bits. */
const PAGE_KEYS = [
  ['url', PACKED.contextPageUrl],
  ['search', PACKED.contextPageSearch],
  ['path', PACKED.contextPagePath],
  ['title', PACKED.contextPageTitle],
  ['referrer', PACKED.contextPageReferrer],
] as const;
const PROPERTY_KEYS = [
  ['url', PACKED.propertiesUrl],
  ['path', PACKED.propertiesPath],
  ['title', PACKED.propertiesTitle],
] as const;

/**
 * The stored texts of an event's properties and context, and the bits of what was left out. The input
 * objects are not changed (the worker's events may be retried).
 */
export function packPayload(
  columns: PayloadColumns,
  properties: Json,
  context: Json,
): { properties: string | null; context: string | null; packed: number } {
  let packed = 0;
  let storedContext: Json = context;
  const page = context.page;
  if (isPlainObject(page) || typeof context.sessionId === 'string') {
    let rest: Json | null = null;
    if (isPlainObject(page)) {
      const search = typeof page.search === 'string' ? page.search : null;
      // The URL is compared with the search as sent: reading puts the search back first.
      const expected: Record<(typeof PAGE_KEYS)[number][0], string | null> = {
        url: search === null ? null : pageUrl(columns, search),
        search: '',
        path: columns.path,
        title: columns.title,
        referrer: originReferrer(columns),
      };
      for (const [key, bit] of PAGE_KEYS) packed |= liftable(page, key, expected[key], bit);
      rest = packed === 0 ? page : without(page, packed, PAGE_KEYS);
      if (packed !== 0 && stringify(rest) === null) packed |= PACKED.contextPageEmpty;
    }
    packed |= liftable(context, 'sessionId', columns.session_id, PACKED.contextSessionId);
    if (packed !== 0) {
      storedContext = {};
      for (const key in context) {
        if (key === 'page' && rest !== null) {
          if ((packed & PACKED.contextPageEmpty) === 0) storedContext.page = rest;
        } else if (key !== 'sessionId' || (packed & PACKED.contextSessionId) === 0) {
          storedContext[key] = context[key];
        }
      }
    }
  }
  let storedProperties: Json = properties;
  // Only page views: reports read track events' properties text as stored, so those stay whole.
  if (columns.type === 'page') {
    const search = typeof properties.search === 'string' ? properties.search : '';
    const expected: Record<(typeof PROPERTY_KEYS)[number][0], string | null> = {
      url: pageUrl(columns, search),
      path: columns.path,
      title: columns.title,
    };
    let lifted = 0;
    for (const [key, bit] of PROPERTY_KEYS) lifted |= liftable(properties, key, expected[key], bit);
    if (lifted !== 0) storedProperties = without(properties, lifted, PROPERTY_KEYS);
    packed |= lifted;
  }
  return { properties: stringify(storedProperties), context: stringify(storedContext), packed };
}

function parse(text: string | null): Json {
  return text ? (JSON.parse(text) as Json) : {};
}

/** The payload as it was sent: the stored texts with the lifted values put back. */
export function unpackPayload(
  columns: PayloadColumns,
  propertiesText: string | null,
  contextText: string | null,
  packed: number,
): { properties: Json; context: Json } {
  const properties = parse(propertiesText);
  const context = parse(contextText);
  if (packed === 0) return { properties, context };
  const has = (bit: number) => (packed & bit) !== 0;
  const pageBits =
    PACKED.contextPagePath |
    PACKED.contextPageUrl |
    PACKED.contextPageTitle |
    PACKED.contextPageSearch |
    PACKED.contextPageReferrer |
    PACKED.contextPageEmpty;
  if ((packed & pageBits) !== 0) {
    const page: Json = has(PACKED.contextPageEmpty) ? {} : isPlainObject(context.page) ? context.page : {};
    if (has(PACKED.contextPagePath)) page.path = columns.path;
    if (has(PACKED.contextPageSearch)) page.search = '';
    if (has(PACKED.contextPageUrl)) page.url = pageUrl(columns, page.search as string);
    if (has(PACKED.contextPageTitle)) page.title = columns.title;
    if (has(PACKED.contextPageReferrer)) page.referrer = originReferrer(columns);
    context.page = page;
  }
  if (has(PACKED.contextSessionId)) context.sessionId = columns.session_id;
  if (has(PACKED.propertiesPath)) properties.path = columns.path;
  if (has(PACKED.propertiesTitle)) properties.title = columns.title;
  if (has(PACKED.propertiesUrl)) {
    const search = typeof properties.search === 'string' ? properties.search : '';
    properties.url = pageUrl(columns, search);
  }
  return { properties, context };
}
