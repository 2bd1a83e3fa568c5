import { randomBytes } from 'node:crypto';

/**
 * Public ids. Every row has a private integer `id` (joins, never serialised) and a 16-byte `uid`:
 * UUIDv7 layout — 48-bit millisecond time (index locality) then 74 random bits (unguessable).
 * Rendered as `<prefix>_<26 chars of Crockford base32, lower case>`.
 */
export const ID_PREFIXES = {
  organization: 'org',
  user: 'usr',
  membership: 'mem',
  store: 'str',
  apiKey: 'key',
  session: 'ses',
  audit: 'aud',
  event: 'evt',
  order: 'ord',
  deadLetter: 'dlq',
  cronRun: 'run',
  cronToken: 'crt',
  privacyRequest: 'prv',
  invitation: 'inv',
} as const;

export type IdPrefix = (typeof ID_PREFIXES)[keyof typeof ID_PREFIXES];

/** A public id string of one type, e.g. PublicId<'str'>; the brand stops a user id being passed as a store id. */
export type PublicId<P extends IdPrefix> = `${P}_${string}` & { readonly __brand: P };

/** The 16 stored bytes of a uid. */
export type Uid = Buffer & { readonly __uid: true };

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const DECODE = new Map<string, number>();
for (let i = 0; i < ALPHABET.length; i++) {
  DECODE.set(ALPHABET[i] as string, i);
  DECODE.set((ALPHABET[i] as string).toUpperCase(), i);
}

export function newUid(nowMs: number = Date.now()): Uid {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(nowMs, 0, 6);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  return bytes as Uid;
}

/** 128 bits → 26 base32 characters (the first carries only 3 bits). */
export function encodeUid(uid: Uint8Array): string {
  if (uid.length !== 16) throw new Error(`uid must be 16 bytes, got ${uid.length}`);
  let value = 0n;
  for (const byte of uid) value = (value << 8n) | BigInt(byte);
  let out = '';
  for (let i = 0; i < 26; i++) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

export function decodeUid(text: string): Uid | null {
  if (text.length !== 26) return null;
  let value = 0n;
  for (const char of text) {
    const digit = DECODE.get(char);
    if (digit === undefined) return null;
    value = (value << 5n) | BigInt(digit);
  }
  if (value >> 128n !== 0n) return null;
  const bytes = Buffer.alloc(16);
  for (let i = 15; i >= 0; i--) {
    bytes[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return bytes as Uid;
}

export function toPublicId<P extends IdPrefix>(prefix: P, uid: Uint8Array): PublicId<P> {
  return `${prefix}_${encodeUid(uid)}` as PublicId<P>;
}

/** Parses `<prefix>_<base32>`; null for anything else, including integer ids and other types' ids. */
export function parsePublicId<P extends IdPrefix>(prefix: P, text: unknown): Uid | null {
  if (typeof text !== 'string' || text.length !== prefix.length + 27) return null;
  if (!text.startsWith(`${prefix}_`)) return null;
  return decodeUid(text.slice(prefix.length + 1));
}

export function isPublicId<P extends IdPrefix>(prefix: P, text: unknown): text is PublicId<P> {
  return parsePublicId(prefix, text) !== null;
}

/** Factory so tests can inject a clock; modules receive one `Ids` from the composition root. */
export interface Ids {
  newUid(): Uid;
}

export function createIds(clock: { nowMs(): number }): Ids {
  return { newUid: () => newUid(clock.nowMs()) };
}
