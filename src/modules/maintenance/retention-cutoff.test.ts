import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS, localDay, localDayStartMs } from '../../platform/local-time.js';
import { retentionCutoffMs } from './retention-cutoff.js';

const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Pacific/Auckland',
  'Asia/Kolkata',
  'America/Santiago',
];

describe('retention cutoff', () => {
  it.each([
    // 12:00 UTC is 01:00 on 26 November in Auckland (NZDT, +13): 30 days back is local 27 October 00:00.
    ['Pacific/Auckland', '2026-11-25T12:00:00Z', 30, '2026-10-26T11:00:00.000Z'],
    ['UTC', '2026-11-25T12:00:00Z', 30, '2026-10-26T00:00:00.000Z'],
    // New York: local 25 Nov 07:00; the cutoff day (26 Oct) is still on daylight time (−4).
    ['America/New_York', '2026-11-25T12:00:00Z', 30, '2026-10-26T04:00:00.000Z'],
    ['Asia/Kolkata', '2026-11-25T12:00:00Z', 1, '2026-11-23T18:30:00.000Z'],
  ])('in %s at %s keeps %i local days: cutoff %s', (zone, now, days, expected) => {
    expect(new Date(retentionCutoffMs(Date.parse(now), zone, days)).toISOString()).toBe(expected);
  });

  it('finds the first instant of a day whose midnight does not exist (Santiago springs forward at 00:00)', () => {
    // 2026-09-06: clocks in Chile jump from 00:00 to 01:00 (UTC−4 → UTC−3).
    const day = Date.UTC(2026, 8, 6) / DAY_MS;
    const start = localDayStartMs('America/Santiago', day);
    expect(localDay('America/Santiago', start)).toBe(day);
    expect(localDay('America/Santiago', start - 1)).toBe(day - 1);
  });

  it('always lands on the first millisecond of a local day, retentionDays whole days before today', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2032, 0, 1) }),
        fc.integer({ min: 1, max: 3650 }),
        (zone, nowMs, days) => {
          const cutoff = retentionCutoffMs(nowMs, zone, days);
          return (
            localDay(zone, cutoff) === localDay(zone, nowMs) - days &&
            localDay(zone, cutoff - 1) === localDay(zone, nowMs) - days - 1 &&
            cutoff < nowMs
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
