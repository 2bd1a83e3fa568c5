import type { Clock } from '../../platform/clock.js';
import { type Redis, redisScript } from '../../platform/redis.js';
import { type AppendResult, BufferUnavailableError, type EventBuffer } from './event-buffer.js';
import { encodeEvent, type PipelineEvent } from './pipeline-event.js';

/** The Redis keys the pipeline uses; a prefix per deployment (and per test) keeps them apart. */
export interface StreamKeys {
  stream: string;
  group: string;
  /** Events (not entries) appended and not yet acknowledged: what the stream cap counts. */
  backlog: string;
  /** Hash of entry id → failed deliveries, shared by all workers. */
  failures: string;
  seen(storeId: number, window: number): string;
  heartbeat(consumer: string): string;
}

export function streamKeys(prefix: string): StreamKeys {
  return {
    stream: `${prefix}:events`,
    group: 'footfall-workers',
    backlog: `${prefix}:events:backlog`,
    failures: `${prefix}:events:failures`,
    seen: (storeId, window) => `${prefix}:seen:${storeId}:${window}`,
    heartbeat: (consumer) => `${prefix}:workers:${consumer}`,
  };
}

/**
 * One stream entry per request, and one script call for all the requests that arrive in the same event-loop
 * turn. For each request in turn the script refuses it if the backlog would pass the cap; otherwise it drops
 * events seen in the last two windows, XADDs the others as one entry (`s` store id, `n` event count, one `e`
 * field per event), marks them seen and counts them into the backlog. Requests are judged one after another,
 * exactly as separate calls would be: a messageId in two requests of the same call is a duplicate in the
 * second.
 *
 * Why one entry per request rather than per event: Redis is single-threaded and shares the machine, and with
 * an entry per event the per-entry cost (a Lua call, an XADD, a stream node) was 12 µs an event — the ceiling
 * of batch ingest. Why one call for many requests: a script call costs Redis more than the few commands in it
 * (single events under load cost Redis 36 µs each with a call per request, 21 µs with a call per turn).
 * (One `e` field per event rather than one JSON array: Lua's string concatenation of a 100-event array cost
 * more than everything else in the script.) Acknowledging, claiming and retrying stay per entry, and the
 * worker still isolates a failing event inside an entry, so only that event ends in the dead letters.
 *
 * The seen marks and the XADD happen in one atomic script: a "seen" mark never exists for an event that is
 * not in the stream, so a retry after a failure is never mistaken for a duplicate.
 *
 * KEYS: stream, backlog, then per request its seen keys (this window, previous window). ARGV: cap, seen TTL
 * ms, request count, then per request: store id, n, n messageIds, n payloads. Returns per request -1 when
 * full, else the 0-based indexes of its duplicates.
 */
const APPEND_SCRIPT = `
local cap = tonumber(ARGV[1])
local backlog = tonumber(redis.call('GET', KEYS[2]) or '0')
local replies = {}
local at = 4
local total = 0
for r = 1, tonumber(ARGV[3]) do
  local seenNow, seenBefore = KEYS[1 + 2 * r], KEYS[2 + 2 * r]
  local store, n = ARGV[at], tonumber(ARGV[at + 1])
  local first = at + 2
  at = first + 2 * n
  if backlog + n > cap then
    replies[r] = -1
  else
    local ids = {}
    for i = 1, n do ids[i] = ARGV[first + i - 1] end
    local before = redis.call('HMGET', seenBefore, unpack(ids))
    local current = redis.call('HMGET', seenNow, unpack(ids))
    local dups, fields, marks, here = {}, {'s', store, 'n', 0}, {}, {}
    local added = 0
    for i = 1, n do
      local id = ids[i]
      if before[i] or current[i] or here[id] then
        dups[#dups + 1] = i - 1
      else
        here[id] = true
        added = added + 1
        fields[#fields + 1] = 'e'
        fields[#fields + 1] = ARGV[first + n + i - 1]
        marks[#marks + 1] = id
        marks[#marks + 1] = '1'
      end
    end
    if added > 0 then
      fields[4] = added
      redis.call('XADD', KEYS[1], '*', unpack(fields))
      redis.call('HSET', seenNow, unpack(marks))
      redis.call('PEXPIRE', seenNow, ARGV[2])
      backlog = backlog + added
      total = total + added
    end
    replies[r] = dups
  end
end
if total > 0 then redis.call('INCRBY', KEYS[2], total) end
return replies
`;

const runAppend = redisScript(APPEND_SCRIPT);

/** How long a messageId is remembered at ingest. The database's unique key dedups forever; this only lets the
 * response say "duplicate" for the retries clients make within minutes, at a bounded memory cost. */
export const SEEN_WINDOW_MS = 10 * 60_000;

/** Arguments of one append script call at most (see `flush`). */
const MAX_CALL_ARGUMENTS = 20_000;

/** Seconds a client is told to wait when Redis is unreachable or the stream is full. */
const RETRY_AFTER_S = 5;

export function createRedisEventBuffer(deps: {
  redis: Redis;
  keys: StreamKeys;
  clock: Clock;
  maxLength: number;
}): EventBuffer {
  const { redis, keys } = deps;

  // Appends of concurrent requests that arrive in the same event-loop turn go out as one script call (see
  // APPEND_SCRIPT); each request still gets its own verdict. By SHA1 (`redisScript`): sending the script's
  // text with every call was a third of the bytes ingest wrote to Redis.
  interface Queued {
    seen: [string, string];
    args: (string | number)[];
    resolve(reply: unknown): void;
    reject(error: unknown): void;
  }
  let queued: Queued[] = [];
  const send = (batch: Queued[]) => {
    const keyArgs: string[] = [keys.stream, keys.backlog];
    const argv: (string | number)[] = [deps.maxLength, SEEN_WINDOW_MS * 2, batch.length];
    for (const item of batch) {
      keyArgs.push(...item.seen);
      for (const arg of item.args) argv.push(arg);
    }
    const settle = (replies: unknown) => {
      batch.forEach((item, index) => {
        item.resolve(Array.isArray(replies) ? replies[index] : null);
      });
    };
    const fail = (error: unknown) => {
      for (const item of batch) item.reject(error);
    };
    // Runs in setImmediate: any failure, even in building the call, must reach the requests (a 503), not
    // the process.
    runAppend(redis, keyArgs, argv).then(settle, fail);
  };
  // A call carries at most MAX_CALL_ARGUMENTS arguments (a request alone has at most 2 × 2,500 + 2): the
  // arguments are spread into one function call, and one script should not hold Redis for long.
  const flush = () => {
    const all = queued;
    queued = [];
    let batch: Queued[] = [];
    let size = 0;
    for (const item of all) {
      const cost = item.args.length + 2; // its arguments and its two "seen" keys
      if (batch.length > 0 && size + cost > MAX_CALL_ARGUMENTS) {
        send(batch);
        batch = [];
        size = 0;
      }
      batch.push(item);
      size += cost;
    }
    if (batch.length > 0) send(batch);
  };
  const run = (seen: [string, string], args: (string | number)[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (queued.length === 0) setImmediate(flush);
      queued.push({ seen, args, resolve, reject });
    });

  return {
    kind: 'redis',
    async append(storeId, events: readonly PipelineEvent[]): Promise<AppendResult> {
      if (events.length === 0) return { duplicates: [] };
      if (redis.status !== 'ready') {
        throw new BufferUnavailableError('The event buffer (Redis) is unreachable', RETRY_AFTER_S);
      }
      const window = Math.floor(deps.clock.nowMs() / SEEN_WINDOW_MS);
      const args: (string | number)[] = [storeId, events.length];
      for (const event of events) args.push(event.messageId);
      for (const event of events) args.push(encodeEvent(event));
      let reply: unknown;
      try {
        reply = await run([keys.seen(storeId, window), keys.seen(storeId, window - 1)], args);
      } catch (error) {
        // The script may or may not have run; the client retries and the database's unique key dedups.
        throw new BufferUnavailableError(
          `The event buffer (Redis) failed: ${(error as Error).message}`,
          RETRY_AFTER_S,
        );
      }
      if (reply === -1) {
        throw new BufferUnavailableError(
          'The event buffer is full; the workers are behind. Retry later.',
          RETRY_AFTER_S * 2,
        );
      }
      return { duplicates: Array.isArray(reply) ? reply.map(Number) : [] };
    },
  };
}
