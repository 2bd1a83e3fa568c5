import { hasValidChecksum, newChecksummedToken, sha256 } from '../../platform/crypto.js';

export type KeyType = 'publishable' | 'secret';
export const KEY_TYPES: readonly KeyType[] = ['publishable', 'secret'];

const PREFIX: Record<KeyType, string> = { publishable: 'ff_pub_', secret: 'ff_sk_' };

/** A new key: prefix, 128 random bits in base62, CRC-32 checksum. */
export function generateKey(type: KeyType): string {
  return newChecksummedToken(PREFIX[type]);
}

/** The key's type if its shape and checksum are right; junk is refused here, before any lookup. */
export function parseKey(text: unknown): { type: KeyType; hash: Buffer } | null {
  if (typeof text !== 'string' || text.length > 64) return null;
  for (const type of KEY_TYPES) {
    if (text.startsWith(PREFIX[type]))
      return hasValidChecksum(PREFIX[type], text) ? { type, hash: sha256(text) } : null;
  }
  return null;
}

export function displayPrefix(key: string): string {
  return key.slice(0, key.indexOf('_', 3) + 5);
}
