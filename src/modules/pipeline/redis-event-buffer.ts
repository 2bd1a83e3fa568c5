import { createHash } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import type { Redis } from '../../platform/redis.js';
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
 * One script per request, one stream entry per request. The script refuses the whole request if the backlog
 * would pass the cap; otherwise it drops events seen in the last two windows, XADDs the others as one entry
 * (`s` store id, `n` event count, `e` JSON array), marks them seen and counts them into the backlog.
 *
 * Why one entry per request rather than per event: Redis is single-threaded and shares the machine, and with
 * an entry per event the per-entry cost (a Lua call, an XADD, a stream node) was 12 µs an event — the ceiling
 * of batch ingest. (One `e` field per event rather than one JSON array: Lua's string concatenation of a
 * 100-event array cost more than everything else in the script.) Acknowledging, claiming and retrying stay per entry, and the worker still isolates a
 * failing event inside an entry, so only that event ends in the dead letters.
 *
 * The seen marks and the XADD happen in one atomic script: a "seen" mark never exists for an event that is
 * not in the stream, so a retry after a failure is never mistaken for a duplicate.
 *
 * KEYS: stream, seen (this window), seen (previous window), backlog. ARGV: cap, seen TTL ms, store id, n,
 * n messageIds, n payloads. Returns -1 when full, else the 0-based indexes of duplicates.
 */
const APPEND_SCRIPT = `
local n = tonumber(ARGV[4])
local backlog = tonumber(redis.call('GET', KEYS[4]) or '0')
if backlog + n > tonumber(ARGV[1]) then return -1 end
local ids = {}
for i = 1, n do ids[i] = ARGV[4 + i] end
local before = redis.call('HMGET', KEYS[3], unpack(ids))
local current = redis.call('HMGET', KEYS[2], unpack(ids))
local dups, fields, marks, here = {}, {'s', ARGV[3], 'n', 0}, {}, {}
local added = 0
for i = 1, n do
  local id = ids[i]
  if before[i] or current[i] or here[id] then
    dups[#dups + 1] = i - 1
  else
    here[id] = true
    added = added + 1
    fields[#fields + 1] = 'e'
    fields[#fields + 1] = ARGV[4 + n + i]
    marks[#marks + 1] = id
    marks[#marks + 1] = '1'
  end
end
if added > 0 then
  fields[4] = added
  redis.call('XADD', KEYS[1], '*', unpack(fields))
  redis.call('HSET', KEYS[2], unpack(marks))
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  redis.call('INCRBY', KEYS[4], added)
end
return dups
`;

const APPEND_SHA = createHash('sha1').update(APPEND_SCRIPT).digest('hex');

/** How long a messageId is remembered at ingest. The database's unique key dedups forever; this only lets the
 * response say "duplicate" for the retries clients make within minutes, at a bounded memory cost. */
export const SEEN_WINDOW_MS = 10 * 60_000;

/** Seconds a client is told to wait when Redis is unreachable or the stream is full. */
const RETRY_AFTER_S = 5;

export function createRedisEventBuffer(deps: {
  redis: Redis;
  keys: StreamKeys;
  clock: Clock;
  maxLength: number;
}): EventBuffer {
  const { redis, keys } = deps;

  // Appends of concurrent requests that arrive in the same event-loop turn go out as one pipeline: one socket
  // write for many scripts instead of one each (the write syscall was the largest cost of a request). Each
  // script still runs on its own, atomically, and each request gets its own reply.
  // EVALSHA: sending the script's text with every request was a third of the bytes ingest wrote to Redis. After
  // a Redis restart (or SCRIPT FLUSH) the script is unknown: that call answers NOSCRIPT, having done nothing,
  // and is sent again with EVAL, which loads it. (The client reconnects only on READONLY error replies.)
  let queued: { args: (string | number)[]; resolve(reply: unknown): void; reject(error: unknown): void }[] =
    [];
  const flush = () => {
    const batch = queued;
    queued = [];
    const pipeline = redis.pipeline();
    for (const item of batch) pipeline.evalsha(APPEND_SHA, 4, ...item.args);
    pipeline.exec().then(
      (results) => {
        batch.forEach((item, index) => {
          const [error, reply] = results?.[index] ?? [new Error('no reply'), null];
          if (error?.message.startsWith('NOSCRIPT')) {
            redis.eval(APPEND_SCRIPT, 4, ...item.args).then(item.resolve, item.reject);
          } else if (error) item.reject(error);
          else item.resolve(reply);
        });
      },
      (error: unknown) => {
        for (const item of batch) item.reject(error);
      },
    );
  };
  const run = (args: (string | number)[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (queued.length === 0) setImmediate(flush);
      queued.push({ args, resolve, reject });
    });

  return {
    kind: 'redis',
    async append(storeId, events: readonly PipelineEvent[]): Promise<AppendResult> {
      if (events.length === 0) return { duplicates: [] };
      if (redis.status !== 'ready') {
        throw new BufferUnavailableError('The event buffer (Redis) is unreachable', RETRY_AFTER_S);
      }
      const window = Math.floor(deps.clock.nowMs() / SEEN_WINDOW_MS);
      const args: (string | number)[] = [
        keys.stream,
        keys.seen(storeId, window),
        keys.seen(storeId, window - 1),
        keys.backlog,
        deps.maxLength,
        SEEN_WINDOW_MS * 2,
        storeId,
        events.length,
      ];
      for (const event of events) args.push(event.messageId);
      for (const event of events) args.push(encodeEvent(event));
      let reply: unknown;
      try {
        reply = await run(args);
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
