// Pure queue helpers, shared by the tracker and its Node tests.

/** UTF-8 size of a string in bytes: keepalive and sendBeacon budgets are counted in bytes, not characters. */
export const byteLength = (s: string): number => new TextEncoder().encode(s).length;

/** Bytes reserved for the `{"batch":[…],"sentAt":"…"}` wrapper around a batch's events. */
const WRAPPER_BYTES = 100;

/**
 * Drops the oldest events until `queue` holds at most `maxCount` events and its JSON form at most
 * `maxChars` characters (localStorage quotas count UTF-16 units, hence characters). Mutates `queue`.
 * @returns how many events were dropped, so the next batch can report the loss.
 */
export function boundQueue<T>(queue: T[], maxCount: number, maxChars: number): number {
  let chars = JSON.stringify(queue).length;
  let dropped = 0;
  // Each dropped element takes its JSON and one comma with it (or the last one just its JSON).
  while (queue.length > maxCount || chars > maxChars) {
    chars -= JSON.stringify(queue.shift()).length + (queue.length ? 1 : 0);
    dropped++;
  }
  return dropped;
}

/**
 * Splits events into batches whose JSON body stays within `maxBytes` (fetch keepalive and sendBeacon
 * refuse bodies over 64 KB). A single event larger than the budget still gets a batch of its own rather
 * than being lost here; the tracker refuses such events before they are queued.
 */
export function chunkBatch<T>(events: T[], maxBytes: number): T[][] {
  const batches: T[][] = [];
  let bytes = maxBytes; // the first event opens a batch
  for (const e of events) {
    const size = byteLength(JSON.stringify(e)) + 1;
    if (bytes + size > maxBytes) {
      batches.push([]);
      bytes = WRAPPER_BYTES;
    }
    batches[batches.length - 1]!.push(e);
    bytes += size;
  }
  return batches;
}
