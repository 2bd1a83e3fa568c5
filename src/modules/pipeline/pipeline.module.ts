import type { Clock } from '../../platform/clock.js';
import type { Config } from '../../platform/config.js';
import type { Database } from '../../platform/db/database.js';
import type { Ids } from '../../platform/ids.js';
import type { Logger } from '../../platform/log.js';
import type { Redis } from '../../platform/redis.js';
import type { AuditService } from '../audit/index.js';
import { type BatchHook, createBatchWriter, type SuppressionCheck } from './batch-writer.service.js';
import { createDeadLettersService, type DeadLettersService } from './dead-letters.service.js';
import { createEmbeddedWorker, type PipelineWorker } from './embedded-worker.js';
import type { EventBuffer } from './event-buffer.js';
import { createEventsReader, type EventsReader } from './events-reader.service.js';
import { createMemoryEventBuffer } from './memory-event-buffer.js';
import { createOrdersReader, type OrdersReader } from './orders-reader.service.js';
import { createRedisEventBuffer, streamKeys } from './redis-event-buffer.js';
import { createRedisStreamWorker } from './redis-stream-worker.js';

export interface PipelineOptions {
  /** Prefix of every Redis key (stream, seen-sets, heartbeats): one per deployment, one per test app. */
  redisKeyPrefix?: string;
  /** Events per worker batch and transaction. */
  batchSize?: number;
  /** Batches a Redis worker writes at once, each in its own transaction (default 4). */
  workerConcurrency?: number;
  /** Failed deliveries before an event goes to the dead letters. */
  maxDeliveries?: number;
  /** First retry delay after a failed delivery (doubling, at most 30 s). */
  retryBaseDelayMs?: number;
  /** Embedded mode: longest an event waits in memory before it is written. */
  flushIntervalMs?: number;
  /** Embedded mode: events held in memory before ingest answers 503. */
  memoryBufferMaxEvents?: number;
  /** A worker silent this long is dead and its pending entries are claimed. */
  heartbeatTtlMs?: number;
}

export interface PipelineModuleDeps {
  database: Database;
  redis: Redis | null;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  config: Pick<Config, 'streamMaxLength'> & Partial<Pick<Config, 'testCrashPoint'>>;
  audit?: AuditService;
  options?: PipelineOptions;
}

export interface PipelineModule {
  /** Where ingest appends events: the Redis stream with REDIS_URL, else the in-process queue. */
  buffer: EventBuffer;
  /** Consumes the buffer. Start it in roles `all` and `worker` (and whenever the buffer is in-process). */
  worker: PipelineWorker & {
    /** Runs inside each batch transaction with the newly stored events (rollups). */
    addBatchHook(hook: BatchHook): void;
  };
  events: EventsReader;
  orders: OrdersReader;
  deadLetters: DeadLettersService;
  /** Registers a check ingest and worker consult: a suppressed subject's events are not stored. */
  addSuppressionCheck(check: SuppressionCheck): void;
  /** Whether any check is registered (ingest skips the per-event call when none is). */
  hasSuppressionChecks(): boolean;
  isSuppressed(
    storeId: number,
    userId: string | null,
    anonymousId: string | null,
  ): boolean | Promise<boolean>;
}

/**
 * pipeline: the buffer between ingest and the database, the workers that drain it, and the tables they write
 * (events, orders, order_adjustments, dead_letters). Mode follows the infrastructure: Redis Streams when a
 * Redis client is given, the in-process buffer otherwise.
 */
export function createPipelineModule(deps: PipelineModuleDeps): PipelineModule {
  const options = deps.options ?? {};
  const batchSize = options.batchSize ?? 1000;
  const maxDeliveries = options.maxDeliveries ?? 5;
  const retryBaseDelayMs = options.retryBaseDelayMs ?? 1000;
  const writer = createBatchWriter({ database: deps.database, clock: deps.clock, ids: deps.ids });
  const deadLetters = createDeadLettersService({
    database: deps.database,
    clock: deps.clock,
    ids: deps.ids,
    writer,
    audit: deps.audit ?? null,
  });
  const recordDeadLetters = deadLetters.record;
  const logger = deps.logger.child({ module: 'pipeline' });

  let buffer: EventBuffer;
  let worker: PipelineWorker;
  if (deps.redis) {
    const keys = streamKeys(options.redisKeyPrefix ?? 'ff');
    buffer = createRedisEventBuffer({
      redis: deps.redis,
      keys,
      clock: deps.clock,
      maxLength: deps.config.streamMaxLength,
    });
    const heartbeatTtlMs = options.heartbeatTtlMs ?? 10_000;
    worker = createRedisStreamWorker({
      redis: deps.redis,
      keys,
      writer,
      recordDeadLetters,
      logger,
      options: {
        batchSize,
        concurrency: options.workerConcurrency ?? 4,
        maxDeliveries,
        retryBaseDelayMs,
        blockMs: 1000,
        heartbeatIntervalMs: Math.max(250, Math.floor(heartbeatTtlMs / 3)),
        heartbeatTtlMs,
        sweepIntervalMs: Math.max(500, Math.floor(heartbeatTtlMs / 2)),
        stuckIdleMs: 60_000,
        testCrashPoint: deps.config.testCrashPoint ?? null,
      },
    });
  } else {
    const memory = createMemoryEventBuffer({
      clock: deps.clock,
      maxEvents: options.memoryBufferMaxEvents ?? 100_000,
      batchSize,
    });
    buffer = memory;
    worker = createEmbeddedWorker({
      buffer: memory,
      writer,
      recordDeadLetters,
      logger,
      options: {
        flushIntervalMs: options.flushIntervalMs ?? 250,
        batchSize,
        maxDeliveries,
        retryBaseDelayMs,
        drainTimeoutMs: 10_000,
      },
    });
  }

  return {
    buffer,
    worker: {
      start: () => worker.start(),
      stop: () => worker.stop(),
      addBatchHook: writer.addBatchHook,
    },
    events: createEventsReader({ database: deps.database }),
    orders: createOrdersReader({ database: deps.database }),
    deadLetters,
    addSuppressionCheck: writer.addSuppressionCheck,
    hasSuppressionChecks: writer.hasSuppressionChecks,
    isSuppressed: writer.isSuppressed,
  };
}
