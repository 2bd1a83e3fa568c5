import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * How erased identifiers are remembered without being stored. A plain SHA-256 of `storeId:kind:value` would
 * hide nothing: user ids are often guessable (emails, shop customer numbers), and a stolen database could be
 * checked against every candidate. An HMAC keyed with a server-held secret makes that enumeration need the key.
 *
 * The key never rotates: the suppression list cannot be re-hashed (we no longer have the identifiers), so a
 * new key would silently forget every erased person. It is a random 32-byte key stored in the database,
 * AES-256-GCM-wrapped under FOOTFALL_SECRET when one is set: then a database dump alone is not enough to test
 * guesses. Without FOOTFALL_SECRET the key sits beside the hashes, and the protection is only against leaks
 * of the hashes themselves (exports, logs, backups of one table) — docs/PRIVACY.md says so.
 */
export type SubjectKind = 'user' | 'anonymous';

export interface SubjectHasher {
  hash(storeId: number, kind: SubjectKind, value: string): Buffer;
}

export function createSubjectHasher(key: Buffer): SubjectHasher {
  if (key.length !== 32) throw new Error('the subject HMAC key must be 32 bytes');
  return {
    hash(storeId, kind, value) {
      // The store is part of the input: one person erased from one shop is not linkable to another shop.
      return createHmac('sha256', key)
        .update(`footfall/privacy-subject/v1\u0000${storeId}\u0000${kind}\u0000`)
        .update(value)
        .digest();
    },
  };
}

function wrappingKey(rootSecret: string): Buffer {
  return createHash('sha256').update('footfall/privacy-key-wrap/v1').update(rootSecret).digest();
}

/** `iv(12) ‖ tag(16) ‖ ciphertext` under the root secret, or the key itself when there is none. */
export function sealKey(
  material: Buffer,
  rootSecret: string | null,
): { material: Buffer; isWrapped: boolean } {
  if (rootSecret === null) return { material, isWrapped: false };
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', wrappingKey(rootSecret), iv);
  const body = Buffer.concat([cipher.update(material), cipher.final()]);
  return { material: Buffer.concat([iv, cipher.getAuthTag(), body]), isWrapped: true };
}

export function openKey(stored: { material: Buffer; isWrapped: boolean }, rootSecret: string | null): Buffer {
  if (!stored.isWrapped) return Buffer.from(stored.material);
  if (rootSecret === null) {
    throw new Error(
      'the privacy HMAC key is wrapped but FOOTFALL_SECRET is not set; set the secret it was made with',
    );
  }
  const decipher = createDecipheriv('aes-256-gcm', wrappingKey(rootSecret), stored.material.subarray(0, 12));
  decipher.setAuthTag(stored.material.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(stored.material.subarray(28)), decipher.final()]);
  } catch {
    // Failing loudly beats hashing with another key: that would silently un-erase every erased person.
    throw new Error(
      'the privacy HMAC key cannot be unwrapped: FOOTFALL_SECRET differs from the one it was made with',
    );
  }
}
