import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cartAbandonment, computeFunnel, type FunnelCounts, type FunnelEvent } from './funnel.js';
import {
  cartAbandonmentColumns,
  countFunnelColumns,
  FUNNEL_BUCKET_MS,
  FUNNEL_RECORD_BYTES,
  funnelColumns,
  KeyIds,
  packFunnelRows,
} from './funnel-columns.js';

/** An hour-aligned instant in 2026, past 2^32 ms like every real timestamp. */
const BASE_MS = 1_790_000_000_000 - (1_790_000_000_000 % FUNNEL_BUCKET_MS);

const NAMES = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed', 'Coupon Applied'];

interface Row {
  name: number;
  timestampMs: number;
  hash: Buffer;
  visitorKey: Buffer;
  sessionKey: Buffer | null;
  cartKey: Buffer | null;
}

const key = (n: number) => Buffer.from(`${String(n).padStart(7, '0')}k`, 'latin1');
const hex = (value: Buffer) => value.toString('hex');

const rowArb = fc.record({
  name: fc.integer({ min: 0, max: NAMES.length - 1 }),
  // Few distinct instants, several hours apart at most: ties, hour boundaries and window edges all happen.
  timestampMs: fc.oneof(
    fc.integer({ min: 0, max: 40 }).map((k) => BASE_MS + k * 250_000),
    fc.integer({ min: 0, max: 5 * FUNNEL_BUCKET_MS }).map((k) => BASE_MS + k),
  ),
  hash: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((bytes) => Buffer.from(bytes)),
  visitorKey: fc.integer({ min: 1, max: 6 }).map(key),
  sessionKey: fc.option(fc.integer({ min: 1, max: 9 }).map(key), { nil: null }),
  cartKey: fc.option(fc.integer({ min: 1, max: 3 }).map(key), { nil: null }),
});

function byTime(a: Row, b: Row): number {
  return a.timestampMs - b.timestampMs || Buffer.compare(a.hash, b.hash);
}

/** The rows as `computeFunnel` reads them: one object each, in time order. */
function asEvents(rows: readonly Row[]): FunnelEvent[] {
  return [...rows].sort(byTime).map((row) => ({
    timestampMs: row.timestampMs,
    hash: hex(row.hash),
    type: 'track',
    event: NAMES[row.name] as string,
    path: null,
    visitorKey: hex(row.visitorKey),
    sessionKey: row.sessionKey === null ? null : hex(row.sessionKey),
    properties: () => (row.cartKey === null ? {} : { cart_id: hex(row.cartKey) }),
  }));
}

/**
 * The rows as the repository hands them over: per event name, packed per hour into one buffer (SQLite) or,
 * for every other name, a buffer per row (MySQL).
 */
function asColumns(rows: readonly Row[]) {
  return funnelColumns(
    NAMES.map((_, name) => {
      const chunks = packFunnelRows(rows.filter((r) => r.name === name).sort(byTime));
      if (name % 2 === 0) return chunks;
      return chunks.map((chunk) => {
        const packed = chunk.packed as Buffer;
        const records = Array.from({ length: chunk.count }, (_, i) =>
          packed.subarray(i * FUNNEL_RECORD_BYTES, (i + 1) * FUNNEL_RECORD_BYTES),
        );
        return { ...chunk, packed: records };
      });
    }),
  );
}

const sorted = (counts: FunnelCounts) => ({
  entities: counts.entities,
  stepTimesMs: counts.stepTimesMs.map((times) => [...times].sort((a, b) => a - b)),
  convertTimesMs: [...counts.convertTimesMs].sort((a, b) => a - b),
});

describe('funnels in columns', () => {
  it('count exactly what the object-per-event funnel counts, by visitor and by session', () => {
    fc.assert(
      fc.property(
        fc.array(rowArb, { minLength: 10, maxLength: 120 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 2, maxLength: 5 }),
        fc.integer({ min: 0, max: 3 * FUNNEL_BUCKET_MS }),
        fc.integer({ min: 0, max: 4 * FUNNEL_BUCKET_MS }),
        fc.integer({ min: 0, max: 4 * FUNNEL_BUCKET_MS }),
        (rows, stepNames, windowMs, fromOffset, span) => {
          const fromMs = BASE_MS + fromOffset;
          const toMs = fromMs + span;
          const steps = stepNames.map((name) => ({ event: NAMES[name] as string }));
          const events = asEvents(rows);
          const columns = asColumns(rows);
          for (const by of ['visitor', 'session'] as const) {
            const expected = computeFunnel({ steps, events, by, windowMs, fromMs, toMs }).total;
            const got = countFunnelColumns({ columns, stepNames, by, windowMs, fromMs, toMs });
            expect(sorted(got)).toEqual(sorted(expected));
          }
          const expectedCarts = cartAbandonment({
            adds: events.filter((e) => e.event === 'Product Added'),
            orders: events.filter((e) => e.event === 'Order Completed'),
            windowMs,
            fromMs,
            toMs,
          });
          expect(
            cartAbandonmentColumns({ columns, addName: 1, orderName: 3, windowMs, fromMs, toMs }),
          ).toEqual(expectedCarts);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('keeps the time order across event names, ties broken by event hash', () => {
    const at = BASE_MS + FUNNEL_BUCKET_MS * 7 + 123;
    const rows: Row[] = [
      {
        name: 1,
        timestampMs: at,
        hash: Buffer.from('0200000000000000', 'hex'),
        visitorKey: key(1),
        sessionKey: null,
        cartKey: null,
      },
      {
        name: 0,
        timestampMs: at,
        hash: Buffer.from('0100000000000000', 'hex'),
        visitorKey: key(1),
        sessionKey: null,
        cartKey: null,
      },
      {
        name: 0,
        timestampMs: at + FUNNEL_BUCKET_MS,
        hash: Buffer.from('0000000000000001', 'hex'),
        visitorKey: key(2),
        sessionKey: key(3),
        cartKey: null,
      },
    ];
    const columns = asColumns(rows);
    expect([...columns.timeMs]).toEqual([at, at, at + FUNNEL_BUCKET_MS]);
    expect([...columns.name]).toEqual([0, 1, 0]);
    expect([...columns.session]).toEqual([-1, -1, 0]);
    expect(columns.visitors).toBe(2);
    // A view then an add at the same millisecond is a conversion only in hash order.
    const counts = countFunnelColumns({
      columns,
      stepNames: [0, 1],
      by: 'visitor',
      windowMs: 0,
      fromMs: 0,
      toMs: at * 2,
    });
    expect(counts.entities).toEqual([2, 1]);
  });

  it('gives each distinct key one dense id, across growth, and none to the all-zero key', () => {
    const ids = new KeyIds(1);
    const buffer = Buffer.alloc(8);
    const seen: number[] = [];
    for (let k = 1; k <= 5000; k++) {
      buffer.writeUInt32BE(k % 97, 0);
      buffer.writeUInt32BE(k, 4);
      seen.push(ids.idOf(buffer, 0));
    }
    expect(seen).toEqual(Array.from({ length: 5000 }, (_, k) => k));
    buffer.writeUInt32BE(1 % 97, 0);
    buffer.writeUInt32BE(1, 4);
    expect(ids.idOf(buffer, 0)).toBe(0);
    expect(ids.idOf(Buffer.alloc(8), 0)).toBe(-1);
    expect(ids.size).toBe(5000);
  });

  it('refuses a packed chunk whose length does not match its row count (a truncated read)', () => {
    const chunks = packFunnelRows([
      { timestampMs: 5, hash: key(1), visitorKey: key(2), sessionKey: null, cartKey: null },
    ]);
    expect(chunks).toHaveLength(1);
    const chunk = chunks[0] as (typeof chunks)[number];
    const truncated = { ...chunk, packed: (chunk.packed as Buffer).subarray(0, 20) };
    expect(() => funnelColumns([[truncated]])).toThrow(/1 rows has 20 bytes/);
  });
});
