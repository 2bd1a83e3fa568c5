import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EventTimeInput, parseIsoTimestampMs, resolveEventTime } from './enrich-time.js';

const HOUR_MS = 60 * 60_000;
const DAY_MS = 24 * HOUR_MS;
const receivedAtMs = Date.parse('2025-06-15T12:00:00.000Z');

function input(overrides: Partial<EventTimeInput>): EventTimeInput {
  return {
    timestamp: undefined,
    originalTimestamp: undefined,
    sentAt: undefined,
    batchSentAtMs: null,
    receivedAtMs,
    backfillWindowMs: 30 * DAY_MS,
    ...overrides,
  };
}

describe('parseIsoTimestampMs', () => {
  it.each([
    ['2025-06-15T12:00:00.000Z', '2025-06-15T12:00:00.000Z'],
    ['2025-06-15T12:00:00Z', '2025-06-15T12:00:00.000Z'],
    ['2025-06-15T14:00:00+02:00', '2025-06-15T12:00:00.000Z'],
    ['2025-06-15T07:30:00-0430', '2025-06-15T12:00:00.000Z'],
    ['2025-06-15T12:00:00.123456Z', '2025-06-15T12:00:00.123Z'],
    ['2025-06-15T12:00:00.5Z', '2025-06-15T12:00:00.500Z'],
    ['2025-06-15T12:00:00', '2025-06-15T12:00:00.000Z'],
    ['2025-06-15 12:00:00Z', '2025-06-15T12:00:00.000Z'],
    ['2025-06-15T12:00Z', '2025-06-15T12:00:00.000Z'],
    ['2025-06-15', '2025-06-15T00:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2016-12-31T23:59:60Z', '2016-12-31T23:59:59.999Z'],
  ])('parses %s', (text, iso) => {
    expect(parseIsoTimestampMs(text)).toBe(Date.parse(iso));
  });

  it.each([
    ['yesterday'],
    [''],
    ['2025-13-01T00:00:00Z'],
    ['2025-02-29T00:00:00Z'],
    ['2025-04-31T00:00:00Z'],
    ['2025-06-15T24:00:00Z'],
    ['2025-06-15T12:60:00Z'],
    ['2025-06-15T12:00:00+25:00'],
    ['1718452800000'],
    ['Sun, 15 Jun 2025 12:00:00 GMT'],
    ['2025-06-15T12:00:00ZZ'],
  ])('rejects %j', (text) => {
    expect(parseIsoTimestampMs(text)).toBeNull();
  });

  it('reads every canonical toISOString() text back to its instant, and refuses impossible days in it', () => {
    // The canonical shape has a fast path of its own; it must agree with Date's own formatting everywhere.
    const instant = fc.integer({ min: Date.UTC(100, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) });
    fc.assert(fc.property(instant, (ms) => parseIsoTimestampMs(new Date(ms).toISOString()) === ms));
    for (const text of ['2025-02-29T00:00:00.000Z', '2025-06-31T10:00:00.000Z', '2025-06-15T24:00:00.000Z']) {
      expect(parseIsoTimestampMs(text)).toBeNull();
    }
    expect(parseIsoTimestampMs('2024-02-29T23:59:59.999Z')).toBe(Date.parse('2024-02-29T23:59:59.999Z'));
    expect(parseIsoTimestampMs('2016-12-31T23:59:60.000Z')).toBe(Date.parse('2016-12-31T23:59:59.999Z'));
  });

  it('reads two-digit years literally, not as 19xx', () => {
    expect(new Date(parseIsoTimestampMs('0050-01-01T00:00:00Z') ?? 0).getUTCFullYear()).toBe(50);
    expect(new Date(parseIsoTimestampMs('0004-02-29T00:00:00Z') ?? 0).toISOString()).toBe(
      '0004-02-29T00:00:00.000Z',
    );
  });
});

describe('resolveEventTime', () => {
  it('corrects a skewed client clock with sentAt', () => {
    // The client clock runs 1 h fast; the event happened 5 s before sending, sending took no time.
    const res = resolveEventTime(
      input({ timestamp: '2025-06-15T12:59:55.000Z', sentAt: '2025-06-15T13:00:00.000Z' }),
    );
    expect(res).toEqual({
      ok: true,
      value: {
        timestampMs: receivedAtMs - 5000,
        sentAtMs: Date.parse('2025-06-15T13:00:00.000Z'),
        originalTimestampMs: Date.parse('2025-06-15T12:59:55.000Z'),
      },
    });
  });

  it('uses the batch sentAt when the event has none', () => {
    const res = resolveEventTime(
      input({ timestamp: '2025-06-15T10:00:00.000Z', batchSentAtMs: Date.parse('2025-06-15T10:01:00.000Z') }),
    );
    expect(res.ok && res.value.timestampMs).toBe(receivedAtMs - 60_000);
  });

  it('prefers the event sentAt over the batch sentAt', () => {
    const res = resolveEventTime(
      input({
        timestamp: '2025-06-15T10:00:00.000Z',
        sentAt: '2025-06-15T10:00:10.000Z',
        batchSentAtMs: Date.parse('2025-06-15T11:00:00.000Z'),
      }),
    );
    expect(res.ok && res.value.timestampMs).toBe(receivedAtMs - 10_000);
  });

  it('uses the timestamp as is without sentAt', () => {
    const res = resolveEventTime(input({ timestamp: '2025-06-15T11:00:00.000Z' }));
    expect(res.ok && res.value).toEqual({
      timestampMs: Date.parse('2025-06-15T11:00:00.000Z'),
      sentAtMs: null,
      originalTimestampMs: Date.parse('2025-06-15T11:00:00.000Z'),
    });
  });

  it('falls back to originalTimestamp when timestamp is missing', () => {
    const res = resolveEventTime(input({ originalTimestamp: '2025-06-15T11:00:00.000Z' }));
    expect(res.ok && res.value.timestampMs).toBe(Date.parse('2025-06-15T11:00:00.000Z'));
  });

  it('uses receivedAt when there is no timestamp', () => {
    const res = resolveEventTime(input({ sentAt: '2025-06-15T11:00:00.000Z' }));
    expect(res.ok && res.value.timestampMs).toBe(receivedAtMs);
  });

  it.each([
    ['timestamp', { timestamp: 'not a date' }, 'timestamp is not a valid ISO-8601 date'],
    ['timestamp', { timestamp: 1718452800000 }, 'timestamp must be an ISO-8601 date string'],
    [
      'originalTimestamp',
      { originalTimestamp: '2025-99-01' },
      'originalTimestamp is not a valid ISO-8601 date',
    ],
    ['sentAt', { timestamp: '2025-06-15T11:00:00Z', sentAt: 'soon' }, 'sentAt is not a valid ISO-8601 date'],
  ])('rejects a malformed %s', (field, overrides, reason) => {
    expect(resolveEventTime(input(overrides))).toEqual({ ok: false, reason, field });
  });

  it('rejects an event more than 24 hours in the future', () => {
    expect(resolveEventTime(input({ timestamp: '2025-06-16T12:00:01.000Z' }))).toEqual({
      ok: false,
      reason: 'timestamp is more than 24 hours in the future',
      field: 'timestamp',
    });
    expect(resolveEventTime(input({ timestamp: '2025-06-16T12:00:00.000Z' })).ok).toBe(true);
  });

  it('honours a custom future limit', () => {
    const res = resolveEventTime(input({ timestamp: '2025-06-15T12:10:00.000Z', maxFutureMs: 5 * 60_000 }));
    expect(!res.ok && res.reason).toBe('timestamp is more than 5 minutes in the future');
  });

  it('rejects an event older than the backfill window', () => {
    expect(resolveEventTime(input({ timestamp: '2025-05-16T11:59:59.999Z' }))).toEqual({
      ok: false,
      reason: 'timestamp is older than the 30 days backfill window',
      field: 'timestamp',
    });
    expect(resolveEventTime(input({ timestamp: '2025-05-16T12:00:00.000Z' })).ok).toBe(true);
  });

  it('applies the window to the corrected time, not the client clock', () => {
    // Client clock is a year behind; sentAt shows the event is 1 s old.
    const res = resolveEventTime(
      input({ timestamp: '2024-06-15T11:59:59.000Z', sentAt: '2024-06-15T12:00:00.000Z' }),
    );
    expect(res.ok && res.value.timestampMs).toBe(receivedAtMs - 1000);
  });
});
