import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundQueue, byteLength, chunkBatch } from './src/queue.js';

describe('boundQueue', () => {
  it('keeps a queue within both limits untouched', () => {
    const queue = [1, 2, 3];
    expect(boundQueue(queue, 3, 1000)).toBe(0);
    expect(queue).toEqual([1, 2, 3]);
  });

  it('drops the oldest events beyond the count limit and says how many', () => {
    const queue = [1, 2, 3, 4, 5];
    expect(boundQueue(queue, 3, 1000)).toBe(2);
    expect(queue).toEqual([3, 4, 5]);
  });

  it('drops the oldest events until the JSON fits the character limit', () => {
    const queue = ['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40)];
    expect(boundQueue(queue, 10, 80)).toBe(2);
    expect(queue).toEqual(['c'.repeat(40)]);
  });

  it('always leaves a suffix of the queue that fits both limits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string()),
        fc.nat(20),
        fc.integer({ min: 2, max: 500 }),
        (events, maxCount, maxChars) => {
          const queue = [...events];
          const dropped = boundQueue(queue, maxCount, maxChars);
          expect(queue).toEqual(events.slice(dropped));
          expect(queue.length).toBeLessThanOrEqual(maxCount);
          expect(JSON.stringify(queue).length).toBeLessThanOrEqual(maxChars);
          // Minimal: keeping one more event would break a limit.
          if (dropped > 0) {
            const oneMore = events.slice(dropped - 1);
            expect(oneMore.length > maxCount || JSON.stringify(oneMore).length > maxChars).toBe(true);
          }
        },
      ),
    );
  });
});

describe('chunkBatch', () => {
  it('returns no batch for no events', () => {
    expect(chunkBatch([], 1000)).toEqual([]);
  });

  it('keeps every batch body within the byte budget, counting multi-byte characters', () => {
    const events = Array.from({ length: 30 }, (_, i) => ({ i, text: 'é€'.repeat(200) }));
    const batches = chunkBatch(events, 5000);
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) {
      const body = JSON.stringify({ batch, sentAt: new Date(0).toISOString() });
      expect(byteLength(body)).toBeLessThanOrEqual(5000);
    }
    expect(batches.flat()).toEqual(events);
  });

  it('gives an oversized event a batch of its own rather than losing it', () => {
    const big = 'x'.repeat(2000);
    expect(chunkBatch(['a', big, 'b'], 1000)).toEqual([['a'], [big], ['b']]);
  });

  it('preserves order and loses nothing, whatever the sizes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 300 })),
        fc.integer({ min: 50, max: 2000 }),
        (events, max) => {
          const batches = chunkBatch(events, max);
          expect(batches.flat()).toEqual(events);
          for (const batch of batches) {
            expect(batch.length).toBeGreaterThan(0);
            const fits = byteLength(JSON.stringify({ batch, sentAt: new Date(0).toISOString() })) <= max;
            expect(fits || batch.length === 1).toBe(true);
          }
        },
      ),
    );
  });
});
