import { createHmac } from 'node:crypto';
import { createKeyWrapper, type KeyWrapper } from '../../platform/key-wrap.js';

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

/** How the HMAC key is wrapped at rest (the purpose string is part of the derivation: never change it). */
export function privacyKeyWrapper(
  rootSecret: string | null,
  previousRootSecret: string | null = null,
): KeyWrapper {
  return createKeyWrapper({
    purpose: 'footfall/privacy-key-wrap/v1',
    what: 'the privacy HMAC key',
    rootSecret,
    previousRootSecret,
  });
}
