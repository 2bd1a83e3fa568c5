import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { WorkerCrashPoint } from '../../platform/config.js';
import type { Logger } from '../../platform/log.js';
import { type Redis, redisScript, waitForRedis } from '../../platform/redis.js';
import {
  createSleeper,
  DatabaseUnavailableError,
  outageDelayMs,
  retryDelayMs,
  writeIsolatingFailures,
} from './batch-isolation.js';
import type { BatchWriter } from './batch-writer.service.js';
import { describeError, isTransientDatabaseError } from './database-errors.js';
import type { DeadLetterInput } from './dead-letters.service.js';
import type { PipelineWorker } from './embedded-worker.js';
import { decodeEntry, type StoredEvent } from './pipeline-event.js';
import type { StreamKeys } from './redis-event-buffer.js';

export interface RedisWorkerOptions {
  /** Events per transaction, about: reads take as many entries as hold this many events. */
  batchSize: number;
  /** Batches (transactions) in flight at once. */
  concurrency: number;
  /** Failed deliveries after which an entry's failing events go to the dead letters. */
  maxDeliveries: number;
  /** First retry delay after a failed delivery; doubles each time. */
  retryBaseDelayMs: number;
  blockMs: number;
  heartbeatIntervalMs: number;
  /** A consumer whose heartbeat is older than this is dead: its pending entries are claimed. */
  heartbeatTtlMs: number;
  sweepIntervalMs: number;
  /** XAUTOCLAIM threshold: entries pending this long are re-processed by whoever sees them. */
  stuckIdleMs: number;
  /** Fault tests only (see Config.testCrashPoint): SIGKILL this process at that point of a batch. */
  testCrashPoint?: WorkerCrashPoint | null;
}

/** The fault-test hook: a real SIGKILL, with a line first so the test knows where the worker died. */
function crashHere(point: WorkerCrashPoint): void {
  process.stderr.write(`test crash point reached: ${point}\n`);
  process.kill(process.pid, 'SIGKILL');
}

/** A stream entry: one ingest request's events of one store. */
interface Entry {
  id: string;
  storeIdText: string | undefined;
  /** Events it holds, as ingest counted them into the backlog. */
  count: number;
  /** One JSON text per event. */
  payloads: string[];
}

interface Item {
  entry: Entry;
  event: StoredEvent;
}

// Creates the consumer group from the start of the stream ('0': entries added before the first worker ever
// ran are consumed too). pcall: a BUSYGROUP error reply would make the shared client reconnect.
const ENSURE_GROUP_SCRIPT = `
local created = redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
if type(created) == 'table' and created.err and not string.find(created.err, 'BUSYGROUP') then
  return redis.error_reply(created.err)
end
return 1
`;

// Acknowledges entries once: XACK, then XDEL (so the stream holds only the backlog) and the backlog count
// goes down by the entry's events — only for an entry this call really acknowledged, so two workers
// finishing the same claimed entry never count it twice. KEYS: stream, backlog, failures. ARGV: group, then
// entry id / event count pairs.
const ACK_SCRIPT = `
local total = 0
for i = 2, #ARGV, 2 do
  if redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) == 1 then
    redis.call('XDEL', KEYS[1], ARGV[i])
    total = total + tonumber(ARGV[i + 1])
  end
  redis.call('HDEL', KEYS[3], ARGV[i])
end
if total > 0 then redis.call('DECRBY', KEYS[2], total) end
return total
`;

const runEnsureGroup = redisScript(ENSURE_GROUP_SCRIPT);
const runAck = redisScript(ACK_SCRIPT);

/** `[id, [field, value, …]]` as XREADGROUP/XCLAIM/XAUTOCLAIM return them; nil for deleted entries. */
function toEntries(raw: unknown): Entry[] {
  if (!Array.isArray(raw)) return [];
  const entries: Entry[] = [];
  for (const item of raw) {
    if (!Array.isArray(item) || typeof item[0] !== 'string') continue;
    const fields = Array.isArray(item[1]) ? (item[1] as unknown[]) : [];
    let storeIdText: string | undefined;
    const payloads: string[] = [];
    let count = 1;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === 'e') payloads.push(String(fields[i + 1]));
      else if (fields[i] === 's') storeIdText = String(fields[i + 1]);
      else if (fields[i] === 'n') count = Number(fields[i + 1]) || 0;
    }
    entries.push({ id: item[0], storeIdText, count, payloads });
  }
  return entries;
}

function field(info: unknown[], name: string): unknown {
  const index = info.indexOf(name);
  return index >= 0 ? info[index + 1] : undefined;
}

/**
 * Production worker: a member of one consumer group on the event stream; any number may run.
 *
 * Delivery rules. An entry is acknowledged only after the transaction holding its events commits. A database
 * outage is nobody's fault: the batch is retried with backoff, uncounted. Any other failure is isolated to
 * the single events that cause it; the events around them are stored, and their entry counts one failed
 * delivery in a hash shared by all workers — as does a delivery to a worker that died holding it (claimed
 * once its heartbeat lapses). At `maxDeliveries` the entry's failing events move to the dead letters and the
 * entry is acknowledged. A damaged entry (not decodable) goes there at once: retrying cannot repair it.
 */
export function createRedisStreamWorker(deps: {
  redis: Redis;
  keys: StreamKeys;
  writer: BatchWriter;
  recordDeadLetters: (entries: DeadLetterInput[]) => Promise<void>;
  logger: Logger;
  options: RedisWorkerOptions;
  consumerName?: string;
}): PipelineWorker & { readonly consumer: string } {
  const { redis, keys, options, logger } = deps;
  const consumer = deps.consumerName ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const sleeper = createSleeper();
  // Blocking reads hold their connection; everything else shares the process's client.
  let reader: Redis | null = null;
  let running = false;
  let loop: Promise<void> | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  let nextSweepMs = 0;
  let nextAutoclaimMs = 0;
  let failuresInARow = 0;
  /**
   * Events per entry in the last read, so the next read takes about `batchSize` events. Starts as if entries
   * were batches of 100 (a batch request): a first read of 10 entries is never a huge transaction.
   */
  let eventsPerEntry = 100;
  const retries: { entry: Entry; dueMs: number }[] = [];
  const inFlight = new Set<Promise<void>>();
  let backgroundError: unknown = null;

  async function ensureGroup(): Promise<void> {
    await runEnsureGroup(redis, [keys.stream], [keys.group]);
  }

  async function acknowledge(entries: Entry[]): Promise<void> {
    if (entries.length === 0) return;
    const args: (string | number)[] = [keys.group];
    for (const entry of entries) args.push(entry.id, entry.count);
    await runAck(redis, [keys.stream, keys.backlog, keys.failures], args);
  }

  async function countFailure(entries: Entry[]): Promise<number[]> {
    if (entries.length === 0) return [];
    const batch = redis.pipeline();
    for (const entry of entries) batch.hincrby(keys.failures, entry.id, 1);
    const results = (await batch.exec()) ?? [];
    return results.map(([error, value]) => {
      if (error) throw error;
      return Number(value);
    });
  }

  /** The dead letters for a whole entry: one per event it holds, or the raw entry when it cannot be read. */
  function entryDeadLetters(entry: Entry, reason: string, attempts: number): DeadLetterInput[] {
    const decoded = decodeEntry(entry.storeIdText, entry.payloads);
    if (!decoded.ok) {
      return [
        {
          storeId: decoded.storeId,
          messageId: null,
          payload: '',
          reason: `${reason} (${decoded.reason})`,
          attempts,
        },
      ];
    }
    return [
      ...decoded.events.map((event) => ({
        storeId: event.storeId,
        messageId: event.messageId,
        payload: JSON.stringify(event),
        reason,
        attempts,
      })),
      ...decoded.damaged.map((d) => ({
        storeId: decoded.storeId,
        messageId: d.messageId,
        payload: d.payload,
        reason,
        attempts,
      })),
    ];
  }

  /** Stores the entries' events; retries outages until it succeeds or the worker stops. */
  async function handle(entries: Entry[]): Promise<void> {
    const items: Item[] = [];
    const damaged: DeadLetterInput[] = [];
    const damagedEntries: Entry[] = [];
    const readable: Entry[] = [];
    for (const entry of entries) {
      const decoded = decodeEntry(entry.storeIdText, entry.payloads);
      if (!decoded.ok) {
        damaged.push({
          storeId: decoded.storeId,
          messageId: null,
          payload: '',
          reason: `damaged entry: ${decoded.reason}`,
          attempts: 1,
        });
        damagedEntries.push(entry);
        continue;
      }
      readable.push(entry);
      for (const event of decoded.events) items.push({ entry, event });
      for (const d of decoded.damaged) {
        damaged.push({
          storeId: decoded.storeId,
          messageId: d.messageId,
          payload: d.payload,
          reason: `damaged event: ${d.reason}`,
          attempts: 1,
        });
      }
    }
    let attempt = 0;
    let attemptsWhileStopping = 0;
    // A failure is counted once per delivery, even when parking events in the dead letters must be retried.
    const counted = new Map<string, number>();
    for (;;) {
      try {
        if (damaged.length > 0) {
          await deps.recordDeadLetters(damaged);
          await acknowledge(damagedEntries);
          damaged.length = 0;
        }
        if (options.testCrashPoint === 'before-commit') crashHere('before-commit');
        const { failed } = await writeIsolatingFailures(deps.writer, items);
        if (options.testCrashPoint === 'after-commit' && failed.length === 0) crashHere('after-commit');
        const failuresByEntry = new Map<Entry, { event: StoredEvent; reason: string }[]>();
        for (const { item, reason } of failed) {
          const list = failuresByEntry.get(item.entry) ?? [];
          list.push({ event: item.event, reason });
          failuresByEntry.set(item.entry, list);
        }
        const failedEntries = [...failuresByEntry.keys()];
        const uncounted = failedEntries.filter((entry) => !counted.has(entry.id));
        const counts = await countFailure(uncounted);
        uncounted.forEach((entry, index) => {
          counted.set(entry.id, counts[index] ?? 1);
        });
        const done = readable.filter((entry) => !failuresByEntry.has(entry));
        const dead: DeadLetterInput[] = [];
        const later: { entry: Entry; dueMs: number }[] = [];
        for (const [entry, failures] of failuresByEntry) {
          const count = counted.get(entry.id) ?? 1;
          for (const { event, reason } of failures) {
            logger.warn(
              { entry: entry.id, messageId: event.messageId, failures: count, reason },
              'event failed',
            );
          }
          if (count >= options.maxDeliveries) {
            for (const { event, reason } of failures) {
              dead.push({
                storeId: event.storeId,
                messageId: event.messageId,
                payload: JSON.stringify(event),
                reason,
                attempts: count,
              });
            }
            done.push(entry);
          } else {
            later.push({ entry, dueMs: Date.now() + retryDelayMs(count, options.retryBaseDelayMs) });
          }
        }
        if (dead.length > 0) await deps.recordDeadLetters(dead);
        await acknowledge(done);
        retries.push(...later);
        return;
      } catch (error) {
        const isOutage = error instanceof DatabaseUnavailableError || isTransientDatabaseError(error);
        if (!isOutage) throw error;
        if (!running) {
          // Stopping (SIGTERM): a passing failure (a deadlock between batches, a dropped connection) gets a
          // few immediate retries, so a clean shutdown acknowledges what it read. Past them (a real outage)
          // the entries stay pending, claimed by another worker once our heartbeat lapses.
          if (attemptsWhileStopping++ >= 3) return;
          continue;
        }
        if (attempt === 0) logger.warn({ err: describeError(error) }, 'database unavailable; backing off');
        await sleeper.sleep(outageDelayMs(attempt++));
      }
    }
  }

  async function read(blockMs: number): Promise<Entry[]> {
    if (!reader) throw new Error('worker not started');
    // Commands fail fast while the connection is (re)connecting; wait for it rather than count a failure.
    if (reader.status !== 'ready') await waitForRedis(reader, blockMs).catch(() => undefined);
    const count = Math.max(1, Math.min(options.batchSize, Math.round(options.batchSize / eventsPerEntry)));
    const reply = (await reader.xreadgroup(
      'GROUP',
      keys.group,
      consumer,
      'COUNT',
      count,
      'BLOCK',
      blockMs,
      'STREAMS',
      keys.stream,
      '>',
    )) as unknown;
    if (!Array.isArray(reply) || reply.length === 0) return [];
    const entries = toEntries((reply[0] as unknown[])[1]);
    if (entries.length > 0) {
      eventsPerEntry = entries.reduce((sum, entry) => sum + Math.max(1, entry.count), 0) / entries.length;
    }
    return entries;
  }

  /**
   * Claims what dead workers left pending. A worker is dead when its heartbeat key has expired; each of its
   * entries counts one failed delivery (it may have died because of one of them).
   */
  async function sweepDeadConsumers(): Promise<void> {
    const infos = (await redis.xinfo('CONSUMERS', keys.stream, keys.group)) as unknown[];
    for (const raw of infos) {
      if (!Array.isArray(raw)) continue;
      const name = String(field(raw, 'name'));
      const pending = Number(field(raw, 'pending'));
      const idleMs = Number(field(raw, 'idle'));
      if (name === consumer || idleMs < options.heartbeatTtlMs) continue;
      if ((await redis.exists(keys.heartbeat(name))) === 1) continue;
      if (pending === 0) {
        await redis.xgroup('DELCONSUMER', keys.stream, keys.group, name);
        continue;
      }
      const pendingList = (await redis.xpending(
        keys.stream,
        keys.group,
        'IDLE',
        options.heartbeatTtlMs,
        '-',
        '+',
        options.batchSize,
        name,
      )) as unknown[];
      const ids = pendingList.map((p) => String((p as unknown[])[0]));
      if (ids.length === 0) continue;
      // The same min-idle makes the claim exclusive: a second sweeper finds the entries freshly claimed.
      const claimed = toEntries(
        await redis.xclaim(keys.stream, keys.group, consumer, options.heartbeatTtlMs, ...ids),
      );
      const vanished = ids
        .filter((id) => !claimed.some((entry) => entry.id === id))
        .map((id) => ({ id, storeIdText: undefined, count: 0, payloads: [] }));
      await acknowledge(vanished);
      logger.warn({ from: name, entries: claimed.length }, 'claimed entries of a dead worker');
      const counts = await countFailure(claimed);
      const dead: DeadLetterInput[] = [];
      const deadEntries: Entry[] = [];
      const retry: Entry[] = [];
      claimed.forEach((entry, index) => {
        const count = counts[index] ?? 1;
        if (count >= options.maxDeliveries) {
          dead.push(...entryDeadLetters(entry, `the worker processing it stopped ${count} times`, count));
          deadEntries.push(entry);
        } else retry.push(entry);
      });
      if (dead.length > 0) {
        await deps.recordDeadLetters(dead);
        await acknowledge(deadEntries);
      }
      if (retry.length > 0) await handle(retry);
    }
  }

  /** Fallback for entries a live but stuck worker holds: re-processing is idempotent, so it is not counted. */
  async function autoclaimStuck(): Promise<void> {
    const reply = (await redis.xautoclaim(
      keys.stream,
      keys.group,
      consumer,
      options.stuckIdleMs,
      '0-0',
      'COUNT',
      options.batchSize,
    )) as unknown[];
    const entries = toEntries(reply[1]);
    if (entries.length > 0) {
      logger.warn({ entries: entries.length }, 'reclaimed entries pending too long');
      await handle(entries);
    }
  }

  async function run(): Promise<void> {
    while (running) {
      try {
        const nowMs = Date.now();
        if (nowMs >= nextSweepMs) {
          nextSweepMs = nowMs + options.sweepIntervalMs;
          await ensureGroup();
          await sweepDeadConsumers();
        }
        if (nowMs >= nextAutoclaimMs) {
          nextAutoclaimMs = nowMs + Math.max(options.sweepIntervalMs, options.stuckIdleMs / 4);
          await autoclaimStuck();
        }
        retries.sort((a, b) => a.dueMs - b.dueMs);
        const dueCount = retries.findIndex((r) => r.dueMs > Date.now());
        const due = retries.splice(0, dueCount === -1 ? retries.length : dueCount);
        if (due.length > 0) {
          await handle(due.map((r) => r.entry));
          continue;
        }
        if (backgroundError !== null) {
          const error = backgroundError;
          backgroundError = null;
          throw error;
        }
        // Several batches in flight keep the database busy while this process decodes and acknowledges:
        // one transaction at a time left MariaDB idle half the time.
        if (inFlight.size >= options.concurrency) {
          await Promise.race(inFlight);
          continue;
        }
        const nextRetry = retries[0];
        const blockMs = nextRetry
          ? Math.max(10, Math.min(options.blockMs, nextRetry.dueMs - Date.now()))
          : options.blockMs;
        const entries = await read(blockMs);
        if (entries.length > 0) {
          const batch: Promise<void> = handle(entries)
            .catch((error: unknown) => {
              backgroundError = error;
            })
            .finally(() => inFlight.delete(batch));
          inFlight.add(batch);
        }
        failuresInARow = 0;
      } catch (error) {
        if (!running) break;
        const message = error instanceof Error ? error.message : String(error);
        if (message.includes('NOGROUP')) {
          // Redis lost the group (restarted without persistence): make it again and carry on.
          nextSweepMs = 0;
        }
        if (failuresInARow++ === 0) logger.warn({ err: message }, 'worker loop failed; backing off');
        await sleeper.sleep(outageDelayMs(failuresInARow));
      }
    }
  }

  return {
    consumer,
    start() {
      if (running) return;
      running = true;
      reader = redis.duplicate({ connectionName: `footfall-worker-${consumer}` });
      reader.on('error', () => undefined); // reported through failed reads
      const beat = () => {
        redis.set(keys.heartbeat(consumer), '1', 'PX', options.heartbeatTtlMs).catch(() => undefined);
      };
      beat();
      heartbeat = setInterval(beat, options.heartbeatIntervalMs);
      heartbeat.unref();
      loop = run();
    },
    async stop() {
      if (!running) return;
      running = false;
      sleeper.wake();
      // The blocking read returns within blockMs; disconnecting would also end it, but mid-reply.
      await loop;
      loop = null;
      await Promise.all(inFlight);
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
      await redis.del(keys.heartbeat(consumer)).catch(() => undefined);
      reader?.disconnect();
      reader = null;
    },
  };
}
