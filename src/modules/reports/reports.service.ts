import type { Clock } from '../../platform/clock.js';
import { AppError, invalid, notFound } from '../../platform/errors.js';
import {
  CHECKOUT_FUNNEL,
  cartAbandonment,
  computeFunnel,
  type FunnelCounts,
  type FunnelEvent,
  type FunnelStep,
  median,
} from './funnel.js';
import {
  cartAbandonmentColumns,
  countFunnelColumns,
  type DecodedPart,
  FunnelColumnsBuilder,
} from './funnel-columns.js';
import {
  type Bucket,
  bucketsOf,
  DAY_MS,
  type DayRange,
  dayRange,
  formatDate,
  type Granularity,
  parseDate,
  previousRange,
  today,
} from './report-time.js';
import {
  hasSessionFilters,
  type OrderRow,
  type RawEvent,
  type ReportsRepository,
  type SessionFilters,
  type SessionRow,
} from './reports.repository.js';
import {
  addOrder,
  type DimensionName,
  NO_PRODUCT_ID,
  productRefsOf,
  RollupDeltas,
  SESSION_DIMENSIONS,
  type SessionDims,
  sessionKeyOf,
  visitorKeyOf,
} from './rollup-model.js';
import type { StoreSettingsLookup } from './rollup-writer.service.js';
import type { CurrencyRate, RollupsRepository } from './rollups.repository.js';

export interface ReportFilters extends SessionFilters {
  /** A product id: products and orders containing it, sessions that viewed or added it. */
  product?: string;
}

export interface ReportParams {
  from?: string;
  to?: string;
  compare?: 'none' | 'previous';
  compareFrom?: string;
  compareTo?: string;
  granularity?: Granularity;
  includeTestOrders?: boolean;
  limit?: number;
  filters?: ReportFilters;
}

/** The longest period a report covers, and the longest an hourly series may. */
export const MAX_RANGE_DAYS = 731;
export const MAX_HOURLY_RANGE_DAYS = 31;

interface Resolved {
  storeId: number;
  zone: string;
  currency: string;
  range: DayRange;
  compare: DayRange | null;
  granularity: Granularity;
  includeTest: boolean;
  limit: number;
  filters: ReportFilters;
}

export interface Totals {
  visitors: number;
  sessions: number;
  bounces: number;
  pageViews: number;
  durationMs: number;
  convertedSessions: number;
  orders: number;
  revenueE4: number;
  grossE4: number;
  refundsE4: number;
  unconvertedOrders: number;
}

const emptyTotals = (): Totals => ({
  visitors: 0,
  sessions: 0,
  bounces: 0,
  pageViews: 0,
  durationMs: 0,
  convertedSessions: 0,
  orders: 0,
  revenueE4: 0,
  grossE4: 0,
  refundsE4: 0,
  unconvertedOrders: 0,
});

// Ratios are reported to 4 decimals, money to the 1e-4 unit it is stored in, durations to 0.01 s.
export const ratio = (part: number, whole: number): number =>
  whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000;
export const money = (e4: number): number => e4 / 10_000;
export const perUnit = (e4: number, count: number): number =>
  count === 0 ? 0 : Math.round(e4 / count) / 10_000;
export const seconds = (ms: number, count: number): number =>
  count === 0 ? 0 : Math.round(ms / count / 10) / 100;
export const change = (value: number, previous: number | null): number | null =>
  previous === null || previous === 0 ? null : Math.round(((value - previous) / previous) * 10_000) / 10_000;

/** The overview's metrics from summed totals: the one definition of each rate and average. */
export function metricsOf(t: Totals) {
  return {
    visitors: t.visitors,
    sessions: t.sessions,
    pageViews: t.pageViews,
    bounceRate: ratio(t.bounces, t.sessions),
    avgSessionDurationS: seconds(t.durationMs, t.sessions),
    orders: t.orders,
    revenue: money(t.revenueE4),
    conversionRate: ratio(t.convertedSessions, t.sessions),
    aov: perUnit(t.revenueE4, t.orders),
  };
}

type Metrics = ReturnType<typeof metricsOf>;

function withComparison(current: Metrics, previous: Metrics | null) {
  const out = {} as Record<keyof Metrics, { value: number; previous: number | null; change: number | null }>;
  for (const key of Object.keys(current) as (keyof Metrics)[]) {
    const prev = previous === null ? null : previous[key];
    out[key] = { value: current[key], previous: prev, change: change(current[key], prev) };
  }
  return out;
}

function bucketIndexer(buckets: readonly Bucket[]): (ms: number) => number {
  return (ms) => {
    let low = 0;
    let high = buckets.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const bucket = buckets[mid] as Bucket;
      if (ms < bucket.startMs) high = mid - 1;
      else if (ms >= bucket.endMs) low = mid + 1;
      else return mid;
    }
    return -1;
  };
}

function dimensionOf(name: DimensionName) {
  const found = SESSION_DIMENSIONS.find((d) => d.name === name);
  if (!found) throw invalid('dimension', `Unknown dimension ${name}`);
  return found;
}

const orNull = (value: string): string | null => (value === '' ? null : value);

export type ReportsService = ReturnType<typeof createReportsService>;

/**
 * The reports. Without filters every figure comes from rollups: a few thousand rows for any period, however
 * many events. Filters are session-scoped (the landing's channel, campaign, device…, entry page) and read
 * the session and order rollups of the period; a product filter and funnels read raw events through the
 * event-name index.
 */
export function createReportsService(deps: {
  reports: ReportsRepository;
  rollups: RollupsRepository;
  storeSettings: StoreSettingsLookup;
  clock: Clock;
}) {
  const repo = deps.reports;

  async function resolve(storeId: number, params: ReportParams): Promise<Resolved> {
    const store = await deps.storeSettings(storeId);
    if (store === null) throw notFound('Store');
    // Rollups are keyed by the local days of the zone they were built in; until the rollups job has rebuilt
    // them after a zone change, reports speak that zone (and say so).
    const zone = (await deps.rollups.findZone(storeId)) ?? store.timeZone;
    const day = (text: string | undefined, field: string, fallback: number) => {
      if (text === undefined) return fallback;
      const parsed = parseDate(text);
      if (parsed === null) throw invalid(field, `${field} must be a date like 2026-03-08`);
      return parsed;
    };
    const todayDay = today(zone, deps.clock.nowMs());
    const toDay = day(params.to, 'to', todayDay);
    const fromDay = day(params.from, 'from', toDay - 6);
    if (fromDay > toDay) throw invalid('from', 'from must not be after to');
    if (toDay - fromDay + 1 > MAX_RANGE_DAYS)
      throw invalid('from', `A period spans at most ${MAX_RANGE_DAYS} days`);
    const granularity = params.granularity ?? 'day';
    if (granularity === 'hour' && toDay - fromDay + 1 > MAX_HOURLY_RANGE_DAYS) {
      throw invalid('granularity', `An hourly series spans at most ${MAX_HOURLY_RANGE_DAYS} days`);
    }
    const range = dayRange(zone, fromDay, toDay);
    let compare: DayRange | null = null;
    if (params.compareFrom !== undefined || params.compareTo !== undefined) {
      const cFrom = day(params.compareFrom, 'compareFrom', Number.NaN);
      const cTo = day(params.compareTo, 'compareTo', Number.NaN);
      if (Number.isNaN(cFrom) || Number.isNaN(cTo)) {
        throw invalid('compareFrom', 'compareFrom and compareTo go together');
      }
      if (cFrom > cTo) throw invalid('compareFrom', 'compareFrom must not be after compareTo');
      if (cTo - cFrom + 1 > MAX_RANGE_DAYS)
        throw invalid('compareFrom', `A period spans at most ${MAX_RANGE_DAYS} days`);
      compare = dayRange(zone, cFrom, cTo);
    } else if (params.compare === 'previous') {
      compare = previousRange(zone, range);
    }
    return {
      storeId,
      zone,
      currency: store.currency,
      range,
      compare,
      granularity,
      includeTest: params.includeTestOrders ?? false,
      limit: params.limit ?? 10,
      filters: params.filters ?? {},
    };
  }

  const isFiltered = (r: Resolved) => hasSessionFilters(r.filters) || r.filters.product !== undefined;

  const periodOf = (r: Resolved) => ({
    from: formatDate(r.range.fromDay),
    to: formatDate(r.range.toDay),
    timeZone: r.zone,
  });
  const comparePeriodOf = (r: Resolved) =>
    r.compare ? { from: formatDate(r.compare.fromDay), to: formatDate(r.compare.toDay) } : null;

  /** Session keys (hex) whose visitor viewed or added the product during the period (raw events). */
  async function productSessions(r: Resolved, range: DayRange, product: string): Promise<Set<string>> {
    const events = await repo.rawEvents(
      r.storeId,
      { events: ['Product Viewed', 'Product Added'], withProperties: true },
      range.fromMs,
      range.toMs + DAY_MS,
    );
    const keys = new Set<string>();
    for (const event of events) {
      const key = sessionKeyOf(event.anonymousId, event.userId, event.sessionId);
      if (key === null) continue;
      if (productRefsOf(parseProperties(event.properties)).some((ref) => ref.productId === product))
        keys.add(key);
    }
    return keys;
  }

  async function filteredSessions(r: Resolved, range: DayRange): Promise<SessionRow[]> {
    const rows = await repo.sessions(r.storeId, range.fromMs, range.toMs, r.filters);
    if (r.filters.product === undefined) return rows;
    const keys = await productSessions(r, range, r.filters.product);
    return rows.filter((row) => keys.has(row.sessionKey));
  }

  async function filteredOrders(r: Resolved, range: DayRange): Promise<OrderRow[]> {
    const rows = await repo.orders(r.storeId, range.fromMs, range.toMs, r.includeTest, r.filters);
    const product = r.filters.product;
    return product === undefined ? rows : rows.filter((row) => row.items.some((item) => item[0] === product));
  }

  function addSessionRow(t: Totals, s: SessionRow): void {
    t.sessions += 1;
    t.bounces += s.pageViews === 1 ? 1 : 0;
    t.pageViews += s.pageViews;
    t.durationMs += s.durationMs;
    t.convertedSessions += s.orderCount > 0 ? 1 : 0;
  }

  function addOrderRow(t: Totals, o: OrderRow): void {
    t.orders += 1;
    t.revenueE4 += o.netStoreE4 ?? 0;
    t.grossE4 += o.grossStoreE4 ?? 0;
    t.refundsE4 += o.refundedStoreE4 ?? 0;
    t.unconvertedOrders += o.rate === null ? 1 : 0;
  }

  /** Totals and series of a period: from rollups when unfiltered, from session and order rows otherwise. */
  async function trafficAndOrders(
    r: Resolved,
    range: DayRange,
    granularity: Granularity | null,
    withVisitors = true,
  ): Promise<{ totals: Totals; series: { bucket: Bucket; totals: Totals }[] }> {
    const buckets = granularity ? bucketsOf(r.zone, range, granularity) : [];
    const series = buckets.map((bucket) => ({ bucket, totals: emptyTotals() }));
    const indexOf = bucketIndexer(buckets);
    const totals = emptyTotals();
    const add = (target: Totals, source: Omit<Totals, 'visitors'>) => {
      target.sessions += source.sessions;
      target.bounces += source.bounces;
      target.pageViews += source.pageViews;
      target.durationMs += source.durationMs;
      target.convertedSessions += source.convertedSessions;
      target.orders += source.orders;
      target.revenueE4 += source.revenueE4;
      target.grossE4 += source.grossE4;
      target.refundsE4 += source.refundsE4;
      target.unconvertedOrders += source.unconvertedOrders;
    };

    if (!isFiltered(r)) {
      const hours = await repo.hourly(r.storeId, range.fromMs, range.toMs, r.includeTest);
      for (const hour of hours) {
        add(totals, hour);
        const index = indexOf(hour.hourMs);
        if (index >= 0) add((series[index] as { totals: Totals }).totals, hour);
      }
      if (!withVisitors) return { totals, series };
      totals.visitors = await repo.distinctVisitors(r.storeId, range.fromDay, range.toDay);
      if (granularity === 'hour') {
        const perHour = await repo.visitorsPerHour(r.storeId, range.fromMs, range.toMs);
        for (const entry of series) entry.totals.visitors = perHour.get(entry.bucket.startMs) ?? 0;
      } else if (granularity !== null) {
        const perDay = await repo.visitorsPerDay(r.storeId, range.fromDay, range.toDay);
        const repeats =
          granularity === 'week'
            ? await repo.visitorRepeatsWithinWeek(r.storeId, range.fromDay, range.toDay)
            : [];
        for (const entry of series) {
          let visitors = 0;
          for (let day = entry.bucket.fromDay; day <= entry.bucket.toDay; day++)
            visitors += perDay.get(day) ?? 0;
          // A visitor active twice in one week counts once: drop pairs whose previous day is in the bucket.
          for (const pair of repeats) {
            if (
              pair.day >= entry.bucket.fromDay &&
              pair.day <= entry.bucket.toDay &&
              pair.prevDay >= entry.bucket.fromDay
            ) {
              visitors -= pair.visitors;
            }
          }
          entry.totals.visitors = visitors;
        }
      }
      return { totals, series };
    }

    const sessions = await filteredSessions(r, range);
    const orders = await filteredOrders(r, range);
    const visitors = new Set<string>();
    const bucketVisitors = series.map(() => new Set<string>());
    for (const s of sessions) {
      addSessionRow(totals, s);
      visitors.add(s.visitorKey);
      const index = indexOf(s.startedAtMs);
      if (index >= 0) {
        addSessionRow((series[index] as { totals: Totals }).totals, s);
        bucketVisitors[index]?.add(s.visitorKey);
      }
    }
    for (const o of orders) {
      addOrderRow(totals, o);
      const index = indexOf(o.placedAtMs);
      if (index >= 0) addOrderRow((series[index] as { totals: Totals }).totals, o);
    }
    totals.visitors = visitors.size;
    series.forEach((entry, index) => {
      entry.totals.visitors = bucketVisitors[index]?.size ?? 0;
    });
    return { totals, series };
  }

  async function trafficBreakdown(r: Resolved, range: DayRange, dimension: DimensionName) {
    const dim = dimensionOf(dimension);
    if (!isFiltered(r)) {
      return repo.topDimension(r.storeId, dim.code, range.fromDay, range.toDay, r.limit);
    }
    const groups = new Map<string, { value: string } & Totals>();
    for (const s of await filteredSessions(r, range)) {
      const value = s.dims[dim.field as keyof SessionDims];
      let row = groups.get(value);
      if (!row) {
        row = { value, ...emptyTotals() };
        groups.set(value, row);
      }
      addSessionRow(row, s);
    }
    return [...groups.values()]
      .sort((a, b) => b.sessions - a.sessions || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
      .slice(0, r.limit);
  }

  async function pagesOf(r: Resolved, range: DayRange) {
    if (!isFiltered(r)) return repo.topPages(r.storeId, range.fromDay, range.toDay, r.limit);
    const sessions = await filteredSessions(r, range);
    const byKey = new Map(sessions.map((s) => [s.sessionKey, s]));
    const pages = new Map<string, { path: string; pageViews: number; entrances: number; bounces: number }>();
    const page = (path: string) => {
      let row = pages.get(path);
      if (!row) {
        row = { path, pageViews: 0, entrances: 0, bounces: 0 };
        pages.set(path, row);
      }
      return row;
    };
    for (const s of sessions) {
      const row = page(s.dims.landingPath);
      row.entrances += 1;
      row.bounces += s.pageViews === 1 ? 1 : 0;
    }
    // Page views of the matching sessions (which count in the period they started in, so read a day past it).
    const views = await repo.rawEvents(r.storeId, { pages: true }, range.fromMs, range.toMs + DAY_MS);
    for (const view of views) {
      const key = sessionKeyOf(view.anonymousId, view.userId, view.sessionId);
      if (key !== null && byKey.has(key)) page((view.path ?? '').slice(0, 1024)).pageViews += 1;
    }
    return [...pages.values()]
      .filter((row) => row.pageViews > 0 || row.entrances > 0)
      .sort((a, b) => b.pageViews - a.pageViews || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      .slice(0, r.limit);
  }

  interface ProductTotals {
    productId: string;
    name: string;
    views: number;
    adds: number;
    removals: number;
    checkouts: number;
    purchases: number;
    units: number;
    revenueE4: number;
  }

  async function productsOf(r: Resolved, range: DayRange): Promise<ProductTotals[]> {
    if (!hasSessionFilters(r.filters)) {
      return repo.products(r.storeId, range.fromDay, range.toDay, r.includeTest, r.filters.product);
    }
    const out = new Map<string, ProductTotals>();
    const product = (id: string, name: string) => {
      let row = out.get(id);
      if (!row) {
        row = {
          productId: id,
          name,
          views: 0,
          adds: 0,
          removals: 0,
          checkouts: 0,
          purchases: 0,
          units: 0,
          revenueE4: 0,
        };
        out.set(id, row);
      } else if (row.name === '' && name !== '') {
        row.name = name;
      }
      return row;
    };
    const counters: Record<string, 'views' | 'adds' | 'removals' | 'checkouts'> = {
      'Product Viewed': 'views',
      'Product Added': 'adds',
      'Product Removed': 'removals',
      'Checkout Started': 'checkouts',
    };
    const events = await repo.rawEvents(
      r.storeId,
      { events: Object.keys(counters), withProperties: true },
      range.fromMs,
      range.toMs,
    );
    const keys = new Set<string>();
    for (const event of events) {
      const key = sessionKeyOf(event.anonymousId, event.userId, event.sessionId);
      if (key) keys.add(key);
    }
    const sessions = await repo.sessionsByKeys(r.storeId, [...keys]);
    const matches = (s: SessionRow | undefined) => s !== undefined && sessionMatches(s.dims, r.filters);
    for (const event of events) {
      const key = sessionKeyOf(event.anonymousId, event.userId, event.sessionId);
      if (key === null || !matches(sessions.get(key))) continue;
      const counter = counters[event.event ?? ''];
      if (counter === undefined) continue;
      for (const ref of productRefsOf(parseProperties(event.properties)))
        product(ref.productId, ref.name)[counter] += 1;
    }
    const deltas = new RollupDeltas();
    for (const order of await filteredOrders(
      { ...r, filters: { ...r.filters, product: undefined } },
      range,
    )) {
      addOrder(
        deltas,
        {
          ...order,
          status: 'completed',
          isCounted: true,
          grossE4: 0,
          refundedE4: 0,
          visitorKey: null,
          prevOrderMs: null,
          nextOrderMs: null,
        },
        1,
      );
    }
    for (const row of deltas.products.values()) {
      const target = product(row.productId, row.name);
      target.purchases += row.purchases;
      target.units += row.units;
      target.revenueE4 += row.revenueE4;
    }
    const only = r.filters.product;
    return [...out.values()].filter((row) => only === undefined || row.productId === only);
  }

  /**
   * A funnel of plain event steps (and its cart abandonment), from the funnel index: each step's rows read
   * packed, in parts, and counted over typed arrays (funnel-columns.ts).
   */
  async function indexedFunnel(
    r: Resolved,
    steps: readonly FunnelStep[],
    windowMs: number,
    isCheckout: boolean,
  ) {
    const names = [...new Set(steps.map((step) => step.event as string))];
    if (isCheckout) {
      for (const name of ['Product Added', 'Order Completed']) if (!names.includes(name)) names.push(name);
    }
    const first = steps[0]?.event as string;
    // Step 1's entries count only inside the period; later steps may follow within the window after it, and
    // cart abandonment looks at adds and orders beyond it too.
    const onlyFirst =
      steps.slice(1).every((step) => step.event !== first) &&
      !(isCheckout && (first === 'Product Added' || first === 'Order Completed'));
    // Each name is read in parts of about FUNNEL_READ_ROWS rows (a part's span doubles or halves after each
    // read), three reads in flight: the database works on a part while this process decodes the one before,
    // and each part's rows are garbage before long (a month of rows held at once cost more in garbage
    // collection than the reading; a read per hour of a rare event cost more in round trips).
    const cursors = names.map((name, index) => ({
      name: index,
      fromMs: r.range.fromMs,
      toMs: name === first && onlyFirst ? r.range.toMs : r.range.toMs + windowMs,
      spanMs: 6 * 3_600_000,
      parts: [] as { fromMs: number; part: DecodedPart }[],
    }));
    const builder = new FunnelColumnsBuilder();
    let turn = 0;
    let failed = false;
    const reader = async () => {
      while (!failed) {
        const open = cursors.filter((cursor) => cursor.fromMs < cursor.toMs);
        const cursor = open[turn++ % Math.max(1, open.length)];
        if (cursor === undefined) return;
        const fromMs = cursor.fromMs;
        const toMs = Math.min(cursor.toMs, fromMs + cursor.spanMs);
        cursor.fromMs = toMs;
        let chunks: Awaited<ReturnType<typeof repo.funnelChunks>>;
        try {
          chunks = await repo.funnelChunks(r.storeId, names[cursor.name] as string, fromMs, toMs);
        } catch (error) {
          failed = true; // the other readers stop at their next part
          throw error;
        }
        const part = builder.decode(chunks);
        cursor.parts.push({ fromMs, part });
        const rows = part.timeMs.length;
        if (rows < FUNNEL_READ_ROWS / 2) cursor.spanMs *= 2;
        else if (rows > FUNNEL_READ_ROWS * 2) cursor.spanMs = Math.max(3_600_000, cursor.spanMs / 2);
      }
    };
    await Promise.all([reader(), reader(), reader()]);
    const columns = builder.build(
      cursors.map((cursor) => cursor.parts.sort((a, b) => a.fromMs - b.fromMs).map((p) => p.part)),
    );
    const stepNames = steps.map((step) => names.indexOf(step.event as string));
    const common = { columns, stepNames, windowMs, fromMs: r.range.fromMs, toMs: r.range.toMs };
    const abandonment = isCheckout
      ? cartAbandonmentColumns({
          columns,
          addName: names.indexOf('Product Added'),
          orderName: names.indexOf('Order Completed'),
          windowMs,
          fromMs: r.range.fromMs,
          toMs: r.range.toMs,
        })
      : null;
    return {
      byVisitor: { total: countFunnelColumns({ ...common, by: 'visitor' }), breakdown: new Map() },
      bySession: { total: countFunnelColumns({ ...common, by: 'session' }), breakdown: new Map() },
      abandonment,
    };
  }

  /** Any funnel, counted from the raw events (page steps, property filters, filters, breakdowns). */
  async function rawFunnel(
    r: Resolved,
    steps: readonly FunnelStep[],
    windowMs: number,
    isCheckout: boolean,
    breakdown: DimensionName | undefined,
  ) {
    const events = await rawFunnelEvents(r, steps, windowMs, isCheckout);
    let breakdownOf: ((entry: FunnelEvent) => string) | undefined;
    if (breakdown !== undefined) {
      const dim = dimensionOf(breakdown);
      const keys = new Set<string>();
      for (const event of events) {
        if (event.sessionKey !== null && event.timestampMs < r.range.toMs) keys.add(event.sessionKey);
      }
      const landings = await repo.sessionsByKeys(r.storeId, [...keys]);
      breakdownOf = (entry) =>
        (entry.sessionKey === null
          ? undefined
          : landings.get(entry.sessionKey)?.dims[dim.field as keyof SessionDims]) ?? '';
    }
    const common = { steps, events, windowMs, fromMs: r.range.fromMs, toMs: r.range.toMs };
    const abandonment = isCheckout
      ? cartAbandonment({
          adds: events.filter((e) => e.type === 'track' && e.event === 'Product Added'),
          orders: events.filter((e) => e.type === 'track' && e.event === 'Order Completed'),
          windowMs,
          fromMs: r.range.fromMs,
          toMs: r.range.toMs,
        })
      : null;
    return {
      byVisitor: computeFunnel({ ...common, by: 'visitor', ...(breakdownOf ? { breakdownOf } : {}) }),
      bySession: computeFunnel({ ...common, by: 'session', ...(breakdownOf ? { breakdownOf } : {}) }),
      abandonment,
    };
  }

  /** The raw events `rawFunnel` counts: the steps' events (with properties where a step filters on them). */
  async function rawFunnelEvents(
    r: Resolved,
    steps: readonly FunnelStep[],
    windowMs: number,
    isCheckout: boolean,
  ): Promise<FunnelEvent[]> {
    const names = [...new Set(steps.flatMap((step) => (step.event ? [step.event] : [])))];
    const withProperties = new Set<string>(isCheckout ? ['Product Added'] : []);
    for (const step of steps) if (step.event && step.properties) withProperties.add(step.event);
    const pagePaths = new Set(steps.flatMap((step) => (step.page !== undefined ? [step.page] : [])));
    const toMs = r.range.toMs + windowMs;
    const raw: RawEvent[] = [];
    const append = (rows: readonly RawEvent[]) => {
      for (const row of rows) raw.push(row);
    };
    const plain = names.filter((name) => !withProperties.has(name));
    const rich = names.filter((name) => withProperties.has(name));
    if (isCheckout && !rich.includes('Product Added')) rich.push('Product Added');
    if (plain.length > 0) append(await repo.rawEvents(r.storeId, { events: plain }, r.range.fromMs, toMs));
    if (rich.length > 0) {
      append(await repo.rawEvents(r.storeId, { events: rich, withProperties: true }, r.range.fromMs, toMs));
    }
    if (pagePaths.size > 0) {
      const pages = await repo.rawEvents(r.storeId, { pages: true }, r.range.fromMs, toMs);
      append(pages.filter((event) => pagePaths.has(event.path ?? '')));
    }
    raw.sort((a, b) => a.timestampMs - b.timestampMs || Buffer.compare(a.hash, b.hash));
    let events: FunnelEvent[] = [];
    for (const event of raw) {
      const visitorKey = visitorKeyOf(event.anonymousId, event.userId);
      if (visitorKey === null) continue;
      let parsed: Record<string, unknown> | null = null;
      events.push({
        timestampMs: event.timestampMs,
        hash: event.hash.subarray(0, 8).toString('hex'),
        type: event.type,
        event: event.event,
        path: event.path,
        visitorKey,
        sessionKey: sessionKeyOf(event.anonymousId, event.userId, event.sessionId),
        properties: () => {
          parsed ??= parseProperties(event.properties);
          return parsed;
        },
      });
    }
    if (hasSessionFilters(r.filters)) {
      const sessions = await repo.sessions(r.storeId, r.range.fromMs - DAY_MS, toMs, r.filters);
      const allowed = new Set(sessions.map((s) => s.sessionKey));
      events = events.filter((event) => event.sessionKey !== null && allowed.has(event.sessionKey));
    }
    return events;
  }

  return {
    resolve,

    async overview(storeId: number, params: ReportParams) {
      const r = await resolve(storeId, params);
      const current = await trafficAndOrders(r, r.range, r.granularity);
      const previous = r.compare ? await trafficAndOrders(r, r.compare, null) : null;
      return {
        period: periodOf(r),
        comparePeriod: comparePeriodOf(r),
        currency: r.currency,
        granularity: r.granularity,
        metrics: withComparison(metricsOf(current.totals), previous ? metricsOf(previous.totals) : null),
        unconvertedOrders: current.totals.unconvertedOrders,
        series: current.series.map(({ bucket, totals }) => ({
          bucket: bucket.key,
          visitors: totals.visitors,
          sessions: totals.sessions,
          pageViews: totals.pageViews,
          bounceRate: ratio(totals.bounces, totals.sessions),
          orders: totals.orders,
          revenue: money(totals.revenueE4),
          conversionRate: ratio(totals.convertedSessions, totals.sessions),
        })),
      };
    },

    async pages(storeId: number, params: ReportParams) {
      const r = await resolve(storeId, params);
      const rows = await pagesOf(r, r.range);
      const previous = r.compare
        ? new Map(
            (await pagesOf({ ...r, limit: 1_000_000 }, r.compare)).map((row) => [row.path, row.pageViews]),
          )
        : null;
      return {
        period: periodOf(r),
        comparePeriod: comparePeriodOf(r),
        items: rows.map((row) => ({
          path: row.path,
          pageViews: row.pageViews,
          entrances: row.entrances,
          bounceRate: ratio(row.bounces, row.entrances),
          previousPageViews: previous ? (previous.get(row.path) ?? 0) : null,
        })),
      };
    },

    async breakdown(storeId: number, params: ReportParams, dimension: DimensionName) {
      const r = await resolve(storeId, params);
      const rows = await trafficBreakdown(r, r.range, dimension);
      const previous = r.compare
        ? new Map(
            (await trafficBreakdown({ ...r, limit: 1_000_000 }, r.compare, dimension)).map((row) => [
              row.value,
              row.sessions,
            ]),
          )
        : null;
      return {
        period: periodOf(r),
        comparePeriod: comparePeriodOf(r),
        dimension,
        items: rows.map((row) => ({
          value: orNull(row.value),
          sessions: row.sessions,
          pageViews: row.pageViews,
          bounceRate: ratio(row.bounces, row.sessions),
          avgSessionDurationS: seconds(row.durationMs, row.sessions),
          conversions: row.convertedSessions,
          conversionRate: ratio(row.convertedSessions, row.sessions),
          previousSessions: previous ? (previous.get(row.value) ?? 0) : null,
        })),
      };
    },

    async ecommerce(storeId: number, params: ReportParams) {
      const r = await resolve(storeId, params);
      const summary = async (range: DayRange, granularity: Granularity | null) => {
        // The rollup reads are independent: they run side by side on the pool's connections.
        const [{ totals, series }, unfiltered] = await Promise.all([
          trafficAndOrders(r, range, granularity, false),
          isFiltered(r) ? null : repo.orderSummary(r.storeId, range, r.includeTest),
        ]);
        let byCurrency: {
          currency: string;
          orders: number;
          netE4: number;
          netStoreE4: number;
          unconverted: number;
        }[];
        let returningOrders = 0;
        let customers = 0;
        let repeatCustomers = 0;
        let couponOrders = 0;
        let discountE4 = 0;
        let coupons: { coupon: string; orders: number; discountE4: number; revenueE4: number }[];
        if (unfiltered !== null) {
          const s = unfiltered;
          const currencies = new Map<
            string,
            { currency: string; orders: number; netE4: number; netStoreE4: number; unconverted: number }
          >();
          const perCoupon = new Map<
            string,
            { coupon: string; orders: number; discountE4: number; revenueE4: number }
          >();
          for (const g of s.groups) {
            const c = currencies.get(g.currency) ?? {
              currency: g.currency,
              orders: 0,
              netE4: 0,
              netStoreE4: 0,
              unconverted: 0,
            };
            c.orders += g.orders;
            c.netE4 += g.netE4;
            c.netStoreE4 += g.netStoreE4;
            c.unconverted += g.unconverted;
            currencies.set(g.currency, c);
            returningOrders += g.returningOrders;
            discountE4 += g.discountE4;
            if (g.coupon !== '') {
              couponOrders += g.orders;
              const k = perCoupon.get(g.coupon) ?? {
                coupon: g.coupon,
                orders: 0,
                discountE4: 0,
                revenueE4: 0,
              };
              k.orders += g.orders;
              k.discountE4 += g.discountE4;
              k.revenueE4 += g.netStoreE4;
              perCoupon.set(g.coupon, k);
            }
          }
          byCurrency = [...currencies.values()];
          customers = s.customers;
          repeatCustomers = s.repeatCustomers;
          coupons = [...perCoupon.values()]
            .sort((a, b) => b.orders - a.orders || (a.coupon < b.coupon ? -1 : 1))
            .slice(0, r.limit);
        } else {
          const orders = await filteredOrders(r, range);
          const currencies = new Map<
            string,
            { currency: string; orders: number; netE4: number; netStoreE4: number; unconverted: number }
          >();
          const perCustomer = new Map<string, number>();
          const perCoupon = new Map<
            string,
            { coupon: string; orders: number; discountE4: number; revenueE4: number }
          >();
          for (const o of orders) {
            let c = currencies.get(o.currency);
            if (!c) {
              c = { currency: o.currency, orders: 0, netE4: 0, netStoreE4: 0, unconverted: 0 };
              currencies.set(o.currency, c);
            }
            c.orders += 1;
            c.netE4 += o.netE4;
            c.netStoreE4 += o.netStoreE4 ?? 0;
            c.unconverted += o.rate === null ? 1 : 0;
            returningOrders += o.isReturning ? 1 : 0;
            if (o.customerKey !== null)
              perCustomer.set(o.customerKey, (perCustomer.get(o.customerKey) ?? 0) + 1);
            discountE4 += o.discountStoreE4 ?? 0;
            if (o.coupon !== '') {
              couponOrders += 1;
              let k = perCoupon.get(o.coupon);
              if (!k) {
                k = { coupon: o.coupon, orders: 0, discountE4: 0, revenueE4: 0 };
                perCoupon.set(o.coupon, k);
              }
              k.orders += 1;
              k.discountE4 += o.discountStoreE4 ?? 0;
              k.revenueE4 += o.netStoreE4 ?? 0;
            }
          }
          byCurrency = [...currencies.values()];
          customers = perCustomer.size;
          repeatCustomers = [...perCustomer.values()].filter((count) => count > 1).length;
          coupons = [...perCoupon.values()]
            .sort((a, b) => b.orders - a.orders || (a.coupon < b.coupon ? -1 : 1))
            .slice(0, r.limit);
        }
        return {
          totals: {
            orders: totals.orders,
            revenue: money(totals.revenueE4),
            grossRevenue: money(totals.grossE4),
            refunds: money(totals.refundsE4),
            aov: perUnit(totals.revenueE4, totals.orders),
            unconvertedOrders: totals.unconvertedOrders,
            couponOrders,
            discounts: money(discountE4),
            customers,
            newCustomerOrders: totals.orders - returningOrders,
            returningCustomerOrders: returningOrders,
            repeatCustomers,
            repeatPurchaseRate: ratio(repeatCustomers, customers),
          },
          series: series.map(({ bucket, totals: t }) => ({
            bucket: bucket.key,
            orders: t.orders,
            revenue: money(t.revenueE4),
            refunds: money(t.refundsE4),
          })),
          byCurrency: byCurrency
            .sort((a, b) => b.orders - a.orders || (a.currency < b.currency ? -1 : 1))
            .map((c) => ({
              currency: c.currency,
              orders: c.orders,
              revenue: money(c.netE4),
              revenueConverted: money(c.netStoreE4),
              unconvertedOrders: c.unconverted,
            })),
          coupons: coupons.map((c) => ({
            coupon: c.coupon,
            orders: c.orders,
            discounts: money(c.discountE4),
            revenue: money(c.revenueE4),
          })),
        };
      };
      const [current, previous] = await Promise.all([
        summary(r.range, r.granularity),
        r.compare ? summary(r.compare, null) : null,
      ]);
      const totals = {} as Record<
        keyof typeof current.totals,
        { value: number; previous: number | null; change: number | null }
      >;
      for (const key of Object.keys(current.totals) as (keyof typeof current.totals)[]) {
        const prev = previous ? previous.totals[key] : null;
        totals[key] = {
          value: current.totals[key],
          previous: prev,
          change: change(current.totals[key], prev),
        };
      }
      return {
        period: periodOf(r),
        comparePeriod: comparePeriodOf(r),
        currency: r.currency,
        granularity: r.granularity,
        totals,
        series: current.series,
        byCurrency: current.byCurrency,
        coupons: current.coupons,
      };
    },

    async products(storeId: number, params: ReportParams, sort: ProductSort = 'revenue') {
      const r = await resolve(storeId, params);
      const rows = await productsOf(r, r.range);
      const previous = r.compare
        ? new Map((await productsOf(r, r.compare)).map((row) => [row.productId, row.revenueE4]))
        : null;
      const key = (row: ProductTotals): number => (sort === 'revenue' ? row.revenueE4 : row[sort]);
      rows.sort(
        (a, b) => key(b) - key(a) || (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0),
      );
      return {
        period: periodOf(r),
        comparePeriod: comparePeriodOf(r),
        currency: r.currency,
        totals: {
          purchases: rows.reduce((sum, row) => sum + row.purchases, 0),
          units: rows.reduce((sum, row) => sum + row.units, 0),
          revenue: money(rows.reduce((sum, row) => sum + row.revenueE4, 0)),
        },
        items: rows.slice(0, r.limit).map((row) => ({
          productId: row.productId === NO_PRODUCT_ID ? null : row.productId,
          name: row.productId === NO_PRODUCT_ID ? '(orders without line items)' : row.name,
          views: row.views,
          adds: row.adds,
          removals: row.removals,
          checkouts: row.checkouts,
          purchases: row.purchases,
          units: row.units,
          revenue: money(row.revenueE4),
          viewToPurchaseRate: ratio(row.purchases, row.views),
          previousRevenue: previous ? money(previous.get(row.productId) ?? 0) : null,
        })),
      };
    },

    async attribution(storeId: number, params: ReportParams, dimension: AttributionDimension = 'channel') {
      const r = await resolve(storeId, params);
      const compute = async (range: DayRange) => {
        const filtered = isFiltered(r);
        let orders = await repo.attributedOrders(
          r.storeId,
          range.fromMs,
          range.toMs,
          r.includeTest,
          dimension,
          filtered,
        );
        if (filtered) {
          const allowed = new Set((await filteredOrders(r, range)).map((o) => o.orderId));
          orders = orders.filter((o) => o.orderId !== null && allowed.has(o.orderId));
        }
        const groups = new Map<string, { value: string; first: [number, number]; last: [number, number] }>();
        const group = (value: string) => {
          let row = groups.get(value);
          if (!row) {
            row = { value, first: [0, 0], last: [0, 0] };
            groups.set(value, row);
          }
          return row;
        };
        for (const order of orders) {
          const first = group(order.first);
          first.first[0] += order.orders;
          first.first[1] += order.revenueE4;
          const last = group(order.last);
          last.last[0] += order.orders;
          last.last[1] += order.revenueE4;
        }
        return [...groups.values()];
      };
      const rows = (await compute(r.range)).sort(
        (a, b) => b.last[1] - a.last[1] || b.first[1] - a.first[1] || (a.value < b.value ? -1 : 1),
      );
      const previous = r.compare
        ? new Map((await compute(r.compare)).map((row) => [row.value, row.last[1]]))
        : null;
      return {
        period: periodOf(r),
        comparePeriod: comparePeriodOf(r),
        currency: r.currency,
        dimension,
        items: rows.slice(0, r.limit).map((row) => ({
          value: orNull(row.value),
          firstTouchOrders: row.first[0],
          firstTouchRevenue: money(row.first[1]),
          lastTouchOrders: row.last[0],
          lastTouchRevenue: money(row.last[1]),
          previousLastTouchRevenue: previous ? money(previous.get(row.value) ?? 0) : null,
        })),
      };
    },

    async funnel(
      storeId: number,
      params: ReportParams,
      options: { steps?: FunnelStep[]; windowMinutes?: number; breakdown?: DimensionName },
    ) {
      const r = await resolve(storeId, params);
      const steps = options.steps && options.steps.length > 0 ? options.steps : [...CHECKOUT_FUNNEL];
      if (steps.length < 2 || steps.length > 10) throw invalid('steps', 'A funnel has 2 to 10 steps');
      for (const [index, step] of steps.entries()) {
        if ((step.event === undefined) === (step.page === undefined)) {
          throw invalid(`steps.${index}`, 'A step names either an event or a page');
        }
      }
      const windowMs = (options.windowMinutes ?? 7 * 24 * 60) * 60_000;
      const names = [...new Set(steps.flatMap((step) => (step.event ? [step.event] : [])))];
      const isCheckout = names.includes('Product Added') && names.includes('Order Completed');
      const product = r.filters.product;
      const funnelSteps =
        product === undefined
          ? steps
          : steps.map((step) =>
              step.event ? { ...step, properties: { ...step.properties, product_id: product } } : step,
            );
      const isIndexed =
        !isFiltered(r) &&
        options.breakdown === undefined &&
        funnelSteps.every((step) => step.event !== undefined && step.properties === undefined);

      const counted = isIndexed
        ? await indexedFunnel(r, funnelSteps, windowMs, isCheckout)
        : await rawFunnel(r, funnelSteps, windowMs, isCheckout, options.breakdown);
      const { byVisitor, bySession } = counted;
      const describe = (visitors: FunnelCounts, sessions: FunnelCounts) =>
        funnelSteps.map((step, index) => ({
          step: index + 1,
          event: step.event ?? null,
          page: step.page ?? null,
          visitors: visitors.entities[index] ?? 0,
          sessions: sessions.entities[index] ?? 0,
          conversionRate:
            index === 0 ? 1 : ratio(visitors.entities[index] ?? 0, visitors.entities[index - 1] ?? 0),
          overallConversionRate: ratio(visitors.entities[index] ?? 0, visitors.entities[0] ?? 0),
          dropOff: index === 0 ? 0 : (visitors.entities[index - 1] ?? 0) - (visitors.entities[index] ?? 0),
          sessionConversionRate:
            index === 0 ? 1 : ratio(sessions.entities[index] ?? 0, sessions.entities[index - 1] ?? 0),
          medianMsFromPrevious: index === 0 ? null : median(visitors.stepTimesMs[index] ?? []),
        }));
      const abandonment =
        counted.abandonment === null
          ? null
          : { ...counted.abandonment, rate: ratio(counted.abandonment.abandoned, counted.abandonment.carts) };
      return {
        period: periodOf(r),
        windowMinutes: windowMs / 60_000,
        steps: describe(byVisitor.total, bySession.total),
        medianTimeToConvertMs: median(byVisitor.total.convertTimesMs),
        cartAbandonment: abandonment,
        breakdown:
          options.breakdown === undefined
            ? null
            : {
                dimension: options.breakdown,
                groups: [...byVisitor.breakdown.entries()]
                  .sort((a, b) => (b[1].entities[0] ?? 0) - (a[1].entities[0] ?? 0) || (a[0] < b[0] ? -1 : 1))
                  .slice(0, r.limit)
                  .map(([value, counts]) => ({
                    value: orNull(value),
                    steps: describe(counts, bySession.breakdown.get(value) ?? counts),
                    medianTimeToConvertMs: median(counts.convertTimesMs),
                  })),
              },
      };
    },

    async live(storeId: number, options: { minutes: number; limit: number }) {
      const store = await deps.storeSettings(storeId);
      if (store === null) throw notFound('Store');
      const nowMs = deps.clock.nowMs();
      const sinceMs = nowMs - options.minutes * 60_000;
      // Clocks drift: events stamped a little ahead of the server still belong to "now".
      const untilMs = nowMs + 5 * 60_000;
      const [counts, events] = await Promise.all([
        repo.liveCounts(storeId, sinceMs, untilMs),
        repo.recentEvents(storeId, sinceMs, untilMs, options.limit),
      ]);
      return { minutes: options.minutes, nowMs, counts, events };
    },

    /** Events newer than `sinceMs` (oldest first), for the live stream. */
    async liveSince(storeId: number, sinceMs: number, limit: number) {
      const nowMs = deps.clock.nowMs();
      const events = await repo.recentEvents(storeId, sinceMs, nowMs + 5 * 60_000, limit);
      return events.reverse();
    },

    async listRates(storeId: number): Promise<CurrencyRate[]> {
      return deps.rollups.listRates(storeId);
    },

    async putRates(storeId: number, rates: CurrencyRate[]): Promise<CurrencyRate[]> {
      const store = await deps.storeSettings(storeId);
      if (store === null) throw notFound('Store');
      for (const [index, rate] of rates.entries()) {
        if (!(rate.rate > 0) || !Number.isFinite(rate.rate))
          throw invalid(`rates.${index}.rate`, 'A rate is a positive number');
        if (rate.currency === store.currency) {
          throw new AppError('validation_failed', `${rate.currency} is the store's own currency (rate 1)`, {
            field: `rates.${index}.currency`,
          });
        }
      }
      await deps.rollups.putRates(storeId, rates, deps.clock.nowMs());
      return deps.rollups.listRates(storeId);
    },
  };
}

/** Rows a funnel reads per query: few enough to die young, enough to keep round trips rare. */
const FUNNEL_READ_ROWS = 20_000;

export type ProductSort = 'revenue' | 'views' | 'adds' | 'purchases' | 'units';
export type AttributionDimension = 'channel' | 'source' | 'medium' | 'campaign';

function parseProperties(text: string | null): Record<string, unknown> {
  if (text === null) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function sessionMatches(dims: SessionDims, filters: SessionFilters): boolean {
  const pairs: [string | undefined, string][] = [
    [filters.channel, dims.channel],
    [filters.referrerHost, dims.referrerHost],
    [filters.utmSource, dims.utmSource],
    [filters.utmMedium, dims.utmMedium],
    [filters.utmCampaign, dims.utmCampaign],
    [filters.device, dims.deviceType],
    [filters.browser, dims.browser],
    [filters.os, dims.os],
    [filters.country, dims.country],
    [filters.page, dims.landingPath],
  ];
  return pairs.every(([expected, actual]) => expected === undefined || expected === actual);
}
