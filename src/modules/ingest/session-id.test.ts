import { describe, expect, it } from 'vitest';
import { deriveSessionId, readSessionId } from './session-id.js';

const MINUTE_MS = 60_000;

function ids(): () => string {
  let n = 0;
  return () => `s${++n}`;
}

describe('deriveSessionId', () => {
  it('starts a session for a first-time visitor', () => {
    expect(deriveSessionId(null, 1_000, ids())).toEqual({ sessionId: 's1', isNew: true });
  });

  it.each([
    ['1 minute later', 1, { sessionId: 'prev', isNew: false }],
    ['29 minutes later', 29, { sessionId: 'prev', isNew: false }],
    ['exactly 30 minutes later', 30, { sessionId: 's1', isNew: true }],
    ['2 hours later', 120, { sessionId: 's1', isNew: true }],
    ['a late event from 10 minutes before', -10, { sessionId: 'prev', isNew: false }],
    ['a late event from 3 hours before', -180, { sessionId: 's1', isNew: true }],
  ])('%s', (_label, gapMinutes, expected) => {
    const lastSeenMs = 10_000_000;
    const prev = { sessionId: 'prev', lastSeenMs };
    expect(deriveSessionId(prev, lastSeenMs + gapMinutes * MINUTE_MS, ids())).toEqual(expected);
  });

  it('honours a custom inactivity window', () => {
    const prev = { sessionId: 'prev', lastSeenMs: 0 };
    expect(deriveSessionId(prev, 5 * MINUTE_MS, ids(), 5 * MINUTE_MS).isNew).toBe(true);
    expect(deriveSessionId(prev, 4 * MINUTE_MS, ids(), 5 * MINUTE_MS).isNew).toBe(false);
  });

  it('asks for a new id only when it starts a session', () => {
    let calls = 0;
    deriveSessionId({ sessionId: 'p', lastSeenMs: 0 }, 1, () => `n${++calls}`);
    expect(calls).toBe(0);
  });
});

describe('readSessionId', () => {
  it.each([
    [{ sessionId: 'abc' }, 'abc'],
    [{ sessionId: 1718452800000 }, '1718452800000'],
    [{ sessionId: '  ' }, null],
    [{ sessionId: { id: 1 } }, null],
    [{}, null],
    [null, null],
    [{ sessionId: 'x'.repeat(300) }, 'x'.repeat(255)],
  ])('reads %j as %j', (context, expected) => {
    expect(readSessionId(context)).toBe(expected);
  });
});
