import type { BatchWriter } from './batch-writer.service.js';
import { describeError, isTransientDatabaseError } from './database-errors.js';
import type { StoredEvent } from './pipeline-event.js';

/** The database (not the events) is failing: the caller keeps every entry and tries again later. */
export class DatabaseUnavailableError extends Error {
  constructor(readonly causeError: unknown) {
    super(`database unavailable: ${describeError(causeError)}`);
    this.name = 'DatabaseUnavailableError';
  }
}

export interface Failed<T> {
  item: T;
  reason: string;
}

/**
 * Writes the items' events, isolating failures: when a batch fails for a reason that is not the database
 * being away, it is split in halves and each half retried, down to the single entries that fail on their own.
 * One poison event costs about 2·log2(n) extra transactions and never holds back the rest of the batch.
 * Throws DatabaseUnavailableError (after which any halves already committed are simply deduplicated on retry).
 */
export async function writeIsolatingFailures<T extends { event: StoredEvent }>(
  writer: BatchWriter,
  items: T[],
): Promise<{ failed: Failed<T>[]; stored: number }> {
  if (items.length === 0) return { failed: [], stored: 0 };
  try {
    const result = await writer.write(items.map((item) => item.event));
    return { failed: [], stored: result.stored };
  } catch (error) {
    if (isTransientDatabaseError(error)) throw new DatabaseUnavailableError(error);
    if (items.length === 1)
      return { failed: [{ item: items[0] as T, reason: describeError(error) }], stored: 0 };
    const middle = Math.ceil(items.length / 2);
    const left = await writeIsolatingFailures(writer, items.slice(0, middle));
    const right = await writeIsolatingFailures(writer, items.slice(middle));
    return { failed: [...left.failed, ...right.failed], stored: left.stored + right.stored };
  }
}

/** Exponential backoff for outages: 0.5 s doubling to 30 s. */
export function outageDelayMs(attempt: number): number {
  return Math.min(500 * 2 ** Math.min(attempt, 10), 30_000);
}

/** Delay before an entry that failed `failures` times is retried: `baseMs` (1 s) doubling to 30 s. */
export function retryDelayMs(failures: number, baseMs = 1000): number {
  return Math.min(baseMs * 2 ** Math.max(0, failures - 1), 30_000);
}

/** A timer the worker sleeps on between attempts; `wake` ends the sleep early (shutdown, new work). */
export function createSleeper() {
  let wake: (() => void) | null = null;
  return {
    sleep(ms: number): Promise<void> {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          wake = null;
          resolve();
        }, ms);
        wake = () => {
          clearTimeout(timer);
          wake = null;
          resolve();
        };
      });
    },
    wake(): void {
      wake?.();
    },
  };
}
