import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signing with a key ring: every token we sign (CSRF tokens, export links, …) carries the id of the key that
 * signed it, so keys can rotate while older tokens stay verifiable until they expire.
 */
export interface SigningKey {
  kid: string;
  secret: Buffer;
}

export interface KeyRing {
  /** The key new signatures use. */
  current(): SigningKey;
  /** Any key still valid for verification. */
  find(kid: string): SigningKey | null;
}

export interface Signer {
  /** `<kid>.<base64url mac>` over `purpose` and `data`. */
  sign(purpose: string, data: string): string;
  verify(purpose: string, data: string, signature: string): boolean;
}

function mac(secret: Buffer, purpose: string, data: string): Buffer {
  return createHmac('sha256', secret).update(purpose).update('\u0000').update(data).digest();
}

export function createSigner(ring: KeyRing): Signer {
  return {
    sign(purpose, data) {
      const key = ring.current();
      return `${key.kid}.${mac(key.secret, purpose, data).toString('base64url')}`;
    },
    verify(purpose, data, signature) {
      const dot = signature.indexOf('.');
      if (dot <= 0) return false;
      const key = ring.find(signature.slice(0, dot));
      if (!key) return false;
      const given = Buffer.from(signature.slice(dot + 1), 'base64url');
      const expected = mac(key.secret, purpose, data);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
