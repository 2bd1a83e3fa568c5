/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week), always evaluated in UTC.
 * Supported: `*`, numbers, lists (`1,15`), ranges (`1-5`), steps (`*\/10`, `5-30/5`, `5/15`), month names
 * (JAN–DEC), day names (SUN–SAT, 0 or 7 = Sunday), and the macros @hourly, @daily/@midnight, @weekly,
 * @monthly, @yearly/@annually. Day-of-month and day-of-week follow Vixie cron: when both are restricted a day
 * matches if either does; a field starting with `*` counts as unrestricted.
 *
 * A slot is a minute (epoch ms, seconds and ms zero) the expression matches. The cron module uses slots as the
 * identity of a run, so `previousSlot` must be exact: it is property-tested against a brute-force scan.
 */

export interface CronExpression {
  /** The expression as written (macros expanded), e.g. `0 3 * * *`. */
  readonly source: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  /** 1–12. */
  readonly months: ReadonlySet<number>;
  /** 0–6, Sunday = 0. */
  readonly daysOfWeek: ReadonlySet<number>;
  /**
   * Whether the day-of-month / day-of-week field was written starting with `*`. When neither was, a day matches
   * if either field does (Vixie cron); otherwise both must (one of them usually being all days).
   */
  readonly isDayOfMonthStar: boolean;
  readonly isDayOfWeekStar: boolean;
}

export class CronExpressionError extends Error {
  constructor(
    readonly expression: string,
    reason: string,
  ) {
    super(`invalid cron expression "${expression}": ${reason}`);
    this.name = 'CronExpressionError';
  }
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/**
 * Search horizon. Feb 29 recurs within 8 years (2096 → 2104), but with a `*`-prefixed day of month the day and
 * the weekday must both match (Vixie cron's rule), and a date falls on a given weekday only every 6 to 12 years
 * (a Saturday that is the 1st, 8th, …, 29th of March: 2014, then 2025). Fifty years is far beyond both.
 */
const SEARCH_HORIZON_MS = 50 * 366 * DAY_MS;

const MACROS: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Name → value, e.g. `jan` → 1. */
  readonly names?: ReadonlyMap<string, number>;
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: new Map(MONTH_NAMES.map((n, i) => [n, i + 1])) },
  // 7 is accepted as Sunday and folded to 0 after parsing.
  { name: 'day of week', min: 0, max: 7, names: new Map(DAY_NAMES.map((n, i) => [n, i])) },
];

/** Longest days per month, Feb counting its leap day, to refuse expressions like `0 0 30 2 *` that never fire. */
const MAX_DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function parseValue(expression: string, spec: FieldSpec, text: string): number {
  const named = spec.names?.get(text.toLowerCase());
  if (named !== undefined) return named;
  if (!/^\d{1,2}$/.test(text))
    throw new CronExpressionError(expression, `"${text}" is not a valid ${spec.name}`);
  const value = Number(text);
  if (value < spec.min || value > spec.max) {
    throw new CronExpressionError(expression, `${spec.name} ${value} is outside ${spec.min}-${spec.max}`);
  }
  return value;
}

function parseField(expression: string, spec: FieldSpec, text: string): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw new CronExpressionError(expression, `empty list item in the ${spec.name} field`);
    const [rangeText, stepText, extra] = item.split('/');
    if (extra !== undefined || rangeText === undefined || rangeText === '') {
      throw new CronExpressionError(expression, `"${item}" is not a valid ${spec.name}`);
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d{1,2}$/.test(stepText) || Number(stepText) === 0) {
        throw new CronExpressionError(
          expression,
          `step "${stepText}" in the ${spec.name} field must be 1-99`,
        );
      }
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (rangeText === '*') {
      from = spec.min;
      to = spec.max;
    } else if (rangeText.includes('-')) {
      const [fromText, toText, more] = rangeText.split('-');
      if (more !== undefined || fromText === undefined || toText === undefined) {
        throw new CronExpressionError(expression, `"${rangeText}" is not a valid range`);
      }
      from = parseValue(expression, spec, fromText);
      to = parseValue(expression, spec, toText);
      if (from > to) throw new CronExpressionError(expression, `range "${rangeText}" runs backwards`);
    } else {
      from = parseValue(expression, spec, rangeText);
      // `5/15` means "from 5 to the end, every 15"; a bare `5` is just 5.
      to = stepText !== undefined ? spec.max : from;
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

/** Parses an expression; throws CronExpressionError (a programming error: schedules are written in code). */
export function parseCronExpression(text: string): CronExpression {
  const trimmed = text.trim();
  const source = MACROS[trimmed.toLowerCase()] ?? trimmed;
  const parts = source.split(/\s+/);
  if (parts.length !== 5) throw new CronExpressionError(text, `expected 5 fields, got ${parts.length}`);
  const [minuteText, hourText, domText, monthText, dowText] = parts as [
    string,
    string,
    string,
    string,
    string,
  ];
  const [minuteSpec, hourSpec, domSpec, monthSpec, dowSpec] = FIELDS as [
    FieldSpec,
    FieldSpec,
    FieldSpec,
    FieldSpec,
    FieldSpec,
  ];
  const daysOfWeek = parseField(text, dowSpec, dowText);
  if (daysOfWeek.delete(7)) daysOfWeek.add(0);
  const expression: CronExpression = {
    source,
    minutes: parseField(text, minuteSpec, minuteText),
    hours: parseField(text, hourSpec, hourText),
    daysOfMonth: parseField(text, domSpec, domText),
    months: parseField(text, monthSpec, monthText),
    daysOfWeek,
    isDayOfMonthStar: domText.startsWith('*'),
    isDayOfWeekStar: dowText.startsWith('*'),
  };
  // Unless day-of-week alone can make a day match, some chosen month must have one of the chosen days.
  if (expression.isDayOfMonthStar || expression.isDayOfWeekStar) {
    const minDay = Math.min(...expression.daysOfMonth);
    const canFire = [...expression.months].some((month) => minDay <= (MAX_DAYS_IN_MONTH[month - 1] ?? 0));
    if (!canFire) throw new CronExpressionError(text, 'no chosen month has the chosen day of month');
  }
  return expression;
}

function toExpression(expression: CronExpression | string): CronExpression {
  return typeof expression === 'string' ? parseCronExpression(expression) : expression;
}

function isDayMatch(expression: CronExpression, date: Date): boolean {
  const domMatch = expression.daysOfMonth.has(date.getUTCDate());
  const dowMatch = expression.daysOfWeek.has(date.getUTCDay());
  if (expression.isDayOfMonthStar || expression.isDayOfWeekStar) return domMatch && dowMatch;
  return domMatch || dowMatch;
}

/** The largest member of `values` that is ≤ `limit`, or undefined. */
function largestAtMost(values: ReadonlySet<number>, limit: number): number | undefined {
  let best: number | undefined;
  for (const value of values) if (value <= limit && (best === undefined || value > best)) best = value;
  return best;
}

/**
 * The latest slot ≤ `atMs` (UTC), or null when none lies within fifty years (cannot happen for an expression
 * `parseCronExpression` accepted, short of the year 1970).
 */
export function previousSlot(expression: CronExpression | string, atMs: number): number | null {
  const expr = toExpression(expression);
  let t = Math.floor(atMs / MINUTE_MS) * MINUTE_MS;
  const stopMs = atMs - SEARCH_HORIZON_MS;
  while (t >= stopMs) {
    const date = new Date(t);
    const month = date.getUTCMonth() + 1;
    if (!expr.months.has(month)) {
      // Last minute of the previous month.
      t = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) - MINUTE_MS;
      continue;
    }
    if (!isDayMatch(expr, date)) {
      t = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()) - MINUTE_MS;
      continue;
    }
    const hour = largestAtMost(expr.hours, date.getUTCHours());
    if (hour === undefined) {
      t = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()) - MINUTE_MS;
      continue;
    }
    const dayStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
    if (hour < date.getUTCHours()) {
      // An earlier hour of the same day: its last minute, then pick the minute below.
      t = dayStart + hour * HOUR_MS + 59 * MINUTE_MS;
      continue;
    }
    const minute = largestAtMost(expr.minutes, date.getUTCMinutes());
    if (minute === undefined) {
      t = dayStart + hour * HOUR_MS - MINUTE_MS;
      continue;
    }
    return dayStart + hour * HOUR_MS + minute * MINUTE_MS;
  }
  return null;
}

/** Whether `slotMs` is itself a slot: a whole minute the expression matches. */
export function isAligned(expression: CronExpression | string, slotMs: number): boolean {
  if (!Number.isSafeInteger(slotMs) || slotMs % MINUTE_MS !== 0) return false;
  const expr = toExpression(expression);
  const date = new Date(slotMs);
  return (
    expr.minutes.has(date.getUTCMinutes()) &&
    expr.hours.has(date.getUTCHours()) &&
    expr.months.has(date.getUTCMonth() + 1) &&
    isDayMatch(expr, date)
  );
}

/** Renders a value set compactly: `*` when it is the whole range, else ascending singles and `a-b` runs. */
export function renderFieldSet(
  values: ReadonlySet<number>,
  min: number,
  max: number,
  names?: string[],
): string {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === max - min + 1) return '*';
  const label = (value: number) => names?.[value] ?? String(value);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i] as number;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) {
      i++;
      end = sorted[i] as number;
    }
    if (end === start) parts.push(label(start));
    else if (end === start + 1) parts.push(label(start), label(end));
    else parts.push(`${label(start)}-${label(end)}`);
    i++;
  }
  return parts.join(',');
}

const AWS_DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/**
 * The expression as AWS EventBridge `cron(min hour dom month dow year)` strings (UTC). AWS requires `?` in
 * one of the two day fields, so an expression restricting both with "either matches" becomes two schedules
 * whose union fires at exactly the same minutes. The rare "both must match" with two partial day fields
 * (`0 3 *\/2 * MON`) has no AWS form; we emit the day-of-month schedule, a superset. Supersets are safe: a call
 * without `?slot` runs the latest slot, so an extra call finds it done and is `skipped`.
 */
export function toAwsCronExpressions(expression: CronExpression | string): string[] {
  const expr = toExpression(expression);
  const minutes = renderFieldSet(expr.minutes, 0, 59);
  const hours = renderFieldSet(expr.hours, 0, 23);
  const months = renderFieldSet(expr.months, 1, 12);
  const dom = renderFieldSet(expr.daysOfMonth, 1, 31);
  const dow = renderFieldSet(expr.daysOfWeek, 0, 6, AWS_DAY_NAMES);
  const build = (dayOfMonth: string, dayOfWeek: string) =>
    `cron(${minutes} ${hours} ${dayOfMonth} ${months} ${dayOfWeek} *)`;
  if (!expr.isDayOfMonthStar && !expr.isDayOfWeekStar) return [build(dom, '?'), build('?', dow)];
  if (dom === '*' && dow !== '*') return [build('?', dow)];
  return [build(dom, '?')];
}
