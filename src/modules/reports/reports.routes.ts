import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type TSchema, Type } from 'typebox';
import { invalid } from '../../platform/errors.js';
import type { HttpApp } from '../../platform/http/app.js';
import { requireStoreId } from '../../platform/http/request-context.js';
import { errorResponses } from '../../platform/http/schemas.js';
import { toPublicId } from '../../platform/ids.js';
import type { FunnelStep } from './funnel.js';
import { type CsvCell, toCsv } from './report-csv.js';
import {
  AttributionView,
  BreakdownView,
  CurrencyRatesBody,
  CurrencyRatesView,
  EcommerceView,
  FunnelOptionsFields,
  FunnelStepInput,
  FunnelView,
  GranularityField,
  LiveView,
  OverviewView,
  PagesView,
  ProductsView,
  reportQuery,
  StoreParams,
} from './reports.schemas.js';
import type {
  AttributionDimension,
  ProductSort,
  ReportFilters,
  ReportParams,
  ReportsService,
} from './reports.service.js';
import type { DimensionName } from './rollup-model.js';

const READ = { access: { kind: 'store' as const, permission: 'reports:read' } };
const TAGS = ['reports'];

type Query = Record<string, unknown>;

function paramsOf(query: Query): ReportParams {
  const text = (key: string) => (typeof query[key] === 'string' ? (query[key] as string) : undefined);
  const filters: ReportFilters = {};
  for (const key of [
    'channel',
    'referrerHost',
    'utmSource',
    'utmMedium',
    'utmCampaign',
    'device',
    'browser',
    'os',
    'country',
    'page',
    'product',
  ] as const) {
    const value = text(key);
    if (value !== undefined) filters[key] = value;
  }
  const params: ReportParams = { filters };
  for (const key of ['from', 'to', 'compareFrom', 'compareTo'] as const) {
    const value = text(key);
    if (value !== undefined) params[key] = value;
  }
  if (query.compare === 'previous' || query.compare === 'none') params.compare = query.compare;
  if (query.granularity === 'hour' || query.granularity === 'day' || query.granularity === 'week') {
    params.granularity = query.granularity;
  }
  if (typeof query.includeTestOrders === 'boolean') params.includeTestOrders = query.includeTestOrders;
  if (typeof query.limit === 'number') params.limit = query.limit;
  return params;
}

/** A table report answers CSV when asked with `Accept: text/csv`, else JSON. */
function wantsCsv(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return /\btext\/csv\b/i.test(accept);
}

function sendCsv(
  reply: FastifyReply,
  name: string,
  period: { from: string; to: string },
  columns: string[],
  rows: CsvCell[][],
) {
  return reply
    .type('text/csv; charset=utf-8')
    .header('Content-Disposition', `attachment; filename="${name}-${period.from}-${period.to}.csv"`)
    .send(toCsv(columns, rows));
}

/** The 200 response: JSON by its schema (also the serialisation whitelist), or CSV. */
function tableResponse(schema: TSchema) {
  return {
    200: {
      description: 'The report (JSON), or its table as CSV with `Accept: text/csv`',
      content: {
        'application/json': { schema },
        'text/csv': { schema: Type.String() },
      },
    },
    ...errorResponses(400, 401, 403, 404),
  };
}

/**
 * The reports API under `/api/v1/stores/:storeId/reports/…`. Every route needs `reports:read` on the store
 * (a secret key with the scope, or a member whose role has it); changing currency rates needs `stores:write`.
 */
export function registerReportsRoutes(app: HttpApp, deps: { reports: ReportsService }): void {
  const { reports } = deps;
  const base = '/api/v1/stores/:storeId/reports';

  app.get(
    `${base}/overview`,
    {
      config: READ,
      schema: {
        tags: TAGS,
        summary: 'Visitors, sessions, page views, bounce rate, duration, orders, revenue, conversion, AOV',
        params: StoreParams,
        querystring: reportQuery(GranularityField),
        response: tableResponse(OverviewView),
      },
    },
    async (request, reply) => {
      const report = await reports.overview(requireStoreId(request), paramsOf(request.query));
      if (!wantsCsv(request)) return report;
      return sendCsv(
        reply,
        'overview',
        report.period,
        [
          'bucket',
          'visitors',
          'sessions',
          'page_views',
          'bounce_rate',
          'orders',
          'revenue',
          'conversion_rate',
        ],
        report.series.map((b) => [
          b.bucket,
          b.visitors,
          b.sessions,
          b.pageViews,
          b.bounceRate,
          b.orders,
          b.revenue,
          b.conversionRate,
        ]),
      );
    },
  );

  app.get(
    `${base}/pages`,
    {
      config: READ,
      schema: {
        tags: TAGS,
        summary: 'Top pages: views, entrances and bounce rate',
        params: StoreParams,
        querystring: reportQuery({}),
        response: tableResponse(PagesView),
      },
    },
    async (request, reply) => {
      const report = await reports.pages(requireStoreId(request), paramsOf(request.query));
      if (!wantsCsv(request)) return report;
      return sendCsv(
        reply,
        'pages',
        report.period,
        ['path', 'page_views', 'entrances', 'bounce_rate', 'previous_page_views'],
        report.items.map((r) => [r.path, r.pageViews, r.entrances, r.bounceRate, r.previousPageViews]),
      );
    },
  );

  const breakdown = (
    path: string,
    dimensions: readonly DimensionName[],
    fallback: DimensionName,
    summary: string,
  ) =>
    app.get(
      `${base}/${path}`,
      {
        config: READ,
        schema: {
          tags: TAGS,
          summary,
          params: StoreParams,
          querystring: reportQuery({
            dimension: Type.Optional(Type.Union(dimensions.map((d) => Type.Literal(d)))),
          }),
          response: tableResponse(BreakdownView),
        },
      },
      async (request, reply) => {
        const query = request.query as Query;
        const dimension = (typeof query.dimension === 'string' ? query.dimension : fallback) as DimensionName;
        const report = await reports.breakdown(requireStoreId(request), paramsOf(query), dimension);
        if (!wantsCsv(request)) return report;
        return sendCsv(
          reply,
          `${path}-${dimension}`,
          report.period,
          [
            dimension,
            'sessions',
            'page_views',
            'bounce_rate',
            'avg_session_duration_s',
            'conversions',
            'conversion_rate',
            'previous_sessions',
          ],
          report.items.map((r) => [
            r.value,
            r.sessions,
            r.pageViews,
            r.bounceRate,
            r.avgSessionDurationS,
            r.conversions,
            r.conversionRate,
            r.previousSessions,
          ]),
        );
      },
    );
  breakdown(
    'sources',
    ['channel', 'referrerHost', 'utmSource', 'utmMedium', 'utmCampaign'],
    'channel',
    'Top sources: channel, referrer host or UTM value of the sessions',
  );
  breakdown(
    'technology',
    ['device', 'browser', 'os', 'country'],
    'device',
    'Top devices, browsers, operating systems or countries of the sessions',
  );

  app.get(
    `${base}/ecommerce`,
    {
      config: READ,
      schema: {
        tags: TAGS,
        summary: 'Revenue and orders, by currency, refunds, coupons, new and returning customers',
        params: StoreParams,
        querystring: reportQuery(GranularityField),
        response: tableResponse(EcommerceView),
      },
    },
    async (request, reply) => {
      const report = await reports.ecommerce(requireStoreId(request), paramsOf(request.query));
      if (!wantsCsv(request)) return report;
      return sendCsv(
        reply,
        'ecommerce',
        report.period,
        ['bucket', 'orders', 'revenue', 'refunds'],
        report.series.map((b) => [b.bucket, b.orders, b.revenue, b.refunds]),
      );
    },
  );

  app.get(
    `${base}/products`,
    {
      config: READ,
      schema: {
        tags: TAGS,
        summary: 'Per product: views, adds, removals, checkouts, purchases, units, revenue',
        params: StoreParams,
        querystring: reportQuery({
          sort: Type.Optional(
            Type.Union(['revenue', 'views', 'adds', 'purchases', 'units'].map((s) => Type.Literal(s))),
          ),
        }),
        response: tableResponse(ProductsView),
      },
    },
    async (request, reply) => {
      const query = request.query as Query;
      const sort = (typeof query.sort === 'string' ? query.sort : 'revenue') as ProductSort;
      const report = await reports.products(requireStoreId(request), paramsOf(query), sort);
      if (!wantsCsv(request)) return report;
      return sendCsv(
        reply,
        'products',
        report.period,
        [
          'product_id',
          'name',
          'views',
          'adds',
          'removals',
          'checkouts',
          'purchases',
          'units',
          'revenue',
          'view_to_purchase_rate',
        ],
        report.items.map((r) => [
          r.productId,
          r.name,
          r.views,
          r.adds,
          r.removals,
          r.checkouts,
          r.purchases,
          r.units,
          r.revenue,
          r.viewToPurchaseRate,
        ]),
      );
    },
  );

  app.get(
    `${base}/attribution`,
    {
      config: READ,
      schema: {
        tags: TAGS,
        summary: 'Orders and revenue by the first-touch and last-touch channel or campaign',
        params: StoreParams,
        querystring: reportQuery({
          dimension: Type.Optional(
            Type.Union(['channel', 'source', 'medium', 'campaign'].map((d) => Type.Literal(d))),
          ),
        }),
        response: tableResponse(AttributionView),
      },
    },
    async (request, reply) => {
      const query = request.query as Query;
      const dimension = (
        typeof query.dimension === 'string' ? query.dimension : 'channel'
      ) as AttributionDimension;
      const report = await reports.attribution(requireStoreId(request), paramsOf(query), dimension);
      if (!wantsCsv(request)) return report;
      return sendCsv(
        reply,
        `attribution-${dimension}`,
        report.period,
        [dimension, 'first_touch_orders', 'first_touch_revenue', 'last_touch_orders', 'last_touch_revenue'],
        report.items.map((r) => [
          r.value,
          r.firstTouchOrders,
          r.firstTouchRevenue,
          r.lastTouchOrders,
          r.lastTouchRevenue,
        ]),
      );
    },
  );

  const funnel = async (
    request: FastifyRequest,
    reply: FastifyReply,
    options: { steps?: FunnelStep[]; windowMinutes?: number; breakdown?: DimensionName },
  ) => {
    const report = await reports.funnel(requireStoreId(request), paramsOf(request.query as Query), options);
    if (!wantsCsv(request)) return report;
    return sendCsv(
      reply,
      'funnel',
      report.period,
      [
        'step',
        'event',
        'page',
        'visitors',
        'sessions',
        'conversion_rate',
        'overall_conversion_rate',
        'drop_off',
        'median_ms_from_previous',
      ],
      report.steps.map((s) => [
        s.step,
        s.event,
        s.page,
        s.visitors,
        s.sessions,
        s.conversionRate,
        s.overallConversionRate,
        s.dropOff,
        s.medianMsFromPrevious,
      ]),
    );
  };
  const funnelOptions = (source: Query) => ({
    ...(typeof source.windowMinutes === 'number' ? { windowMinutes: source.windowMinutes } : {}),
    ...(typeof source.breakdown === 'string' ? { breakdown: source.breakdown as DimensionName } : {}),
  });

  app.get(
    `${base}/funnel`,
    {
      config: READ,
      schema: {
        tags: TAGS,
        summary: 'The checkout funnel: Product Viewed → Product Added → Checkout Started → Order Completed',
        params: StoreParams,
        querystring: reportQuery(FunnelOptionsFields),
        response: tableResponse(FunnelView),
      },
    },
    async (request, reply) => funnel(request, reply, funnelOptions(request.query as Query)),
  );

  app.post(
    `${base}/funnel`,
    {
      config: READ,
      schema: {
        tags: TAGS,
        summary: 'A funnel of your own steps (events or pages, with property filters)',
        params: StoreParams,
        querystring: reportQuery({}),
        body: Type.Object(
          { steps: Type.Array(FunnelStepInput, { minItems: 2, maxItems: 10 }), ...FunnelOptionsFields },
          { additionalProperties: false },
        ),
        response: tableResponse(FunnelView),
      },
    },
    async (request, reply) => {
      const body = request.body as Query & { steps: FunnelStep[] };
      return funnel(request, reply, { steps: body.steps, ...funnelOptions(body) });
    },
  );

  const liveQuery = Type.Object(
    {
      minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 60, description: 'Window, default 30' })),
      limit: Type.Optional(
        Type.Integer({ minimum: 1, maximum: 500, description: 'Events listed, default 50' }),
      ),
    },
    { additionalProperties: false },
  );
  const liveEvent = (e: Awaited<ReturnType<ReportsService['liveSince']>>[number]) => ({
    id: toPublicId('evt', e.hash),
    type: e.type,
    event: e.event,
    name: e.name,
    timestamp: new Date(e.timestampMs).toISOString(),
    path: e.path,
    channel: e.channel,
    device: e.deviceType,
    browser: e.browser,
    os: e.os,
    country: e.country,
    isBot: e.isBot,
    revenue: e.revenue,
    currency: e.currency,
  });

  app.get(
    `${base}/live`,
    {
      config: READ,
      schema: {
        tags: TAGS,
        summary: 'Events of the last N minutes, newest first, with the window’s counts (poll it)',
        params: StoreParams,
        querystring: liveQuery,
        response: { 200: LiveView, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const query = request.query as Query;
      const live = await reports.live(requireStoreId(request), {
        minutes: typeof query.minutes === 'number' ? query.minutes : 30,
        limit: typeof query.limit === 'number' ? query.limit : 50,
      });
      return { minutes: live.minutes, counts: live.counts, events: live.events.map(liveEvent) };
    },
  );

  app.get(
    `${base}/live/stream`,
    {
      config: READ,
      schema: {
        tags: TAGS,
        summary: 'Server-Sent Events: each new event as `event: event`, with a heartbeat comment',
        description:
          'Starts with the events of the last `minutes` (default 5) and polls every `intervalMs`. The stream ends ' +
          'after `durationS` (default 300); reconnect with the `Last-Event-ID` header to continue without gaps.',
        params: StoreParams,
        querystring: Type.Object(
          {
            minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 })),
            intervalMs: Type.Optional(Type.Integer({ minimum: 200, maximum: 60_000 })),
            durationS: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: {
            description: 'text/event-stream',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const storeId = requireStoreId(request);
      const query = request.query as Query;
      const minutes = typeof query.minutes === 'number' ? query.minutes : 5;
      const intervalMs = typeof query.intervalMs === 'number' ? query.intervalMs : 2000;
      const durationMs = (typeof query.durationS === 'number' ? query.durationS : 300) * 1000;
      // Resume after the last event the client saw (its id is `<timestamp ms>:<evt id>`).
      const lastEventId = request.headers['last-event-id'];
      let sinceMs: number;
      // Events share milliseconds: the last millisecond is read again and what was sent is skipped.
      const sentAtLastMs = new Set<string>();
      if (typeof lastEventId === 'string' && lastEventId !== '') {
        const [resumeText, resumeId] = lastEventId.split(':');
        const resumeMs = Number(resumeText);
        if (!Number.isSafeInteger(resumeMs) || resumeId === undefined) {
          throw invalid('Last-Event-ID', 'Last-Event-ID is not one this stream sent');
        }
        sinceMs = resumeMs;
        sentAtLastMs.add(resumeId);
      } else {
        sinceMs = (await reports.live(storeId, { minutes, limit: 1 })).nowMs - minutes * 60_000;
      }
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      let open = true;
      raw.on('close', () => {
        open = false;
      });
      const deadline = Date.now() + durationMs;
      raw.write(`retry: ${intervalMs}\n\n`);
      while (open && Date.now() < deadline) {
        try {
          const events = await reports.liveSince(storeId, sinceMs, 500);
          for (const event of events) {
            const view = liveEvent(event);
            if (event.timestampMs === sinceMs && sentAtLastMs.has(view.id)) continue;
            if (event.timestampMs > sinceMs) {
              sinceMs = event.timestampMs;
              sentAtLastMs.clear();
            }
            sentAtLastMs.add(view.id);
            raw.write(`id: ${event.timestampMs}:${view.id}\nevent: event\ndata: ${JSON.stringify(view)}\n\n`);
          }
          raw.write(': heartbeat\n\n');
        } catch (error) {
          request.log.error({ err: error }, 'live stream failed');
          break;
        }
        await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
      }
      raw.end();
    },
  );

  app.get(
    '/api/v1/stores/:storeId/currency-rates',
    {
      config: READ,
      schema: {
        tags: TAGS,
        summary: "The merchant's exchange rates to the store currency",
        params: StoreParams,
        response: { 200: CurrencyRatesView, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => ({
      rates: (await reports.listRates(requireStoreId(request))).map((r) => ({
        currency: r.currency,
        rate: r.rate,
        validFrom: new Date(r.validFromMs).toISOString(),
      })),
    }),
  );

  app.put(
    '/api/v1/stores/:storeId/currency-rates',
    {
      config: { access: { kind: 'store', permission: 'stores:write' } },
      schema: {
        tags: TAGS,
        summary: 'Set exchange rates (orders record the rate valid when they are placed)',
        description:
          'Adds or replaces rates by (currency, validFrom). An order uses `properties.exchange_rate` when its ' +
          'Order Completed has one, else the latest rate valid at its time; the rate is kept with the order.',
        params: StoreParams,
        body: CurrencyRatesBody,
        response: { 200: CurrencyRatesView, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const body = request.body as { rates: { currency: string; rate: number; validFrom: string }[] };
      const rates = await reports.putRates(
        requireStoreId(request),
        body.rates.map((r) => ({ currency: r.currency, rate: r.rate, validFromMs: Date.parse(r.validFrom) })),
      );
      return {
        rates: rates.map((r) => ({
          currency: r.currency,
          rate: r.rate,
          validFrom: new Date(r.validFromMs).toISOString(),
        })),
      };
    },
  );
}
