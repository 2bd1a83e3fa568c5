import type { Granularity } from '../api/types.js';

/** Number, money, percentage, duration and date formatting, in the browser's locale. */

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

export function formatInteger(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : integer.format(value);
}

/** 1234 → 1,234; 12345 → 12.3K: tiles and axes, where width matters more than the last digit. */
export function formatCompact(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return Math.abs(value) < 10_000 ? integer.format(value) : compact.format(value);
}

export function formatDecimal(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : decimal.format(value);
}

const currencyFormats = new Map<string, Intl.NumberFormat>();

export function formatMoney(
  value: number | null | undefined,
  currency: string,
  options: { compact?: boolean } = {},
): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const cacheKey = `${currency}/${options.compact === true && Math.abs(value) >= 10_000}`;
  let format = currencyFormats.get(cacheKey);
  if (!format) {
    try {
      format = new Intl.NumberFormat(undefined, {
        style: 'currency',
        currency,
        ...(cacheKey.endsWith('true') ? { notation: 'compact', maximumFractionDigits: 1 } : {}),
      });
    } catch {
      format = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
    }
    currencyFormats.set(cacheKey, format);
  }
  return format.format(value);
}

/** A ratio 0–1 as a percentage. */
export function formatPercent(ratio: number | null | undefined, digits = 1): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  return `${(ratio * 100).toFixed(digits)}%`;
}

/** Seconds as `42s`, `3m 05s`, `2h 10m`, `3d 4h`. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

function dateFormat(options: Intl.DateTimeFormatOptions, timeZone?: string): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat(undefined, { ...options, timeZone });
  } catch {
    return new Intl.DateTimeFormat(undefined, options);
  }
}

export function formatDateTime(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return dateFormat({ dateStyle: 'medium', timeStyle: 'short' }, timeZone).format(date);
}

/** Compact, for table cells: `Nov 25, 16:27` this year, `Nov 25, 2025` before. */
export function formatWhen(
  iso: string | null | undefined,
  timeZone?: string,
  nowMs: number = Date.now(),
): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  const sameYear = date.getUTCFullYear() === new Date(nowMs).getUTCFullYear();
  return dateFormat(
    sameYear
      ? { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }
      : { dateStyle: 'medium' },
    timeZone,
  ).format(date);
}

export function formatTime(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return dateFormat({ hour: '2-digit', minute: '2-digit', second: '2-digit' }, timeZone).format(date);
}

/** `2026-11-25` (a calendar day) as `Nov 25, 2026`, without shifting it through a time zone. */
export function formatDay(day: string): string {
  const date = new Date(`${day}T12:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  return dateFormat({ dateStyle: 'medium' }, 'UTC').format(date);
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A series bucket as epoch ms. Day and week buckets are local dates (`2026-11-25`): they are placed at UTC
 * midnight and must be displayed in UTC, so no time zone can move them to another day. Hour buckets are instants.
 */
export function bucketMs(bucket: string): number {
  return DATE_ONLY.test(bucket) ? Date.parse(`${bucket}T00:00:00Z`) : Date.parse(bucket);
}

/** The zone a bucket is displayed in: the store's for hours, UTC for the local dates of days and weeks. */
export function bucketZone(granularity: Granularity, storeTimeZone: string): string {
  return granularity === 'hour' ? storeTimeZone : 'UTC';
}

/** A bucket as its label: hours as `Nov 25, 14:00`, days as `Nov 25, 2026`, weeks as `Week of Nov 23`. */
export function formatBucket(bucket: string, granularity: Granularity, storeTimeZone: string): string {
  const ms = bucketMs(bucket);
  if (Number.isNaN(ms)) return bucket;
  const date = new Date(ms);
  const zone = bucketZone(granularity, storeTimeZone);
  switch (granularity) {
    case 'hour':
      return dateFormat({ month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }, zone).format(
        date,
      );
    case 'day':
      return dateFormat({ month: 'short', day: 'numeric', year: 'numeric' }, zone).format(date);
    case 'week':
      return `Week of ${dateFormat({ month: 'short', day: 'numeric', year: 'numeric' }, zone).format(date)}`;
  }
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** `3 minutes ago`, `in 6 days`: for last use, expiry and event times. */
export function formatRelative(iso: string | null | undefined, nowMs: number = Date.now()): string {
  if (!iso) return 'never';
  const ms = new Date(iso).getTime();
  if (Number.isNaN(ms)) return '—';
  const diffS = (ms - nowMs) / 1000;
  const abs = Math.abs(diffS);
  if (abs < 45) return diffS <= 0 ? 'just now' : 'in a few seconds';
  if (abs < 3600) return relative.format(Math.round(diffS / 60), 'minute');
  if (abs < 86_400) return relative.format(Math.round(diffS / 3600), 'hour');
  if (abs < 30 * 86_400) return relative.format(Math.round(diffS / 86_400), 'day');
  if (abs < 365 * 86_400) return relative.format(Math.round(diffS / (30 * 86_400)), 'month');
  return relative.format(Math.round(diffS / (365 * 86_400)), 'year');
}

/** Relative change, or null when there is nothing to compare against. */
export function changeOf(value: number, previous: number | null): number | null {
  if (previous === null || !Number.isFinite(previous)) return null;
  if (previous === 0) return value === 0 ? 0 : null;
  return (value - previous) / Math.abs(previous);
}

/** Stable short text for an unknown JSON value: details columns, CSV. */
export function summarize(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
