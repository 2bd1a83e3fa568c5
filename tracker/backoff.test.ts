import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffMs, MAX_BACKOFF_MS, MAX_RETRY_AFTER_MS, parseRetryAfter } from './src/backoff.js';

describe('backoffMs', () => {
  it.each([
    [0, 500, 1000],
    [1, 1000, 2000],
    [2, 2000, 4000],
    [10, 150_000, 300_000],
    [50, 150_000, 300_000],
  ])('waits between the bounds for attempt %i', (attempt, min, max) => {
    expect(backoffMs(attempt, 0)).toBe(min);
    expect(backoffMs(attempt, 1)).toBe(max);
  });

  it('never waits less than half the ceiling nor more than the cap', () => {
    fc.assert(
      fc.property(fc.nat(100), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, random) => {
        const ms = backoffMs(attempt, random);
        expect(ms).toBeGreaterThanOrEqual(Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt) / 2);
        expect(ms).toBeLessThanOrEqual(MAX_BACKOFF_MS);
      }),
    );
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-03-02T10:00:00Z');

  it.each([
    ['120', 120_000],
    [' 5 ', 5000],
    ['0', 0],
    ['Mon, 02 Mar 2026 10:01:30 GMT', 90_000],
    ['Mon, 02 Mar 2026 09:59:00 GMT', 0],
    ['99999', MAX_RETRY_AFTER_MS],
    ['Tue, 03 Mar 2026 10:00:00 GMT', MAX_RETRY_AFTER_MS],
    ['-5', 0],
    ['1.5', 0],
    ['soon', 0],
    ['', 0],
    [null, 0],
  ])('reads %j as %i ms', (header, ms) => {
    expect(parseRetryAfter(header, now)).toBe(ms);
  });
});
