import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CronExpressionError,
  isAligned,
  parseCronExpression,
  previousSlot,
  toAwsCronExpressions,
} from './cron-expression.js';

const at = (text: string) => Date.parse(text);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const MINUTE_MS = 60_000;

describe('parseCronExpression', () => {
  it.each([
    ['*/15 * * * *', 'minutes', [0, 15, 30, 45]],
    ['5-20/5 * * * *', 'minutes', [5, 10, 15, 20]],
    ['50/5 * * * *', 'minutes', [50, 55]],
    ['1,2,30-31 * * * *', 'minutes', [1, 2, 30, 31]],
    ['0 9-17 * * *', 'hours', [9, 10, 11, 12, 13, 14, 15, 16, 17]],
    ['0 0 * JAN,mar-APR *', 'months', [1, 3, 4]],
    ['0 0 * * MON-FRI', 'daysOfWeek', [1, 2, 3, 4, 5]],
    ['0 0 * * 7', 'daysOfWeek', [0]],
    ['0 0 * * sat,sun', 'daysOfWeek', [0, 6]],
  ] as const)('reads %s', (text, field, expected) => {
    const expression = parseCronExpression(text);
    expect([...expression[field]].sort((a, b) => a - b)).toEqual(expected);
  });

  it.each([
    ['@daily', '0 0 * * *'],
    ['@hourly', '0 * * * *'],
    ['@weekly', '0 0 * * 0'],
    ['@monthly', '0 0 1 * *'],
    ['@yearly', '0 0 1 1 *'],
  ])('expands the macro %s', (macro, source) => {
    expect(parseCronExpression(macro).source).toBe(source);
  });

  it.each([
    ['', 'expected 5 fields'],
    ['* * * *', 'expected 5 fields'],
    ['* * * * * *', 'expected 5 fields'],
    ['60 * * * *', 'outside 0-59'],
    ['* 24 * * *', 'outside 0-23'],
    ['* * 0 * *', 'outside 1-31'],
    ['* * * 13 *', 'outside 1-12'],
    ['* * * * 8', 'outside 0-7'],
    ['*/0 * * * *', 'step'],
    ['5-1 * * * *', 'backwards'],
    ['a * * * *', 'not a valid minute'],
    ['1,,2 * * * *', 'empty list item'],
    ['0 0 30 2 *', 'no chosen month'],
    ['0 0 31 4,6,9,11 *', 'no chosen month'],
  ])('refuses "%s"', (text, reason) => {
    expect(() => parseCronExpression(text)).toThrow(CronExpressionError);
    expect(() => parseCronExpression(text)).toThrow(reason);
  });
});

describe('previousSlot', () => {
  it.each([
    ['0 3 * * *', '2026-11-25T10:30:00.000Z', '2026-11-25T03:00:00.000Z'],
    ['0 3 * * *', '2026-11-25T03:00:00.000Z', '2026-11-25T03:00:00.000Z'],
    ['0 3 * * *', '2026-11-25T02:59:59.999Z', '2026-11-24T03:00:00.000Z'],
    ['*/15 * * * *', '2026-11-25T10:44:59.000Z', '2026-11-25T10:30:00.000Z'],
    ['0 0 1 * *', '2026-03-01T00:00:00.001Z', '2026-03-01T00:00:00.000Z'],
    ['0 0 1 * *', '2026-02-28T23:59:00.000Z', '2026-02-01T00:00:00.000Z'],
    ['30 23 31 * *', '2026-05-15T00:00:00.000Z', '2026-03-31T23:30:00.000Z'],
    ['0 12 29 2 *', '2026-11-25T00:00:00.000Z', '2024-02-29T12:00:00.000Z'],
    ['0 0 * * MON', '2026-11-25T12:00:00.000Z', '2026-11-23T00:00:00.000Z'],
    // Vixie cron: both day fields restricted → either may match (the 1st, or any Friday).
    ['0 0 1 * FRI', '2026-11-25T12:00:00.000Z', '2026-11-20T00:00:00.000Z'],
    ['0 0 1 * FRI', '2026-12-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
    // A `*`-led day field keeps "both must match": odd days that are Mondays.
    ['0 0 */2 * MON', '2026-11-25T12:00:00.000Z', '2026-11-23T00:00:00.000Z'],
    ['0 0 */2 * MON', '2026-11-22T12:00:00.000Z', '2026-11-09T00:00:00.000Z'],
    ['59 23 31 12 *', '2027-01-01T00:00:00.000Z', '2026-12-31T23:59:00.000Z'],
  ])('%s at %s is %s', (expression, now, expected) => {
    expect(iso(previousSlot(expression, at(now)))).toBe(expected);
  });
});

describe('isAligned', () => {
  it.each([
    ['0 3 * * *', '2026-11-25T03:00:00.000Z', true],
    ['0 3 * * *', '2026-11-25T03:00:00.001Z', false],
    ['0 3 * * *', '2026-11-25T03:01:00.000Z', false],
    ['0 3 * * *', '2026-11-25T04:00:00.000Z', false],
    ['*/5 * * * *', '2026-11-25T04:55:00.000Z', true],
    ['0 0 * * SUN', '2026-11-29T00:00:00.000Z', true],
    ['0 0 * * SUN', '2026-11-30T00:00:00.000Z', false],
  ])('%s: %s → %s', (expression, slot, expected) => {
    expect(isAligned(expression, at(slot))).toBe(expected);
  });
});

/** Expressions built from random fields, biased so most fire often enough to brute-force check. */
const fieldArbitrary = (min: number, max: number) =>
  fc.oneof(
    fc.constant('*'),
    fc.integer({ min, max }).map(String),
    fc
      .tuple(fc.integer({ min, max }), fc.integer({ min, max }))
      .map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
    fc.integer({ min: 1, max: Math.max(1, max - min) }).map((step) => `*/${step}`),
    fc
      .uniqueArray(fc.integer({ min, max }), { minLength: 1, maxLength: 4 })
      .map((values) => values.join(',')),
  );

const expressionArbitrary = fc
  .tuple(
    fieldArbitrary(0, 59),
    fieldArbitrary(0, 23),
    fieldArbitrary(1, 28),
    fieldArbitrary(1, 12),
    fieldArbitrary(0, 6),
  )
  .map((fields) => fields.join(' '));

const instantArbitrary = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) });

/** An independent answer: the minute-by-minute scan the fast search must agree with. */
function scanBack(text: string, atMs: number, limitMinutes: number): number | null {
  const expression = parseCronExpression(text);
  let t = Math.floor(atMs / MINUTE_MS) * MINUTE_MS;
  for (let i = 0; i < limitMinutes; i++, t -= MINUTE_MS) if (isAligned(expression, t)) return t;
  return null;
}

describe('previousSlot over long gaps', () => {
  it('finds a slot eleven years back: a Saturday that is the 1st, 8th, … of March (found by fast-check)', () => {
    // `*/7` counts as `*` for the day-or-weekday rule, so both must match: 2014-03-29 is the one before 2025.
    expect(previousSlot('0-0 0 */7 3 6', Date.parse('2023-04-05T00:59:00.001Z'))).toBe(
      Date.parse('2014-03-29T00:00:00Z'),
    );
  });
});

describe('previousSlot properties', () => {
  it('is never after the time asked, and is itself aligned', () => {
    fc.assert(
      fc.property(expressionArbitrary, instantArbitrary, (expression, atMs) => {
        const slot = previousSlot(expression, atMs);
        expect(slot).not.toBeNull();
        expect(slot as number).toBeLessThanOrEqual(atMs);
        expect(isAligned(expression, slot as number)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('leaves no aligned minute strictly between the slot and the time asked', () => {
    fc.assert(
      fc.property(expressionArbitrary, instantArbitrary, (expression, atMs) => {
        const slot = previousSlot(expression, atMs) as number;
        // Scan at most ~2 months; expressions firing rarer than that are covered by the first property.
        const gapMinutes = Math.floor((atMs - slot) / MINUTE_MS);
        fc.pre(gapMinutes <= 90_000);
        expect(scanBack(expression, atMs, gapMinutes + 1)).toBe(slot);
      }),
      { numRuns: 300 },
    );
  });

  it('is a fixed point on aligned times and agrees with isAligned', () => {
    fc.assert(
      fc.property(expressionArbitrary, instantArbitrary, (expression, atMs) => {
        const slot = previousSlot(expression, atMs) as number;
        expect(previousSlot(expression, slot)).toBe(slot);
        const minute = Math.floor(atMs / MINUTE_MS) * MINUTE_MS;
        expect(isAligned(expression, minute)).toBe(previousSlot(expression, minute) === minute);
      }),
      { numRuns: 500 },
    );
  });
});

describe('toAwsCronExpressions', () => {
  it.each([
    ['0 3 * * *', ['cron(0 3 * * ? *)']],
    ['*/15 * * * *', ['cron(0,15,30,45 * * * ? *)']],
    ['30 2 1 * *', ['cron(30 2 1 * ? *)']],
    ['0 4 * * MON-FRI', ['cron(0 4 ? * MON-FRI *)']],
    ['0 4 * * 0', ['cron(0 4 ? * SUN *)']],
    ['0 0 1,15 * FRI', ['cron(0 0 1,15 * ? *)', 'cron(0 0 ? * FRI *)']],
    ['0 0 1 1 *', ['cron(0 0 1 1 ? *)']],
  ])('%s → %j', (expression, expected) => {
    expect(toAwsCronExpressions(expression)).toEqual(expected);
  });
});
