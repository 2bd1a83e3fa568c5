import type { PipelineEvent } from './pipeline-event.js';

/**
 * Thrown when the buffer cannot take events now (Redis unreachable, stream or memory buffer full). Ingest
 * answers 503 with Retry-After: an event is either durably buffered or the client is told to retry.
 */
export class BufferUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(message);
    this.name = 'BufferUnavailableError';
  }
}

export interface AppendResult {
  /** Indexes (into the appended array) of events already buffered recently under the same messageId. */
  duplicates: number[];
}

/**
 * Where ingest puts events. `append` resolves only once the events are durable in the buffer's terms (an
 * acknowledged XADD in production; the in-process queue in embedded mode, flushed within 250 ms and drained
 * on shutdown). It either takes every non-duplicate event or throws BufferUnavailableError and takes none.
 */
export interface EventBuffer {
  readonly kind: 'redis' | 'memory';
  append(storeId: number, events: readonly PipelineEvent[]): Promise<AppendResult>;
}
