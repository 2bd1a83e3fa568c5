// Store-local calendar arithmetic, done in TypeScript (Intl) because the dialects disagree on time zones:
// reports key their rollups by local hours and days, retention cuts at a store's local midnight. Pure.

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
export function localDayStartMs(zone: string, day: number): number {
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
