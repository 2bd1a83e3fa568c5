// Store-local calendar arithmetic for retention, in TypeScript (Intl) because the dialects disagree on time
// zones. Pure.

export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

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

/** The zone's offset from UTC at an instant, in ms (New York in winter: −5 h). */
export function zoneOffsetMs(zone: string, utcMs: number): number {
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
  const wholeSecond = utcMs - (((utcMs % 1000) + 1000) % 1000);
  return asUtc - wholeSecond;
}

/** The local calendar day of an instant, as days since 1970-01-01 (local). */
export function localDay(zone: string, utcMs: number): number {
  return Math.floor((utcMs + zoneOffsetMs(zone, utcMs)) / DAY_MS);
}

/** First instant (UTC ms) of a local day; where midnight does not exist (DST at 00:00), the first that does. */
export function localDayStartMs(zone: string, day: number): number {
  const naive = day * DAY_MS;
  let guess = naive - zoneOffsetMs(zone, naive);
  guess = naive - zoneOffsetMs(zone, guess);
  if (localDay(zone, guess) === day && localDay(zone, guess - 1) < day) return guess;
  // The offset changes near midnight: search for the day's first instant (local days are ordered in time).
  let low = naive - 30 * HOUR_MS;
  let high = naive + 30 * HOUR_MS;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (localDay(zone, mid) >= day) high = mid;
    else low = mid;
  }
  return high;
}

/**
 * Events before this instant are past a store's retention: it keeps today (local) and the `retentionDays`
 * whole local days before it, so a merchant in Tokyo loses a day's data at Tokyo midnight, not at UTC's, and
 * a report of any kept day is never half-deleted.
 */
export function retentionCutoffMs(nowMs: number, timeZone: string, retentionDays: number): number {
  return localDayStartMs(timeZone, localDay(timeZone, nowMs) - retentionDays);
}
