import { type Kysely, sql } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import { type FunnelChunk, packFunnelRows } from './funnel-columns.js';
import type { DayRange } from './report-time.js';
import type { ReportSessionsTable, ReportsTables } from './reports.tables.js';
import type { OrderItem, SessionDims } from './rollup-model.js';

/** Session-scoped filters: attributes of a session's landing event. */
export interface SessionFilters {
  channel?: string;
  referrerHost?: string;
  utmSource?: string;
  utmMedium?: string;
  utmCampaign?: string;
  device?: string;
  browser?: string;
  os?: string;
  country?: string;
  /** Entry (landing) page path. */
  page?: string;
}

const SESSION_FILTER_COLUMNS = {
  channel: 'channel',
  referrerHost: 'referrer_host',
  utmSource: 'utm_source',
  utmMedium: 'utm_medium',
  utmCampaign: 'utm_campaign',
  device: 'device_type',
  browser: 'browser',
  os: 'os',
  country: 'country',
  page: 'landing_path',
} as const satisfies Record<keyof SessionFilters, string>;

export function hasSessionFilters(filters: SessionFilters): boolean {
  return Object.keys(SESSION_FILTER_COLUMNS).some(
    (name) => filters[name as keyof SessionFilters] !== undefined,
  );
}

export interface HourRow {
  hourMs: number;
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

export interface SessionRow {
  sessionKey: string;
  visitorKey: string;
  startedAtMs: number;
  startHourMs: number;
  startDay: number;
  pageViews: number;
  durationMs: number;
  orderCount: number;
  dims: SessionDims;
}

const SESSION_ROW_COLUMNS = [
  'session_key',
  'visitor_key',
  'started_at_ms',
  'ended_at_ms',
  'start_hour_ms',
  'start_day',
  'page_views',
  'order_count',
  'channel',
  'referrer_host',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'device_type',
  'browser',
  'os',
  'country',
  'landing_path',
] as const;

function toSessionRow(row: Pick<ReportSessionsTable, (typeof SESSION_ROW_COLUMNS)[number]>): SessionRow {
  return {
    sessionKey: row.session_key.toString('hex'),
    visitorKey: row.visitor_key.toString('hex'),
    startedAtMs: n(row.started_at_ms),
    startHourMs: n(row.start_hour_ms),
    startDay: n(row.start_day),
    pageViews: n(row.page_views),
    durationMs: n(row.ended_at_ms) - n(row.started_at_ms),
    orderCount: n(row.order_count),
    dims: {
      channel: row.channel,
      referrerHost: row.referrer_host,
      utmSource: row.utm_source,
      utmMedium: row.utm_medium,
      utmCampaign: row.utm_campaign,
      deviceType: row.device_type,
      browser: row.browser,
      os: row.os,
      country: row.country,
      landingPath: row.landing_path,
    },
  };
}

export interface TrafficRow {
  value: string;
  sessions: number;
  bounces: number;
  pageViews: number;
  durationMs: number;
  convertedSessions: number;
}

export interface PageRow {
  path: string;
  pageViews: number;
  entrances: number;
  bounces: number;
}

export interface ProductRow {
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

export interface OrderRow {
  orderId: string;
  placedAtMs: number;
  hourMs: number;
  day: number;
  isTest: boolean;
  isReturning: boolean;
  currency: string;
  rate: number | null;
  netE4: number;
  grossStoreE4: number | null;
  refundedStoreE4: number | null;
  netStoreE4: number | null;
  discountStoreE4: number | null;
  coupon: string;
  units: number;
  items: OrderItem[];
  sessionKey: string | null;
  customerKey: string | null;
}

/** A raw event as drill-downs (funnels, live, filtered pages and products) read it. */
export interface RawEvent {
  hash: Buffer;
  type: string;
  event: string | null;
  name: string | null;
  timestampMs: number;
  anonymousId: string | null;
  userId: string | null;
  sessionId: string | null;
  path: string | null;
  title: string | null;
  referrerHost: string | null;
  channel: string | null;
  deviceType: string | null;
  browser: string | null;
  os: string | null;
  country: string | null;
  orderId: string | null;
  revenue: number | null;
  currency: string | null;
  properties: string | null;
}

const n = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));
/** The packed funnel rows' "none" for a missing session or cart key. */
const NO_KEY = Buffer.alloc(8);
const hexOf = (value: Buffer | null): string | null => (value === null ? null : value.toString('hex'));

export type ReportsRepository = ReturnType<typeof createReportsRepository>;

/**
 * The reads behind the reports: rollups for unfiltered periods (a few thousand rows however many events),
 * the session and order rollups for filtered ones, raw events (through the `(store_id, event,
 * timestamp_ms)` and `(store_id, timestamp_ms)` indexes) for funnels, live and event-level drill-downs.
 */
export function createReportsRepository(database: Database) {
  const db = (): Kysely<ReportsTables> => database.typed<ReportsTables>();
  const testFlags = (includeTest: boolean) => (includeTest ? [0, 1] : [0]);

  function applySessionFilters<QB extends { where: (...args: never[]) => QB }>(
    query: QB,
    filters: SessionFilters,
    table: 'report_sessions' | 's',
  ): QB {
    let q = query;
    for (const [name, column] of Object.entries(SESSION_FILTER_COLUMNS)) {
      const value = filters[name as keyof SessionFilters];
      if (value === undefined) continue;
      const where = q.where as unknown as (ref: string, op: string, value: string) => QB;
      q = where.call(q, `${table}.${column}`, '=', value);
    }
    return q;
  }

  return {
    async hourly(storeId: number, fromMs: number, toMs: number, includeTest: boolean): Promise<HourRow[]> {
      const rows = await db()
        .selectFrom('report_hourly')
        .select((eb) => [
          'hour_ms',
          eb.fn.sum<number>('sessions').as('sessions'),
          eb.fn.sum<number>('bounces').as('bounces'),
          eb.fn.sum<number>('page_views').as('page_views'),
          eb.fn.sum<number>('duration_ms').as('duration_ms'),
          eb.fn.sum<number>('converted_sessions').as('converted_sessions'),
          eb.fn.sum<number>('orders').as('orders'),
          eb.fn.sum<number>('revenue_e4').as('revenue_e4'),
          eb.fn.sum<number>('gross_e4').as('gross_e4'),
          eb.fn.sum<number>('refunds_e4').as('refunds_e4'),
          eb.fn.sum<number>('unconverted_orders').as('unconverted_orders'),
        ])
        .where('store_id', '=', storeId)
        .where('hour_ms', '>=', fromMs)
        .where('hour_ms', '<', toMs)
        .where('is_test', 'in', testFlags(includeTest))
        .groupBy('hour_ms')
        .execute();
      return rows.map((row) => ({
        hourMs: n(row.hour_ms),
        sessions: n(row.sessions),
        bounces: n(row.bounces),
        pageViews: n(row.page_views),
        durationMs: n(row.duration_ms),
        convertedSessions: n(row.converted_sessions),
        orders: n(row.orders),
        revenueE4: n(row.revenue_e4),
        grossE4: n(row.gross_e4),
        refundsE4: n(row.refunds_e4),
        unconvertedOrders: n(row.unconverted_orders),
      }));
    },

    /** Distinct visitors active in [fromDay, toDay]: those whose previous active day is before the period. */
    async distinctVisitors(storeId: number, fromDay: number, toDay: number): Promise<number> {
      const row = await db()
        .selectFrom('report_visitor_pairs')
        .select((eb) => eb.fn.sum<number>('visitors').as('visitors'))
        .where('store_id', '=', storeId)
        .where('day', '>=', fromDay)
        .where('day', '<=', toDay)
        .where('prev_day', '<', fromDay)
        .executeTakeFirst();
      return n(row?.visitors);
    },

    /** Visitors per day (a visitor counts once per active day). */
    async visitorsPerDay(storeId: number, fromDay: number, toDay: number): Promise<Map<number, number>> {
      const rows = await db()
        .selectFrom('report_visitor_pairs')
        .select((eb) => ['day', eb.fn.sum<number>('visitors').as('visitors')])
        .where('store_id', '=', storeId)
        .where('day', '>=', fromDay)
        .where('day', '<=', toDay)
        .groupBy('day')
        .execute();
      return new Map(rows.map((row) => [n(row.day), n(row.visitors)]));
    },

    /** Pairs less than a week apart inside the period: what a weekly series subtracts from daily counts. */
    async visitorRepeatsWithinWeek(
      storeId: number,
      fromDay: number,
      toDay: number,
    ): Promise<{ day: number; prevDay: number; visitors: number }[]> {
      const rows = await db()
        .selectFrom('report_visitor_pairs')
        .select(['day', 'prev_day', 'visitors'])
        .where('store_id', '=', storeId)
        .where('day', '>=', fromDay)
        .where('day', '<=', toDay)
        .where('prev_day', '>=', fromDay)
        .where(sql<boolean>`${sql.ref('day')} - ${sql.ref('prev_day')} <= 6`)
        .execute();
      return rows.map((row) => ({ day: n(row.day), prevDay: n(row.prev_day), visitors: n(row.visitors) }));
    },

    /** Distinct visitors per local hour (hourly series), from the session rollup. */
    async visitorsPerHour(storeId: number, fromMs: number, toMs: number): Promise<Map<number, number>> {
      const rows = await db()
        .selectFrom('report_sessions')
        .select((eb) => ['start_hour_ms', eb.fn.count<number>('visitor_key').distinct().as('visitors')])
        .where('store_id', '=', storeId)
        .where('started_at_ms', '>=', fromMs)
        .where('started_at_ms', '<', toMs)
        .groupBy('start_hour_ms')
        .execute();
      return new Map(rows.map((row) => [n(row.start_hour_ms), n(row.visitors)]));
    },

    /** Sessions started in a period that match session filters (filtered reports). */
    async sessions(
      storeId: number,
      fromMs: number,
      toMs: number,
      filters: SessionFilters,
    ): Promise<SessionRow[]> {
      let query = db()
        .selectFrom('report_sessions')
        .select(SESSION_ROW_COLUMNS)
        .where('report_sessions.store_id', '=', storeId)
        .where('report_sessions.started_at_ms', '>=', fromMs)
        .where('report_sessions.started_at_ms', '<', toMs);
      query = applySessionFilters(query, filters, 'report_sessions');
      return (await query.execute()).map(toSessionRow);
    },

    async sessionsByKeys(storeId: number, keys: readonly string[]): Promise<Map<string, SessionRow>> {
      const out = new Map<string, SessionRow>();
      for (let i = 0; i < keys.length; i += 500) {
        const part = keys.slice(i, i + 500).map((key) => Buffer.from(key, 'hex'));
        const rows = await db()
          .selectFrom('report_sessions')
          .select(SESSION_ROW_COLUMNS)
          .where('store_id', '=', storeId)
          .where('session_key', 'in', part)
          .execute();
        for (const row of rows) out.set(row.session_key.toString('hex'), toSessionRow(row));
      }
      return out;
    },

    /** Dimension codes → their top values by sessions, from the daily dimension rollup. */
    async topDimension(
      storeId: number,
      dim: number,
      fromDay: number,
      toDay: number,
      limit: number,
    ): Promise<TrafficRow[]> {
      const rows = await db()
        .selectFrom('report_daily_dims')
        .select((eb) => [
          'value',
          eb.fn.sum<number>('sessions').as('sessions'),
          eb.fn.sum<number>('bounces').as('bounces'),
          eb.fn.sum<number>('page_views').as('page_views'),
          eb.fn.sum<number>('duration_ms').as('duration_ms'),
          eb.fn.sum<number>('converted_sessions').as('converted_sessions'),
        ])
        .where('store_id', '=', storeId)
        .where('day', '>=', fromDay)
        .where('day', '<=', toDay)
        .where('dim', '=', dim)
        .groupBy('value')
        .having((eb) => eb.fn.sum('sessions'), '>', 0)
        .orderBy('sessions', 'desc')
        .orderBy('value')
        .limit(limit)
        .execute();
      return rows.map((row) => ({
        value: row.value,
        sessions: n(row.sessions),
        bounces: n(row.bounces),
        pageViews: n(row.page_views),
        durationMs: n(row.duration_ms),
        convertedSessions: n(row.converted_sessions),
      }));
    },

    async topPages(storeId: number, fromDay: number, toDay: number, limit: number, path?: string) {
      let query = db()
        .selectFrom('report_daily_pages')
        .select((eb) => [
          eb.fn.min('path').as('path'),
          eb.fn.sum<number>('page_views').as('page_views'),
          eb.fn.sum<number>('entrances').as('entrances'),
          eb.fn.sum<number>('bounces').as('bounces'),
        ])
        .where('store_id', '=', storeId)
        .where('day', '>=', fromDay)
        .where('day', '<=', toDay);
      if (path !== undefined) query = query.where('path', '=', path);
      const rows = await query
        .groupBy('path_hash')
        .having((eb) => eb.or([eb(eb.fn.sum('page_views'), '>', 0), eb(eb.fn.sum('entrances'), '>', 0)]))
        .orderBy('page_views', 'desc')
        .orderBy('path')
        .limit(limit)
        .execute();
      return rows.map(
        (row): PageRow => ({
          path: String(row.path),
          pageViews: n(row.page_views),
          entrances: n(row.entrances),
          bounces: n(row.bounces),
        }),
      );
    },

    async products(
      storeId: number,
      fromDay: number,
      toDay: number,
      includeTest: boolean,
      productId?: string,
    ): Promise<ProductRow[]> {
      let query = db()
        .selectFrom('report_daily_products')
        .select((eb) => [
          'product_id',
          eb.fn.max('name').as('name'),
          eb.fn.sum<number>('views').as('views'),
          eb.fn.sum<number>('adds').as('adds'),
          eb.fn.sum<number>('removals').as('removals'),
          eb.fn.sum<number>('checkouts').as('checkouts'),
          eb.fn.sum<number>('purchases').as('purchases'),
          eb.fn.sum<number>('units').as('units'),
          eb.fn.sum<number>('revenue_e4').as('revenue_e4'),
        ])
        .where('store_id', '=', storeId)
        .where('day', '>=', fromDay)
        .where('day', '<=', toDay)
        .where('is_test', 'in', testFlags(includeTest));
      if (productId !== undefined) query = query.where('product_id', '=', productId);
      const rows = await query.groupBy('product_id').execute();
      return rows.map((row) => ({
        productId: row.product_id,
        name: String(row.name ?? ''),
        views: n(row.views),
        adds: n(row.adds),
        removals: n(row.removals),
        checkouts: n(row.checkouts),
        purchases: n(row.purchases),
        units: n(row.units),
        revenueE4: n(row.revenue_e4),
      }));
    },

    /**
     * A period's counted orders by currency and coupon, and its customers and repeat customers, from the daily
     * order rollups (refreshOrderDays): a customer per order whose customer's previous order is before the
     * period, a repeat customer per such order whose next order is inside it. With test orders included
     * (they are not in the chain) customers are counted per customer over the orders themselves.
     */
    async orderSummary(storeId: number, range: DayRange, includeTest: boolean) {
      const groupsQuery = db()
        .selectFrom('report_daily_orders')
        .where('store_id', '=', storeId)
        .where('day', '>=', range.fromDay)
        .where('day', '<=', range.toDay)
        .where('is_test', 'in', testFlags(includeTest))
        .select((eb) => [
          'currency',
          'coupon',
          eb.fn.sum<number>('orders').as('orders'),
          eb.fn.sum<number>('net_e4').as('net_e4'),
          eb.fn.sum<number>('net_store_e4').as('net_store_e4'),
          eb.fn.sum<number>('unconverted').as('unconverted'),
          eb.fn.sum<number>('returning_orders').as('returning_orders'),
          eb.fn.sum<number>('discount_store_e4').as('discount_e4'),
        ])
        .groupBy(['currency', 'coupon'])
        .execute();
      const customersQuery = includeTest
        ? db()
            .selectFrom(
              db()
                .selectFrom('report_orders')
                .where('store_id', '=', storeId)
                .where('placed_at_ms', '>=', range.fromMs)
                .where('placed_at_ms', '<', range.toMs)
                .where('is_counted', '=', 1)
                .where('customer_key', 'is not', null)
                .select((eb) => ['customer_key', eb.fn.countAll<number>().as('n')])
                .groupBy('customer_key')
                .as('c'),
            )
            .select((eb) => [
              eb.fn.countAll<number>().as('customers'),
              eb.fn.sum<number>(sql`case when ${sql.ref('c.n')} > 1 then 1 else 0 end`).as('repeaters'),
            ])
            .executeTakeFirst()
        : db()
            .selectFrom('report_daily_customers')
            .where('store_id', '=', storeId)
            .where('day', '>=', range.fromDay)
            .where('day', '<=', range.toDay)
            .where('prev_order_ms', '<', range.fromMs)
            .select((eb) => [
              eb.fn.sum<number>('orders').as('customers'),
              eb.fn
                .sum<number>(
                  sql`case when ${sql.ref('next_order_ms')} < ${range.toMs} then ${sql.ref('orders')} else 0 end`,
                )
                .as('repeaters'),
            ])
            .executeTakeFirst();
      const [groups, customers] = await Promise.all([groupsQuery, customersQuery]);
      return {
        groups: groups.map((row) => ({
          currency: row.currency,
          coupon: row.coupon,
          orders: n(row.orders),
          netE4: n(row.net_e4),
          netStoreE4: n(row.net_store_e4),
          unconverted: n(row.unconverted),
          returningOrders: n(row.returning_orders),
          discountE4: n(row.discount_e4),
        })),
        customers: n(customers?.customers),
        repeatCustomers: n(customers?.repeaters),
      };
    },

    /**
     * Counted orders placed in a period, with the landing of their session when session filters are given
     * (an order without a session matches no session filter).
     */
    async orders(
      storeId: number,
      fromMs: number,
      toMs: number,
      includeTest: boolean,
      filters: SessionFilters,
    ): Promise<OrderRow[]> {
      let query = db()
        .selectFrom('report_orders as o')
        .select([
          'o.order_id',
          'o.placed_at_ms',
          'o.hour_ms',
          'o.day',
          'o.is_test',
          'o.is_returning',
          'o.currency',
          'o.rate',
          'o.net_e4',
          'o.gross_store_e4',
          'o.refunded_store_e4',
          'o.net_store_e4',
          'o.discount_store_e4',
          'o.coupon',
          'o.units',
          'o.items',
          'o.session_key',
          'o.customer_key',
        ])
        .where('o.store_id', '=', storeId)
        .where('o.placed_at_ms', '>=', fromMs)
        .where('o.placed_at_ms', '<', toMs)
        .where('o.is_counted', '=', 1)
        .where('o.is_test', 'in', testFlags(includeTest));
      if (hasSessionFilters(filters)) {
        let joined = query.innerJoin('report_sessions as s', (join) =>
          join.onRef('s.store_id', '=', 'o.store_id').onRef('s.session_key', '=', 'o.session_key'),
        );
        joined = applySessionFilters(joined, filters, 's');
        query = joined as unknown as typeof query;
      }
      const rows = await query.execute();
      return rows.map((row) => ({
        orderId: row.order_id,
        placedAtMs: n(row.placed_at_ms),
        hourMs: n(row.hour_ms),
        day: n(row.day),
        isTest: Boolean(row.is_test),
        isReturning: Boolean(row.is_returning),
        currency: row.currency,
        rate: row.rate === null ? null : Number(row.rate),
        netE4: n(row.net_e4),
        grossStoreE4: row.gross_store_e4 === null ? null : n(row.gross_store_e4),
        refundedStoreE4: row.refunded_store_e4 === null ? null : n(row.refunded_store_e4),
        netStoreE4: row.net_store_e4 === null ? null : n(row.net_store_e4),
        discountStoreE4: row.discount_store_e4 === null ? null : n(row.discount_store_e4),
        coupon: row.coupon,
        units: n(row.units),
        items: JSON.parse(row.items) as OrderItem[],
        sessionKey: hexOf(row.session_key),
        customerKey: hexOf(row.customer_key),
      }));
    },

    /**
     * Counted orders of a period by first and last touch in one dimension (the touches each order keeps,
     * refreshOrderTouches): per pair of values, or per order (`perOrder`, to filter them by id).
     */
    async attributedOrders(
      storeId: number,
      fromMs: number,
      toMs: number,
      includeTest: boolean,
      dimension: 'channel' | 'source' | 'medium' | 'campaign',
      perOrder: boolean,
    ): Promise<{ orderId: string | null; first: string; last: string; orders: number; revenueE4: number }[]> {
      const first = `first_${dimension}` as const;
      const last = `last_${dimension}` as const;
      const base = db()
        .selectFrom('report_orders')
        .where('store_id', '=', storeId)
        .where('placed_at_ms', '>=', fromMs)
        .where('placed_at_ms', '<', toMs)
        .where('is_counted', '=', 1)
        .where('is_test', 'in', testFlags(includeTest));
      if (perOrder) {
        const rows = await base.select(['order_id', first, last, 'net_store_e4']).execute();
        return rows.map((row) => ({
          orderId: row.order_id,
          first: row[first],
          last: row[last],
          orders: 1,
          revenueE4: n(row.net_store_e4),
        }));
      }
      const rows = await base
        .select((eb) => [
          first,
          last,
          eb.fn.countAll<number>().as('orders'),
          eb.fn.sum<number>('net_store_e4').as('revenue_e4'),
        ])
        .groupBy([first, last])
        .execute();
      return rows.map((row) => ({
        orderId: null,
        first: row[first],
        last: row[last],
        orders: n(row.orders),
        revenueE4: n(row.revenue_e4),
      }));
    },

    /**
     * Raw events of the given names (or page views) in a period, oldest first: funnels and event-level
     * drill-downs. Served by the `(store_id, event, timestamp_ms)` index; page views by the time index.
     */
    async rawEvents(
      storeId: number,
      selector: { events?: readonly string[]; pages?: boolean; withProperties?: boolean },
      fromMs: number,
      toMs: number,
    ): Promise<RawEvent[]> {
      const out: RawEvent[] = [];
      const select = (query: ReturnType<typeof base>) =>
        query
          .select([
            'message_hash',
            'type',
            'event',
            'name',
            'timestamp_ms',
            'anonymous_id',
            'user_id',
            'session_id',
            'path',
            'title',
            'referrer_host',
            'channel',
            'device_type',
            'browser',
            'os',
            'country',
            'order_id',
            'revenue',
            'currency',
          ])
          .select(
            selector.withProperties
              ? sql<string | null>`${sql.ref('properties')}`.as('properties')
              : sql<string | null>`null`.as('properties'),
          );
      const base = () =>
        db()
          .selectFrom('events')
          .where('store_id', '=', storeId)
          .where('timestamp_ms', '>=', fromMs)
          .where('timestamp_ms', '<', toMs)
          .where('is_bot', '=', 0);
      const queries = [];
      for (const name of selector.events ?? []) {
        queries.push(select(base().where('event', '=', name)));
      }
      if (selector.pages) queries.push(select(base().where('type', '=', 'page')));
      for (const query of queries) {
        const rows = await query.execute();
        for (const row of rows) {
          out.push({
            hash: row.message_hash,
            type: row.type,
            event: row.event,
            name: row.name,
            timestampMs: n(row.timestamp_ms),
            anonymousId: row.anonymous_id,
            userId: row.user_id,
            sessionId: row.session_id,
            path: row.path,
            title: row.title,
            referrerHost: row.referrer_host,
            channel: row.channel,
            deviceType: row.device_type,
            browser: row.browser,
            os: row.os,
            country: row.country,
            orderId: row.order_id,
            revenue: row.revenue === null ? null : Number(row.revenue),
            currency: row.currency,
            properties: row.properties,
          });
        }
      }
      out.sort((a, b) => a.timestampMs - b.timestampMs || Buffer.compare(a.hash, b.hash));
      return out;
    },

    /**
     * Funnel-index rows of one event name in a period, packed (funnel-columns.ts) in (time, event hash) order.
     * On MySQL the server packs each row into one binary column: a month of a large store's product views is
     * a million rows, and five typed columns a row cost the client more than the count itself.
     */
    async funnelChunks(storeId: number, event: string, fromMs: number, toMs: number): Promise<FunnelChunk[]> {
      if (database.dialect === 'mysql') {
        const { rows } = await sql<{ p: Buffer }>`
          select concat(event_hash, visitor_key, coalesce(session_key, ${NO_KEY}), coalesce(cart_key, ${NO_KEY}),
              unhex(lpad(hex(timestamp_ms - ${fromMs}), 10, '0'))) as p
          from report_funnel_events
          where store_id = ${storeId} and event = ${event}
            and timestamp_ms >= ${fromMs} and timestamp_ms < ${toMs}
          order by timestamp_ms, event_hash`.execute(db());
        return rows.length === 0
          ? []
          : [{ bucketMs: fromMs, count: rows.length, packed: rows.map((row) => row.p) }];
      }
      const rows = await db()
        .selectFrom('report_funnel_events')
        .select(['timestamp_ms', 'event_hash', 'visitor_key', 'session_key', 'cart_key'])
        .where('store_id', '=', storeId)
        .where('event', '=', event)
        .where('timestamp_ms', '>=', fromMs)
        .where('timestamp_ms', '<', toMs)
        .orderBy('timestamp_ms')
        .orderBy('event_hash')
        .execute();
      return packFunnelRows(
        rows.map((row) => ({
          timestampMs: n(row.timestamp_ms),
          hash: row.event_hash,
          visitorKey: row.visitor_key,
          sessionKey: row.session_key,
          cartKey: row.cart_key,
        })),
      );
    },

    /** The newest events (bots included, flagged) since an instant, newest first: the live view. */
    async recentEvents(storeId: number, sinceMs: number, untilMs: number, limit: number) {
      const rows = await db()
        .selectFrom('events')
        .select([
          'message_hash',
          'type',
          'event',
          'name',
          'timestamp_ms',
          'anonymous_id',
          'session_id',
          'path',
          'channel',
          'device_type',
          'browser',
          'os',
          'country',
          'is_bot',
          'revenue',
          'currency',
        ])
        .where('store_id', '=', storeId)
        .where('timestamp_ms', '>=', sinceMs)
        .where('timestamp_ms', '<', untilMs)
        .orderBy('timestamp_ms', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map((row) => ({
        hash: row.message_hash,
        type: row.type,
        event: row.event,
        name: row.name,
        timestampMs: n(row.timestamp_ms),
        anonymousId: row.anonymous_id,
        sessionId: row.session_id,
        path: row.path,
        channel: row.channel,
        deviceType: row.device_type,
        browser: row.browser,
        os: row.os,
        country: row.country,
        isBot: Boolean(row.is_bot),
        revenue: row.revenue === null ? null : Number(row.revenue),
        currency: row.currency,
      }));
    },

    /** Counts of the live window (humans only): events, page views, distinct visitors and sessions. */
    async liveCounts(storeId: number, sinceMs: number, untilMs: number) {
      const row = await db()
        .selectFrom('events')
        .select((eb) => [
          eb.fn.countAll<number>().as('events'),
          eb.fn.sum<number>(sql`case when ${sql.ref('type')} = 'page' then 1 else 0 end`).as('page_views'),
          eb.fn.count<number>('anonymous_id').distinct().as('visitors'),
          eb.fn.count<number>('session_id').distinct().as('sessions'),
        ])
        .where('store_id', '=', storeId)
        .where('timestamp_ms', '>=', sinceMs)
        .where('timestamp_ms', '<', untilMs)
        .where('is_bot', '=', 0)
        .executeTakeFirst();
      return {
        events: n(row?.events),
        pageViews: n(row?.page_views),
        visitors: n(row?.visitors),
        sessions: n(row?.sessions),
      };
    },
  };
}
