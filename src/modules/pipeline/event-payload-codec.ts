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

/** Lifts `key` out of `target` when it holds exactly `expected`; returns the bit when it did. */
function lift(target: Json, key: string, expected: string | null, bit: number): number {
  if (expected === null || target[key] !== expected) return 0;
  delete target[key];
  return bit;
}

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
    storedContext = { ...context };
    if (isPlainObject(page)) {
      const rest: Json = { ...page };
      const search = typeof rest.search === 'string' ? rest.search : null;
      // The URL is compared before the search is lifted: it is rebuilt from the search read back first.
      if (search !== null) packed |= lift(rest, 'url', pageUrl(columns, search), PACKED.contextPageUrl);
      packed |= lift(rest, 'search', '', PACKED.contextPageSearch);
      packed |= lift(rest, 'path', columns.path, PACKED.contextPagePath);
      packed |= lift(rest, 'title', columns.title, PACKED.contextPageTitle);
      packed |= lift(rest, 'referrer', originReferrer(columns), PACKED.contextPageReferrer);
      if (packed !== 0 && stringify(rest) === null) {
        delete storedContext.page;
        packed |= PACKED.contextPageEmpty;
      } else {
        storedContext.page = rest;
      }
    }
    packed |= lift(storedContext, 'sessionId', columns.session_id, PACKED.contextSessionId);
  }
  let storedProperties: Json = properties;
  // Only page views: reports read track events' properties text as stored, so those stay whole.
  if (columns.type === 'page') {
    storedProperties = { ...properties };
    const search = typeof storedProperties.search === 'string' ? storedProperties.search : '';
    packed |= lift(storedProperties, 'url', pageUrl(columns, search), PACKED.propertiesUrl);
    packed |= lift(storedProperties, 'path', columns.path, PACKED.propertiesPath);
    packed |= lift(storedProperties, 'title', columns.title, PACKED.propertiesTitle);
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
