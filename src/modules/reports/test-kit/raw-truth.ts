// The reports' numbers computed the plain way: straight queries over the raw `events` and `orders` tables
// and simple loops, sharing nothing with the rollup code but the definitions (what a session, a bounce, a
// test order is; how money is rounded). Tests compare every report against this, for equality.
import { sql } from 'kysely';
import type { Database } from '../../../platform/db/database.js';
import { dayStartMs } from '../report-time.js';

export interface TruthFilters {
  channel?: string;
  device?: string;
  country?: string;
  utmCampaign?: string;
  page?: string;
  product?: string;
}

interface TruthSession {
  key: string;
  visitor: string;
  start: number;
  end: number;
  pageViews: number;
  landing: {
    path: string;
    channel: string;
    referrerHost: string;
    utmSource: string;
    utmMedium: string;
    utmCampaign: string;
    device: string;
    browser: string;
    os: string;
    country: string;
  };
  paths: Map<string, number>;
}

interface TruthOrder {
  orderId: string;
  placed: number;
  counted: boolean;
  isTest: boolean;
  currency: string;
  rate: number | null;
  netE4: number;
  netStoreE4: number | null;
  grossStoreE4: number | null;
  refundedStoreE4: number | null;
  discountStoreE4: number | null;
  coupon: string;
  sessionKey: string | null;
  visitor: string | null;
  customer: string | null;
  items: { productId: string; quantity: number; weightE4: number }[];
}

interface TruthProductEvent {
  event: string;
  at: number;
  sessionKey: string | null;
  productIds: string[];
}

export interface TruthData {
  sessions: TruthSession[];
  orders: TruthOrder[];
  productEvents: TruthProductEvent[];
  funnelEvents: { event: string; at: number; visitor: string; sessionKey: string | null }[];
}

const s = (value: unknown): string => (value === null || value === undefined ? '' : String(value));
const num = (value: unknown): number => Number(value ?? 0);

function parse(text: unknown): Record<string, unknown> {
  if (typeof text !== 'string' || text === '') return {};
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function ref(value: unknown): string | null {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return null;
}

function productIdsOf(properties: Record<string, unknown>): string[] {
  const own = ref(properties.product_id) ?? ref(properties.sku);
  if (own !== null) return [own];
  const ids: string[] = [];
  if (Array.isArray(properties.products)) {
    for (const item of properties.products as Record<string, unknown>[]) {
      const id = ref(item.product_id) ?? ref(item.sku);
      if (id !== null && !ids.includes(id)) ids.push(id);
    }
  }
  return ids;
}

/** Reads a store's raw data once; the truth functions below slice it by period and filters. */
export async function loadTruth(
  database: Database,
  storeId: number,
  storeCurrency: string,
): Promise<TruthData> {
  const db = database.typed<unknown>();
  const sessionRows = await sql<Record<string, unknown>>`
    with e as (
      select coalesce(nullif(anonymous_id, ''), '') as ka,
             case when anonymous_id is null or anonymous_id = '' then coalesce(user_id, '') else '' end as ku,
             session_id, type, timestamp_ms, message_hash, path, channel, referrer_host, utm_source, utm_medium,
             utm_campaign, device_type, browser, os, country
      from events
      where store_id = ${storeId} and is_bot = 0 and session_id is not null and session_id <> ''
        and ((anonymous_id is not null and anonymous_id <> '') or (user_id is not null and user_id <> ''))
    ),
    r as (
      select e.*, row_number() over (partition by ka, ku, session_id order by timestamp_ms, message_hash) as rn
      from e
    ),
    g as (
      select ka, ku, session_id, min(timestamp_ms) as start_ms, max(timestamp_ms) as end_ms,
             sum(case when type = 'page' then 1 else 0 end) as pv
      from e group by ka, ku, session_id
    )
    select g.ka, g.ku, g.session_id, g.start_ms, g.end_ms, g.pv, r.path, r.channel, r.referrer_host,
           r.utm_source, r.utm_medium, r.utm_campaign, r.device_type, r.browser, r.os, r.country
    from g join r on r.ka = g.ka and r.ku = g.ku and r.session_id = g.session_id and r.rn = 1`.execute(db);
  const keyOf = (ka: string, ku: string, sessionId: string) => {
    const visitor = ka !== '' ? `a:${ka}` : `u:${ku}`;
    return { visitor, key: `${visitor}\u0000${sessionId}` };
  };
  const sessions = new Map<string, TruthSession>();
  for (const row of sessionRows.rows) {
    const { visitor, key } = keyOf(s(row.ka), s(row.ku), s(row.session_id));
    sessions.set(key, {
      key,
      visitor,
      start: num(row.start_ms),
      end: num(row.end_ms),
      pageViews: num(row.pv),
      landing: {
        path: s(row.path).slice(0, 1024),
        channel: s(row.channel),
        referrerHost: s(row.referrer_host),
        utmSource: s(row.utm_source),
        utmMedium: s(row.utm_medium),
        utmCampaign: s(row.utm_campaign),
        device: s(row.device_type),
        browser: s(row.browser),
        os: s(row.os),
        country: s(row.country),
      },
      paths: new Map(),
    });
  }
  const pageRows = await sql<Record<string, unknown>>`
    select anonymous_id, user_id, session_id, path from events
    where store_id = ${storeId} and is_bot = 0 and type = 'page' and session_id is not null and session_id <> ''`.execute(
    db,
  );
  for (const row of pageRows.rows) {
    const ka = s(row.anonymous_id);
    const { key } = keyOf(ka, ka === '' ? s(row.user_id) : '', s(row.session_id));
    const session = sessions.get(key);
    if (!session) continue;
    const path = s(row.path).slice(0, 1024);
    session.paths.set(path, (session.paths.get(path) ?? 0) + 1);
  }

  const completed = await sql<Record<string, unknown>>`
    select order_id, properties from events
    where store_id = ${storeId} and event = 'Order Completed' order by timestamp_ms, message_hash`.execute(
    db,
  );
  const facts = new Map<
    string,
    { test: boolean; coupon: string | null; discount: number | null; rate: number | null }
  >();
  for (const row of completed.rows) {
    const id = s(row.order_id);
    const p = parse(row.properties);
    const f = facts.get(id) ?? { test: false, coupon: null, discount: null, rate: null };
    if (p.test === true) f.test = true;
    if (f.coupon === null && typeof p.coupon === 'string' && p.coupon.trim() !== '')
      f.coupon = p.coupon.trim();
    if (f.discount === null && typeof p.discount === 'number') f.discount = Math.abs(p.discount);
    if (f.rate === null && typeof p.exchange_rate === 'number' && p.exchange_rate > 0)
      f.rate = p.exchange_rate;
    facts.set(id, f);
  }
  const rates = (
    await sql<Record<string, unknown>>`
      select currency, valid_from_ms, rate from report_currency_rates where store_id = ${storeId}`.execute(db)
  ).rows;
  const tableRate = (currency: string, at: number): number | null => {
    let best: { from: number; rate: number } | null = null;
    for (const row of rates) {
      const from = num(row.valid_from_ms);
      if (s(row.currency) === currency && from <= at && (best === null || from >= best.from)) {
        best = { from, rate: num(row.rate) };
      }
    }
    return best?.rate ?? null;
  };
  const orderRows = await sql<
    Record<string, unknown>
  >`select * from orders where store_id = ${storeId}`.execute(db);
  const orders: TruthOrder[] = orderRows.rows.map((row) => {
    const orderId = s(row.order_id);
    const f = facts.get(orderId);
    const currency = row.currency === null ? storeCurrency : s(row.currency).toUpperCase();
    const placed = num(row.placed_at_ms);
    const rate = currency === storeCurrency ? 1 : (f?.rate ?? tableRate(currency, placed));
    const e4 = (value: unknown) => Math.round(Number(value) * 1e4);
    const inStore = (amountE4: number) => (rate === null ? null : Math.round(amountE4 * rate));
    const anon = s(row.anonymous_id);
    const user = s(row.user_id);
    const visitor = anon !== '' ? `a:${anon}` : user !== '' ? `u:${user}` : null;
    const items = new Map<string, { productId: string; quantity: number; weightE4: number }>();
    const lines = row.line_items ? (JSON.parse(s(row.line_items)) as Record<string, unknown>[]) : [];
    for (const line of lines) {
      const id = ref(line.product_id) ?? ref(line.sku);
      if (id === null) continue;
      const quantity = typeof line.quantity === 'number' && line.quantity > 0 ? line.quantity : 1;
      const price = typeof line.price === 'number' ? line.price : 0;
      const item = items.get(id) ?? { productId: id, quantity: 0, weightE4: 0 };
      item.quantity += quantity;
      item.weightE4 += Math.round(price * quantity * 1e4);
      items.set(id, item);
    }
    return {
      orderId,
      placed,
      counted: num(row.is_completed) === 1 && s(row.status) !== 'cancelled',
      isTest: orderId.startsWith('test_') || (f?.test ?? false),
      currency,
      rate,
      netE4: e4(row.net_revenue),
      netStoreE4: inStore(e4(row.net_revenue)),
      grossStoreE4: inStore(e4(row.revenue)),
      refundedStoreE4: inStore(e4(row.refunded_total)),
      discountStoreE4: f?.discount == null ? null : inStore(Math.round(f.discount * 1e4)),
      coupon: f?.coupon ?? '',
      sessionKey:
        visitor !== null && s(row.session_id) !== '' ? `${visitor}\u0000${s(row.session_id)}` : null,
      visitor,
      customer: user !== '' ? `u:${user}` : anon !== '' ? `a:${anon}` : null,
      items: [...items.values()],
    };
  });

  const productRows = await sql<Record<string, unknown>>`
    select event, timestamp_ms, anonymous_id, user_id, session_id, properties from events
    where store_id = ${storeId} and is_bot = 0 and type = 'track'
      and event in ('Product Viewed', 'Product Added', 'Product Removed', 'Checkout Started', 'Order Completed')
    order by timestamp_ms, message_hash`.execute(db);
  const productEvents: TruthProductEvent[] = [];
  const funnelEvents: TruthData['funnelEvents'] = [];
  for (const row of productRows.rows) {
    const anon = s(row.anonymous_id);
    const user = s(row.user_id);
    const visitor = anon !== '' ? `a:${anon}` : user !== '' ? `u:${user}` : null;
    const sessionKey =
      visitor !== null && s(row.session_id) !== '' ? `${visitor}\u0000${s(row.session_id)}` : null;
    const at = num(row.timestamp_ms);
    if (s(row.event) !== 'Order Completed') {
      productEvents.push({
        event: s(row.event),
        at,
        sessionKey,
        productIds: productIdsOf(parse(row.properties)),
      });
    }
    if (visitor !== null) funnelEvents.push({ event: s(row.event), at, visitor, sessionKey });
  }
  return { sessions: [...sessions.values()], orders, productEvents, funnelEvents };
}

export interface TruthPeriod {
  zone: string;
  fromDay: number;
  toDay: number;
  /** An exact span instead of whole days (hourly buckets). */
  span?: { fromMs: number; toMs: number };
  includeTest?: boolean;
  filters?: TruthFilters;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 10_000) / 10_000);
const money = (e4: number) => e4 / 10_000;

function bounds(p: TruthPeriod) {
  return p.span ?? { fromMs: dayStartMs(p.zone, p.fromDay), toMs: dayStartMs(p.zone, p.toDay + 1) };
}

function sessionMatches(
  session: TruthSession,
  f: TruthFilters | undefined,
  data: TruthData,
  range: { fromMs: number; toMs: number },
) {
  if (!f) return true;
  if (f.channel !== undefined && session.landing.channel !== f.channel) return false;
  if (f.device !== undefined && session.landing.device !== f.device) return false;
  if (f.country !== undefined && session.landing.country !== f.country) return false;
  if (f.utmCampaign !== undefined && session.landing.utmCampaign !== f.utmCampaign) return false;
  if (f.page !== undefined && session.landing.path !== f.page) return false;
  if (f.product !== undefined) {
    const viewed = data.productEvents.some(
      (e) =>
        e.sessionKey === session.key &&
        (e.event === 'Product Viewed' || e.event === 'Product Added') &&
        e.at >= range.fromMs &&
        e.at < range.toMs + 86_400_000 &&
        e.productIds.includes(f.product as string),
    );
    if (!viewed) return false;
  }
  return true;
}

export function truthSessions(data: TruthData, p: TruthPeriod): TruthSession[] {
  const range = bounds(p);
  return data.sessions.filter(
    (session) =>
      session.start >= range.fromMs &&
      session.start < range.toMs &&
      sessionMatches(session, p.filters, data, range),
  );
}

export function truthOrders(data: TruthData, p: TruthPeriod): TruthOrder[] {
  const range = bounds(p);
  const byKey = new Map(data.sessions.map((session) => [session.key, session]));
  const f = p.filters;
  const hasSessionFilter =
    f !== undefined && Object.entries(f).some(([k, v]) => k !== 'product' && v !== undefined);
  return data.orders.filter((order) => {
    if (!order.counted || (order.isTest && !p.includeTest)) return false;
    if (order.placed < range.fromMs || order.placed >= range.toMs) return false;
    if (f?.product !== undefined && !order.items.some((item) => item.productId === f.product)) return false;
    if (hasSessionFilter) {
      const session = order.sessionKey === null ? undefined : byKey.get(order.sessionKey);
      if (!session) return false;
      const { product: _product, ...sessionFilters } = f;
      if (!sessionMatches(session, sessionFilters, data, range)) return false;
    }
    return true;
  });
}

function converted(data: TruthData): Set<string> {
  const keys = new Set<string>();
  for (const order of data.orders)
    if (order.counted && !order.isTest && order.sessionKey) keys.add(order.sessionKey);
  return keys;
}

export function truthOverview(data: TruthData, p: TruthPeriod) {
  const sessions = truthSessions(data, p);
  const orders = truthOrders(data, p);
  const withOrder = converted(data);
  const bounces = sessions.filter((x) => x.pageViews === 1).length;
  const duration = sessions.reduce((sum, x) => sum + (x.end - x.start), 0);
  const revenueE4 = orders.reduce((sum, o) => sum + (o.netStoreE4 ?? 0), 0);
  return {
    visitors: new Set(sessions.map((x) => x.visitor)).size,
    sessions: sessions.length,
    pageViews: sessions.reduce((sum, x) => sum + x.pageViews, 0),
    bounceRate: ratio(bounces, sessions.length),
    avgSessionDurationS: sessions.length === 0 ? 0 : Math.round(duration / sessions.length / 10) / 100,
    orders: orders.length,
    revenue: money(revenueE4),
    conversionRate: ratio(sessions.filter((x) => withOrder.has(x.key)).length, sessions.length),
    aov: orders.length === 0 ? 0 : Math.round(revenueE4 / orders.length) / 10_000,
  };
}

/** Per-day series (local days), each day computed as its own one-day period. */
export function truthDailySeries(data: TruthData, p: TruthPeriod) {
  const out = [];
  for (let day = p.fromDay; day <= p.toDay; day++) {
    const o = truthOverview(data, { ...p, fromDay: day, toDay: day });
    out.push({
      bucket: new Date(day * 86_400_000).toISOString().slice(0, 10),
      visitors: o.visitors,
      sessions: o.sessions,
      pageViews: o.pageViews,
      bounceRate: o.bounceRate,
      orders: o.orders,
      revenue: o.revenue,
      conversionRate: o.conversionRate,
    });
  }
  return out;
}

export function truthPages(data: TruthData, p: TruthPeriod, limit: number) {
  const pages = new Map<string, { path: string; pageViews: number; entrances: number; bounces: number }>();
  const page = (path: string) => {
    const row = pages.get(path) ?? { path, pageViews: 0, entrances: 0, bounces: 0 };
    pages.set(path, row);
    return row;
  };
  for (const session of truthSessions(data, p)) {
    const landing = page(session.landing.path);
    landing.entrances += 1;
    if (session.pageViews === 1) landing.bounces += 1;
    for (const [path, views] of session.paths) page(path).pageViews += views;
  }
  return [...pages.values()]
    .sort((a, b) => b.pageViews - a.pageViews || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .slice(0, limit)
    .map((row) => ({
      path: row.path,
      pageViews: row.pageViews,
      entrances: row.entrances,
      bounceRate: ratio(row.bounces, row.entrances),
    }));
}

export function truthBreakdown(
  data: TruthData,
  p: TruthPeriod,
  field: keyof TruthSession['landing'],
  limit: number,
) {
  const withOrder = converted(data);
  const groups = new Map<
    string,
    {
      value: string;
      sessions: number;
      pageViews: number;
      bounces: number;
      duration: number;
      conversions: number;
    }
  >();
  for (const session of truthSessions(data, p)) {
    const value = session.landing[field];
    const row = groups.get(value) ?? {
      value,
      sessions: 0,
      pageViews: 0,
      bounces: 0,
      duration: 0,
      conversions: 0,
    };
    row.sessions += 1;
    row.pageViews += session.pageViews;
    row.bounces += session.pageViews === 1 ? 1 : 0;
    row.duration += session.end - session.start;
    row.conversions += withOrder.has(session.key) ? 1 : 0;
    groups.set(value, row);
  }
  return [...groups.values()]
    .sort((a, b) => b.sessions - a.sessions || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
    .slice(0, limit)
    .map((row) => ({
      value: row.value === '' ? null : row.value,
      sessions: row.sessions,
      pageViews: row.pageViews,
      bounceRate: ratio(row.bounces, row.sessions),
      avgSessionDurationS: Math.round(row.duration / row.sessions / 10) / 100,
      conversions: row.conversions,
      conversionRate: ratio(row.conversions, row.sessions),
    }));
}

/** Largest-remainder split of an amount over weights (the definition product revenue follows). */
function split(total: number, weights: number[]): number[] {
  const w = weights.map((x) => Math.max(x, 0));
  const sum = w.reduce((a, b) => a + b, 0);
  const used = sum > 0 ? w : w.map(() => 1);
  const usedSum = sum > 0 ? sum : used.length;
  const exact = used.map((x) => (total * x) / usedSum);
  const out = exact.map(Math.floor);
  let rest = total - out.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, i) => [i, x - Math.floor(x)] as const)
    .sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  for (let k = 0; rest > 0; k = (k + 1) % order.length, rest--)
    out[order[k]?.[0] ?? 0] = (out[order[k]?.[0] ?? 0] ?? 0) + 1;
  return out;
}

export function truthProducts(data: TruthData, p: TruthPeriod) {
  const range = bounds(p);
  const products = new Map<
    string,
    {
      productId: string;
      views: number;
      adds: number;
      removals: number;
      checkouts: number;
      purchases: number;
      units: number;
      revenueE4: number;
    }
  >();
  const product = (id: string) => {
    const row = products.get(id) ?? {
      productId: id,
      views: 0,
      adds: 0,
      removals: 0,
      checkouts: 0,
      purchases: 0,
      units: 0,
      revenueE4: 0,
    };
    products.set(id, row);
    return row;
  };
  const counter = {
    'Product Viewed': 'views',
    'Product Added': 'adds',
    'Product Removed': 'removals',
    'Checkout Started': 'checkouts',
  } as const;
  for (const event of data.productEvents) {
    if (event.at < range.fromMs || event.at >= range.toMs) continue;
    const field = counter[event.event as keyof typeof counter];
    for (const id of event.productIds) product(id)[field] += 1;
  }
  for (const order of truthOrders(data, { ...p, filters: undefined })) {
    const items = order.items.length > 0 ? order.items : [{ productId: '', quantity: 0, weightE4: 0 }];
    const shares = split(
      order.netStoreE4 ?? 0,
      items.map((i) => i.weightE4),
    );
    items.forEach((item, index) => {
      const row = product(item.productId);
      row.purchases += 1;
      row.units += item.quantity;
      row.revenueE4 += shares[index] ?? 0;
    });
  }
  return products;
}

export function truthEcommerce(data: TruthData, p: TruthPeriod) {
  const orders = truthOrders(data, p);
  // First counted non-test order per customer, over all time.
  const first = new Map<string, TruthOrder>();
  for (const order of [...data.orders].sort(
    (a, b) => a.placed - b.placed || (a.orderId < b.orderId ? -1 : 1),
  )) {
    if (!order.counted || order.isTest || order.customer === null) continue;
    if (!first.has(order.customer)) first.set(order.customer, order);
  }
  const returning = orders.filter(
    (o) => o.counted && !o.isTest && o.customer !== null && first.get(o.customer) !== o,
  ).length;
  const perCustomer = new Map<string, number>();
  for (const o of orders) if (o.customer) perCustomer.set(o.customer, (perCustomer.get(o.customer) ?? 0) + 1);
  const repeat = [...perCustomer.values()].filter((n) => n > 1).length;
  const revenueE4 = orders.reduce((sum, o) => sum + (o.netStoreE4 ?? 0), 0);
  const currencies = new Map<
    string,
    { currency: string; orders: number; revenue: number; converted: number; unconverted: number }
  >();
  for (const o of orders) {
    const c = currencies.get(o.currency) ?? {
      currency: o.currency,
      orders: 0,
      revenue: 0,
      converted: 0,
      unconverted: 0,
    };
    c.orders += 1;
    c.revenue += o.netE4;
    c.converted += o.netStoreE4 ?? 0;
    c.unconverted += o.rate === null ? 1 : 0;
    currencies.set(o.currency, c);
  }
  const coupons = new Map<string, { coupon: string; orders: number; discounts: number; revenue: number }>();
  for (const o of orders) {
    if (o.coupon === '') continue;
    const c = coupons.get(o.coupon) ?? { coupon: o.coupon, orders: 0, discounts: 0, revenue: 0 };
    c.orders += 1;
    c.discounts += o.discountStoreE4 ?? 0;
    c.revenue += o.netStoreE4 ?? 0;
    coupons.set(o.coupon, c);
  }
  return {
    totals: {
      orders: orders.length,
      revenue: money(revenueE4),
      grossRevenue: money(orders.reduce((sum, o) => sum + (o.grossStoreE4 ?? 0), 0)),
      refunds: money(orders.reduce((sum, o) => sum + (o.refundedStoreE4 ?? 0), 0)),
      aov: orders.length === 0 ? 0 : Math.round(revenueE4 / orders.length) / 10_000,
      unconvertedOrders: orders.filter((o) => o.rate === null).length,
      couponOrders: orders.filter((o) => o.coupon !== '').length,
      discounts: money(orders.reduce((sum, o) => sum + (o.discountStoreE4 ?? 0), 0)),
      customers: perCustomer.size,
      newCustomerOrders: orders.length - returning,
      returningCustomerOrders: returning,
      repeatCustomers: repeat,
      repeatPurchaseRate: ratio(repeat, perCustomer.size),
    },
    byCurrency: [...currencies.values()]
      .sort((a, b) => b.orders - a.orders || (a.currency < b.currency ? -1 : 1))
      .map((c) => ({
        currency: c.currency,
        orders: c.orders,
        revenue: money(c.revenue),
        revenueConverted: money(c.converted),
        unconvertedOrders: c.unconverted,
      })),
    coupons: [...coupons.values()]
      .sort((a, b) => b.orders - a.orders || (a.coupon < b.coupon ? -1 : 1))
      .map((c) => ({
        coupon: c.coupon,
        orders: c.orders,
        discounts: money(c.discounts),
        revenue: money(c.revenue),
      })),
  };
}

/** Orders and revenue by the landing channel of the order's session and of the visitor's first session. */
export function truthAttribution(
  data: TruthData,
  p: TruthPeriod,
  dimension: 'channel' | 'source' | 'medium' | 'campaign' = 'channel',
) {
  const field = (
    { channel: 'channel', source: 'utmSource', medium: 'utmMedium', campaign: 'utmCampaign' } as const
  )[dimension];
  const byKey = new Map(data.sessions.map((x) => [x.key, x]));
  const firstOf = new Map<string, TruthSession>();
  for (const session of data.sessions) {
    const current = firstOf.get(session.visitor);
    if (!current || session.start < current.start) firstOf.set(session.visitor, session);
  }
  const rows = new Map<string, { value: string; first: [number, number]; last: [number, number] }>();
  const row = (value: string) => {
    const r = rows.get(value) ?? {
      value,
      first: [0, 0] as [number, number],
      last: [0, 0] as [number, number],
    };
    rows.set(value, r);
    return r;
  };
  for (const order of truthOrders(data, p)) {
    const last = order.sessionKey ? byKey.get(order.sessionKey) : undefined;
    const first = order.visitor ? firstOf.get(order.visitor) : undefined;
    const a = row(first?.landing[field] ?? '');
    a.first[0] += 1;
    a.first[1] += order.netStoreE4 ?? 0;
    const b = row(last?.landing[field] ?? '');
    b.last[0] += 1;
    b.last[1] += order.netStoreE4 ?? 0;
  }
  return new Map(
    [...rows.values()].map((r) => [
      r.value === '' ? null : r.value,
      {
        firstTouchOrders: r.first[0],
        firstTouchRevenue: money(r.first[1]),
        lastTouchOrders: r.last[0],
        lastTouchRevenue: money(r.last[1]),
      },
    ]),
  );
}

/** The checkout funnel counted existentially: an entity reaches step k if some chain of steps 1..k exists. */
export function truthFunnel(data: TruthData, p: TruthPeriod, windowMs: number, by: 'visitor' | 'session') {
  const range = bounds(p);
  const steps = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'];
  const groups = new Map<string, { event: string; at: number }[]>();
  for (const event of data.funnelEvents) {
    const key = by === 'visitor' ? event.visitor : event.sessionKey;
    if (key === null) continue;
    const list = groups.get(key) ?? [];
    list.push(event);
    groups.set(key, list);
  }
  const counts = steps.map(() => 0);
  for (const events of groups.values()) {
    let best = 0;
    for (const entry of events) {
      if (entry.event !== steps[0] || entry.at < range.fromMs || entry.at >= range.toMs) continue;
      let depth = 1;
      let at = entry.at;
      for (let k = 1; k < steps.length; k++) {
        const next = events.find(
          (e) => e.event === steps[k] && e.at >= at && e.at <= entry.at + windowMs && e !== entry,
        );
        if (!next) break;
        depth += 1;
        at = next.at;
      }
      best = Math.max(best, depth);
    }
    for (let k = 0; k < best; k++) counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}
