import type { Logger } from '../../platform/log.js';
import {
  createSleeper,
  DatabaseUnavailableError,
  outageDelayMs,
  retryDelayMs,
  writeIsolatingFailures,
} from './batch-isolation.js';
import type { BatchWriter } from './batch-writer.service.js';
import type { DeadLetterInput } from './dead-letters.service.js';
import type { MemoryEventBuffer, QueuedEvent } from './memory-event-buffer.js';

export interface PipelineWorker {
  start(): void;
  /** Stops taking new work and drains: resolves once what was in flight (and, embedded, queued) is stored. */
  stop(): Promise<void>;
}

export interface EmbeddedWorkerOptions {
  flushIntervalMs: number;
  batchSize: number;
  maxDeliveries: number;
  /** First retry delay after a failed delivery; doubles each time. */
  retryBaseDelayMs: number;
  /** How long shutdown keeps retrying when the database is away before giving up on the queue. */
  drainTimeoutMs: number;
}

/**
 * Embedded mode's worker: flushes the in-process buffer to the database every `flushIntervalMs` (sooner when
 * a full batch is waiting), and drains it on stop. Same failure rules as the Redis worker: outages back off
 * without counting, an event that fails `maxDeliveries` times goes to the dead letters.
 */
export function createEmbeddedWorker(deps: {
  buffer: MemoryEventBuffer;
  writer: BatchWriter;
  recordDeadLetters: (entries: DeadLetterInput[]) => Promise<void>;
  logger: Logger;
  options: EmbeddedWorkerOptions;
}): PipelineWorker {
  const { buffer, options } = deps;
  const sleeper = createSleeper();
  let running = false;
  let loop: Promise<void> | null = null;
  let outages = 0;

  /** One batch: 'idle' when nothing is due, 'outage' when the database is away (the batch went back). */
  async function flushOnce(nowMs: number): Promise<'idle' | 'progress' | 'outage'> {
    const items = buffer.take(options.batchSize, nowMs);
    if (items.length === 0) return 'idle';
    try {
      const { failed } = await writeIsolatingFailures(deps.writer, items);
      const retry: QueuedEvent[] = [];
      const dead: DeadLetterInput[] = [];
      for (const { item, reason } of failed) {
        item.failures += 1;
        if (item.failures >= options.maxDeliveries) {
          dead.push({
            storeId: item.event.storeId,
            messageId: item.event.messageId,
            // As an object, like the Redis worker's dead letters: people read them.
            payload: JSON.stringify(item.event),
            reason,
            attempts: item.failures,
          });
        } else {
          item.notBeforeMs = Date.now() + retryDelayMs(item.failures, options.retryBaseDelayMs);
          retry.push(item);
        }
        deps.logger.warn(
          { messageId: item.event.messageId, failures: item.failures, reason },
          'event failed',
        );
      }
      if (dead.length > 0) {
        try {
          await deps.recordDeadLetters(dead);
        } catch (error) {
          // Could not park them: keep them queued as failed items; the next round tries again.
          retry.push(...failed.map((f) => f.item).filter((item) => item.failures >= options.maxDeliveries));
          deps.logger.error({ err: error }, 'could not write dead letters');
        }
      }
      if (retry.length > 0) buffer.putBack(retry);
      outages = 0;
      return 'progress';
    } catch (error) {
      if (!(error instanceof DatabaseUnavailableError)) throw error;
      buffer.putBack(items);
      if (outages++ === 0) deps.logger.warn({ err: error.message }, 'database unavailable; backing off');
      return 'outage';
    }
  }

  async function run(): Promise<void> {
    while (running) {
      let state: Awaited<ReturnType<typeof flushOnce>>;
      try {
        state = await flushOnce(Date.now());
      } catch (error) {
        deps.logger.error({ err: error }, 'embedded worker failed a batch');
        state = 'outage';
      }
      if (state === 'idle') await sleeper.sleep(options.flushIntervalMs);
      else if (state === 'outage') await sleeper.sleep(outageDelayMs(outages));
    }
  }

  async function drain(): Promise<void> {
    const deadline = Date.now() + options.drainTimeoutMs;
    let attempt = 0;
    while (buffer.size() > 0) {
      if (Date.now() >= deadline) {
        deps.logger.error(
          { lost: buffer.size() },
          'shutting down with the database unavailable: buffered events were not stored',
        );
        return;
      }
      // Everything is due at shutdown: events waiting out a retry delay get their remaining tries now.
      const state = await flushOnce(Number.POSITIVE_INFINITY).catch((error: unknown) => {
        deps.logger.error({ err: error }, 'embedded worker failed a batch while draining');
        return 'outage' as const;
      });
      if (state === 'outage') await new Promise((resolve) => setTimeout(resolve, outageDelayMs(attempt++)));
    }
  }

  buffer.onBatchReady(() => sleeper.wake());

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      sleeper.wake();
      await loop;
      loop = null;
      await drain();
    },
  };
}
