// Event time: ISO-8601 parsing, Segment's clock-skew correction and the accepted time window. Pure.
import { type Rejection, reject } from './event-validation.js';

export const DEFAULT_MAX_FUTURE_MS = 24 * 60 * 60_000;

// RFC 3339 / ISO-8601 extended format. A date-time without an offset is read as UTC (Python's isoformat()
// omits it); a bare date is midnight UTC. Fractions beyond milliseconds are truncated.
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return DAYS_IN_MONTH[month - 1] ?? 0;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

const digit = (text: string, at: number): number => text.charCodeAt(at) - 48;
const isDigitAt = (text: string, at: number): boolean => {
  const code = text.charCodeAt(at);
  return code >= 48 && code <= 57;
};

const CANONICAL_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];

/**
 * `YYYY-MM-DDTHH:MM:SS.sssZ`, what Date#toISOString and every Segment library send, read by character codes:
 * the general expression below cost a tenth of an event's validation. Returns undefined for any other shape
 * (the general parser then decides), null for an impossible date or time in this shape.
 */
function parseCanonicalIsoMs(text: string): number | null | undefined {
  if (text.length !== 24 || text.charCodeAt(23) !== 90 /* Z */) return undefined;
  for (const at of CANONICAL_DIGITS) if (!isDigitAt(text, at)) return undefined;
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':')
    return undefined;
  if (text[19] !== '.') return undefined;
  const year = digit(text, 0) * 1000 + digit(text, 1) * 100 + digit(text, 2) * 10 + digit(text, 3);
  const month = digit(text, 5) * 10 + digit(text, 6);
  const day = digit(text, 8) * 10 + digit(text, 9);
  const hour = digit(text, 11) * 10 + digit(text, 12);
  const minute = digit(text, 14) * 10 + digit(text, 15);
  const second = digit(text, 17) * 10 + digit(text, 18);
  const ms = digit(text, 20) * 100 + digit(text, 21) * 10 + digit(text, 22);
  // Years below 100, leap seconds and impossible values take the general path, which knows them.
  if (year < 100 || second > 59) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59) return null;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/** Parses an ISO-8601 date(-time) string to epoch ms; null when it is not one (or names an impossible date). */
export function parseIsoTimestampMs(text: string): number | null {
  const canonical = parseCanonicalIsoMs(text);
  if (canonical !== undefined) return canonical;
  if (text.length > 64) return null;
  const m = ISO_DATE_TIME.exec(text.trim());
  if (m === null) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  // A leap second (:60) is read as the last millisecond of the minute before it.
  const rawSecond = m[6] === undefined ? 0 : Number(m[6]);
  const second = Math.min(rawSecond, 59);
  const ms = rawSecond === 60 ? 999 : m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || rawSecond > 60) return null;
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = m[11] === undefined ? 0 : Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  let epochMs = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (year < 100) {
    // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
    const date = new Date(epochMs);
    date.setUTCFullYear(year, month - 1, day);
    epochMs = date.getTime();
  }
  return epochMs - offsetMinutes * 60_000;
}

type ParsedField = { ok: true; valueMs: number | null } | Rejection;

function parseField(value: unknown, field: string): ParsedField {
  if (value === undefined || value === null) return { ok: true, valueMs: null };
  if (typeof value !== 'string') return reject(`${field} must be an ISO-8601 date string`, field);
  if (value.trim() === '') return { ok: true, valueMs: null };
  const ms = parseIsoTimestampMs(value);
  return ms === null ? reject(`${field} is not a valid ISO-8601 date`, field) : { ok: true, valueMs: ms };
}

function describeDuration(durationMs: number): string {
  const hourMs = 60 * 60_000;
  const dayMs = 24 * hourMs;
  if (durationMs >= 2 * dayMs && durationMs % dayMs === 0) return `${durationMs / dayMs} days`;
  if (durationMs >= hourMs && durationMs % hourMs === 0) {
    const hours = durationMs / hourMs;
    return hours === 1 ? '1 hour' : `${hours} hours`;
  }
  const minutes = Math.round(durationMs / 60_000);
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

export type EventTimeInput = {
  timestamp: unknown;
  originalTimestamp: unknown;
  /** Event-level sentAt; wins over the batch's. */
  sentAt: unknown;
  batchSentAtMs?: number | null;
  receivedAtMs: number;
  backfillWindowMs: number;
  maxFutureMs?: number;
};

export type EventTime = {
  /** Corrected event time, epoch ms. */
  timestampMs: number;
  /** The sentAt used for correction (event-level, else batch-level). */
  sentAtMs: number | null;
  /** The client's own clock reading, before correction. */
  originalTimestampMs: number | null;
};

/**
 * Segment's skew correction: the client's clock may be wrong, but the gap it measured between the event and the
 * send is right, so corrected = receivedAt − (sentAt − timestamp). Without sentAt the client timestamp is used
 * as is; without any timestamp the event happened when it arrived.
 */
export function resolveEventTime(input: EventTimeInput): { ok: true; value: EventTime } | Rejection {
  const timestamp = parseField(input.timestamp, 'timestamp');
  if (!timestamp.ok) return timestamp;
  const original = parseField(input.originalTimestamp, 'originalTimestamp');
  if (!original.ok) return original;
  const sentAt = parseField(input.sentAt, 'sentAt');
  if (!sentAt.ok) return sentAt;

  const clientMs = timestamp.valueMs ?? original.valueMs;
  const timeField = timestamp.valueMs !== null ? 'timestamp' : 'originalTimestamp';
  const batchSentAtMs =
    input.batchSentAtMs !== undefined && input.batchSentAtMs !== null && Number.isFinite(input.batchSentAtMs)
      ? input.batchSentAtMs
      : null;
  const sentAtMs = sentAt.valueMs ?? batchSentAtMs;

  let timestampMs: number;
  if (clientMs !== null && sentAtMs !== null) timestampMs = input.receivedAtMs - (sentAtMs - clientMs);
  else if (clientMs !== null) timestampMs = clientMs;
  else timestampMs = input.receivedAtMs;

  const maxFutureMs = input.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
  if (timestampMs > input.receivedAtMs + maxFutureMs) {
    return reject(`${timeField} is more than ${describeDuration(maxFutureMs)} in the future`, timeField);
  }
  if (timestampMs < input.receivedAtMs - input.backfillWindowMs) {
    return reject(
      `${timeField} is older than the ${describeDuration(input.backfillWindowMs)} backfill window`,
      timeField,
    );
  }
  return { ok: true, value: { timestampMs, sentAtMs, originalTimestampMs: clientMs } };
}
