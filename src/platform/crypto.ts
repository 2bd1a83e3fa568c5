import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Big-endian base62 of the bytes, left-padded to a fixed length so every token of a kind has one length. */
export function base62(bytes: Uint8Array, length: number): string {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  let out = '';
  while (value > 0n) {
    out = BASE62[Number(value % 62n)] + out;
    value /= 62n;
  }
  return out.padStart(length, '0');
}

export function isBase62(text: string): boolean {
  return /^[0-9A-Za-z]*$/.test(text);
}

export function sha256(text: string | Uint8Array): Buffer {
  return createHash('sha256').update(text).digest();
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** CRC-32 (IEEE), for token checksums that reject typos and junk before any database lookup. */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text)) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * `<prefix><22 base62 chars of 16 random bytes><6 base62 chars of CRC-32>`: 128 random bits plus a checksum.
 * GitHub's token format, for the same reasons: greppable prefix, offline rejection of junk.
 */
export function newChecksummedToken(prefix: string, randomBytesCount = 16): string {
  const body = base62(randomBytes(randomBytesCount), Math.ceil((randomBytesCount * 8) / Math.log2(62)));
  const check = base62(
    Buffer.from(
      crc32(prefix + body)
        .toString(16)
        .padStart(8, '0'),
      'hex',
    ),
    6,
  );
  return `${prefix}${body}${check}`;
}

export function hasValidChecksum(prefix: string, token: string, randomBytesCount = 16): boolean {
  const bodyLength = Math.ceil((randomBytesCount * 8) / Math.log2(62));
  if (!token.startsWith(prefix) || token.length !== prefix.length + bodyLength + 6) return false;
  const body = token.slice(prefix.length, prefix.length + bodyLength);
  const check = token.slice(prefix.length + bodyLength);
  if (!isBase62(body) || !isBase62(check)) return false;
  const expected = base62(
    Buffer.from(
      crc32(prefix + body)
        .toString(16)
        .padStart(8, '0'),
      'hex',
    ),
    6,
  );
  return constantTimeEqual(Buffer.from(check), Buffer.from(expected));
}
