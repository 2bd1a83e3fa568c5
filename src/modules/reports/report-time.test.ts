import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bucketsOf,
  DAY_MS,
  dayRange,
  dayStartMs,
  formatDate,
  HOUR_MS,
  localDay,
  localHourStart,
  parseDate,
  weekStartDay,
  zoneOffsetMs,
} from './report-time.js';

const day = (text: string) => parseDate(text) as number;

describe('store-local days and hours', () => {
  it.each([
    // New York springs forward on 2026-03-08 (EST −5 → EDT −4) and falls back on 2026-11-01.
    ['America/New_York', '2026-03-08', '2026-03-08T05:00:00Z', 23],
    ['America/New_York', '2026-03-09', '2026-03-09T04:00:00Z', 24],
    ['America/New_York', '2026-11-01', '2026-11-01T04:00:00Z', 25],
    // Berlin springs forward on 2026-03-29 (CET +1 → CEST +2).
    ['Europe/Berlin', '2026-03-29', '2026-03-28T23:00:00Z', 23],
    ['Europe/Berlin', '2026-03-30', '2026-03-29T22:00:00Z', 24],
    // India is +5:30 all year; Nepal +5:45.
    ['Asia/Kolkata', '2026-03-08', '2026-03-07T18:30:00Z', 24],
    ['Asia/Kathmandu', '2026-03-08', '2026-03-07T18:15:00Z', 24],
    ['UTC', '2026-03-08', '2026-03-08T00:00:00Z', 24],
  ])('%s: %s starts at %s and has %i hours', (zone, date, start, hours) => {
    const d = day(date);
    expect(new Date(dayStartMs(zone, d)).toISOString()).toBe(new Date(start).toISOString());
    expect((dayStartMs(zone, d + 1) - dayStartMs(zone, d)) / HOUR_MS).toBe(hours);
    const buckets = bucketsOf(zone, dayRange(zone, d, d), 'hour');
    expect(buckets).toHaveLength(hours);
    expect(buckets.every((b) => b.endMs - b.startMs === HOUR_MS)).toBe(true);
  });

  it('buckets half-hour zones by their own hours, so a local day is whole buckets', () => {
    expect(new Date(localHourStart('Asia/Kolkata', Date.parse('2026-03-08T05:10:00Z'))).toISOString()).toBe(
      '2026-03-08T04:30:00.000Z',
    );
    expect(new Date(localHourStart('Asia/Kolkata', Date.parse('2026-03-08T04:29:59Z'))).toISOString()).toBe(
      '2026-03-08T03:30:00.000Z',
    );
  });

  it('agrees with itself for any instant and zone: the hour starts in the day, the day contains the instant', () => {
    const zones = [
      'America/New_York',
      'Europe/Berlin',
      'Asia/Kolkata',
      'Australia/Lord_Howe',
      'Pacific/Chatham',
      'UTC',
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2020-01-01'), max: Date.parse('2030-01-01') }),
        fc.constantFrom(...zones),
        (ms, zone) => {
          const d = localDay(zone, ms);
          expect(dayStartMs(zone, d)).toBeLessThanOrEqual(ms);
          expect(dayStartMs(zone, d + 1)).toBeGreaterThan(ms);
          const hour = localHourStart(zone, ms);
          expect(hour).toBeLessThanOrEqual(ms);
          expect(ms - hour).toBeLessThan(HOUR_MS);
          expect(Math.abs(zoneOffsetMs(zone, ms))).toBeLessThanOrEqual(14 * HOUR_MS);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('makes weeks start on Monday and clips them to the period', () => {
    expect(formatDate(weekStartDay(day('2026-03-08')))).toBe('2026-03-02');
    expect(formatDate(weekStartDay(day('2026-03-09')))).toBe('2026-03-09');
    const buckets = bucketsOf('UTC', dayRange('UTC', day('2026-03-04'), day('2026-03-17')), 'week');
    expect(buckets.map((b) => [b.key, formatDate(b.toDay)])).toEqual([
      ['2026-03-04', '2026-03-08'],
      ['2026-03-09', '2026-03-15'],
      ['2026-03-16', '2026-03-17'],
    ]);
    expect(buckets[0]?.endMs).toBe(dayStartMs('UTC', day('2026-03-09')));
  });

  it('refuses dates that do not exist', () => {
    expect(parseDate('2026-02-29')).toBeNull();
    expect(parseDate('2026-13-01')).toBeNull();
    expect(parseDate('26-01-01')).toBeNull();
    expect(parseDate('2028-02-29')).toBe(Date.UTC(2028, 1, 29) / DAY_MS);
  });
});
