import type { Granularity } from '../api/types.js';

/**
 * Date ranges as calendar days (YYYY-MM-DD) in the store's time zone: "today" for a store in Tokyo is not
 * today in UTC. Kept in the URL (`range=30d` or `range=custom&from=…&to=…`), so a link shows what you saw.
 */
export type PresetId =
  | 'today'
  | 'yesterday'
  | '7d'
  | '30d'
  | '90d'
  | 'month'
  | 'last-month'
  | '12mo'
  | 'custom';

export const PRESETS: readonly { id: PresetId; label: string }[] = [
  { id: 'today', label: 'Today' },
  { id: 'yesterday', label: 'Yesterday' },
  { id: '7d', label: 'Last 7 days' },
  { id: '30d', label: 'Last 30 days' },
  { id: '90d', label: 'Last 90 days' },
  { id: 'month', label: 'This month' },
  { id: 'last-month', label: 'Last month' },
  { id: '12mo', label: 'Last 12 months' },
  { id: 'custom', label: 'Custom range' },
];

export const DEFAULT_PRESET = '30d' satisfies PresetId;

export interface DateRange {
  preset: PresetId;
  from: string;
  to: string;
  compare: boolean;
  granularity: Granularity;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function todayIn(timeZone: string, nowMs: number = Date.now()): string {
  try {
    return new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(new Date(nowMs));
  } catch {
    return new Date(nowMs).toISOString().slice(0, 10);
  }
}

export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** Inclusive count of days from `from` to `to`. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

/** Hours for a day or two, days up to a quarter, ISO weeks beyond (the API buckets hours for ≤ 31 days). */
export function granularityFor(from: string, to: string): Granularity {
  const days = daysBetween(from, to);
  if (days <= 2) return 'hour';
  if (days <= 93) return 'day';
  return 'week';
}

export function presetRange(
  preset: Exclude<PresetId, 'custom'>,
  today: string,
): { from: string; to: string } {
  switch (preset) {
    case 'today':
      return { from: today, to: today };
    case 'yesterday':
      return { from: addDays(today, -1), to: addDays(today, -1) };
    case '7d':
      return { from: addDays(today, -6), to: today };
    case '30d':
      return { from: addDays(today, -29), to: today };
    case '90d':
      return { from: addDays(today, -89), to: today };
    case 'month':
      return { from: `${today.slice(0, 8)}01`, to: today };
    case 'last-month': {
      const lastDay = addDays(`${today.slice(0, 8)}01`, -1);
      return { from: `${lastDay.slice(0, 8)}01`, to: lastDay };
    }
    case '12mo':
      return { from: addDays(today, -364), to: today };
  }
}

function isPreset(value: string | null): value is PresetId {
  return PRESETS.some((p) => p.id === value);
}

export function resolveRange(
  query: URLSearchParams,
  timeZone: string,
  nowMs: number = Date.now(),
): DateRange {
  const today = todayIn(timeZone, nowMs);
  const asked = query.get('range');
  const preset: PresetId = isPreset(asked) ? asked : DEFAULT_PRESET;
  const compare = query.get('compare') !== '0';
  if (preset === 'custom') {
    let from = query.get('from') ?? '';
    let to = query.get('to') ?? '';
    if (DAY.test(from) && DAY.test(to)) {
      if (from > to) [from, to] = [to, from];
      return { preset, from, to, compare, granularity: granularityFor(from, to) };
    }
  }
  const fallback = preset === 'custom' ? DEFAULT_PRESET : preset;
  const { from, to } = presetRange(fallback, today);
  return { preset: fallback, from, to, compare, granularity: granularityFor(from, to) };
}

/** The same number of days just before the range: what deltas are measured against. */
export function previousPeriod(from: string, to: string): { from: string; to: string } {
  const days = daysBetween(from, to);
  return { from: addDays(from, -days), to: addDays(from, -1) };
}
