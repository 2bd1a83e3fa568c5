import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/harness/databases.js';
import type { PipelineEvent } from '../pipeline/index.js';
import { seedRate, seedStore } from '../seed/index.js';
import { dayStartMs, parseDate } from './report-time.js';
import type { ReportFilters, ReportParams } from './reports.service.js';
import { generatedSessions, makeEvent, orderEvent, shuffled } from './test-kit/events.js';
import {
  loadTruth,
  type TruthData,
  type TruthFilters,
  type TruthPeriod,
  truthAttribution,
  truthBreakdown,
  truthDailySeries,
  truthEcommerce,
  truthFunnel,
  truthOverview,
  truthPages,
  truthProducts,
} from './test-kit/raw-truth.js';
import { createReportsTestEnv, type ReportsTestEnv } from './test-kit/reports-test-env.js';

const ZONE = 'America/New_York';
// Ten days around the spring DST change (2026-03-08, 02:00 → 03:00 in New York).
const NOW = Date.parse('2026-03-12T20:00:00Z');
const INGESTED = { id: 1, timeZone: ZONE, currency: 'USD' };
const SEEDED = { id: 2, timeZone: ZONE, currency: 'USD' };
const GENERATOR = { events: 9000, days: 10, endMs: NOW, seed: 7, timeZone: ZONE, currency: 'USD' };
const day = (text: string) => parseDate(text) as number;

const PERIODS: { name: string; from: string; to: string }[] = [
  { name: 'all ten days', from: '2026-03-03', to: '2026-03-12' },
  { name: 'three days across the DST change', from: '2026-03-07', to: '2026-03-09' },
  { name: 'the 23-hour DST day', from: '2026-03-08', to: '2026-03-08' },
];

const FILTERS: { name: string; filters: ReportFilters }[] = [
  { name: 'channel search', filters: { channel: 'search' } },
  { name: 'mobile in the US', filters: { device: 'mobile', country: 'US' } },
  { name: 'entry page /', filters: { page: '/' } },
  { name: 'campaign brand', filters: { utmCampaign: 'brand' } },
  { name: 'product prod_1', filters: { product: 'prod_1' } },
];

const BREAKDOWNS = [
  ['channel', 'channel'],
  ['referrerHost', 'referrerHost'],
  ['utmSource', 'utmSource'],
  ['utmMedium', 'utmMedium'],
  ['utmCampaign', 'utmCampaign'],
  ['device', 'device'],
  ['browser', 'browser'],
  ['os', 'os'],
  ['country', 'country'],
] as const;

/** Hand-made cases the generator makes rarely or never. */
function handmadeEvents(): { first: PipelineEvent[]; late: PipelineEvent[] } {
  const at = (iso: string) => Date.parse(iso);
  const jpy = { anonymousId: 'hand-jpy', sessionId: 'hand-jpy-1', country: 'JP' };
  const test = { anonymousId: 'hand-test', sessionId: 'hand-test-1', channel: 'email', utmCampaign: 'brand' };
  const late = { anonymousId: 'hand-late', sessionId: 'hand-late-1', channel: 'internal' };
  const refund = {
    anonymousId: 'hand-refund',
    sessionId: 'hand-refund-1',
    channel: 'paid',
    utmCampaign: 'brand',
  };
  const first = [
    // An order in a currency nobody gave a rate for: counted, but reported as unconverted.
    makeEvent({ ...jpy, timestampMs: at('2026-03-10T15:00:00Z'), pagePath: '/checkout' }),
    orderEvent(
      'Order Completed',
      {
        ...jpy,
        timestampMs: at('2026-03-10T15:01:00Z'),
        orderId: 'H-JPY',
        revenue: 5000,
        currency: 'JPY',
        userId: 'cus_jpy',
      },
      { revenue: 5000, currency: 'JPY', products: [{ product_id: 'prod_1', price: 5000, quantity: 1 }] },
    ),
    // A test order flagged in its properties: excluded by default.
    makeEvent({ ...test, timestampMs: at('2026-03-09T16:00:00Z'), pagePath: '/products/x' }),
    orderEvent(
      'Order Completed',
      { ...test, timestampMs: at('2026-03-09T16:02:00Z'), orderId: 'H-TEST', revenue: 42, currency: 'USD' },
      {
        revenue: 42,
        currency: 'USD',
        test: true,
        products: [{ product_id: 'prod_2', price: 42, quantity: 1 }],
      },
    ),
    // A session whose first events arrive first; its true landing, the evening before, arrives later.
    makeEvent({ ...late, timestampMs: at('2026-03-09T05:10:00Z'), pagePath: '/late-a' }),
    makeEvent({ ...late, timestampMs: at('2026-03-09T05:20:00Z'), pagePath: '/late-b' }),
    // An order refunded in part, then a second one cancelled.
    makeEvent({ ...refund, timestampMs: at('2026-03-05T12:00:00Z'), pagePath: '/' }),
    orderEvent(
      'Order Completed',
      {
        ...refund,
        timestampMs: at('2026-03-05T12:05:00Z'),
        orderId: 'H-REFUND',
        revenue: 100,
        currency: 'USD',
        userId: 'cus_refund',
      },
      {
        revenue: 100,
        currency: 'USD',
        coupon: 'HAND5',
        discount: 5,
        products: [
          { product_id: 'prod_1', price: 60, quantity: 1 },
          { product_id: 'prod_9', price: 20, quantity: 2 },
        ],
      },
    ),
    orderEvent(
      'Order Completed',
      {
        ...refund,
        timestampMs: at('2026-03-05T12:30:00Z'),
        orderId: 'H-CANCEL',
        revenue: 30,
        currency: 'USD',
        userId: 'cus_refund',
      },
      { revenue: 30, currency: 'USD', products: [{ product_id: 'prod_3', price: 30, quantity: 1 }] },
    ),
  ];
  const lateEvents = [
    makeEvent({
      ...late,
      timestampMs: at('2026-03-09T03:50:00Z'),
      pagePath: '/late-landing',
      channel: 'social',
      referrerHost: 'facebook.com',
    }),
    orderEvent(
      'Order Refunded',
      {
        anonymousId: null,
        sessionId: null,
        userId: 'cus_refund',
        timestampMs: at('2026-03-07T10:00:00Z'),
        orderId: 'H-REFUND',
        revenue: 25,
        currency: 'USD',
        isServer: true,
      },
      { total: 25, currency: 'USD' },
    ),
    orderEvent('Order Cancelled', {
      anonymousId: null,
      sessionId: null,
      userId: 'cus_refund',
      timestampMs: at('2026-03-06T10:00:00Z'),
      orderId: 'H-CANCEL',
      isServer: true,
    }),
  ];
  return { first, late: lateEvents };
}

describe.each(DIALECTS)('reports against raw truth on %s', (dialect) => {
  let env: ReportsTestEnv;
  const truths = new Map<number, TruthData>();

  beforeAll(async () => {
    env = await createReportsTestEnv(dialect, { startMs: NOW, stores: [INGESTED, SEEDED], batchSize: 37 });
    const rates = ['EUR', 'GBP', 'CAD'].map((currency) => ({
      currency,
      validFromMs: 0,
      rate: seedRate(currency, 'USD'),
    }));
    await env.reports.putRates(INGESTED.id, rates);
    const sessions = await generatedSessions(GENERATOR);
    const events = shuffled(
      sessions.flatMap((s) => s.events),
      11,
    );
    const hand = handmadeEvents();
    await env.ingest(INGESTED.id, [...events, ...hand.first]);
    await env.ingest(INGESTED.id, hand.late);
    // Redelivery: the same messages again once the buffer has forgotten them; the database refuses them.
    env.clock.advance(25 * 60_000);
    await env.ingest(INGESTED.id, events.slice(0, 300));
    env.clock.set(NOW);
    await seedStore(
      {
        database: env.database,
        clock: env.clock,
        reports: env.reports,
        stores: { getCached: async (id) => env.stores.get(id) ?? null },
      },
      {
        storeId: SEEDED.id,
        events: GENERATOR.events,
        days: GENERATOR.days,
        seed: GENERATOR.seed,
        chunkEvents: 700,
      },
    );
    for (const store of [INGESTED, SEEDED])
      truths.set(store.id, await loadTruth(env.database, store.id, 'USD'));
  }, 240_000);

  afterAll(async () => {
    await env?.close();
  });

  const truthOf = (storeId: number) => truths.get(storeId) as TruthData;
  const periodOf = (from: string, to: string, filters?: TruthFilters): TruthPeriod => ({
    zone: ZONE,
    fromDay: day(from),
    toDay: day(to),
    ...(filters ? { filters } : {}),
  });

  it('stored the test data the cases need, without failures', () => {
    expect(env.problems.filter((line) => /event failed|failed a batch/.test(line))).toEqual([]);
    const truth = truthOf(INGESTED.id);
    const orders = truth.orders;
    expect(orders.some((o) => o.currency !== 'USD' && o.rate !== null)).toBe(true);
    expect(orders.some((o) => o.rate === null)).toBe(true);
    expect(orders.some((o) => o.isTest)).toBe(true);
    expect(orders.some((o) => !o.counted)).toBe(true);
    expect(orders.some((o) => o.coupon !== '')).toBe(true);
    expect(truth.sessions.length).toBeGreaterThan(800);
  });

  it('keeps orders identical whether they came through the worker or the seed', async () => {
    const read = async (storeId: number) =>
      (
        await env.database
          .typed<{
            orders: {
              store_id: number;
              order_id: string;
              status: string;
              revenue: number;
              refunded_total: number;
              net_revenue: number;
              placed_at_ms: number;
              session_id: string | null;
              currency: string | null;
            };
          }>()
          .selectFrom('orders')
          .select([
            'order_id',
            'status',
            'revenue',
            'refunded_total',
            'net_revenue',
            'placed_at_ms',
            'session_id',
            'currency',
          ])
          .where('store_id', '=', storeId)
          .where('order_id', 'like', 'S7-%')
          .orderBy('order_id')
          .execute()
      ).map((row) => ({
        ...row,
        revenue: Number(row.revenue),
        refunded_total: Number(row.refunded_total),
        net_revenue: Number(row.net_revenue),
        placed_at_ms: Number(row.placed_at_ms),
      }));
    const viaWorker = await read(INGESTED.id);
    const viaSeed = await read(SEEDED.id);
    expect(viaWorker.length).toBeGreaterThan(20);
    // The pipeline dates an order by the first Order Completed it applies: when the shop's server
    // confirmation (2 s later) lands in an earlier batch than the browser's event, that one.
    const undated = (rows: typeof viaWorker) => rows.map(({ placed_at_ms: _, ...row }) => row);
    expect(undated(viaSeed)).toEqual(undated(viaWorker));
    viaSeed.forEach((row, i) => {
      expect(Math.abs(row.placed_at_ms - (viaWorker[i]?.placed_at_ms ?? 0))).toBeLessThanOrEqual(2000);
    });
  });

  for (const store of [INGESTED, SEEDED]) {
    const how = store === INGESTED ? 'worker (shuffled batches, redeliveries)' : 'seed (bulk, same pass)';
    describe(`rollups written by the ${how}`, () => {
      for (const period of PERIODS) {
        it(`overview over ${period.name}`, async () => {
          const params: ReportParams = { from: period.from, to: period.to, granularity: 'day' };
          const report = await env.reports.service.overview(store.id, params);
          const truth = truthOf(store.id);
          const values = Object.fromEntries(Object.entries(report.metrics).map(([k, v]) => [k, v.value]));
          expect(values).toEqual(truthOverview(truth, periodOf(period.from, period.to)));
          expect(report.series).toEqual(truthDailySeries(truth, periodOf(period.from, period.to)));
        });

        it(`pages, sources and technology over ${period.name}`, async () => {
          const params: ReportParams = { from: period.from, to: period.to, limit: 1000 };
          const truth = truthOf(store.id);
          const pages = await env.reports.service.pages(store.id, params);
          expect(pages.items.map(({ previousPageViews: _, ...row }) => row)).toEqual(
            truthPages(truth, periodOf(period.from, period.to), 1000),
          );
          for (const [dimension, field] of BREAKDOWNS) {
            const report = await env.reports.service.breakdown(store.id, params, dimension);
            expect(
              report.items.map(({ previousSessions: _, ...row }) => row),
              dimension,
            ).toEqual(truthBreakdown(truth, periodOf(period.from, period.to), field, 1000));
          }
        });

        it(`eCommerce, products and attribution over ${period.name}`, async () => {
          const params: ReportParams = { from: period.from, to: period.to, limit: 1000 };
          const truth = truthOf(store.id);
          const p = periodOf(period.from, period.to);
          const ecommerce = await env.reports.service.ecommerce(store.id, params);
          const expected = truthEcommerce(truth, p);
          const totals = Object.fromEntries(Object.entries(ecommerce.totals).map(([k, v]) => [k, v.value]));
          expect(totals).toEqual(expected.totals);
          expect(ecommerce.byCurrency).toEqual(expected.byCurrency);
          expect(ecommerce.coupons).toEqual(expected.coupons);

          const products = await env.reports.service.products(store.id, params);
          const productTruth = truthProducts(truth, p);
          const got = new Map(products.items.map((row) => [row.productId ?? '', row]));
          expect(got.size).toBe([...productTruth.values()].length);
          for (const [id, row] of productTruth) {
            expect(got.get(id), id).toMatchObject({
              views: row.views,
              adds: row.adds,
              removals: row.removals,
              checkouts: row.checkouts,
              purchases: row.purchases,
              units: row.units,
              revenue: row.revenueE4 / 10_000,
            });
          }
          // Product revenue adds up to the orders' revenue, to the 1e-4 unit.
          expect(products.totals.revenue).toBe(expected.totals.revenue);

          const attribution = await env.reports.service.attribution(store.id, params, 'channel');
          const attributionTruth = truthAttribution(truth, p);
          expect(attribution.items.length).toBe(attributionTruth.size);
          for (const row of attribution.items) {
            const { value, previousLastTouchRevenue: _, ...figures } = row;
            expect(figures, String(value)).toEqual(attributionTruth.get(value));
          }
        });

        it(`the checkout funnel over ${period.name}`, async () => {
          const truth = truthOf(store.id);
          const windowMinutes = 24 * 60;
          const funnel = await env.reports.service.funnel(
            store.id,
            { from: period.from, to: period.to },
            { windowMinutes },
          );
          const p = periodOf(period.from, period.to);
          expect(funnel.steps.map((s) => s.visitors)).toEqual(
            truthFunnel(truth, p, windowMinutes * 60_000, 'visitor'),
          );
          expect(funnel.steps.map((s) => s.sessions)).toEqual(
            truthFunnel(truth, p, windowMinutes * 60_000, 'session'),
          );
          expect(funnel.cartAbandonment?.carts).toBeGreaterThan(0);
          // A breakdown reads the raw events instead of the funnel index: the same totals.
          const split = await env.reports.service.funnel(
            store.id,
            { from: period.from, to: period.to },
            { windowMinutes, breakdown: 'device' },
          );
          expect(split.steps).toEqual(funnel.steps);
          expect(split.cartAbandonment).toEqual(funnel.cartAbandonment);
          const groups = split.breakdown?.groups ?? [];
          expect(groups.reduce((sum, g) => sum + (g.steps[0]?.visitors ?? 0), 0)).toBe(
            funnel.steps[0]?.visitors,
          );
        });
      }

      for (const { name, filters } of FILTERS) {
        it(`filtered by ${name}`, async () => {
          const truth = truthOf(store.id);
          const { from, to } = PERIODS[0] as { from: string; to: string };
          const params: ReportParams = { from, to, filters, limit: 1000 };
          const p = periodOf(from, to, filters);
          const overview = await env.reports.service.overview(store.id, params);
          const values = Object.fromEntries(Object.entries(overview.metrics).map(([k, v]) => [k, v.value]));
          expect(values).toEqual(truthOverview(truth, p));
          expect(overview.series).toEqual(truthDailySeries(truth, p));
          if (filters.product === undefined) {
            const pages = await env.reports.service.pages(store.id, params);
            expect(pages.items.map(({ previousPageViews: _, ...row }) => row)).toEqual(
              truthPages(truth, p, 1000),
            );
            const channels = await env.reports.service.breakdown(store.id, params, 'channel');
            expect(channels.items.map(({ previousSessions: _, ...row }) => row)).toEqual(
              truthBreakdown(truth, p, 'channel', 1000),
            );
          }
          const ecommerce = await env.reports.service.ecommerce(store.id, params);
          expect(ecommerce.totals.orders.value).toBe(truthEcommerce(truth, p).totals.orders);
          expect(ecommerce.totals.revenue.value).toBe(truthEcommerce(truth, p).totals.revenue);
        });
      }

      it('hourly series: 23 buckets on the DST day, each equal to its hour of raw events', async () => {
        const report = await env.reports.service.overview(store.id, {
          from: '2026-03-08',
          to: '2026-03-08',
          granularity: 'hour',
        });
        expect(report.series).toHaveLength(23);
        const truth = truthOf(store.id);
        for (const bucket of report.series) {
          const start = Date.parse(bucket.bucket);
          const o = truthOverview(truth, {
            zone: ZONE,
            fromDay: 0,
            toDay: 0,
            span: { fromMs: start, toMs: start + 3_600_000 },
          });
          expect(bucket, bucket.bucket).toEqual({
            bucket: bucket.bucket,
            visitors: o.visitors,
            sessions: o.sessions,
            pageViews: o.pageViews,
            bounceRate: o.bounceRate,
            orders: o.orders,
            revenue: o.revenue,
            conversionRate: o.conversionRate,
          });
        }
        expect(Date.parse(report.series[0]?.bucket ?? '')).toBe(dayStartMs(ZONE, day('2026-03-08')));
      });

      it('weekly series count a visitor once per week', async () => {
        const report = await env.reports.service.overview(store.id, {
          from: '2026-03-03',
          to: '2026-03-12',
          granularity: 'week',
        });
        const truth = truthOf(store.id);
        expect(report.series.map((b) => b.bucket)).toEqual(['2026-03-03', '2026-03-09']);
        expect(report.series[0]?.visitors).toBe(
          truthOverview(truth, periodOf('2026-03-03', '2026-03-08')).visitors,
        );
        expect(report.series[1]?.visitors).toBe(
          truthOverview(truth, periodOf('2026-03-09', '2026-03-12')).visitors,
        );
      });
    });
  }

  it('counts test orders only when asked', async () => {
    const params: ReportParams = { from: '2026-03-03', to: '2026-03-12', includeTestOrders: true };
    const report = await env.reports.service.ecommerce(INGESTED.id, params);
    expect(report.totals.orders.value).toBe(
      truthEcommerce(truthOf(INGESTED.id), { ...periodOf('2026-03-03', '2026-03-12'), includeTest: true })
        .totals.orders,
    );
    const without = await env.reports.service.ecommerce(INGESTED.id, {
      from: '2026-03-03',
      to: '2026-03-12',
    });
    expect(report.totals.orders.value).toBeGreaterThan(without.totals.orders.value);
  });

  it('rebuilds rollups from raw events to the same numbers', async () => {
    const params: ReportParams = { from: '2026-03-03', to: '2026-03-12', granularity: 'day', limit: 1000 };
    const before = {
      overview: await env.reports.service.overview(INGESTED.id, params),
      pages: await env.reports.service.pages(INGESTED.id, params),
      ecommerce: await env.reports.service.ecommerce(INGESTED.id, params),
      products: await env.reports.service.products(INGESTED.id, params),
      funnel: await env.reports.service.funnel(INGESTED.id, params, { windowMinutes: 24 * 60 }),
    };
    // Damage a day's rollups, then rebuild every day.
    await env.database
      .typed<{ report_hourly: { store_id: number } }>()
      .deleteFrom('report_hourly')
      .where('store_id', '=', INGESTED.id)
      .execute();
    await env.database
      .typed<{ report_funnel_events: { store_id: number } }>()
      .deleteFrom('report_funnel_events')
      .where('store_id', '=', INGESTED.id)
      .execute();
    await env.reports.rebuilder.rebuildDays(INGESTED.id, day('2026-03-02'), day('2026-03-12'));
    expect(await env.reports.service.overview(INGESTED.id, params)).toEqual(before.overview);
    expect(await env.reports.service.pages(INGESTED.id, params)).toEqual(before.pages);
    expect(await env.reports.service.ecommerce(INGESTED.id, params)).toEqual(before.ecommerce);
    expect(await env.reports.service.products(INGESTED.id, params)).toEqual(before.products);
    expect(await env.reports.service.funnel(INGESTED.id, params, { windowMinutes: 24 * 60 })).toEqual(
      before.funnel,
    );
  });

  it('keeps counting exactly when live traffic follows a seed', async () => {
    const at = Date.parse('2026-03-11T14:00:00Z');
    const visitor = {
      anonymousId: 'after-seed',
      sessionId: 'after-seed-1',
      channel: 'search',
      referrerHost: 'google.com',
    };
    await env.ingest(SEEDED.id, [
      makeEvent({ ...visitor, timestampMs: at }),
      makeEvent({ ...visitor, timestampMs: at + 60_000, pagePath: '/products/shoes-6' }),
      orderEvent(
        'Order Completed',
        { ...visitor, timestampMs: at + 120_000, orderId: 'AFTER-1', revenue: 80, currency: 'USD' },
        { revenue: 80, currency: 'USD', products: [{ product_id: 'prod_6', price: 80, quantity: 1 }] },
      ),
    ]);
    const truth = await loadTruth(env.database, SEEDED.id, 'USD');
    const report = await env.reports.service.overview(SEEDED.id, { from: '2026-03-03', to: '2026-03-12' });
    const values = Object.fromEntries(Object.entries(report.metrics).map(([k, v]) => [k, v.value]));
    expect(values).toEqual(truthOverview(truth, periodOf('2026-03-03', '2026-03-12')));
  });

  it("keeps customers, repeat customers and touches exact when a customer's middle order and first session come late", async () => {
    const visitor = { anonymousId: 'chain-visitor', userId: 'chain-user' };
    const at = (date: string) => Date.parse(`${date}T15:00:00Z`);
    const visit = (date: string, sessionId: string, landing: Partial<PipelineEvent>, orderId?: string) => [
      makeEvent({ ...visitor, ...landing, sessionId, timestampMs: at(date) }),
      ...(orderId
        ? [
            orderEvent(
              'Order Completed',
              {
                ...visitor,
                ...landing,
                sessionId,
                timestampMs: at(date) + 60_000,
                orderId,
                revenue: 50,
                currency: 'USD',
              },
              { revenue: 50, currency: 'USD', products: [{ product_id: 'prod_3', price: 50, quantity: 1 }] },
            ),
          ]
        : []),
    ];
    const periods = [
      ['2026-03-06', '2026-03-06'],
      ['2026-03-05', '2026-03-06'],
      ['2026-03-07', '2026-03-07'],
      ['2026-03-03', '2026-03-12'],
    ] as const;
    const check = async () => {
      const truth = await loadTruth(env.database, SEEDED.id, 'USD');
      for (const [from, to] of periods) {
        const p = periodOf(from, to);
        const ecommerce = await env.reports.service.ecommerce(SEEDED.id, { from, to, limit: 1000 });
        const totals = Object.fromEntries(Object.entries(ecommerce.totals).map(([k, v]) => [k, v.value]));
        expect(totals, `${from}..${to}`).toEqual(truthEcommerce(truth, p).totals);
        expect(ecommerce.byCurrency, `${from}..${to}`).toEqual(truthEcommerce(truth, p).byCurrency);
        for (const dimension of ['channel', 'campaign'] as const) {
          const attribution = await env.reports.service.attribution(
            SEEDED.id,
            { from, to, limit: 1000 },
            dimension,
          );
          const expected = truthAttribution(truth, p, dimension);
          expect(attribution.items.length, `${dimension} ${from}..${to}`).toBe(expected.size);
          for (const { value, previousLastTouchRevenue: _, ...figures } of attribution.items) {
            expect(figures, `${dimension} ${String(value)} ${from}..${to}`).toEqual(expected.get(value));
          }
        }
      }
      return truth;
    };
    await env.ingest(SEEDED.id, [
      ...visit('2026-03-04', 'chain-1', { channel: 'social', referrerHost: 'facebook.com' }),
      ...visit('2026-03-05', 'chain-2', { channel: 'email' }, 'CHAIN-A'),
      ...visit('2026-03-07', 'chain-4', { channel: 'paid', utmCampaign: 'spring' }, 'CHAIN-C'),
    ]);
    await check();
    // Late: a session before all the others (the new first touch) and an order between A and C.
    await env.ingest(SEEDED.id, [
      ...visit('2026-03-03', 'chain-0', { channel: 'search', referrerHost: 'google.com' }),
      ...visit('2026-03-06', 'chain-3', { channel: 'referral', referrerHost: 'blog.example' }, 'CHAIN-B'),
    ]);
    const truth = await check();
    const chain = truth.orders
      .filter((o) => o.orderId.startsWith('CHAIN-'))
      .map((o) => o.orderId)
      .sort();
    expect(chain).toEqual(['CHAIN-A', 'CHAIN-B', 'CHAIN-C']);
  });
});
