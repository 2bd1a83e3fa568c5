import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSurelyWithin } from './ingest.service.js';

describe('isSurelyWithin (the per-event size check before measuring exactly)', () => {
  it('never clears an event whose JSON is larger than the limit', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 4000 }), (value, limit) => {
        if (isSurelyWithin(value, limit)) {
          expect(Buffer.byteLength(JSON.stringify(value) ?? '')).toBeLessThanOrEqual(limit);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('clears a typical tracker event at the 32 KB limit without measuring it, and not a 33 KB one', () => {
    const event = {
      type: 'track',
      event: 'Product Viewed',
      messageId: 'm-1',
      anonymousId: 'a-1',
      properties: { product_id: 'sku-1', price: 12.5, currency: 'EUR', tags: ['a', 'b'], isNew: true },
      context: {
        page: { url: 'https://shop.example/p/1', title: 'Socks' },
        userAgent: 'Mozilla/5.0 '.repeat(10),
      },
    };
    expect(isSurelyWithin(event, 32 * 1024)).toBe(true);
    expect(isSurelyWithin({ ...event, properties: { blob: 'y'.repeat(33 * 1024) } }, 32 * 1024)).toBe(false);
    const deep: unknown[] = [];
    let at = deep;
    for (let i = 0; i < 100; i++) {
      const inner: unknown[] = [];
      at.push(inner);
      at = inner;
    }
    expect(isSurelyWithin(deep, 32 * 1024)).toBe(false);
  });
});
