// What a session, an order and a product event contribute to each rollup table. One model, used by the
// worker's incremental path (new contribution − old contribution), by the rebuild and by the seed, so the
// three cannot disagree. Pure: no I/O, no clock.
import { hash } from 'node:crypto';
import { localDay, localHourStart } from './report-time.js';

/** What rollups read from an event, from a StoredEvent in the worker or a raw row in a rebuild. */
export interface RollupEvent {
  /** Hex of the first 8 bytes of the message hash. */
  hash: string;
  type: string;
  event: string | null;
  timestampMs: number;
  anonymousId: string | null;
  userId: string | null;
  sessionId: string | null;
  path: string | null;
  referrerHost: string | null;
  channel: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  deviceType: string | null;
  browser: string | null;
  os: string | null;
  country: string | null;
  isBot: boolean;
  orderId: string | null;
  /** Parsed lazily: only product and order events need it. */
  properties: Record<string, unknown> | string | null;
}

export function propertiesOf(event: RollupEvent): Record<string, unknown> {
  const value = event.properties;
  if (value === null) return {};
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : {};
    } catch {
      return {};
    }
  }
  return value;
}

/** First 8 bytes of SHA-256, as hex: the key of sessions, visitors, customers and paths. */
export function hash8(text: string): string {
  return hash('sha256', text).slice(0, 16);
}

/** The visitor an event or order belongs to: its anonymous id, else its user id. */
export function visitorIdOf(anonymousId: string | null, userId: string | null): string | null {
  if (anonymousId !== null && anonymousId !== '') return `a:${anonymousId}`;
  if (userId !== null && userId !== '') return `u:${userId}`;
  return null;
}

// Events of one session arrive together (a batch, a generated visit): remembering the last key computed
// saves most of the hashing, which is the costliest step of a bulk load.
let lastVisitor: { id: string; key: string } | null = null;
let lastSession: { id: string; key: string } | null = null;

export function visitorKeyOf(anonymousId: string | null, userId: string | null): string | null {
  const id = visitorIdOf(anonymousId, userId);
  if (id === null) return null;
  if (lastVisitor?.id !== id) lastVisitor = { id, key: hash8(id) };
  return lastVisitor.key;
}

/** Session ids are only unique per visitor (some SDKs use the start time), so the key includes the visitor. */
export function sessionKeyOf(
  anonymousId: string | null,
  userId: string | null,
  sessionId: string | null,
): string | null {
  const visitor = visitorIdOf(anonymousId, userId);
  if (visitor === null || sessionId === null || sessionId === '') return null;
  const id = `${visitor}\u0000${sessionId}`;
  if (lastSession?.id !== id) lastSession = { id, key: hash8(id) };
  return lastSession.key;
}

/** The customer of an order: the user id when the shop knows one, else the visitor. */
export function customerKeyOf(anonymousId: string | null, userId: string | null): string | null {
  if (userId !== null && userId !== '') return hash8(`u:${userId}`);
  if (anonymousId !== null && anonymousId !== '') return hash8(`a:${anonymousId}`);
  return null;
}

// ---- sessions -------------------------------------------------------------------------------------------

/** Session-scoped dimensions: those of the session's landing (first) event. Absent values are ''. */
export interface SessionDims {
  channel: string;
  referrerHost: string;
  utmSource: string;
  utmMedium: string;
  utmCampaign: string;
  deviceType: string;
  browser: string;
  os: string;
  country: string;
  landingPath: string;
}

export interface SessionState {
  sessionKey: string;
  visitorKey: string;
  startedAtMs: number;
  endedAtMs: number;
  landingHash: string;
  startHourMs: number;
  startDay: number;
  pageViews: number;
  events: number;
  orderCount: number;
  dims: SessionDims;
}

/** The dimensions `report_daily_dims` keeps, with their stored codes. */
export const SESSION_DIMENSIONS = [
  { code: 1, name: 'channel', field: 'channel' },
  { code: 2, name: 'referrerHost', field: 'referrerHost' },
  { code: 3, name: 'utmSource', field: 'utmSource' },
  { code: 4, name: 'utmMedium', field: 'utmMedium' },
  { code: 5, name: 'utmCampaign', field: 'utmCampaign' },
  { code: 6, name: 'device', field: 'deviceType' },
  { code: 7, name: 'browser', field: 'browser' },
  { code: 8, name: 'os', field: 'os' },
  { code: 9, name: 'country', field: 'country' },
] as const satisfies readonly { code: number; name: string; field: keyof SessionDims }[];

export type DimensionName = (typeof SESSION_DIMENSIONS)[number]['name'];

const cut = (value: string | null, length: number): string =>
  value === null ? '' : value.length <= length ? value : value.slice(0, length);

export function dimsOf(event: RollupEvent): SessionDims {
  return {
    channel: cut(event.channel, 16),
    referrerHost: cut(event.referrerHost, 255),
    utmSource: cut(event.utmSource, 255),
    utmMedium: cut(event.utmMedium, 255),
    utmCampaign: cut(event.utmCampaign, 255),
    deviceType: cut(event.deviceType, 8),
    browser: cut(event.browser, 64),
    os: cut(event.os, 64),
    country: cut(event.country, 64),
    landingPath: cut(event.path, 1024),
  };
}

/** Page paths as the pages rollup keys them (cut to the column's width). */
export const pathOf = (event: RollupEvent): string => cut(event.path, 1024);

/** Whether event `a` comes before the session's current landing: by time, then by message hash. */
function isEarlier(timestampMs: number, hash: string, state: SessionState): boolean {
  return timestampMs < state.startedAtMs || (timestampMs === state.startedAtMs && hash < state.landingHash);
}

/**
 * Folds events into a session. The result does not depend on the order events arrive in: the landing is the
 * earliest event (ties broken by message hash), the totals are sums. Bots and events without a session key
 * must be filtered out by the caller.
 */
export function mergeSession(
  current: SessionState | null,
  sessionKey: string,
  visitorKey: string,
  events: readonly RollupEvent[],
  zone: string,
): SessionState {
  let state: SessionState | null = current ? { ...current, dims: { ...current.dims } } : null;
  for (const event of events) {
    if (state === null) {
      state = {
        sessionKey,
        visitorKey,
        startedAtMs: event.timestampMs,
        endedAtMs: event.timestampMs,
        landingHash: event.hash,
        startHourMs: 0,
        startDay: 0,
        pageViews: 0,
        events: 0,
        orderCount: 0,
        dims: dimsOf(event),
      };
    } else {
      if (isEarlier(event.timestampMs, event.hash, state)) {
        state.startedAtMs = event.timestampMs;
        state.landingHash = event.hash;
        state.dims = dimsOf(event);
      }
      if (event.timestampMs > state.endedAtMs) state.endedAtMs = event.timestampMs;
    }
    state.events += 1;
    if (event.type === 'page') state.pageViews += 1;
  }
  if (state === null) throw new Error('mergeSession needs a current state or at least one event');
  state.startHourMs = localHourStart(zone, state.startedAtMs);
  state.startDay = localDay(zone, state.startedAtMs);
  return state;
}

// ---- deltas ----------------------------------------------------------------------------------------------

export interface TrafficTotals {
  sessions: number;
  bounces: number;
  pageViews: number;
  durationMs: number;
  convertedSessions: number;
}

export interface OrderTotals {
  orders: number;
  revenueE4: number;
  grossE4: number;
  refundsE4: number;
  unconvertedOrders: number;
}

export interface HourlyDelta extends TrafficTotals, OrderTotals {
  hourMs: number;
  isTest: boolean;
}

export interface DimsDelta extends TrafficTotals {
  day: number;
  dim: number;
  value: string;
}

export interface PagesDelta {
  day: number;
  path: string;
  pageViews: number;
  entrances: number;
  bounces: number;
}

export interface ProductCounts {
  views: number;
  adds: number;
  removals: number;
  checkouts: number;
  purchases: number;
  units: number;
  revenueE4: number;
}

export interface ProductsDelta extends ProductCounts {
  day: number;
  productId: string;
  isTest: boolean;
  name: string;
}

/** Changes to apply to the summed rollup tables (`x = x + delta`), keyed by each table's primary key. */
export class RollupDeltas {
  readonly hourly = new Map<string, HourlyDelta>();
  readonly dims = new Map<string, DimsDelta>();
  readonly pages = new Map<string, PagesDelta>();
  readonly products = new Map<string, ProductsDelta>();
  /** `day|prevDay` → visitors. */
  readonly pairs = new Map<string, { day: number; prevDay: number; visitors: number }>();

  hour(hourMs: number, isTest: boolean): HourlyDelta {
    const key = `${hourMs}|${isTest ? 1 : 0}`;
    let row = this.hourly.get(key);
    if (!row) {
      row = {
        hourMs,
        isTest,
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
      };
      this.hourly.set(key, row);
    }
    return row;
  }

  dim(day: number, dim: number, value: string): DimsDelta {
    const key = `${day}|${dim}|${value}`;
    let row = this.dims.get(key);
    if (!row) {
      row = { day, dim, value, sessions: 0, bounces: 0, pageViews: 0, durationMs: 0, convertedSessions: 0 };
      this.dims.set(key, row);
    }
    return row;
  }

  page(day: number, path: string): PagesDelta {
    const key = `${day}|${path}`;
    let row = this.pages.get(key);
    if (!row) {
      row = { day, path, pageViews: 0, entrances: 0, bounces: 0 };
      this.pages.set(key, row);
    }
    return row;
  }

  product(day: number, productId: string, isTest: boolean, name: string): ProductsDelta {
    const key = `${day}|${isTest ? 1 : 0}|${productId}`;
    let row = this.products.get(key);
    if (!row) {
      row = {
        day,
        productId,
        isTest,
        name,
        views: 0,
        adds: 0,
        removals: 0,
        checkouts: 0,
        purchases: 0,
        units: 0,
        revenueE4: 0,
      };
      this.products.set(key, row);
    } else if (name !== '' && row.name === '') {
      row.name = name;
    }
    return row;
  }

  pair(day: number, prevDay: number, visitors: number): void {
    const key = `${day}|${prevDay}`;
    const row = this.pairs.get(key);
    if (row) row.visitors += visitors;
    else this.pairs.set(key, { day, prevDay, visitors });
  }

  isEmpty(): boolean {
    return this.hourly.size + this.dims.size + this.pages.size + this.products.size + this.pairs.size === 0;
  }
}

function addTraffic(target: TrafficTotals, state: SessionState, sign: 1 | -1): void {
  target.sessions += sign;
  target.bounces += state.pageViews === 1 ? sign : 0;
  target.pageViews += sign * state.pageViews;
  target.durationMs += sign * (state.endedAtMs - state.startedAtMs);
  target.convertedSessions += state.orderCount > 0 ? sign : 0;
}

/**
 * A session's contribution to the hourly, dimension and entrance rollups, all at the hour and day it
 * started: a session and everything in it count in the period where it began. Page views per path are
 * added separately (`addPageViews`), because the session row does not keep them.
 */
export function addSession(deltas: RollupDeltas, state: SessionState, sign: 1 | -1): void {
  addTraffic(deltas.hour(state.startHourMs, false), state, sign);
  for (const dimension of SESSION_DIMENSIONS) {
    addTraffic(deltas.dim(state.startDay, dimension.code, state.dims[dimension.field]), state, sign);
  }
  const landing = deltas.page(state.startDay, state.dims.landingPath);
  landing.entrances += sign;
  landing.bounces += state.pageViews === 1 ? sign : 0;
}

export function addPageViews(
  deltas: RollupDeltas,
  day: number,
  viewsByPath: ReadonlyMap<string, number>,
  sign: 1 | -1,
): void {
  for (const [path, views] of viewsByPath) deltas.page(day, path).pageViews += sign * views;
}

export function countPageViews(events: readonly RollupEvent[]): Map<string, number> {
  const views = new Map<string, number>();
  for (const event of events) {
    if (event.type !== 'page') continue;
    const path = pathOf(event);
    views.set(path, (views.get(path) ?? 0) + 1);
  }
  return views;
}

// ---- visitors --------------------------------------------------------------------------------------------

/** Adds the (day, previous day) pairs of a visitor's sorted active days, with a sign. */
export function addVisitorDays(deltas: RollupDeltas, days: readonly number[], sign: 1 | -1): void {
  let previous = 0;
  for (const day of days) {
    deltas.pair(day, previous, sign);
    previous = day;
  }
}

// ---- funnel index --------------------------------------------------------------------------------------

export interface FunnelRow {
  event: string;
  timestampMs: number;
  hash: string;
  visitorKey: string;
  sessionKey: string | null;
  cartKey: string | null;
}

/** The funnel-index row of a human track event with a visitor; null for anything else. */
export function funnelRowOf(event: RollupEvent): FunnelRow | null {
  if (event.isBot || event.type !== 'track' || event.event === null || event.event === '') return null;
  const visitorKey = visitorKeyOf(event.anonymousId, event.userId);
  if (visitorKey === null) return null;
  let cartKey: string | null = null;
  if (event.event === 'Product Added') {
    const cartId = propertiesOf(event).cart_id;
    if (typeof cartId === 'string' || typeof cartId === 'number') cartKey = hash8(`cart:${String(cartId)}`);
  }
  return {
    event: event.event.slice(0, 255),
    timestampMs: event.timestampMs,
    hash: event.hash,
    visitorKey,
    sessionKey: sessionKeyOf(event.anonymousId, event.userId, event.sessionId),
    cartKey,
  };
}

// ---- products --------------------------------------------------------------------------------------------

/** A product reference as the eCommerce rules accept it: a non-empty string or a finite number. */
export function readReference(value: unknown): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  return text === '' ? null : text.slice(0, 255);
}

function readName(value: unknown): string {
  return typeof value === 'string' ? value.trim().slice(0, 255) : '';
}

export interface ProductRef {
  productId: string;
  name: string;
}

/** The products an event is about: its own product_id/sku, else each item of `products` (once each). */
export function productRefsOf(properties: Record<string, unknown>): ProductRef[] {
  const own = readReference(properties.product_id) ?? readReference(properties.sku);
  if (own !== null) return [{ productId: own, name: readName(properties.name) }];
  const refs = new Map<string, ProductRef>();
  if (Array.isArray(properties.products)) {
    for (const item of properties.products) {
      if (typeof item !== 'object' || item === null) continue;
      const record = item as Record<string, unknown>;
      const id = readReference(record.product_id) ?? readReference(record.sku);
      if (id !== null && !refs.has(id)) refs.set(id, { productId: id, name: readName(record.name) });
    }
  }
  return [...refs.values()];
}

const PRODUCT_COUNTERS: Readonly<Record<string, 'views' | 'adds' | 'removals' | 'checkouts'>> = {
  'Product Viewed': 'views',
  'Product Added': 'adds',
  'Product Removed': 'removals',
  'Checkout Started': 'checkouts',
};

/** Product events count on the local day they happened (not the session's), once per product per event. */
export function addProductEvent(deltas: RollupDeltas, event: RollupEvent, zone: string): void {
  if (event.type !== 'track' || event.event === null) return;
  const counter = PRODUCT_COUNTERS[event.event];
  if (counter === undefined) return;
  const day = localDay(zone, event.timestampMs);
  for (const ref of productRefsOf(propertiesOf(event))) {
    deltas.product(day, ref.productId, false, ref.name)[counter] += 1;
  }
}

export function isProductEvent(event: RollupEvent): boolean {
  return event.type === 'track' && event.event !== null && PRODUCT_COUNTERS[event.event] !== undefined;
}

// ---- orders ----------------------------------------------------------------------------------------------

/** One merged line of an order: product, units, and its weight (price × quantity, in 1e-4 units). */
export type OrderItem = [productId: string, quantity: number, weightE4: number, name: string];

export interface OrderRollup {
  orderId: string;
  placedAtMs: number;
  hourMs: number;
  day: number;
  status: string;
  isCounted: boolean;
  isTest: boolean;
  isReturning: boolean;
  /**
   * Placement times of the customer's counted (non-test) orders just before and after this one (by time, then
   * order id); null at either end, and for orders outside that chain. With them, a period's customers and
   * repeat customers are sums over its orders instead of a count per customer.
   */
  prevOrderMs: number | null;
  nextOrderMs: number | null;
  currency: string;
  rate: number | null;
  grossE4: number;
  refundedE4: number;
  netE4: number;
  grossStoreE4: number | null;
  refundedStoreE4: number | null;
  netStoreE4: number | null;
  discountStoreE4: number | null;
  coupon: string;
  units: number;
  items: OrderItem[];
  sessionKey: string | null;
  visitorKey: string | null;
  customerKey: string | null;
}

export const toE4 = (amount: number): number => Math.round(amount * 1e4);

/** Product id under which an order without line items is counted, so product revenue adds up to revenue. */
export const NO_PRODUCT_ID = '';

/**
 * Splits an amount over weights in whole 1e-4 units, summing exactly to the amount (largest remainders get
 * the leftover units; ties go to the earlier item). All-zero weights split evenly.
 */
export function allocate(totalE4: number, weights: readonly number[]): number[] {
  if (weights.length === 0) return [];
  const positive = weights.map((w) => (Number.isFinite(w) && w > 0 ? w : 0));
  let sum = positive.reduce((a, b) => a + b, 0);
  const used = sum > 0 ? positive : positive.map(() => 1);
  if (sum <= 0) sum = used.length;
  const exact = used.map((w) => (totalE4 * w) / sum);
  const shares = exact.map((x) => Math.floor(x));
  let rest = totalE4 - shares.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, index) => ({ index, fraction: x - Math.floor(x) }))
    .sort((a, b) => b.fraction - a.fraction || a.index - b.index);
  for (let i = 0; rest > 0 && order.length > 0; i = (i + 1) % order.length) {
    const slot = order[i];
    if (slot) shares[slot.index] = (shares[slot.index] ?? 0) + 1;
    rest -= 1;
  }
  for (let i = 0; rest < 0 && order.length > 0; i = (i + 1) % order.length) {
    const slot = order[order.length - 1 - i];
    if (slot) shares[slot.index] = (shares[slot.index] ?? 0) - 1;
    rest += 1;
  }
  return shares;
}

/**
 * An order's contribution: to the hour it was placed in (orders, net revenue in the store currency, gross,
 * refunds) and to its products on that day (purchases, units, and the net revenue split over its lines in
 * proportion to price × quantity). Orders that do not count (cancelled, never completed) contribute nothing.
 */
export function addOrder(deltas: RollupDeltas, order: OrderRollup, sign: 1 | -1): void {
  if (!order.isCounted) return;
  const hour = deltas.hour(order.hourMs, order.isTest);
  hour.orders += sign;
  hour.revenueE4 += sign * (order.netStoreE4 ?? 0);
  hour.grossE4 += sign * (order.grossStoreE4 ?? 0);
  hour.refundsE4 += sign * (order.refundedStoreE4 ?? 0);
  hour.unconvertedOrders += order.rate === null ? sign : 0;
  const items: OrderItem[] = order.items.length > 0 ? order.items : [[NO_PRODUCT_ID, 0, 0, '']];
  const shares = allocate(
    order.netStoreE4 ?? 0,
    items.map((item) => item[2]),
  );
  items.forEach((item, index) => {
    const row = deltas.product(order.day, item[0], order.isTest, item[3]);
    row.purchases += sign;
    row.units += sign * item[1];
    row.revenueE4 += sign * (shares[index] ?? 0);
  });
}

/** An order's line items merged per product, from the `products` list the shop sent. */
export function orderItemsOf(lineItems: unknown): { items: OrderItem[]; units: number } {
  const byProduct = new Map<string, OrderItem>();
  let units = 0;
  if (Array.isArray(lineItems)) {
    for (const line of lineItems) {
      if (typeof line !== 'object' || line === null) continue;
      const record = line as Record<string, unknown>;
      const id = readReference(record.product_id) ?? readReference(record.sku);
      if (id === null) continue;
      const quantity =
        typeof record.quantity === 'number' && Number.isInteger(record.quantity) && record.quantity > 0
          ? record.quantity
          : 1;
      const price = typeof record.price === 'number' && Number.isFinite(record.price) ? record.price : 0;
      units += quantity;
      const existing = byProduct.get(id);
      if (existing) {
        existing[1] += quantity;
        existing[2] += toE4(price * quantity);
      } else {
        byProduct.set(id, [id, quantity, toE4(price * quantity), readName(record.name)]);
      }
    }
  }
  return { items: [...byProduct.values()], units };
}

/** Facts about an order that only its Order Completed events carry. */
export interface OrderFacts {
  isTest: boolean;
  coupon: string | null;
  discount: number | null;
  exchangeRate: number | null;
}

export const ORDER_EVENTS: ReadonlySet<string> = new Set([
  'Order Completed',
  'Order Updated',
  'Order Refunded',
  'Order Cancelled',
]);

/**
 * A test order is one whose id starts with `test_` or whose Order Completed says `properties.test: true`
 * (sticky: once seen, the order stays a test order). Coupon, discount and `properties.exchange_rate` come
 * from the first Order Completed that has them.
 */
export function mergeOrderFacts(facts: OrderFacts | null, event: RollupEvent): OrderFacts {
  const next: OrderFacts = facts
    ? { ...facts }
    : { isTest: false, coupon: null, discount: null, exchangeRate: null };
  if (event.event !== 'Order Completed') return next;
  const properties = propertiesOf(event);
  if (properties.test === true) next.isTest = true;
  if (next.coupon === null && typeof properties.coupon === 'string' && properties.coupon.trim() !== '') {
    next.coupon = properties.coupon.trim().slice(0, 255);
  }
  if (
    next.discount === null &&
    typeof properties.discount === 'number' &&
    Number.isFinite(properties.discount)
  ) {
    next.discount = Math.abs(properties.discount);
  }
  const rate = properties.exchange_rate;
  if (next.exchangeRate === null && typeof rate === 'number' && Number.isFinite(rate) && rate > 0) {
    next.exchangeRate = rate;
  }
  return next;
}

export function isTestOrderId(orderId: string): boolean {
  return orderId.startsWith('test_');
}

/** The order row as the pipeline keeps it (one per order id, net of refunds and cancellations). */
export interface SourceOrder {
  orderId: string;
  status: string;
  currency: string | null;
  revenue: number;
  refundedTotal: number;
  netRevenue: number;
  lineItems: unknown;
  isCompleted: boolean;
  anonymousId: string | null;
  userId: string | null;
  sessionId: string | null;
  placedAtMs: number;
}

/** Looks up the merchant's rate for a currency at an instant; null when none is set. */
export type RateLookup = (currency: string, atMs: number) => number | null;

/**
 * The report view of an order. The rate is recorded when the order is first rolled up as completed and kept
 * from then on (`previous.rate`): the event's `exchange_rate`, else the merchant's table at the order time;
 * 1 for the store's own currency. Without any rate the store-currency figures are null (reported apart).
 */
export function toOrderRollup(input: {
  source: SourceOrder;
  facts: OrderFacts | null;
  previous: OrderRollup | null;
  zone: string;
  storeCurrency: string;
  lookupRate: RateLookup;
}): OrderRollup {
  const { source, facts, previous } = input;
  const currency = (source.currency ?? input.storeCurrency).toUpperCase();
  let rate: number | null;
  // Recorded once the order completed; before that (a refund seen first) it is provisional.
  const recorded = previous?.isCounted && previous.currency === currency ? previous.rate : null;
  if (currency === input.storeCurrency) rate = 1;
  else rate = recorded ?? facts?.exchangeRate ?? input.lookupRate(currency, source.placedAtMs);
  const convert = (e4: number): number | null => (rate === null ? null : Math.round(e4 * rate));
  const grossE4 = toE4(source.revenue);
  const refundedE4 = toE4(source.refundedTotal);
  const netE4 = toE4(source.netRevenue);
  const { items, units } = orderItemsOf(source.lineItems);
  const discount = facts?.discount ?? null;
  return {
    orderId: source.orderId,
    placedAtMs: source.placedAtMs,
    hourMs: localHourStart(input.zone, source.placedAtMs),
    day: localDay(input.zone, source.placedAtMs),
    status: source.status,
    isCounted: source.isCompleted && source.status !== 'cancelled',
    isTest: isTestOrderId(source.orderId) || (facts?.isTest ?? false) || (previous?.isTest ?? false),
    isReturning: previous?.isReturning ?? false,
    prevOrderMs: previous?.prevOrderMs ?? null,
    nextOrderMs: previous?.nextOrderMs ?? null,
    currency,
    rate,
    grossE4,
    refundedE4,
    netE4,
    grossStoreE4: convert(grossE4),
    refundedStoreE4: convert(refundedE4),
    netStoreE4: convert(netE4),
    discountStoreE4: discount === null ? (previous?.discountStoreE4 ?? null) : convert(toE4(discount)),
    coupon: previous?.coupon || facts?.coupon || '',
    units,
    items,
    sessionKey: sessionKeyOf(source.anonymousId, source.userId, source.sessionId),
    visitorKey: visitorKeyOf(source.anonymousId, source.userId),
    customerKey: customerKeyOf(source.anonymousId, source.userId),
  };
}

/**
 * Marks each counted order of one customer returning unless it is their first (by time, then order id), and
 * links it to the customer's counted orders before and after it. Returns the orders whose fields changed.
 */
export const NOT_IN_A_CHAIN = { isReturning: false, prevOrderMs: null, nextOrderMs: null } as const;

export function markReturning(orders: OrderRollup[]): OrderRollup[] {
  const changed: OrderRollup[] = [];
  const counted = orders
    .filter((order) => order.isCounted && !order.isTest)
    .sort((a, b) => a.placedAtMs - b.placedAtMs || (a.orderId < b.orderId ? -1 : 1));
  const position = new Map(counted.map((order, index) => [order, index]));
  for (const order of orders) {
    const index = position.get(order);
    const isReturning = index !== undefined && index > 0;
    const prevOrderMs = index === undefined ? null : (counted[index - 1]?.placedAtMs ?? null);
    const nextOrderMs = index === undefined ? null : (counted[index + 1]?.placedAtMs ?? null);
    if (
      order.isReturning !== isReturning ||
      order.prevOrderMs !== prevOrderMs ||
      order.nextOrderMs !== nextOrderMs
    ) {
      order.isReturning = isReturning;
      order.prevOrderMs = prevOrderMs;
      order.nextOrderMs = nextOrderMs;
      changed.push(order);
    }
  }
  return changed;
}
