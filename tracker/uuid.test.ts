import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { uuid } from './src/uuid.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuid', () => {
  it('uses crypto.randomUUID where the page is a secure context', () => {
    const c = { randomUUID: () => 'from-randomUUID', getRandomValues: () => null } as unknown as Crypto;
    expect(uuid(c)).toBe('from-randomUUID');
  });

  it('builds a version 4 UUID from getRandomValues elsewhere', () => {
    const c = {
      getRandomValues: ((a: Uint8Array) => webcrypto.getRandomValues(a)) as Crypto['getRandomValues'],
    } as Crypto;
    const ids = Array.from({ length: 2000 }, () => uuid(c));
    for (const id of ids) expect(id).toMatch(V4);
    expect(new Set(ids).size).toBe(ids.length);
    // Every variant nibble (8, 9, a, b) shows up: the random bits really reach it.
    expect(new Set(ids.map((id) => id[19]))).toEqual(new Set(['8', '9', 'a', 'b']));
  });
});
