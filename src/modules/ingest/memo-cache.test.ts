import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoCache } from './memo-cache.js';

describe('memo cache', () => {
  it('returns what was stored, null included, and undefined for what was not', () => {
    const cache = createMemoCache<string | null>(10);
    cache.set('a', 'A');
    cache.set('none', null);
    expect(cache.get('a')).toBe('A');
    expect(cache.get('none')).toBeNull();
    expect(cache.get('b')).toBeUndefined();
  });

  it('keeps an entry that is used while many others come and go', () => {
    const cache = createMemoCache<number>(100);
    cache.set('hot', 1);
    for (let i = 0; i < 10_000; i++) {
      cache.set(`cold-${i}`, i);
      if (i % 40 === 0) expect(cache.get('hot')).toBe(1);
    }
    expect(cache.get('cold-0')).toBeUndefined();
    expect(cache.get('cold-9999')).toBe(9999);
  });

  it('never holds more than its size, whatever the keys', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 3 }), { maxLength: 300 }),
        fc.integer({ min: 2, max: 50 }),
        (keys, size) => {
          const cache = createMemoCache<string>(size);
          for (const key of keys) if (cache.get(key) === undefined) cache.set(key, key);
          const held =
            new Set(keys).size === 0
              ? 0
              : [...new Set(keys)].filter((k) => cache.get(k) !== undefined).length;
          expect(held).toBeLessThanOrEqual(size);
          // The last key looked up or stored is always there.
          const last = keys[keys.length - 1];
          if (last !== undefined) expect(cache.get(last)).toBe(last);
        },
      ),
    );
  });
});
