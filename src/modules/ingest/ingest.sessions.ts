import { type Redis, redisScript } from '../../platform/redis.js';
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
 * The whole assignment of one request, atomically in Redis: two concurrent requests for a new visitor must not
 * both see "no session" and each start one. KEYS: each request's visitor keys, in request order. ARGV: the
 * inactivity gap (ms), the key TTL (ms), then four per request, oldest event first: mode (`d` derive, `j` join a
 * live session, `c` record a client session), how many KEYS are its visitors, the event time (ms), and the id
 * (a fresh one for `d`, the client's for `c`). Returns per request the session id, or nil (`j` with none live).
 * The rule is `deriveSessionId` and `assignAll`'s, kept in step with them by the tests of both stores.
 */
const ASSIGN_SCRIPT = `
local gap = tonumber(ARGV[1])
local ttl = ARGV[2]
local out = {}
local k = 1
for a = 3, #ARGV, 4 do
  local mode, count, atText, given = ARGV[a], tonumber(ARGV[a + 1]), ARGV[a + 2], ARGV[a + 3]
  local at = tonumber(atText)
  local first, last = k, k + count - 1
  k = k + count
  local id, seenText
  for i = first, last do
    local state = redis.call('HMGET', KEYS[i], 'id', 'seen')
    if state[1] and state[2] then
      id = state[1]
      seenText = state[2]
      break
    end
  end
  local seen = seenText and tonumber(seenText)
  local isLive = id ~= nil and math.abs(at - seen) < gap
  local result, writeId, writeSeen = false, nil, nil
  if mode == 'c' then
    result, writeId = given, given
    writeSeen = (seen and seen > at) and seenText or atText
  elseif mode == 'j' then
    if isLive then result = id end
  elseif isLive then
    result, writeId = id, id
    writeSeen = seen > at and seenText or atText
  else
    result = given
    -- A stray from the past gets its own session but leaves the visitor's current one in place.
    if not (id and at < seen) then writeId, writeSeen = given, atText end
  end
  if writeId then
    for i = first, last do
      redis.call('HSET', KEYS[i], 'id', writeId, 'seen', writeSeen)
      redis.call('PEXPIRE', KEYS[i], ttl)
    end
  end
  out[#out + 1] = result
end
return out
`;

const runAssign = redisScript(ASSIGN_SCRIPT);

/**
 * Production: one hash per visitor (`id`, `seen`), expiring an inactivity period after the last event. A
 * request's derived and joined sessions are read, decided and written in one script call (atomic, one round
 * trip); requests that carry their client's session id need no answer from Redis and are only recorded.
 */
export function createRedisSessionStore(deps: { redis: Redis; prefix: string }): SessionStore {
  const key = (storeId: number, visitor: string) => `${deps.prefix}:session:${storeId}:${visitor}`;
  const ttlMs = DEFAULT_SESSION_INACTIVITY_MS * 2;
  // Client-sent sessions are recorded only so server events can join them: refreshing a visitor's record once
  // a minute is precise enough for a 30-minute rule, and spares a Redis write per tracker request (those
  // small writes were a sixth of ingest's CPU). Derived sessions always go through the script: they are the
  // state, and they make any recorded client session of their visitors stale.
  const recorded = new Map<string, { sessionId: string; atMs: number }>();
  const RECORD_EVERY_MS = 60_000;
  const isFresh = (fullKey: string, sessionId: string, atMs: number): boolean => {
    const last = recorded.get(fullKey);
    return last !== undefined && last.sessionId === sessionId && Math.abs(atMs - last.atMs) < RECORD_EVERY_MS;
  };
  return {
    async assign(storeId, requests, newId) {
      const sessions: (string | null)[] = new Array(requests.length).fill(null);
      const keys: string[] = [];
      const args: string[] = [String(DEFAULT_SESSION_INACTIVITY_MS), String(ttlMs)];
      const asked: number[] = [];
      const order = requests.map((_, index) => index);
      // Oldest first, so a burst of events from one visitor falls into one session whatever the batch order.
      order.sort(
        (a, b) => (requests[a] as SessionRequest).timestampMs - (requests[b] as SessionRequest).timestampMs,
      );
      for (const index of order) {
        const request = requests[index] as SessionRequest;
        if (request.visitors.length === 0) continue;
        const visitorKeys = request.visitors.map((visitor) => key(storeId, visitor));
        let mode: 'd' | 'j' | 'c';
        let id = '';
        if (request.clientSessionId !== null) {
          sessions[index] = request.clientSessionId;
          if (!request.extendsSession) continue;
          if (visitorKeys.every((k) => isFresh(k, request.clientSessionId as string, request.timestampMs)))
            continue;
          mode = 'c';
          id = request.clientSessionId;
          for (const k of visitorKeys) {
            recorded.delete(k);
            recorded.set(k, { sessionId: id, atMs: request.timestampMs });
          }
        } else if (request.extendsSession) {
          mode = 'd';
          id = newId();
          for (const k of visitorKeys) recorded.delete(k);
        } else {
          mode = 'j';
        }
        keys.push(...visitorKeys);
        args.push(mode, String(visitorKeys.length), String(request.timestampMs), id);
        asked.push(index);
      }
      while (recorded.size > 100_000) recorded.delete(recorded.keys().next().value as string);
      if (asked.length === 0) return sessions;
      let replies: (string | null)[];
      try {
        replies = (await runAssign(deps.redis, keys, args)) as (string | null)[];
      } catch (error) {
        for (const k of keys) recorded.delete(k); // not recorded after all
        throw error;
      }
      asked.forEach((index, position) => {
        sessions[index] = replies[position] ?? null;
      });
      return sessions;
    },
  };
}
