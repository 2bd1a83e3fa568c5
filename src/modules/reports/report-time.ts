// Report periods and time-series buckets in a store's zone. Rollups are keyed by local-hour buckets and local
// day numbers (src/platform/local-time.ts) computed with the zone the rollups were built in; a report's date
// range is turned into UTC milliseconds here. Pure.

import {
  DAY_MS,
  localDayStartMs as dayStartMs,
  HOUR_MS,
  localDay,
  localHourStart,
} from '../../platform/local-time.js';

export { zoneOffsetMs } from '../../platform/local-time.js';
export { DAY_MS, dayStartMs, HOUR_MS, localDay, localHourStart };

/** `2026-03-08` → local day number; null when not a real date. */
export function parseDate(text: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const date = new Date(ms);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return null;
  }
  return ms / DAY_MS;
}

export function formatDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Monday of the ISO week a day is in (1970-01-01 was a Thursday). */
export function weekStartDay(day: number): number {
  return day - ((((day + 3) % 7) + 7) % 7);
}

export type Granularity = 'hour' | 'day' | 'week';

/** A report period: whole local days `fromDay`..`toDay` (inclusive) and the UTC instants they span. */
export interface DayRange {
  fromDay: number;
  toDay: number;
  fromMs: number;
  /** Exclusive. */
  toMs: number;
}

export function dayRange(zone: string, fromDay: number, toDay: number): DayRange {
  return { fromDay, toDay, fromMs: dayStartMs(zone, fromDay), toMs: dayStartMs(zone, toDay + 1) };
}

/** The period of the same length that ends the day before `range` starts. */
export function previousRange(zone: string, range: DayRange): DayRange {
  const days = range.toDay - range.fromDay + 1;
  return dayRange(zone, range.fromDay - days, range.fromDay - 1);
}

/** One time-series bucket: its label and its UTC span. */
export interface Bucket {
  key: string;
  startMs: number;
  endMs: number;
  /** First and last local day the bucket covers (clipped to the range). */
  fromDay: number;
  toDay: number;
}

/**
 * The buckets of a range, in order. Hours are local hours (23 on the spring-forward day, 25 in autumn),
 * labelled with their UTC start; days and weeks are labelled with their first local date. A week bucket is
 * clipped to the range so that the series sums to the range's totals.
 */
export function bucketsOf(zone: string, range: DayRange, granularity: Granularity): Bucket[] {
  const buckets: Bucket[] = [];
  if (granularity === 'hour') {
    for (let day = range.fromDay; day <= range.toDay; day++) {
      const end = dayStartMs(zone, day + 1);
      for (let start = dayStartMs(zone, day); start < end; ) {
        const next = Math.min(end, localHourStart(zone, start + HOUR_MS));
        buckets.push({
          key: new Date(start).toISOString(),
          startMs: start,
          endMs: next,
          fromDay: day,
          toDay: day,
        });
        start = next;
      }
    }
    return buckets;
  }
  let day = range.fromDay;
  while (day <= range.toDay) {
    const last = granularity === 'day' ? day : Math.min(range.toDay, weekStartDay(day) + 6);
    buckets.push({
      key: formatDate(day),
      startMs: dayStartMs(zone, day),
      endMs: dayStartMs(zone, last + 1),
      fromDay: day,
      toDay: last,
    });
    day = last + 1;
  }
  return buckets;
}

/** Today's local day number in the zone. */
export function today(zone: string, nowMs: number): number {
  return localDay(zone, nowMs);
}
