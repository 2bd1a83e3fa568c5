import { describe, expect, it } from 'vitest';
import {
  addDays,
  daysBetween,
  granularityFor,
  presetRange,
  previousPeriod,
  resolveRange,
  todayIn,
} from './date-range.js';

describe('date ranges', () => {
  it('takes "today" in the store’s time zone', () => {
    const lateUtc = Date.parse('2026-11-25T23:30:00Z');
    expect(todayIn('UTC', lateUtc)).toBe('2026-11-25');
    expect(todayIn('Asia/Tokyo', lateUtc)).toBe('2026-11-26');
    expect(todayIn('America/Los_Angeles', lateUtc)).toBe('2026-11-25');
  });

  it.each([
    ['today', '2026-03-01', '2026-03-01'],
    ['yesterday', '2026-02-28', '2026-02-28'],
    ['7d', '2026-02-23', '2026-03-01'],
    ['30d', '2026-01-31', '2026-03-01'],
    ['month', '2026-03-01', '2026-03-01'],
    ['last-month', '2026-02-01', '2026-02-28'],
  ] as const)('resolves %s on 2026-03-01', (preset, from, to) => {
    expect(presetRange(preset, '2026-03-01')).toEqual({ from, to });
  });

  it('compares against the same number of days just before', () => {
    expect(previousPeriod('2026-11-01', '2026-11-30')).toEqual({ from: '2026-10-02', to: '2026-10-31' });
    expect(daysBetween('2026-11-01', '2026-11-30')).toBe(30);
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
  });

  it('buckets by hour, day or week with the length', () => {
    expect(granularityFor('2026-11-25', '2026-11-25')).toBe('hour');
    expect(granularityFor('2026-11-01', '2026-11-30')).toBe('day');
    expect(granularityFor('2026-01-01', '2026-03-31')).toBe('day');
    expect(granularityFor('2024-01-01', '2026-12-31')).toBe('week');
  });

  it('reads the URL, falling back to 30 days on anything odd', () => {
    const now = Date.parse('2026-11-25T12:00:00Z');
    const custom = resolveRange(
      new URLSearchParams('range=custom&from=2026-11-20&to=2026-11-10&compare=0'),
      'UTC',
      now,
    );
    expect(custom).toMatchObject({ preset: 'custom', from: '2026-11-10', to: '2026-11-20', compare: false });
    const junk = resolveRange(new URLSearchParams('range=custom&from=<script>&to=x'), 'UTC', now);
    expect(junk).toMatchObject({ preset: '30d', from: '2026-10-27', to: '2026-11-25', compare: true });
    expect(resolveRange(new URLSearchParams('range=nonsense'), 'UTC', now).preset).toBe('30d');
  });
});
