import { gzipSync } from 'node:zlib';
import type {
  ExportedDeadLetter,
  ExportedEvent,
  ExportedOrder,
  ExportedOrderAdjustment,
} from '../pipeline/index.js';

/**
 * The access export's format: NDJSON, one record per line, gzip-compressed. Each line says what it is in
 * `record` (`event`, `order`, `orderAdjustment`, `deadLetter`) and carries every field we store about it, times as ISO 8601.
 * The file is written as consecutive gzip members, one per chunk: RFC 1952 makes their concatenation one
 * valid .gz, so chunks can be stored and streamed separately.
 */
export type ExportLine =
  | ({ record: 'event' } & Record<string, unknown>)
  | ({ record: 'order' } & Record<string, unknown>)
  | ({ record: 'orderAdjustment' } & Record<string, unknown>)
  | ({ record: 'deadLetter' } & Record<string, unknown>);

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function eventLine(event: ExportedEvent): ExportLine {
  const { rowId: _rowId, timestampMs, sentAtMs, receivedAtMs, ...fields } = event;
  return {
    record: 'event',
    ...fields,
    timestamp: iso(timestampMs),
    sentAt: iso(sentAtMs),
    receivedAt: iso(receivedAtMs),
  };
}

export function orderLine(order: ExportedOrder): ExportLine {
  const { placedAtMs, createdAtMs, updatedAtMs, ...fields } = order;
  return {
    record: 'order',
    ...fields,
    placedAt: iso(placedAtMs),
    createdAt: iso(createdAtMs),
    updatedAt: iso(updatedAtMs),
  };
}

export function adjustmentLine(adjustment: ExportedOrderAdjustment): ExportLine {
  const { occurredAtMs, createdAtMs, ...fields } = adjustment;
  return { record: 'orderAdjustment', ...fields, occurredAt: iso(occurredAtMs), createdAt: iso(createdAtMs) };
}

/** An event that failed to store: its payload as buffered (parsed when it is JSON), why, and when. */
export function deadLetterLine(letter: ExportedDeadLetter): ExportLine {
  let payload: unknown = letter.payload;
  try {
    payload = JSON.parse(letter.payload) as unknown;
  } catch {
    // Damaged entries are exported as the text they are.
  }
  return {
    record: 'deadLetter',
    messageId: letter.messageId,
    payload,
    reason: letter.reason,
    createdAt: iso(letter.createdAtMs),
  };
}

/** Uncompressed bytes gathered before a chunk is compressed and stored (NDJSON compresses about 5–10×). */
export const CHUNK_TEXT_BYTES = 512 * 1024;

/** Gathers lines and hands out compressed chunks of about CHUNK_TEXT_BYTES of text each. */
export function createChunkWriter() {
  let parts: string[] = [];
  let bytes = 0;
  const cut = (): Buffer => {
    const data = gzipSync(parts.join(''));
    parts = [];
    bytes = 0;
    return data;
  };
  return {
    /** Adds a line; returns a chunk to store when enough text has gathered. */
    add(line: ExportLine): Buffer | null {
      const text = `${JSON.stringify(line)}\n`;
      parts.push(text);
      bytes += Buffer.byteLength(text);
      return bytes >= CHUNK_TEXT_BYTES ? cut() : null;
    },
    /** The last chunk; an export with nothing in it is still a valid (empty) .gz. */
    finish(isFirstChunk: boolean): Buffer | null {
      return bytes > 0 || isFirstChunk ? cut() : null;
    },
  };
}
