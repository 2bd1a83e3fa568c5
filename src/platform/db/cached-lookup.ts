import { AppError } from '../errors.js';

/**
 * A database-backed cache for hot paths (ingest reads keys and stores on every request) that survives a
 * database outage. Entries are fresh for `ttlMs`; a stale entry is looked up again, once at a time per key.
 * When that lookup fails or takes longer than `timeoutMs` (a hung server answers nothing), the last known
 * value is served and the lookup is retried after `retryMs`, not on every request. With no value known, the
 * caller gets 503 `unavailable` with Retry-After: the client retries, nothing is lost.
 *
 * The trade-off: during an outage a change made before it (a revocation) is seen only when the database
 * returns. Nothing can be changed while it is away, so this widens the staleness by the outage, no more.
 */
export function createCachedLookup<K, V>(options: {
  ttlMs: number;
  load: (key: K) => Promise<V>;
  now: () => number;
  /** Bound on one lookup, in ms; past it the stale value is served while the lookup finishes in the background. */
  timeoutMs?: number;
  /** Pause before a failed lookup is tried again, in ms. */
  retryMs?: number;
  maxEntries?: number;
  what: string;
}) {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const retryMs = options.retryMs ?? 5_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<K, { value: V; atMs: number }>();
  const inFlight = new Map<K, Promise<V>>();

  function withTimeout(lookup: Promise<V>): Promise<V> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${options.what} lookup took over ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    return Promise.race([lookup, timeout]).finally(() => clearTimeout(timer));
  }

  async function refresh(key: K, t: number): Promise<V> {
    let lookup = inFlight.get(key);
    if (!lookup) {
      lookup = options.load(key).finally(() => inFlight.delete(key));
      // Whoever waits on it reports a failure; a lookup that outlives its waiters must not go unhandled.
      lookup.catch(() => undefined);
      inFlight.set(key, lookup);
    }
    const value = await withTimeout(lookup);
    entries.delete(key);
    entries.set(key, { value, atMs: t });
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value as K);
    return value;
  }

  return {
    async get(key: K): Promise<V> {
      const t = options.now();
      const entry = entries.get(key);
      if (entry && t - entry.atMs <= options.ttlMs) return entry.value;
      // One caller waits for the lookup; the others meanwhile get the value it replaces (they would have a
      // moment earlier), so a hung database delays one request per key, not all of them.
      if (entry && inFlight.has(key)) return entry.value;
      try {
        return await refresh(key, t);
      } catch {
        if (!entry) {
          throw new AppError('unavailable', `${options.what} cannot be read right now; retry shortly`, {
            retryAfterS: 5,
          });
        }
        // Served stale until the next attempt, `retryMs` from now.
        entry.atMs = t - options.ttlMs + retryMs;
        return entry.value;
      }
    },
    delete(key: K): void {
      entries.delete(key);
    },
    /** Drops the entries whose value matches (e.g. every key of a deleted store). */
    deleteWhere(matches: (value: V) => boolean): void {
      for (const [key, entry] of entries) if (matches(entry.value)) entries.delete(key);
    },
  };
}
