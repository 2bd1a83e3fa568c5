import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asKey, asUser, createTenant, findIntegerIds, type Tenant } from '../../../test/harness/app.js';
import { DIALECTS } from '../../../test/harness/databases.js';
import { makeEvent, orderEvent } from './test-kit/events.js';
import { createReportsTestApp, type ReportsTestApp } from './test-kit/reports-test-app.js';

const NOW = Date.parse('2026-03-12T20:00:00Z');
const SYSTEM = { type: 'system' as const, id: null, label: 'test' };
const PERIOD = 'from=2026-03-06&to=2026-03-12';
const REPORTS = [
  'overview',
  'pages',
  'sources',
  'technology',
  'ecommerce',
  'products',
  'attribution',
  'funnel',
];
const EVIL_PATHS = ['=HYPERLINK("http://evil.example")', '+cmd|calc', '-2+3', '@SUM(A1:A9)'];

describe.each(DIALECTS)('reports API on %s', (dialect) => {
  let t: ReportsTestApp;
  let alpha: Tenant;
  let beta: Tenant;

  beforeAll(async () => {
    t = await createReportsTestApp(dialect, { startMs: NOW });
    alpha = await createTenant(t, 'alpha');
    beta = await createTenant(t, 'beta');
    const store = await t.services.stores.findByPublicId(alpha.storeId);
    if (!store) throw new Error('no store');
    const visitor = { anonymousId: 'v1', sessionId: 's1', channel: 'search', referrerHost: 'google.com' };
    const at = NOW - 5 * 60_000;
    await t.ingest(store.id, [
      ...EVIL_PATHS.map((pagePath, i) =>
        makeEvent({
          anonymousId: `evil-${i}`,
          sessionId: `evil-${i}`,
          timestampMs: at - 86_400_000 + i,
          pagePath,
        }),
      ),
      makeEvent({ ...visitor, timestampMs: at, pagePath: '/' }),
      makeEvent({
        ...visitor,
        type: 'track',
        event: 'Product Viewed',
        timestampMs: at + 1000,
        pagePath: '/products/p1',
        properties: { product_id: 'p1', name: 'Shoe', price: 30, currency: 'USD' },
      }),
      makeEvent({
        ...visitor,
        type: 'track',
        event: 'Product Added',
        timestampMs: at + 2000,
        pagePath: '/products/p1',
        properties: { product_id: 'p1', price: 30, quantity: 1, currency: 'USD', cart_id: 'c1' },
      }),
      orderEvent(
        'Order Completed',
        { ...visitor, timestampMs: at + 3000, orderId: 'o1', revenue: 30, currency: 'USD' },
        { revenue: 30, currency: 'USD', products: [{ product_id: 'p1', price: 30, quantity: 1 }] },
      ),
      makeEvent({
        anonymousId: 'crawler',
        sessionId: 'crawler',
        timestampMs: at + 4000,
        isBot: true,
        browser: 'Googlebot',
      }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  const get = (path: string, headers: Record<string, string>, storeId = alpha.storeId) =>
    t.app.inject({ method: 'GET', url: `/api/v1/stores/${storeId}/${path}`, headers });

  it('declares reports:read on the store for every report route', () => {
    const reportRoutes = t.routes.filter((route) => route.url.includes('/reports/'));
    expect(reportRoutes.length).toBeGreaterThanOrEqual(REPORTS.length + 2);
    for (const route of reportRoutes) {
      expect(route.access, `${route.method} ${route.url}`).toEqual({
        kind: 'store',
        permission: 'reports:read',
      });
    }
  });

  it('documents every report in the OpenAPI description, CSV included', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    const paths = response.json().paths as Record<
      string,
      Record<string, { responses: Record<string, { content?: object }> }>
    >;
    const pages = paths['/api/v1/stores/{storeId}/reports/pages']?.get;
    expect(Object.keys(pages?.responses['200']?.content ?? {})).toEqual(['application/json', 'text/csv']);
    for (const report of REPORTS)
      expect(paths[`/api/v1/stores/{storeId}/reports/${report}`], report).toBeDefined();
  });

  it('answers a secret key with reports:read and every member role, and refuses the anonymous', async () => {
    for (const report of REPORTS) {
      expect((await get(`reports/${report}?${PERIOD}`, asKey(alpha.secretKey))).statusCode, report).toBe(200);
      expect(
        (await get(`reports/${report}?${PERIOD}`, asUser(alpha.members.viewer))).statusCode,
        report,
      ).toBe(200);
      const anonymous = await get(`reports/${report}?${PERIOD}`, {});
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers['content-type']).toMatch(/application\/problem\+json/);
    }
  });

  it("hides another tenant's store behind 404 on every report", async () => {
    for (const report of [...REPORTS, 'live']) {
      expect((await get(`reports/${report}`, asKey(beta.secretKey))).statusCode, report).toBe(404);
      expect((await get(`reports/${report}`, asUser(beta.owner))).statusCode, report).toBe(404);
    }
  });

  it('refuses a key of the store without the reports:read scope', async () => {
    const store = await t.services.stores.findByPublicId(alpha.storeId);
    if (!store) throw new Error('no store');
    const key = await t.services.keys.create(store, { type: 'secret', scopes: ['stores:read'] }, SYSTEM);
    const response = await get(`reports/overview?${PERIOD}`, asKey(key.secret));
    expect(response.statusCode).toBe(403);
  });

  it('validates periods and parameters, naming the field', async () => {
    const bad = async (query: string, field: string) => {
      const response = await get(`reports/overview?${query}`, asKey(alpha.secretKey));
      expect(response.statusCode, query).toBe(400);
      expect(response.json().field, query).toBe(field);
    };
    await bad('from=2026-02-30&to=2026-03-01', 'from');
    await bad('from=2026-03-10&to=2026-03-01', 'from');
    await bad('from=2026-01-01&to=2026-03-01&granularity=hour', 'granularity');
    await bad('compareFrom=2026-01-01', 'compareFrom');
    const unknown = await get('reports/overview?colour=red', asKey(alpha.secretKey));
    expect(unknown.statusCode).toBe(400);
  });

  it('reports what was stored: bots left out, the order and its session counted', async () => {
    const overview = (await get(`reports/overview?${PERIOD}`, asKey(alpha.secretKey))).json();
    expect(overview.metrics.sessions.value).toBe(1 + EVIL_PATHS.length);
    expect(overview.metrics.orders.value).toBe(1);
    expect(overview.metrics.revenue.value).toBe(30);
    expect(overview.metrics.conversionRate.value).toBe(0.2);
    const funnel = (await get(`reports/funnel?${PERIOD}`, asKey(alpha.secretKey))).json();
    expect(funnel.steps.map((s: { visitors: number }) => s.visitors)).toEqual([1, 1, 0, 0]);
    expect(funnel.cartAbandonment).toEqual({ carts: 1, abandoned: 0, rate: 0 });
  });

  it('never exposes an integer id', async () => {
    for (const report of [...REPORTS, 'live']) {
      const body = (
        await get(`reports/${report}?${report === 'live' ? '' : PERIOD}`, asKey(alpha.secretKey))
      ).json();
      expect(findIntegerIds(body), report).toEqual([]);
    }
  });

  it('exports table reports as CSV whose cells a spreadsheet cannot run', async () => {
    const response = await get(`reports/pages?${PERIOD}&limit=100`, {
      ...asKey(alpha.secretKey),
      accept: 'text/csv',
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    expect(response.headers['content-disposition']).toBe(
      'attachment; filename="pages-2026-03-06-2026-03-12.csv"',
    );
    const lines = response.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe('path,page_views,entrances,bounce_rate,previous_page_views');
    expect(lines).toContain(`"'=HYPERLINK(""http://evil.example"")",1,1,1,`);
    expect(lines).toContain(`'+cmd|calc,1,1,1,`);
    expect(lines).toContain(`'-2+3,1,1,1,`);
    expect(lines).toContain(`'@SUM(A1:A9),1,1,1,`);
    for (const report of REPORTS) {
      const csv = await get(`reports/${report}?${PERIOD}`, { ...asKey(alpha.secretKey), accept: 'text/csv' });
      expect(csv.statusCode, report).toBe(200);
      expect(csv.headers['content-type'], report).toMatch(/^text\/csv/);
    }
  });

  it('runs a funnel of custom steps with property filters', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: `/api/v1/stores/${alpha.storeId}/reports/funnel?${PERIOD}`,
      headers: asKey(alpha.secretKey),
      payload: {
        steps: [
          { page: '/' },
          { event: 'Product Viewed', properties: { product_id: 'p1' } },
          { event: 'Order Completed' },
        ],
        windowMinutes: 30,
      },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().steps.map((s: { visitors: number }) => s.visitors)).toEqual([1, 1, 1]);
    const other = await t.app.inject({
      method: 'POST',
      url: `/api/v1/stores/${alpha.storeId}/reports/funnel?${PERIOD}`,
      headers: asKey(alpha.secretKey),
      payload: {
        steps: [{ event: 'Product Viewed', properties: { product_id: 'p2' } }, { event: 'Order Completed' }],
      },
    });
    expect(other.json().steps.map((s: { visitors: number }) => s.visitors)).toEqual([0, 0]);
  });

  it('lists the live window and streams it as Server-Sent Events, resumable', async () => {
    const live = (await get('reports/live?minutes=10', asKey(alpha.secretKey))).json();
    expect(live.counts).toMatchObject({ events: 4, pageViews: 1, visitors: 1, sessions: 1 });
    expect(live.events).toHaveLength(5);
    expect(live.events[0]).toMatchObject({ isBot: true });
    expect(live.events[1].id).toMatch(/^evt_/);

    const stream = await get(
      'reports/live/stream?minutes=10&durationS=1&intervalMs=200',
      asKey(alpha.secretKey),
    );
    expect(stream.statusCode).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    const ids = [...stream.body.matchAll(/^id: (.+)$/gm)].map((m) => m[1] as string);
    expect(ids).toHaveLength(5);
    expect(stream.body.match(/^event: event$/gm)).toHaveLength(5);
    const resumed = await get('reports/live/stream?durationS=1&intervalMs=200', {
      ...asKey(alpha.secretKey),
      'last-event-id': ids[ids.length - 1] as string,
    });
    expect(resumed.body).not.toMatch(/^event: event$/m);
  });

  it('sets currency rates with stores:write, and not with reports:read alone', async () => {
    const url = `/api/v1/stores/${alpha.storeId}/currency-rates`;
    const payload = { rates: [{ currency: 'EUR', rate: 1.08, validFrom: '2026-01-01T00:00:00.000Z' }] };
    const viewer = await t.app.inject({ method: 'PUT', url, headers: asUser(alpha.members.viewer), payload });
    expect(viewer.statusCode).toBe(403);
    const owner = await t.app.inject({ method: 'PUT', url, headers: asUser(alpha.owner), payload });
    expect(owner.statusCode).toBe(200);
    expect(owner.json().rates).toEqual(payload.rates);
    const own = await t.app.inject({
      method: 'PUT',
      url,
      headers: asKey(alpha.secretKey),
      payload: { rates: [{ currency: 'USD', rate: 1, validFrom: '2026-01-01T00:00:00.000Z' }] },
    });
    expect(own.statusCode).toBe(400);
    expect(own.json().field).toBe('rates.0.currency');
    const read = await t.app.inject({ method: 'GET', url, headers: asKey(alpha.secretKey) });
    expect(read.json().rates).toEqual(payload.rates);
  });
});
