import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Cron tokens: `ff_cron_` + 43 base62 characters (32 random bytes) + 6 base62 characters of checksum (the
 * first 4 bytes of SHA-256 of the random part). The checksum lets a typo or a different kind of secret be
 * refused without a database lookup, and lets secret scanners recognise a real token. Only SHA-256 of the
 * whole token is stored.
 */
export const CRON_TOKEN_PREFIX = 'ff_cron_';
const BODY_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
/** Shown in lists: the type prefix and the first 6 random characters. */
const DISPLAY_PREFIX_LENGTH = CRON_TOKEN_PREFIX.length + 6;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const TOKEN_PATTERN = new RegExp(`^${CRON_TOKEN_PREFIX}[0-9A-Za-z]{${BODY_LENGTH + CHECKSUM_LENGTH}}$`);

function toBase62(bytes: Uint8Array, length: number): string {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  let out = '';
  for (let i = 0; i < length; i++) {
    out = BASE62[Number(value % 62n)] + out;
    value /= 62n;
  }
  return out;
}

function checksumOf(body: string): string {
  return toBase62(createHash('sha256').update(body).digest().subarray(0, 4), CHECKSUM_LENGTH);
}

export function generateCronToken(): string {
  const body = toBase62(randomBytes(32), BODY_LENGTH);
  return `${CRON_TOKEN_PREFIX}${body}${checksumOf(body)}`;
}

/** Whether the text has the shape and checksum of a cron token (says nothing about whether it is valid). */
export function isWellFormedCronToken(text: string): boolean {
  if (!TOKEN_PATTERN.test(text)) return false;
  const body = text.slice(CRON_TOKEN_PREFIX.length, CRON_TOKEN_PREFIX.length + BODY_LENGTH);
  const checksum = text.slice(CRON_TOKEN_PREFIX.length + BODY_LENGTH);
  return checksumOf(body) === checksum;
}

export function hashCronToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function displayPrefixOf(token: string): string {
  return token.slice(0, DISPLAY_PREFIX_LENGTH);
}

/** Constant-time comparison of two SHA-256 digests. */
export function isSameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
