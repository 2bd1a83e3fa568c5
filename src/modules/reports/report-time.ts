// Store-local calendar arithmetic, done in TypeScript (Intl) because the dialects disagree on time zones.
// Rollups are keyed by local-hour buckets and local day numbers computed here with the zone the rollups were
// built in; a report's date range is turned into UTC milliseconds here too. Pure.

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
const SLOT_MS = 15 * 60_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, Map<number, number>>();

function formatterOf(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

function computeOffsetMs(zone: string, utcMs: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatterOf(zone).formatToParts(new Date(utcMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return asUtc - (utcMs - (((utcMs % 1000) + 1000) % 1000));
}

/**
 * The zone's offset from UTC at an instant, in ms (New York in winter: −5 h). Every zone changes its offset
 * only at a quarter hour, so the answer is cached per 15-minute slot: rollups call this for every event.
 */
export function zoneOffsetMs(zone: string, utcMs: number): number {
  let byZone = offsets.get(zone);
  if (!byZone) {
    byZone = new Map();
    offsets.set(zone, byZone);
  }
  const slot = Math.floor(utcMs / SLOT_MS);
  let offset = byZone.get(slot);
  if (offset === undefined) {
    offset = computeOffsetMs(zone, slot * SLOT_MS);
    if (byZone.size > 200_000) byZone.clear();
    byZone.set(slot, offset);
  }
  return offset;
}

/** The local calendar day of an instant, as days since 1970-01-01 (local). */
export function localDay(zone: string, utcMs: number): number {
  return Math.floor((utcMs + zoneOffsetMs(zone, utcMs)) / DAY_MS);
}

/**
 * Start (UTC ms) of the local hour an instant falls in. For whole-hour zones that is the UTC hour; for
 * India (+5:30) or Nepal (+5:45) it is not, which is why buckets follow local hours: a local day is then
 * always a whole number of buckets, in every zone, across DST changes.
 */
export function localHourStart(zone: string, utcMs: number): number {
  const local = utcMs + zoneOffsetMs(zone, utcMs);
  return utcMs - (((local % HOUR_MS) + HOUR_MS) % HOUR_MS);
}

/** First instant (UTC ms) of a local day; where midnight does not exist (DST at 00:00) the first that does. */
export function dayStartMs(zone: string, day: number): number {
  const naive = day * DAY_MS;
  let guess = naive - zoneOffsetMs(zone, naive);
  guess = naive - zoneOffsetMs(zone, guess);
  if (localDay(zone, guess) === day && localDay(zone, guess - 1) < day) return guess;
  // The offset changes near midnight: search the day's first instant (local days are ordered in time).
  let low = naive - 30 * HOUR_MS;
  let high = naive + 30 * HOUR_MS;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (localDay(zone, mid) >= day) high = mid;
    else low = mid;
  }
  return high;
}

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
