import type { Redis } from '../../platform/redis.js';
import { DEFAULT_SESSION_INACTIVITY_MS, deriveSessionId, type SessionState } from './session-id.js';

/** One event asking for its session: by visitor (anonymousId, then userId), at its event time. */
export interface SessionRequest {
  visitors: string[];
  timestampMs: number;
  /** Browser events carry the visit; a server event (an order from the shop backend) only joins one. */
  extendsSession: boolean;
  /** The session the client sent, if any: recorded so server events can join it, never replaced. */
  clientSessionId: string | null;
}

/**
 * Last-seen state per visitor, so events without a client session id get one by the 30-minute inactivity
 * rule, and server-sent events join the visitor's current session. Production keeps it in Redis (shared by
 * every ingest instance, expiring with the session); embedded mode in a bounded in-process map.
 */
export interface SessionStore {
  /** Session ids for the requests, in order (null: a server event with no live session). */
  assign(storeId: number, requests: SessionRequest[], newId: () => string): Promise<(string | null)[]>;
}

/** The pure rule applied to a sequence of requests, given each visitor's state before them. */
function assignAll(
  requests: SessionRequest[],
  states: Map<string, SessionState | null>,
  newId: () => string,
): { sessions: (string | null)[]; changed: Set<string> } {
  const sessions: (string | null)[] = new Array(requests.length).fill(null);
  const changed = new Set<string>();
  // Oldest first, so a burst of events from one visitor falls into one session whatever the batch order.
  const order = requests
    .map((_, index) => index)
    .sort((a, b) => {
      const ra = requests[a] as SessionRequest;
      const rb = requests[b] as SessionRequest;
      return ra.timestampMs - rb.timestampMs;
    });
  for (const index of order) {
    const request = requests[index] as SessionRequest;
    const primary = request.visitors[0];
    if (primary === undefined) continue;
    let prev: SessionState | null = null;
    for (const visitor of request.visitors) {
      prev = states.get(visitor) ?? null;
      if (prev) break;
    }
    const at = request.timestampMs;
    if (request.clientSessionId !== null) {
      if (request.extendsSession) {
        const next = { sessionId: request.clientSessionId, lastSeenMs: Math.max(at, prev?.lastSeenMs ?? at) };
        for (const visitor of request.visitors) states.set(visitor, next);
        for (const visitor of request.visitors) changed.add(visitor);
      }
      sessions[index] = request.clientSessionId;
      continue;
    }
    if (!request.extendsSession) {
      const isLive = prev !== null && Math.abs(at - prev.lastSeenMs) < DEFAULT_SESSION_INACTIVITY_MS;
      sessions[index] = isLive && prev ? prev.sessionId : null;
      continue;
    }
    const derived = deriveSessionId(prev, at, newId);
    sessions[index] = derived.sessionId;
    // A stray from the past gets its own session but leaves the visitor's current one in place.
    if (derived.isNew && prev !== null && at < prev.lastSeenMs) continue;
    const next = {
      sessionId: derived.sessionId,
      lastSeenMs: derived.isNew ? at : Math.max(at, prev?.lastSeenMs ?? at),
    };
    for (const visitor of request.visitors) {
      states.set(visitor, next);
      changed.add(visitor);
    }
  }
  return { sessions, changed };
}

/** Embedded mode: a map with least-recently-used eviction. */
export function createMemorySessionStore(options: { maxVisitors?: number } = {}): SessionStore {
  const maxVisitors = options.maxVisitors ?? 100_000;
  const states = new Map<string, SessionState>();
  return {
    async assign(storeId, requests, newId) {
      const view = new Map<string, SessionState | null>();
      for (const request of requests) {
        for (const visitor of request.visitors) {
          view.set(visitor, states.get(`${storeId}\u0000${visitor}`) ?? null);
        }
      }
      const { sessions, changed } = assignAll(requests, view, newId);
      for (const visitor of changed) {
        const key = `${storeId}\u0000${visitor}`;
        const state = view.get(visitor);
        states.delete(key);
        if (state) states.set(key, state);
      }
      while (states.size > maxVisitors) states.delete(states.keys().next().value as string);
      return sessions;
    },
  };
}

/**
 * Production: one hash per visitor (`id`, `seen`), expiring an inactivity period after the last event. Reads
 * are one pipelined round trip, and only for requests that need a derived or joined session; writes are sent
 * without waiting (losing one costs a session split, not an event).
 */
export function createRedisSessionStore(deps: { redis: Redis; prefix: string }): SessionStore {
  const key = (storeId: number, visitor: string) => `${deps.prefix}:session:${storeId}:${visitor}`;
  const ttlMs = DEFAULT_SESSION_INACTIVITY_MS * 2;
  // Client-sent sessions are recorded only so server events can join them: refreshing a visitor's record once
  // a minute is precise enough for a 30-minute rule, and spares a Redis write per tracker request (those
  // small writes were a sixth of ingest's CPU). Derived sessions are always written: they are the state.
  const recorded = new Map<string, { sessionId: string; atMs: number }>();
  const RECORD_EVERY_MS = 60_000;
  const isFresh = (fullKey: string, state: SessionState, derived: boolean): boolean => {
    if (derived) return false;
    const last = recorded.get(fullKey);
    return (
      last !== undefined &&
      last.sessionId === state.sessionId &&
      state.lastSeenMs - last.atMs < RECORD_EVERY_MS
    );
  };
  return {
    async assign(storeId, requests, newId) {
      const visitors = [...new Set(requests.flatMap((r) => r.visitors))];
      const view = new Map<string, SessionState | null>();
      const needsRead = requests.some((r) => r.clientSessionId === null);
      if (needsRead && visitors.length > 0) {
        const read = deps.redis.pipeline();
        for (const visitor of visitors) read.hmget(key(storeId, visitor), 'id', 'seen');
        const replies = (await read.exec()) ?? [];
        visitors.forEach((visitor, index) => {
          const [error, value] = replies[index] ?? [null, null];
          if (error) throw error;
          const [id, seen] = (value as (string | null)[] | null) ?? [null, null];
          view.set(visitor, id && seen ? { sessionId: id, lastSeenMs: Number(seen) } : null);
        });
      }
      const { sessions, changed } = assignAll(requests, view, newId);
      if (changed.size > 0) {
        const write = deps.redis.pipeline();
        let writes = 0;
        for (const visitor of changed) {
          const state = view.get(visitor);
          const fullKey = key(storeId, visitor);
          if (!state || isFresh(fullKey, state, needsRead)) continue;
          write.hset(fullKey, 'id', state.sessionId, 'seen', String(state.lastSeenMs));
          write.pexpire(fullKey, ttlMs);
          recorded.delete(fullKey);
          recorded.set(fullKey, { sessionId: state.sessionId, atMs: state.lastSeenMs });
          writes += 1;
        }
        while (recorded.size > 100_000) recorded.delete(recorded.keys().next().value as string);
        if (writes > 0) write.exec().catch(() => undefined);
      }
      return sessions;
    },
  };
}
