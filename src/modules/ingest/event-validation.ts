// Envelope validation for Segment-compatible events: the fields every call type shares, and the sanitiser
// that turns client JSON into safe plain objects. Pure: no I/O, no clock.

/** An expected validation failure, returned as a value (never thrown). `field` names the offending path. */
export type Rejection = { ok: false; reason: string; field?: string };

export type Validated<T> = { ok: true; value: T } | Rejection;

export const EVENT_TYPES = ['track', 'page', 'screen', 'identify', 'group', 'alias'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Ids (messageId, userId, anonymousId, groupId, previousId) and track event names: at most this many chars. */
export const MAX_ID_LENGTH = 255;

/** Deepest nesting of objects/arrays accepted inside properties, traits or context (the root counts as 1). */
export const MAX_NESTING_DEPTH = 32;

// Keys that would reach Object.prototype (or a constructor) through careless merges further down the line.
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export type PlainObject = Record<string, unknown>;

export function reject(reason: string, field?: string): Rejection {
  return field === undefined ? { ok: false, reason } : { ok: false, reason, field };
}

export function isPlainObject(value: unknown): value is PlainObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key);
}

const SIMPLE_KEY = /^[A-Za-z_$][\w$]*$/;

// The walk keeps the path as a stack of segments and formats it only when something fails: building a path
// string for every key of every event was a measurable share of ingest CPU.
type Walk = { root: string; path: (string | number)[]; failure: Rejection | null };

const FAILED: unique symbol = Symbol('failed');

function pathOf(walk: Walk): string {
  let out = walk.root;
  for (const segment of walk.path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += SIMPLE_KEY.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function failWalk(walk: Walk, failure: Rejection): typeof FAILED {
  walk.failure = failure;
  return FAILED;
}

function sanitizeValue(value: unknown, depth: number, walk: Walk): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number': {
      // JSON cannot carry NaN or Infinity, but a caller handing us parsed objects from elsewhere could.
      if (Number.isFinite(value)) return value;
      const path = pathOf(walk);
      return failWalk(walk, reject(`${path} must be a finite number`, path));
    }
    case 'object': {
      if (value === null) return null;
      if (depth > MAX_NESTING_DEPTH) {
        return failWalk(
          walk,
          reject(`${walk.root} is nested more than ${MAX_NESTING_DEPTH} levels deep`, walk.root),
        );
      }
      if (Array.isArray(value)) {
        const out: unknown[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          // JSON.stringify turns holes and undefined inside arrays into null; do the same.
          if (item === undefined) {
            out[i] = null;
            continue;
          }
          walk.path.push(i);
          const res = sanitizeValue(item, depth + 1, walk);
          if (res === FAILED) return FAILED;
          walk.path.pop();
          out[i] = res;
        }
        return out;
      }
      if (!isPlainObject(value)) {
        const path = pathOf(walk);
        return failWalk(walk, reject(`${path} must contain only JSON values`, path));
      }
      const out: PlainObject = {};
      for (const key of Object.keys(value)) {
        if (FORBIDDEN_KEYS.has(key)) continue;
        const item = value[key];
        if (item === undefined) continue;
        walk.path.push(key);
        const res = sanitizeValue(item, depth + 1, walk);
        if (res === FAILED) return FAILED;
        walk.path.pop();
        out[key] = res;
      }
      return out;
    }
    case 'undefined':
      return null;
    default: {
      const path = pathOf(walk);
      return failWalk(walk, reject(`${path} must contain only JSON values`, path));
    }
  }
}

/**
 * True when `value` is already what sanitizeValue would make of it: plain objects and arrays only, finite
 * numbers, no undefined members or array holes, no forbidden keys, within the nesting limit. Objects from
 * JSON.parse almost always are, and then need no copy: checking without allocating is several times cheaper
 * than the deep copy, whose garbage was a large share of ingest's collector time.
 */
function isClean(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth > MAX_NESTING_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value) || !isClean(value[i], depth + 1)) return false;
        }
        return true;
      }
      if (!isPlainObject(value)) return false;
      for (const key in value) {
        if (!Object.hasOwn(value, key)) return false;
        if (FORBIDDEN_KEYS.has(key)) return false;
        const item = (value as PlainObject)[key];
        if (item === undefined || !isClean(item, depth + 1)) return false;
      }
      // Symbol and non-enumerable keys are left alone: the copy would drop them, JSON.stringify does too.
      return true;
    }
    default:
      return false;
  }
}

/**
 * A client object as a safe plain object — the object itself when it is already one (isClean), otherwise a
 * deep copy. The copy drops `__proto__`/`constructor`/`prototype` keys at
 * every level, drops undefined members, rejects non-finite numbers, non-JSON values and nesting deeper than
 * MAX_NESTING_DEPTH. `null`/absent → `{}`; anything else that is not an object → rejection naming `field`.
 */
export function sanitizeObject(value: unknown, field: string): Validated<PlainObject> {
  if (value === undefined || value === null) return { ok: true, value: {} };
  if (!isPlainObject(value)) return reject(`${field} must be an object`, field);
  // Already clean (the usual case for parsed JSON): the object itself is the result, uncopied.
  if (isClean(value, 1)) return { ok: true, value };
  const walk: Walk = { root: field, path: [], failure: null };
  const res = sanitizeValue(value, 1, walk);
  if (res === FAILED) return walk.failure ?? reject(`${field} is not valid JSON`, field);
  return { ok: true, value: res as PlainObject };
}

/**
 * Reads an id field: strings are kept as given, finite numbers become strings (Segment SDKs send numeric user
 * ids), null/undefined/'' mean absent. Longer than MAX_ID_LENGTH → rejection.
 */
export function readId(value: unknown, field: string): Validated<string | null> {
  if (value === undefined || value === null) return { ok: true, value: null };
  let id: string;
  if (typeof value === 'string') {
    id = wellFormed(value);
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) return reject(`${field} must be a finite number or a string`, field);
    id = String(value);
  } else {
    return reject(`${field} must be a string or a number`, field);
  }
  if (id.trim() === '') return { ok: true, value: null };
  if (id.length > MAX_ID_LENGTH) return reject(`${field} is longer than ${MAX_ID_LENGTH} characters`, field);
  return { ok: true, value: id };
}

export type EventEnvelope = {
  /** null when the client sent none: the caller assigns one. */
  messageId: string | null;
  type: EventType;
  event: string | null;
  name: string | null;
  userId: string | null;
  anonymousId: string | null;
  groupId: string | null;
  previousId: string | null;
  properties: PlainObject;
  traits: PlainObject;
  context: PlainObject;
};

function readType(value: unknown): Validated<EventType> {
  if (value === undefined || value === null || value === '') return reject('type is required', 'type');
  if (typeof value !== 'string') return reject('type must be a string', 'type');
  const type = value.trim().toLowerCase();
  const known = EVENT_TYPES.find((t) => t === type);
  if (known === undefined) return reject(`type must be one of ${EVENT_TYPES.join(', ')}`, 'type');
  return { ok: true, value: known };
}

/** The messageId as the client sent it, if it is usable — so a rejection can still name the event. */
export function peekMessageId(raw: unknown): string | undefined {
  if (!isPlainObject(raw)) return undefined;
  const res = readId(raw.messageId, 'messageId');
  return res.ok && res.value !== null ? res.value : undefined;
}

/**
 * Validates the shared Segment envelope (ids, type, event/name, object fields). Timestamps, eCommerce rules and
 * enrichment are checked by their own steps. `integrations` is ignored on purpose.
 */
export function validateEnvelope(raw: unknown): Validated<EventEnvelope> {
  if (!isPlainObject(raw)) return reject('event must be a JSON object');

  const type = readType(raw.type);
  if (!type.ok) return type;

  const messageId = readId(raw.messageId, 'messageId');
  if (!messageId.ok) return messageId;
  const userId = readId(raw.userId, 'userId');
  if (!userId.ok) return userId;
  const anonymousId = readId(raw.anonymousId, 'anonymousId');
  if (!anonymousId.ok) return anonymousId;
  if (userId.value === null && anonymousId.value === null) {
    return reject('userId or anonymousId is required', 'anonymousId');
  }
  const groupId = readId(raw.groupId, 'groupId');
  if (!groupId.ok) return groupId;
  const previousId = readId(raw.previousId, 'previousId');
  if (!previousId.ok) return previousId;

  let event: string | null = null;
  let name: string | null = null;
  switch (type.value) {
    case 'track': {
      if (raw.event === undefined || raw.event === null)
        return reject('event is required for track', 'event');
      if (typeof raw.event !== 'string') return reject('event must be a string', 'event');
      event = wellFormed(raw.event.trim());
      if (event === '') return reject('event must not be empty', 'event');
      if (event.length > MAX_ID_LENGTH)
        return reject(`event is longer than ${MAX_ID_LENGTH} characters`, 'event');
      break;
    }
    case 'page':
    case 'screen': {
      if (raw.name !== undefined && raw.name !== null) {
        if (typeof raw.name !== 'string') return reject('name must be a string', 'name');
        name = readText(raw.name);
      }
      break;
    }
    case 'group':
      if (groupId.value === null) return reject('groupId is required for group', 'groupId');
      break;
    case 'alias':
      if (previousId.value === null) return reject('previousId is required for alias', 'previousId');
      // Segment's alias links previousId to the new userId; without it there is nothing to link.
      if (userId.value === null) return reject('userId is required for alias', 'userId');
      break;
    case 'identify':
      break;
  }

  const properties = sanitizeObject(raw.properties, 'properties');
  if (!properties.ok) return properties;
  const traits = sanitizeObject(raw.traits, 'traits');
  if (!traits.ok) return traits;
  const context = sanitizeObject(raw.context, 'context');
  if (!context.ok) return context;

  return {
    ok: true,
    value: {
      messageId: messageId.value,
      type: type.value,
      event,
      name,
      userId: userId.value,
      anonymousId: anonymousId.value,
      groupId: groupId.value,
      previousId: previousId.value,
      properties: properties.value,
      traits: traits.value,
      context: context.value,
    },
  };
}

/** Longest string stored in an enriched column; the raw value stays whole in properties/context. */
export const MAX_COLUMN_LENGTH = 8192;

/** Cuts a string to `maxLength` UTF-16 units without leaving half a surrogate pair at the end. */
export function truncate(value: string, maxLength: number = MAX_COLUMN_LENGTH): string {
  if (value.length <= maxLength) return value;
  const code = value.charCodeAt(maxLength - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? maxLength - 1 : maxLength;
  return value.slice(0, end);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The string with each lone surrogate replaced by U+FFFD, as `String.prototype.toWellFormed` does (ES2024,
 * not in our lib yet). UTF-8 columns cannot hold one, and the dialects would replace it differently.
 */
export function wellFormed(value: string): string {
  LONE_SURROGATE.lastIndex = 0;
  return LONE_SURROGATE.test(value) ? value.replace(LONE_SURROGATE, '\ufffd') : value;
}

/** A non-empty trimmed, well-formed string (truncated for a column), or null for anything else. */
export function readText(value: unknown, maxLength: number = MAX_COLUMN_LENGTH): string | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  return text === '' ? null : truncate(wellFormed(text), maxLength);
}
