// Sample answers for the reports and events endpoints that are still being built, in the shapes of
// dashboard/src/api/types.ts. The browser test serves them through page.route() to check that every report page
// renders real-looking data under the strict CSP, and to take the screenshots. Deterministic: a seeded PRNG.
import type {
  AttributionReport,
  BreakdownReport,
  BreakdownRow,
  CronJob,
  CronRun,
  DeadLetter,
  EcommerceReport,
  FunnelReport,
  FunnelRequest,
  FunnelStep,
  FunnelStepInput,
  LiveReport,
  Metric,
  OverviewReport,
  PagesReport,
  PrivacyRequest,
  ProductsReport,
} from '../../dashboard/src/api/types.js';

export const XSS = '<img src=x onerror=alert(1)>';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Local days from `from` to `to`, as the API labels day buckets. */
function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

function series(n: number, base: number, seed: number, trend = 0.004): number[] {
  const random = prng(seed);
  return Array.from({ length: n }, (_, i) => {
    const weekday = new Date(Date.UTC(2026, 0, i + 1)).getUTCDay();
    const weekly = weekday === 0 || weekday === 6 ? 0.78 : 1.06;
    return Math.round(base * weekly * (1 + trend * i) * (0.86 + random() * 0.28));
  });
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const metric = (value: number, previous: number | null): Metric => ({
  value,
  previous,
  change: previous ? (value - previous) / previous : null,
});
const period = (from: string, to: string) => ({
  period: { from, to, timeZone: 'Europe/Berlin' },
  comparePeriod: { from: '2026-09-27', to: '2026-10-26' },
});

export function overview(from: string, to: string): OverviewReport {
  const buckets = days(from, to);
  const n = buckets.length;
  const visitors = series(n, 1480, 1);
  const sessions = visitors.map((v) => Math.round(v * 1.31));
  const pageViews = visitors.map((v) => Math.round(v * 3.8));
  const orders = visitors.map((v, i) => Math.round(v * (0.021 + ((i * 7) % 5) / 1000)));
  const revenue = orders.map((o, i) => Math.round(o * (78 + (i % 6) * 3.1) * 100) / 100);
  const v = sum(visitors);
  const o = sum(orders);
  const r = sum(revenue);
  const s = sum(sessions);
  return {
    ...period(from, to),
    currency: 'EUR',
    granularity: 'day',
    metrics: {
      visitors: metric(v, Math.round(v / 1.13)),
      sessions: metric(s, Math.round(s / 1.14)),
      pageViews: metric(sum(pageViews), Math.round(sum(pageViews) / 1.16)),
      bounceRate: metric(0.428, 0.447),
      avgSessionDurationS: metric(154, 149),
      orders: metric(o, Math.round(o / 1.36)),
      revenue: metric(r, r / 1.56),
      conversionRate: metric(o / s, o / 1.36 / (s / 1.14)),
      aov: metric(r / o, r / 1.56 / (o / 1.36)),
    },
    unconvertedOrders: 0,
    series: buckets.map((bucket, i) => ({
      bucket,
      visitors: visitors[i] ?? 0,
      sessions: sessions[i] ?? 0,
      pageViews: pageViews[i] ?? 0,
      bounceRate: 0.41 + (i % 5) / 100,
      orders: orders[i] ?? 0,
      revenue: revenue[i] ?? 0,
      conversionRate: (orders[i] ?? 0) / (sessions[i] || 1),
    })),
  };
}

function breakdownRows(values: [string | null, number][]): BreakdownRow[] {
  const random = prng(values.length * 7);
  return values.map(([value, sessions]) => {
    const conversionRate = 0.008 + random() * 0.035;
    return {
      value,
      sessions,
      pageViews: Math.round(sessions * 3.1),
      bounceRate: 0.28 + random() * 0.3,
      avgSessionDurationS: 40 + random() * 240,
      conversions: Math.round(sessions * conversionRate),
      conversionRate,
      previousSessions: Math.round(sessions * (0.8 + random() * 0.4)),
    };
  });
}

const SOURCE_VALUES: Record<string, [string | null, number][]> = {
  channel: [
    ['search', 18420],
    ['direct', 9310],
    ['paid', 6120],
    ['email', 3980],
    ['social', 2750],
    ['referral', 1460],
  ],
  referrerHost: [
    ['google.com', 17210],
    ['instagram.com', 1640],
    ['bing.com', 1180],
    ['outdoorgearlab.com', 880],
    ['reddit.com', 760],
    [XSS, 3],
  ],
  utmSource: [
    ['google', 6120],
    ['newsletter', 3540],
    ['facebook', 990],
  ],
  utmMedium: [
    ['cpc', 6120],
    ['email', 3980],
    ['social', 990],
  ],
  utmCampaign: [
    ['black-friday-2026', 5210],
    ['winter-boots', 2380],
    ['=HYPERLINK("http://evil.example","click")', 12],
  ],
  device: [
    ['mobile', 24710],
    ['desktop', 15290],
    ['tablet', 2010],
  ],
  browser: [
    ['Chrome', 21230],
    ['Safari', 14210],
    ['Edge', 3120],
    ['Firefox', 2310],
    ['Samsung Internet', 1190],
  ],
  os: [
    ['iOS', 13880],
    ['Android', 11920],
    ['Windows', 9840],
    ['macOS', 5920],
    ['Linux', 490],
  ],
  country: [
    ['DE', 16210],
    ['AT', 5120],
    ['CH', 4380],
    ['NL', 2210],
    ['FR', 1930],
    [null, 420],
  ],
};

export function breakdown(dimension: string, from: string, to: string, limit: number): BreakdownReport {
  return {
    ...period(from, to),
    dimension,
    items: breakdownRows(SOURCE_VALUES[dimension] ?? []).slice(0, limit),
  };
}

export function pages(from: string, to: string, limit: number): PagesReport {
  const random = prng(11);
  const items = [
    '/',
    '/collections/hiking-boots',
    '/products/summit-gtx-boot',
    '/cart',
    '/checkout',
    '/collections/tents',
    '/products/alpine-2p-tent',
    '/blog/how-to-choose-a-sleeping-bag',
    '/account/login',
    '/pages/shipping',
  ].map((path, i) => {
    const pageViews = Math.round(85176 / (1 + i * 0.9));
    return {
      path,
      pageViews,
      entrances: Math.round(pageViews * (0.2 + random() * 0.4)),
      bounceRate: 0.2 + random() * 0.5,
      previousPageViews: Math.round(pageViews * (0.8 + random() * 0.4)),
    };
  });
  return { ...period(from, to), items: items.slice(0, limit) };
}

export function ecommerce(from: string, to: string): EcommerceReport {
  const o = overview(from, to);
  return {
    ...period(from, to),
    currency: 'EUR',
    granularity: 'day',
    totals: {
      orders: o.metrics.orders,
      revenue: o.metrics.revenue,
      grossRevenue: metric(o.metrics.revenue.value + 3120.4, null),
      refunds: metric(3120.4, 3610),
      aov: o.metrics.aov,
      unconvertedOrders: metric(0, 0),
      couponOrders: metric(361, 290),
      discounts: metric(5962.5, 4410),
      customers: metric(759, 612),
      newCustomerOrders: metric(602, 470),
      returningCustomerOrders: metric(271, 230),
      repeatCustomers: metric(188, 160),
      repeatPurchaseRate: metric(0.248, 0.261),
    },
    series: o.series.map((b, i) => ({
      bucket: b.bucket,
      orders: b.orders,
      revenue: b.revenue,
      refunds: i % 4 === 0 ? 189 : 0,
    })),
    byCurrency: [
      { currency: 'EUR', orders: 612, revenue: 51240.5, revenueConverted: 51240.5, unconvertedOrders: 0 },
      { currency: 'GBP', orders: 148, revenue: 10480, revenueConverted: 12260.3, unconvertedOrders: 0 },
      { currency: 'USD', orders: 91, revenue: 7610, revenueConverted: 7004.1, unconvertedOrders: 0 },
      { currency: 'CHF', orders: 22, revenue: 2190, revenueConverted: 2320.9, unconvertedOrders: 0 },
    ],
    coupons: [
      { coupon: 'BLACKFRIDAY25', orders: 211, discounts: 4980, revenue: 19870 },
      { coupon: 'WELCOME10', orders: 96, discounts: 712.5, revenue: 6412 },
      { coupon: 'FREESHIP', orders: 54, discounts: 270, revenue: 4010 },
    ],
  };
}

export function products(from: string, to: string): ProductsReport {
  const random = prng(5);
  const names: [string, string][] = [
    ['Summit GTX Hiking Boot', 'SUM-GTX-42'],
    ['Alpine 2P Tent', 'ALP-2P'],
    ['Ridge 30L Daypack', 'RDG-30'],
    ['Merino Base Layer', 'MER-BL-M'],
    ['Trail Running Shoe', 'TRL-RUN-41'],
    ['Down Sleeping Bag -5°C', 'DWN-SB-5'],
    ['Carbon Trekking Poles', 'CRB-TP'],
    ['Insulated Water Bottle', 'INS-WB-1L'],
    [XSS, 'XSS-1'],
  ];
  const items = names.map(([name, productId], i) => {
    const views = Math.round(9000 / (1 + i * 0.7));
    const adds = Math.round(views * (0.06 + random() * 0.08));
    const purchases = Math.round(adds * (0.25 + random() * 0.3));
    const revenue = Math.round(purchases * (30 + random() * 200) * 100) / 100;
    return {
      productId,
      name,
      views,
      adds,
      removals: Math.round(adds * 0.1),
      checkouts: Math.round(adds * 0.6),
      purchases,
      units: Math.round(purchases * 1.2),
      revenue,
      viewToPurchaseRate: views ? purchases / views : 0,
      previousRevenue: Math.round(revenue * (0.7 + random() * 0.6)),
    };
  });
  return {
    ...period(from, to),
    currency: 'EUR',
    totals: {
      purchases: sum(items.map((i) => i.purchases)),
      units: sum(items.map((i) => i.units)),
      revenue: sum(items.map((i) => i.revenue)),
    },
    items,
  };
}

function funnelSteps(inputs: FunnelStepInput[], scale: number): FunnelStep[] {
  const counts = [12840, 3970, 1812, 1240, 873, 610, 400, 300, 200, 100];
  return inputs.map((input, i) => {
    const visitors = Math.round((counts[i] ?? 50) * scale);
    const previous = i > 0 ? Math.round((counts[i - 1] ?? visitors) * scale) : visitors;
    const first = Math.round((counts[0] ?? 1) * scale);
    return {
      step: i + 1,
      event: input.event ?? null,
      page: input.page ?? null,
      visitors,
      sessions: Math.round(visitors * 1.2),
      conversionRate: previous ? visitors / previous : 0,
      overallConversionRate: first ? visitors / first : 0,
      dropOff: previous - visitors,
      sessionConversionRate: previous ? visitors / previous : 0,
      medianMsFromPrevious: i === 0 ? null : ([0, 184, 412, 95, 61][i] ?? 120) * 1000,
    };
  });
}

export function funnel(request: FunnelRequest, from: string, to: string): FunnelReport {
  return {
    period: { from, to, timeZone: 'Europe/Berlin' },
    windowMinutes: request.windowMinutes ?? 10_080,
    steps: funnelSteps(request.steps, 1),
    medianTimeToConvertMs: 14 * 60_000,
    cartAbandonment: { carts: 3970, abandoned: 3097, rate: 0.78 },
    breakdown: request.breakdown
      ? {
          dimension: request.breakdown,
          groups: (
            [
              ['search', 0.46],
              ['direct', 0.24],
              ['paid', 0.17],
              ['email', 0.13],
            ] as const
          ).map(([value, share], i) => ({
            value,
            steps: funnelSteps(request.steps, share * (1 + (i % 2) * 0.05)),
            medianTimeToConvertMs: (10 + i * 3) * 60_000,
          })),
        }
      : null,
  };
}

export function attribution(dimension: string, from: string, to: string): AttributionReport {
  const values =
    dimension === 'campaign'
      ? ['black-friday-2026', 'winter-boots', 'newsletter-week-47', null]
      : dimension === 'source'
        ? ['google', 'newsletter', 'instagram', 'bing', null]
        : dimension === 'medium'
          ? ['organic', 'cpc', 'email', 'social', null]
          : ['search', 'paid', 'email', 'direct', 'social', 'referral'];
  const weights = values.map((_, i) => 1 / (i + 1.4));
  const total = sum(weights);
  const revenue = 72845.8;
  return {
    ...period(from, to),
    currency: 'EUR',
    dimension,
    items: values.map((value, i) => {
      const share = (weights[i] ?? 0) / total;
      const firstShare = (weights[values.length - 1 - i] ?? 0) / total;
      return {
        value,
        lastTouchOrders: Math.round(873 * share * 10) / 10,
        lastTouchRevenue: Math.round(revenue * share * 100) / 100,
        firstTouchOrders: Math.round(873 * firstShare * 10) / 10,
        firstTouchRevenue: Math.round(revenue * firstShare * 100) / 100,
        previousLastTouchRevenue: Math.round(revenue * share * 90) / 100,
      };
    }),
  };
}

export function live(nowMs: number): LiveReport {
  const paths = [
    '/',
    '/collections/hiking-boots',
    '/products/summit-gtx-boot',
    '/checkout',
    '/',
    '/cart',
    '/',
  ];
  return {
    minutes: 30,
    counts: { events: 312, pageViews: 188, visitors: 47, sessions: 52 },
    events: paths.map((path, i) => ({
      id: `evt_live${i}`,
      type: 'page',
      event: null,
      name: null,
      timestamp: new Date(nowMs - i * 37_000).toISOString(),
      path,
      channel: 'search',
      device: 'mobile',
      browser: 'Safari',
      os: 'iOS',
      country: 'DE',
      isBot: false,
      revenue: null,
      currency: null,
    })),
  };
}

export function privacyRequests(
  kind: 'erasure' | 'export',
  nowMs: number,
): { items: PrivacyRequest[]; nextCursor: null } {
  const at = (minutesAgo: number) => new Date(nowMs - minutesAgo * 60_000).toISOString();
  const counts = (events: number, orders = 0, derivedRows = 0) => ({
    events,
    orders,
    orderAdjustments: 0,
    deadLetters: 0,
    derivedRows,
  });
  const base = { kind, requestedBy: 'owner@acme.test', error: null, file: null };
  const items: PrivacyRequest[] =
    kind === 'erasure'
      ? [
          {
            ...base,
            id: 'prv_erase3',
            status: 'running',
            identifiers: ['userId'],
            createdAt: at(2),
            startedAt: at(2),
            finishedAt: null,
            counts: counts(812),
          },
          {
            ...base,
            id: 'prv_erase2',
            status: 'done',
            identifiers: ['userId', 'anonymousId'],
            createdAt: at(60 * 26),
            startedAt: at(60 * 26),
            finishedAt: at(60 * 26 - 3),
            counts: counts(1284, 3, 41),
          },
          {
            ...base,
            id: 'prv_erase1',
            status: 'done',
            identifiers: ['anonymousId'],
            createdAt: at(60 * 24 * 9),
            startedAt: at(60 * 24 * 9),
            finishedAt: at(60 * 24 * 9 - 1),
            counts: counts(57, 0, 4),
          },
        ]
      : [
          {
            ...base,
            id: 'prv_export1',
            status: 'done',
            identifiers: ['userId'],
            createdAt: at(90),
            startedAt: at(90),
            finishedAt: at(88),
            counts: counts(312, 4),
            file: {
              bytes: 48_213,
              expiresAt: at(-60 * 24 * 7),
              downloadUrl: '/api/v1/privacy/exports/prv_export1/file?expires=1&signature=x',
              downloadUrlExpiresAt: at(-60),
            },
          },
          {
            ...base,
            id: 'prv_export0',
            status: 'failed',
            identifiers: ['anonymousId'],
            createdAt: at(60 * 30),
            startedAt: at(60 * 30),
            finishedAt: at(60 * 30 - 1),
            counts: counts(0),
            error: 'The export volume was full; retried on the next tick',
          },
        ];
  return { items, nextCursor: null };
}

export function cronJobs(nowMs: number): { items: CronJob[] } {
  const run = (
    job: string,
    minutesAgo: number,
    status: CronRun['status'],
    result: unknown,
    error: string | null = null,
  ) => ({
    id: `run_${job}${minutesAgo}`,
    job,
    slot: new Date(nowMs - minutesAgo * 60_000).toISOString(),
    status,
    dryRun: false,
    startedAt: new Date(nowMs - minutesAgo * 60_000).toISOString(),
    finishedAt: status === 'running' ? null : new Date(nowMs - minutesAgo * 60_000 + 1840).toISOString(),
    heartbeatAt: new Date(nowMs - minutesAgo * 60_000 + 1000).toISOString(),
    rowsAffected: typeof result === 'object' && result && 'deleted' in result ? Number(result.deleted) : 0,
    result,
    error,
    instance: 'api-7f9c',
  });
  return {
    items: [
      {
        name: 'retention',
        schedule: '15 3 * * *',
        description: 'Deletes events older than each store keeps',
        leaseMs: 600_000,
        lastRun: run('retention', 60 * 5, 'succeeded', { deleted: 48213 }),
      },
      {
        name: 'purge-deleted',
        schedule: '30 3 * * *',
        description: 'Purges stores deleted more than 30 days ago',
        leaseMs: 600_000,
        lastRun: run('purge-deleted', 60 * 5 - 15, 'succeeded', { stores: 0 }),
      },
      {
        name: 'expire-keys',
        schedule: '*/10 * * * *',
        description: 'Expires keys past their date and warns before the maximum age',
        leaseMs: 60_000,
        lastRun: run('expire-keys', 4, 'succeeded', { expired: 1, warned: 2 }),
      },
      {
        name: 'rollups',
        schedule: '* * * * *',
        description: 'Refreshes report rollups',
        leaseMs: 120_000,
        lastRun: run('rollups', 1, 'failed', null, 'lock wait timeout exceeded; retried next minute'),
      },
    ],
  };
}

export function cronRuns(nowMs: number): { items: CronRun[]; nextCursor: null } {
  return { items: cronJobs(nowMs).items.flatMap((j) => (j.lastRun ? [j.lastRun] : [])), nextCursor: null };
}

export function deadLetters(nowMs: number): { items: DeadLetter[]; nextCursor: null } {
  const at = (minutesAgo: number) => new Date(nowMs - minutesAgo * 60_000).toISOString();
  return {
    items: [
      {
        id: 'dlq_1',
        messageId: 'm-1',
        reason: 'duplicate key value violates a constraint after 5 attempts',
        attempts: 5,
        payload: JSON.stringify({
          storeId: 1,
          event: {
            type: 'track',
            event: 'Order Completed',
            properties: { order_id: 'FF-10501', revenue: 59.9, note: XSS },
          },
        }),
        createdAt: at(12),
        replayedAt: null,
      },
      {
        id: 'dlq_2',
        messageId: 'm-2',
        reason: 'database unavailable after 5 attempts',
        attempts: 5,
        payload: JSON.stringify({ event: { type: 'page', name: 'Checkout' } }),
        createdAt: at(180),
        replayedAt: null,
      },
      {
        id: 'dlq_3',
        messageId: null,
        reason: 'unparseable buffer entry',
        attempts: 1,
        payload: '{"trunc',
        createdAt: at(600),
        replayedAt: null,
      },
    ],
    nextCursor: null,
  };
}
