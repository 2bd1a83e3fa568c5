import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

// Secrets stored in the database (signing keys, the privacy HMAC key) are AES-256-GCM-wrapped under a key
// derived from FOOTFALL_SECRET when one is set. An operator rotates FOOTFALL_SECRET by starting every instance
// with the new value in FOOTFALL_SECRET and the old one in FOOTFALL_SECRET_PREVIOUS: stored keys still open,
// and the `rotate-secrets` job re-wraps each under the new secret; then the previous one can be dropped.

export interface StoredKey {
  material: Buffer;
  isWrapped: boolean;
}

export interface KeyWrapper {
  /** `iv(12) ‖ tag(16) ‖ ciphertext` under the current root secret, or the key itself when there is none. */
  seal(key: Buffer): StoredKey;
  /**
   * The key, and whether it is stale: sealed under a previous root secret, or stored bare although a root
   * secret is now set. Throws (naming `what`) when no configured secret opens it: using another key instead
   * would fail silently later.
   */
  open(stored: StoredKey): { key: Buffer; stale: boolean };
}

function kekOf(purpose: string, rootSecret: string): Buffer {
  return createHash('sha256').update(purpose).update(rootSecret).digest();
}

function unwrap(material: Buffer, kek: Buffer): Buffer | null {
  const decipher = createDecipheriv('aes-256-gcm', kek, material.subarray(0, 12));
  decipher.setAuthTag(material.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(material.subarray(28)), decipher.final()]);
  } catch {
    return null;
  }
}

/**
 * `purpose` separates the wrapping keys of different stores of secrets (`footfall/key-wrap/v1`, …); it is
 * part of the derivation, so it must never change for data already stored.
 */
export function createKeyWrapper(options: {
  purpose: string;
  what: string;
  rootSecret: string | null;
  previousRootSecret?: string | null;
}): KeyWrapper {
  const current = options.rootSecret === null ? null : kekOf(options.purpose, options.rootSecret);
  const previous = options.previousRootSecret ? kekOf(options.purpose, options.previousRootSecret) : null;
  return {
    seal(key) {
      if (current === null) return { material: Buffer.from(key), isWrapped: false };
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      const body = Buffer.concat([cipher.update(key), cipher.final()]);
      return { material: Buffer.concat([iv, cipher.getAuthTag(), body]), isWrapped: true };
    },
    open(stored) {
      const material = Buffer.from(stored.material);
      if (!stored.isWrapped) return { key: material, stale: current !== null };
      if (current === null) {
        throw new Error(
          `${options.what} is wrapped but FOOTFALL_SECRET is not set; set the secret it was made with`,
        );
      }
      const key = unwrap(material, current);
      if (key) return { key, stale: false };
      const old = previous ? unwrap(material, previous) : null;
      if (old) return { key: old, stale: true };
      throw new Error(
        `${options.what} cannot be unwrapped: FOOTFALL_SECRET differs from the one it was made with ` +
          '(when rotating it, set the old value in FOOTFALL_SECRET_PREVIOUS)',
      );
    },
  };
}
