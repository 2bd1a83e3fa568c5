import type { Clock } from '../../platform/clock.js';
import { type AppendResult, BufferUnavailableError, type EventBuffer } from './event-buffer.js';
import type { PipelineEvent, StoredEvent } from './pipeline-event.js';
import { SEEN_WINDOW_MS } from './redis-event-buffer.js';

/** An event waiting in the in-process queue, with how often storing it has failed. */
export interface QueuedEvent {
  key: string;
  event: StoredEvent;
  failures: number;
  /** Not retried before this time (epoch ms) after a failure. */
  notBeforeMs: number;
}

export interface MemoryEventBuffer extends EventBuffer {
  readonly kind: 'memory';
  size(): number;
  /** Removes and returns up to `max` events that are due. */
  take(max: number, nowMs: number): QueuedEvent[];
  /** Returns events to the front of the queue (a failed write keeps their order). */
  putBack(items: QueuedEvent[]): void;
  /** Called when a full batch is waiting, so the worker need not wait for its timer. */
  onBatchReady(listener: () => void): void;
}

/**
 * Embedded mode's buffer (no Redis): an in-process queue the embedded worker flushes to the database at least
 * every 250 ms and drains on shutdown. A process crash loses what is queued — at most a quarter second of
 * events — which is the trade the single-binary mode makes; production runs Redis.
 */
export function createMemoryEventBuffer(deps: {
  clock: Clock;
  maxEvents: number;
  batchSize: number;
}): MemoryEventBuffer {
  let queue: QueuedEvent[] = [];
  let sequence = 0;
  const listeners: (() => void)[] = [];
  // Two windows of recently seen ids, rotated like the Redis hashes: memory stays bounded by recent traffic.
  let window = Math.floor(deps.clock.nowMs() / SEEN_WINDOW_MS);
  let seenNow = new Set<string>();
  let seenBefore = new Set<string>();
  const SEEN_MAX = 500_000;

  function rotate(nowMs: number): void {
    const current = Math.floor(nowMs / SEEN_WINDOW_MS);
    if (current === window && seenNow.size < SEEN_MAX) return;
    seenBefore = current === window + 1 || current === window ? seenNow : new Set();
    seenNow = new Set();
    window = current;
  }

  return {
    kind: 'memory',
    async append(storeId: number, events: readonly PipelineEvent[]): Promise<AppendResult> {
      if (queue.length + events.length > deps.maxEvents) {
        throw new BufferUnavailableError('The event buffer is full; the database is behind. Retry later.', 5);
      }
      const nowMs = deps.clock.nowMs();
      rotate(nowMs);
      const duplicates: number[] = [];
      events.forEach((event, index) => {
        const seenKey = `${storeId}\u0000${event.messageId}`;
        if (seenNow.has(seenKey) || seenBefore.has(seenKey)) {
          duplicates.push(index);
          return;
        }
        seenNow.add(seenKey);
        queue.push({ key: `m${++sequence}`, event: { ...event, storeId }, failures: 0, notBeforeMs: 0 });
      });
      if (queue.length >= deps.batchSize) for (const listener of listeners) listener();
      return { duplicates };
    },
    size: () => queue.length,
    take(max, nowMs) {
      // Common case: nothing is waiting out a retry delay, so the head of the queue is the batch.
      if (!queue.some((item) => item.notBeforeMs > nowMs)) return queue.splice(0, max);
      const taken: QueuedEvent[] = [];
      const kept: QueuedEvent[] = [];
      for (const item of queue) {
        if (taken.length < max && item.notBeforeMs <= nowMs) taken.push(item);
        else kept.push(item);
      }
      queue = kept;
      return taken;
    },
    putBack(items) {
      queue = [...items, ...queue];
    },
    onBatchReady(listener) {
      listeners.push(listener);
    },
  };
}
