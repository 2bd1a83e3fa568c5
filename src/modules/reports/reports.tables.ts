import type { EventsTable, OrdersTable } from '../pipeline/index.js';
/**
 * The reports module's tables: rollups the worker keeps up to date inside each batch transaction, and the
 * merchant's currency rates. Money is stored as integer ten-thousandths of the currency unit (`…_e4`), so
 * sums are exact on both dialects (SQLite has no DECIMAL). Hashes are the first 8 bytes of SHA-256.
 */

/** Per store: the time zone the rollups' local hours and days were computed in, and the rollup lock. */
export interface ReportStateTable {
  store_id: number;
  time_zone: string;
  updated_at: number;
}

/** One row per session (visitor × session id): its landing and totals. Bots are never rolled up. */
export interface ReportSessionsTable {
  store_id: number;
  session_key: Buffer;
  visitor_key: Buffer;
  started_at_ms: number;
  ended_at_ms: number;
  /** First 8 bytes of the landing event's message hash: ties on time are broken by it, in every path. */
  landing_hash: Buffer;
  start_hour_ms: number;
  start_day: number;
  page_views: number;
  events: number;
  /** Orders of this session that count (completed, not cancelled, not test). */
  order_count: number;
  channel: string;
  referrer_host: string;
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
  device_type: string;
  browser: string;
  os: string;
  country: string;
  landing_path: string;
}

/** Per local hour: sessions started in it (and their totals) and orders placed in it. */
export interface ReportHourlyTable {
  store_id: number;
  hour_ms: number;
  is_test: number;
  sessions: number;
  bounces: number;
  page_views: number;
  duration_ms: number;
  converted_sessions: number;
  orders: number;
  revenue_e4: number;
  gross_e4: number;
  refunds_e4: number;
  unconverted_orders: number;
}

/** Per local day and session dimension value: the sessions that started that day with that landing. */
export interface ReportDailyDimsTable {
  store_id: number;
  day: number;
  dim: number;
  value: string;
  sessions: number;
  bounces: number;
  page_views: number;
  duration_ms: number;
  converted_sessions: number;
}

/** Per local day and page path: page views of sessions started that day, entrances and their bounces. */
export interface ReportDailyPagesTable {
  store_id: number;
  day: number;
  path_hash: Buffer;
  path: string;
  page_views: number;
  entrances: number;
  bounces: number;
}

/** Per local day and product: product events that day, and the counted orders placed that day. */
export interface ReportDailyProductsTable {
  store_id: number;
  day: number;
  product_id: string;
  is_test: number;
  name: string;
  views: number;
  adds: number;
  removals: number;
  checkouts: number;
  purchases: number;
  units: number;
  revenue_e4: number;
}

/** One row per order, as reports see it: net figures in both currencies, the rate used, its session. */
export interface ReportOrdersTable {
  store_id: number;
  order_id: string;
  placed_at_ms: number;
  hour_ms: number;
  day: number;
  status: string;
  is_counted: number;
  is_test: number;
  /** A counted order whose customer had counted an earlier one. */
  is_returning: number;
  /** The customer's counted orders just before and after this one (see OrderRollup.prevOrderMs). */
  prev_order_ms: number | null;
  next_order_ms: number | null;
  currency: string;
  /** Order currency → store currency, as recorded when the order was first rolled up; null if unknown. */
  rate: number | null;
  gross_e4: number;
  refunded_e4: number;
  net_e4: number;
  gross_store_e4: number | null;
  refunded_store_e4: number | null;
  net_store_e4: number | null;
  discount_store_e4: number | null;
  coupon: string;
  units: number;
  /** JSON: [[productId, quantity, weight, name]] — what product rollups received, to take it back exactly. */
  items: string;
  session_key: Buffer | null;
  visitor_key: Buffer | null;
  customer_key: Buffer | null;
  /**
   * Attribution (refreshOrderTouches): the landing of the order's session (last touch) and of its visitor's
   * first session (first touch); '' where there is none.
   */
  last_channel: string;
  last_source: string;
  last_medium: string;
  last_campaign: string;
  first_channel: string;
  first_source: string;
  first_medium: string;
  first_campaign: string;
}

/** Visitors' active days: (visitor, local day) with the number of their sessions that started that day. */
export interface ReportVisitorDaysTable {
  store_id: number;
  visitor_key: Buffer;
  day: number;
  sessions: number;
}

/**
 * How many visitors were active on `day` whose previous active day was `prev_day` (0: none). Distinct
 * visitors of any period [a, b] = Σ visitors where a ≤ day ≤ b and prev_day < a — exact, from a few
 * thousand rows, where counting distinct ids would read every session of the period.
 */
export interface ReportVisitorPairsTable {
  store_id: number;
  day: number;
  prev_day: number;
  visitors: number;
}

/** Human track events, narrow, keyed by (name, time): what funnels read. */
export interface ReportFunnelEventsTable {
  store_id: number;
  event: string;
  timestamp_ms: number;
  event_hash: Buffer;
  visitor_key: Buffer;
  session_key: Buffer | null;
  /** Hash of `properties.cart_id` (Product Added), for cart abandonment. */
  cart_key: Buffer | null;
}

/** The merchant's exchange rates: 1 unit of `currency` = `rate` units of the store currency from `valid_from_ms`. */
export interface ReportCurrencyRatesTable {
  store_id: number;
  currency: string;
  valid_from_ms: number;
  rate: number;
  updated_at: number;
}

/**
 * Read-only view of the pipeline's tables (their owner is the pipeline module): the raw events and orders
 * that rollups are computed from and drill-downs read. Reports never write them (the seed tool does, in the
 * same row shape the pipeline writes).
 */
export type RawEventsTable = EventsTable;
export type RawOrdersTable = OrdersTable;

/** Read-only view of the stores module's settings columns, read inside rollup transactions. */
export interface RawStoresTable {
  id: number;
  time_zone: string;
  currency: string;
  deleted_at: number | null;
}

/**
 * Per local day, test flag, currency and coupon: the counted orders of `report_orders` summed, so an
 * eCommerce period reads a row per day and group instead of every order. Recomputed from `report_orders` for
 * each day whose orders change (refreshOrderDays), never adjusted by difference.
 */
export interface ReportDailyOrdersTable {
  store_id: number;
  day: number;
  is_test: number;
  currency: string;
  coupon: string;
  orders: number;
  net_e4: number;
  net_store_e4: number;
  unconverted: number;
  returning_orders: number;
  discount_store_e4: number;
}

/**
 * Per local day and customer-chain neighbours: counted non-test orders with a customer, by their customer's
 * previous and next order time (NO_PREVIOUS_ORDER_MS / NO_NEXT_ORDER_MS when none). A period's customers are
 * its orders whose previous order is before it, repeat customers those of them whose next order is inside it:
 * a customer with one order shares a row per day with every other such customer.
 */
export interface ReportDailyCustomersTable {
  store_id: number;
  day: number;
  prev_order_ms: number;
  next_order_ms: number;
  orders: number;
}

export interface ReportsTables {
  report_state: ReportStateTable;
  report_sessions: ReportSessionsTable;
  report_hourly: ReportHourlyTable;
  report_daily_dims: ReportDailyDimsTable;
  report_daily_pages: ReportDailyPagesTable;
  report_daily_products: ReportDailyProductsTable;
  report_orders: ReportOrdersTable;
  report_daily_orders: ReportDailyOrdersTable;
  report_daily_customers: ReportDailyCustomersTable;
  report_visitor_days: ReportVisitorDaysTable;
  report_visitor_pairs: ReportVisitorPairsTable;
  report_currency_rates: ReportCurrencyRatesTable;
  report_funnel_events: ReportFunnelEventsTable;
  events: RawEventsTable;
  orders: RawOrdersTable;
  stores: RawStoresTable;
}
