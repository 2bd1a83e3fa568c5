import { hash } from 'node:crypto';

/**
 * What ingest hands the buffer and the worker stores: a validated, enriched Segment event. Only the fields
 * that are stored travel through the buffer, so a Redis entry is no larger than it must be.
 */
export interface PipelineEvent {
  messageId: string;
  type: 'track' | 'page' | 'screen' | 'identify' | 'group' | 'alias';
  event: string | null;
  name: string | null;
  userId: string | null;
  anonymousId: string | null;
  groupId: string | null;
  previousId: string | null;
  sessionId: string | null;
  timestampMs: number;
  sentAtMs: number | null;
  receivedAtMs: number;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  context: Record<string, unknown>;
  pagePath: string | null;
  pageHost: string | null;
  pageTitle: string | null;
  referrerHost: string | null;
  channel: string;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
  deviceType: string;
  browser: string | null;
  os: string | null;
  country: string | null;
  isBot: boolean;
  revenue: number | null;
  currency: string | null;
  orderId: string | null;
  /** Sent with a secret key from the store's backend: its order figures beat the browser's. */
  isServer: boolean;
}

/** An event with the store it belongs to, as the worker sees it. */
export interface StoredEvent extends PipelineEvent {
  storeId: number;
}

const EVENT_TYPES: ReadonlySet<string> = new Set(['track', 'page', 'screen', 'identify', 'group', 'alias']);

/** 16 bytes of SHA-256 of the message id: the per-store dedup key and the `evt_…` public id. */
export function messageHash(messageId: string): Buffer {
  return hash('sha256', messageId, 'buffer').subarray(0, 16);
}

/** Where an event keeps its computed hash: a symbol, not enumerable, so no copy, JSON or comparison sees it. */
const HASH = Symbol('messageHash');
type WithHash = { [HASH]?: { messageId: string; hash: Buffer } };

/**
 * A stored event's message hash, computed once per event: the row, its order adjustment and its rollups all
 * need it, and SHA-256 was a thirtieth of the worker's time when each computed its own. (Kept on the event
 * rather than in a WeakMap: V8's weak tables made that dearer than hashing again.)
 */
export function storedMessageHash(event: StoredEvent): Buffer {
  const known = (event as WithHash)[HASH];
  if (known !== undefined && known.messageId === event.messageId) return known.hash;
  const computed = messageHash(event.messageId);
  Object.defineProperty(event, HASH, {
    value: { messageId: event.messageId, hash: computed },
    configurable: true,
    writable: true,
  });
  return computed;
}

/**
 * The buffer's format for an event: a JSON array, `[1, …the fields in this order…]`. Without the 34 keys an
 * event is a third smaller than as an object: less to stringify at ingest, to send through Redis and to parse
 * in the worker, and the parsed array becomes an object of one fixed shape. The leading 1 is the format's
 * version: never reorder the fields; a new one goes at the end (older entries then lack it, and it takes its
 * default). Entries written as objects (before this format) still decode.
 */
export function encodeEvent(event: PipelineEvent): string {
  return JSON.stringify([
    1,
    event.messageId,
    event.type,
    event.event,
    event.name,
    event.userId,
    event.anonymousId,
    event.groupId,
    event.previousId,
    event.sessionId,
    event.timestampMs,
    event.sentAtMs,
    event.receivedAtMs,
    event.properties,
    event.traits,
    event.context,
    event.pagePath,
    event.pageHost,
    event.pageTitle,
    event.referrerHost,
    event.channel,
    event.utmSource,
    event.utmMedium,
    event.utmCampaign,
    event.utmTerm,
    event.utmContent,
    event.deviceType,
    event.browser,
    event.os,
    event.country,
    event.isBot,
    event.revenue,
    event.currency,
    event.orderId,
    event.isServer,
  ]);
}

function fromFields(fields: unknown[]): Record<string, unknown> {
  return {
    messageId: fields[1],
    type: fields[2],
    event: fields[3],
    name: fields[4],
    userId: fields[5],
    anonymousId: fields[6],
    groupId: fields[7],
    previousId: fields[8],
    sessionId: fields[9],
    timestampMs: fields[10],
    sentAtMs: fields[11],
    receivedAtMs: fields[12],
    properties: fields[13],
    traits: fields[14],
    context: fields[15],
    pagePath: fields[16],
    pageHost: fields[17],
    pageTitle: fields[18],
    referrerHost: fields[19],
    channel: fields[20],
    utmSource: fields[21],
    utmMedium: fields[22],
    utmCampaign: fields[23],
    utmTerm: fields[24],
    utmContent: fields[25],
    deviceType: fields[26],
    browser: fields[27],
    os: fields[28],
    country: fields[29],
    isBot: fields[30],
    revenue: fields[31],
    currency: fields[32],
    orderId: fields[33],
    isServer: fields[34],
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Decoded =
  | { ok: true; event: StoredEvent }
  | { ok: false; reason: string; storeId: number; messageId: string | null };

function parseStoreId(text: unknown): number {
  return typeof text === 'string' && /^\d{1,15}$/.test(text) ? Number(text) : 0;
}

/**
 * Checks one parsed event and completes it into a StoredEvent. Events are written by our own ingest, so this
 * checks only what the writer relies on; anything else is damage, which goes to the dead letters.
 */
function completeEvent(value: unknown, storeId: number): Decoded {
  const messageId = isObject(value) && typeof value.messageId === 'string' ? value.messageId : null;
  const bad = (reason: string) => ({ ok: false as const, reason, storeId, messageId });
  if (!isObject(value) || messageId === null) return bad('payload has no messageId');
  if (storeId === 0) return bad('entry names no store');
  if (typeof value.type !== 'string' || !EVENT_TYPES.has(value.type)) return bad('payload has no valid type');
  if (typeof value.timestampMs !== 'number' || typeof value.receivedAtMs !== 'number') {
    return bad('payload has no timestamps');
  }
  if (!isObject(value.properties) || !isObject(value.traits) || !isObject(value.context)) {
    return bad('payload properties, traits or context are not objects');
  }
  // Fields an older (or newer) writer may not have sent default to "unknown", so such an entry still stores.
  // The parsed object is ours, so it is completed in place: an object spread of a parsed object with this many
  // keys costs V8 tens of microseconds, which at 1,000 events a batch was a sixth of the worker's time.
  value.storeId = storeId;
  for (const key of NULLABLE_FIELDS) if (value[key] === undefined) value[key] = null;
  for (const [key, fallback] of OPTIONAL_DEFAULTS) if (value[key] === undefined) value[key] = fallback;
  return { ok: true, event: value as unknown as StoredEvent };
}

/** One event's JSON (a dead letter's payload) back into an event of the store. */
export function decodeEvent(storeIdText: unknown, payload: unknown): Decoded {
  const storeId = parseStoreId(storeIdText);
  if (typeof payload !== 'string')
    return { ok: false, reason: 'entry has no payload', storeId, messageId: null };
  try {
    const parsed: unknown = JSON.parse(payload);
    if (!Array.isArray(parsed)) return completeEvent(parsed, storeId);
    if (parsed[0] !== 1) return { ok: false, reason: 'payload format is unknown', storeId, messageId: null };
    return completeEvent(fromFields(parsed), storeId);
  } catch {
    return { ok: false, reason: 'payload is not JSON', storeId, messageId: null };
  }
}

/** A stream entry's events (one JSON text per `e` field): the decodable ones, and any that are damaged. */
export function decodeEntry(
  storeIdText: unknown,
  payloads: readonly string[],
):
  | {
      ok: true;
      storeId: number;
      events: StoredEvent[];
      damaged: { payload: string; reason: string; messageId: string | null }[];
    }
  | { ok: false; storeId: number; reason: string } {
  const storeId = parseStoreId(storeIdText);
  if (payloads.length === 0) return { ok: false, storeId, reason: 'entry has no events' };
  const events: StoredEvent[] = [];
  const damaged: { payload: string; reason: string; messageId: string | null }[] = [];
  for (const payload of payloads) {
    const decoded = decodeEvent(storeIdText, payload);
    if (decoded.ok) events.push(decoded.event);
    else damaged.push({ payload, reason: decoded.reason, messageId: decoded.messageId });
  }
  return { ok: true, storeId, events, damaged };
}

const NULLABLE_FIELDS = [
  'event',
  'name',
  'userId',
  'anonymousId',
  'groupId',
  'previousId',
  'sessionId',
  'sentAtMs',
  'pagePath',
  'pageHost',
  'pageTitle',
  'referrerHost',
  'utmSource',
  'utmMedium',
  'utmCampaign',
  'utmTerm',
  'utmContent',
  'browser',
  'os',
  'country',
  'revenue',
  'currency',
  'orderId',
] as const satisfies readonly (keyof PipelineEvent)[];

const OPTIONAL_DEFAULTS: readonly [string, unknown][] = [
  ['channel', 'direct'],
  ['deviceType', 'other'],
  ['isBot', false],
  ['isServer', false],
];
