import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUid, encodeUid, newUid, parsePublicId, toPublicId } from './ids.js';

describe('public ids', () => {
  it('round-trips any 16 bytes through the base32 text form', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const text = encodeUid(bytes);
        expect(text).toMatch(/^[0-9a-hjkmnp-tv-z]{26}$/);
        expect(Buffer.from(decodeUid(text) as Buffer).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('rejects anything that is not an id of the asked type', () => {
    const id = toPublicId('str', newUid());
    expect(parsePublicId('str', id)).not.toBeNull();
    expect(parsePublicId('key', id)).toBeNull();
    for (const junk of [
      '1',
      '42',
      'str_1',
      `${id}x`,
      id.toUpperCase().replace('STR_', 'str_').slice(0, -1),
      null,
      7,
    ]) {
      expect(parsePublicId('str', junk)).toBeNull();
    }
    fc.assert(
      fc.property(fc.string(), (text) => parsePublicId('str', text) === null || text.startsWith('str_')),
    );
  });

  it('is time-ordered with at least 74 random bits: two ids in one millisecond differ', () => {
    const at = Date.parse('2026-11-25T00:00:00Z');
    const ids = new Set(Array.from({ length: 10_000 }, () => encodeUid(newUid(at))));
    expect(ids.size).toBe(10_000);
    expect(encodeUid(newUid(at)) < encodeUid(newUid(at + 1000))).toBe(true);
  });

  it('refuses 26-character strings whose value needs more than 128 bits', () => {
    expect(decodeUid('zzzzzzzzzzzzzzzzzzzzzzzzzz')).toBeNull();
  });
});
