// Sessions: a client-supplied id when there is one, otherwise the server derives one per visitor with the
// usual 30-minute inactivity rule. Pure: the caller keeps the per-visitor state and supplies the clock and ids.
import { isPlainObject, MAX_ID_LENGTH, truncate } from './event-validation.js';

export const DEFAULT_SESSION_INACTIVITY_MS = 30 * 60_000;

/**
 * `context.sessionId` as a string (Segment SDKs and plugins send numbers, e.g. Amplitude's epoch-ms ids), or
 * null when absent. Over-long ids are cut rather than rejected: a session id is never worth losing an event.
 */
export function readSessionId(context: unknown): string | null {
  if (!isPlainObject(context)) return null;
  const value = context.sessionId;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value !== 'string') return null;
  const id = value.trim();
  return id === '' ? null : truncate(id, MAX_ID_LENGTH);
}

export type SessionState = { sessionId: string; lastSeenMs: number };

/**
 * The session an event at `nowMs` belongs to, given the visitor's previous session. A gap of `inactivityMs` or
 * more starts a new one. The gap is measured both ways: a late-arriving event from well before `lastSeenMs`
 * belongs to an earlier session, not the current one. Afterwards the caller stores the returned session with
 * lastSeenMs = nowMs — except for such a stray from the past (isNew and nowMs < prev.lastSeenMs), which must
 * leave `prev` as the visitor's current session; and an in-session late event keeps prev.lastSeenMs.
 */
export function deriveSessionId(
  prev: SessionState | null,
  nowMs: number,
  newId: () => string,
  inactivityMs: number = DEFAULT_SESSION_INACTIVITY_MS,
): { sessionId: string; isNew: boolean } {
  if (prev === null || Math.abs(nowMs - prev.lastSeenMs) >= inactivityMs) {
    return { sessionId: newId(), isNew: true };
  }
  return { sessionId: prev.sessionId, isNew: false };
}
