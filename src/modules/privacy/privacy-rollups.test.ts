import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asKey, createTenant, type Tenant } from '../../../test/harness/app.js';
import { DIALECTS } from '../../../test/harness/databases.js';
import {
  createMaintenanceTestApp,
  flush,
  type MaintenanceTestApp,
  runJob,
  sendEvents,
  storeOf,
} from '../../../test/harness/maintenance-app.js';
import { SYSTEM_ACTOR } from '../audit/index.js';
import type { Store } from '../stores/index.js';
import { type PrivacyJobResult, type PrivacyRequestView, SUPPRESSION_REFRESH_MS } from './index.js';

const T0 = Date.parse('2026-11-25T12:00:00Z');
const HOUR_MS = 3_600_000;
/** How long an erasure waits before deleting (the default: 12 suppression refreshes). */
const SETTLE_MS = 12 * SUPPRESSION_REFRESH_MS;
const ZONE = 'America/New_York';
const PERIOD = { from: '2026-11-20', to: '2026-11-25' };

/** The rollups' visitor key of a visitor (the reports' definition: 8 bytes of SHA-256 of `a:`/`u:` + id). */
const visitorKey = (id: string) => createHash('sha256').update(id).digest().subarray(0, 8);

interface Person {
  anonymousId: string;
  userId: string;
  campaign: string;
  landing: string;
  product: string;
  price: number;
}

const X: Person = {
  anonymousId: 'anon-x',
  userId: 'user-x',
  campaign: 'winter-x',
  landing: '/x-landing',
  product: 'sku-x',
  price: 40,
};
/** Erased in a run that crashes half-way through the rollups. */
const Z: Person = {
  anonymousId: 'anon-z',
  userId: 'user-z',
  campaign: 'winter-z',
  landing: '/z-landing',
  product: 'sku-z',
  price: 70,
};
/** Erased by user id only: their anonymous browsing stays. */
const W: Person = {
  anonymousId: 'anon-w',
  userId: 'user-w',
  campaign: 'winter-w',
  landing: '/w-landing',
  product: 'sku-w',
  price: 55,
};
const Y: Person = {
  anonymousId: 'anon-y',
  userId: 'user-y',
  campaign: 'winter-y',
  landing: '/y-landing',
  product: 'sku-y',
  price: 25,
};

/**
 * A person's visit at `atMs`: an anonymous landing from a campaign, a product view and add, then signed in, an
 * order. Message ids are per store, so the same visit can be sent to several stores.
 */
function visit(person: Person, label: string, atMs: number, shared: { product: string; price: number }) {
  const session = `${person.anonymousId}-${label}`;
  const at = (minutes: number) => new Date(atMs + minutes * 60_000).toISOString();
  const context = {
    sessionId: session,
    page: { url: `https://shop.example${person.landing}?utm_source=news&utm_campaign=${person.campaign}` },
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  };
  const product = (id: string, price: number) => ({ product_id: id, price, quantity: 1, currency: 'EUR' });
  return [
    {
      type: 'page',
      name: 'Landing',
      anonymousId: person.anonymousId,
      messageId: `${session}-page`,
      timestamp: at(0),
      context,
    },
    {
      type: 'track',
      event: 'Product Viewed',
      anonymousId: person.anonymousId,
      messageId: `${session}-view`,
      timestamp: at(1),
      properties: product(person.product, person.price),
      context,
    },
    {
      type: 'track',
      event: 'Product Added',
      anonymousId: person.anonymousId,
      messageId: `${session}-add`,
      timestamp: at(2),
      properties: product(shared.product, shared.price),
      context,
    },
    {
      type: 'track',
      event: 'Order Completed',
      anonymousId: person.anonymousId,
      userId: person.userId,
      messageId: `${session}-order`,
      timestamp: at(5),
      properties: {
        order_id: `ORD-${session}`,
        total: person.price + shared.price,
        revenue: person.price + shared.price,
        currency: 'EUR',
        products: [product(person.product, person.price), product(shared.product, shared.price)],
      },
      context,
    },
  ];
}

/**
 * Two days of traffic in the stores' zone (New York, UTC-5); X's second visit starts at 23:57 local
 * and orders after midnight, so its session and its order count on different days.
 */
function traffic(people: Person[]) {
  const shared = { product: 'sku-shared', price: 10 };
  const localMidnight24 = Date.parse('2026-11-24T00:00:00-05:00');
  const days = [T0 - 3 * 24 * HOUR_MS, localMidnight24 + 23 * HOUR_MS + 57 * 60_000];
  return people.flatMap((person) =>
    days.flatMap((dayMs, i) => visit(person, `d${i}`, dayMs + (person === Y ? 30 * 60_000 : 0), shared)),
  );
}

describe.each(DIALECTS)('erasure takes the person out of the reports on %s', (dialect) => {
  let t: MaintenanceTestApp;
  /** The store the person is erased from, and one that never saw them: its reports are the truth. */
  let erased: Tenant;
  let truth: Tenant;
  /** Another store with the same person: its rollups must not change. */
  let other: Tenant;
  let erasedStore: Store;
  let truthStore: Store;
  let otherStore: Store;
  let receipt: PrivacyRequestView;
  let subjectRowsBefore: number;
  let otherRollupsBefore: unknown;

  const db = () => t.db.database.typed<unknown>();
  const personRows = async (store: Store, person: Person = X) => {
    const keys = [visitorKey(`a:${person.anonymousId}`), visitorKey(`u:${person.userId}`)];
    let total = 0;
    for (const table of ['report_sessions', 'report_visitor_days', 'report_funnel_events', 'report_orders']) {
      const result = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}
        where store_id = ${store.id} and visitor_key in (${sql.join(keys)})`.execute(db());
      total += Number(result.rows[0]?.n ?? 0);
    }
    return total;
  };
  /** Every rollup row of a store, in a stable order. */
  const rollupsOf = async (store: Store) => {
    const out: Record<string, unknown[]> = {};
    for (const table of [
      'report_hourly',
      'report_daily_dims',
      'report_daily_pages',
      'report_daily_products',
      'report_sessions',
      'report_orders',
      'report_visitor_days',
      'report_visitor_pairs',
      'report_funnel_events',
    ]) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}
        where store_id = ${store.id}`.execute(db());
      out[table] = rows.rows
        .map((row) => JSON.stringify(row, (_k, v) => (Buffer.isBuffer(v) ? v.toString('hex') : v)))
        .sort();
    }
    return out;
  };
  /** The reports a merchant reads, as the API answers them. */
  const reportsOf = async (tenant: Tenant) => {
    const query = new URLSearchParams(PERIOD).toString();
    const out: Record<string, unknown> = {};
    for (const path of [
      'overview',
      'ecommerce',
      'products',
      'pages',
      'sources',
      'sources?dimension=utmCampaign',
      'attribution',
      'attribution?dimension=campaign',
      'technology',
    ]) {
      const response = await t.app.inject({
        method: 'GET',
        url: `/api/v1/stores/${tenant.storeId}/reports/${path}${path.includes('?') ? '&' : '?'}${query}`,
        headers: asKey(tenant.secretKey),
      });
      out[path] = response.statusCode === 200 ? response.json() : response.statusCode;
    }
    return out;
  };

  beforeAll(async () => {
    t = await createMaintenanceTestApp(dialect, { startMs: T0 });
    erased = await createTenant(t, `rerased${dialect}`);
    truth = await createTenant(t, `rtruth${dialect}`);
    other = await createTenant(t, `rother${dialect}`);
    for (const tenant of [erased, truth, other]) {
      await t.services.stores.update(await storeOf(t, tenant.storeId), { timeZone: ZONE }, SYSTEM_ACTOR);
    }
    for (const [tenant, people] of [
      [erased, [X, Y]],
      [truth, [Y]],
      [other, [X, Y]],
    ] as const) {
      const answer = await sendEvents(t, tenant.writeKey, traffic([...people]));
      expect(answer.rejected).toEqual([]);
    }
    await flush(t);
    erasedStore = await storeOf(t, erased.storeId);
    truthStore = await storeOf(t, truth.storeId);
    otherStore = await storeOf(t, other.storeId);
    subjectRowsBefore = await personRows(erasedStore);
    otherRollupsBefore = await rollupsOf(otherStore);

    const created = await t.app.inject({
      method: 'POST',
      url: `/api/v1/stores/${erased.storeId}/privacy/erasures`,
      headers: asKey(erased.secretKey),
      payload: { userId: X.userId, anonymousId: X.anonymousId },
    });
    expect(created.statusCode).toBe(202);
    t.clock.advance(SETTLE_MS + 1000);
    const outcome = await runJob(t, 'privacy');
    const entry = (outcome.result as PrivacyJobResult).requests.find(
      (r) => r.id === (created.json() as PrivacyRequestView).id,
    );
    expect(entry?.outcome).toBe('done');
    const read = await t.app.inject({
      method: 'GET',
      url: `/api/v1/stores/${erased.storeId}/privacy/erasures/${(created.json() as PrivacyRequestView).id}`,
      headers: asKey(erased.secretKey),
    });
    receipt = read.json() as PrivacyRequestView;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('seeded rollups for the person and the reports count them', async () => {
    expect(subjectRowsBefore).toBeGreaterThan(0);
    const reports = (await reportsOf(other)) as { overview: { metrics: { orders: { value: number } } } };
    expect(reports.overview.metrics.orders.value).toBe(4);
  });

  it('answers every report with the numbers of a store that never saw the person', async () => {
    const after = await reportsOf(erased);
    const expected = await reportsOf(truth);
    for (const [name, body] of Object.entries(expected)) expect(typeof body, name).toBe('object');
    expect(after).toEqual(expected);
    const overview = after.overview as {
      metrics: { orders: { value: number }; visitors: { value: number } };
    };
    expect(overview.metrics.orders.value).toBe(2);
    expect(overview.metrics.visitors.value).toBe(1);
  });

  it('leaves no rollup row carrying the person', async () => {
    expect(await personRows(erasedStore)).toBe(0);
    expect(await personRows(truthStore)).toBe(0);
  });

  it("leaves another store's rollups of the same person untouched", async () => {
    expect(await rollupsOf(otherStore)).toEqual(otherRollupsBefore);
    expect(await personRows(otherStore)).toBeGreaterThan(0);
  });

  it('counts the derived rows in the receipt', async () => {
    expect(receipt.status).toBe('done');
    expect(receipt.counts.derivedRows).toBe(subjectRowsBefore);
    expect(receipt.counts.events).toBe(8);
    expect(receipt.counts.orders).toBe(2);
  });

  it('resumes an erasure whose run crashed half-way through the rollups from the stored plan, without counting anything twice', async () => {
    expect((await sendEvents(t, erased.writeKey, traffic([Z]))).rejected).toEqual([]);
    await flush(t);
    const zRows = await personRows(erasedStore, Z);
    expect(zRows).toBeGreaterThan(0);
    // The instance dies while rebuilding the second of the person's days (the cleaner's first step deletes
    // their order rows, the second rebuilds the first day): those are committed, the person's raw rows are
    // already gone, so the next run can only find the other days in the plan.
    const cleaner = t.services.reports.derivedDataCleaner;
    const rebuildDay = cleaner.deleteSubject;
    let steps = 0;
    cleaner.deleteSubject = async (storeId, plan, tx, options) => {
      if (!options.countOnly && ++steps === 3) throw new Error('instance crashed');
      return rebuildDay(storeId, plan, tx, options);
    };
    try {
      const created = await t.app.inject({
        method: 'POST',
        url: `/api/v1/stores/${erased.storeId}/privacy/erasures`,
        headers: asKey(erased.secretKey),
        payload: { userId: Z.userId, anonymousId: Z.anonymousId },
      });
      const id = (created.json() as PrivacyRequestView).id;
      t.clock.advance(SETTLE_MS + 1000);
      const crashed = await runJob(t, 'privacy', { expect: 'failed' });
      expect(crashed.error).toContain('instance crashed');
      expect(await personRows(erasedStore, Z)).toBeGreaterThan(0);

      // After the request's lease (5 minutes) another run takes it over and finishes it.
      t.clock.advance(5 * 60_000 + 1000);
      const resumed = await runJob(t, 'privacy');
      expect((resumed.result as PrivacyJobResult).requests.find((r) => r.id === id)?.outcome).toBe('done');
      expect(steps).toBeGreaterThan(3);
      expect(await personRows(erasedStore, Z)).toBe(0);
      expect(await reportsOf(erased)).toEqual(await reportsOf(truth));
      const read = await t.app.inject({
        method: 'GET',
        url: `/api/v1/stores/${erased.storeId}/privacy/erasures/${id}`,
        headers: asKey(erased.secretKey),
      });
      expect((read.json() as PrivacyRequestView).counts).toMatchObject({
        events: 8,
        orders: 2,
        derivedRows: zRows,
      });
    } finally {
      cleaner.deleteSubject = rebuildDay;
    }
  });

  it('erased by user id only, takes out what carried it and recounts the anonymous session it started in, on the day before', async () => {
    // W's orders carry the user id; the visits' other events are anonymous. The second visit lands at 23:57
    // and orders after midnight: its session counts on the day before the only event that is erased.
    const events = traffic([W]);
    expect((await sendEvents(t, erased.writeKey, events)).rejected).toEqual([]);
    const anonymous = events.filter((e) => !('userId' in e));
    expect(anonymous.length).toBe(events.length - 2);
    expect((await sendEvents(t, truth.writeKey, anonymous)).rejected).toEqual([]);
    await flush(t);
    expect(await reportsOf(erased)).not.toEqual(await reportsOf(truth));

    const created = await t.app.inject({
      method: 'POST',
      url: `/api/v1/stores/${erased.storeId}/privacy/erasures`,
      headers: asKey(erased.secretKey),
      payload: { userId: W.userId },
    });
    expect(created.statusCode).toBe(202);
    t.clock.advance(SETTLE_MS + 1000);
    await runJob(t, 'privacy');
    expect(await reportsOf(erased)).toEqual(await reportsOf(truth));
    const overview = (await reportsOf(erased)).overview as { metrics: { visitors: { value: number } } };
    expect(overview.metrics.visitors.value).toBe(2);
  });

  it('is idempotent: erasing the person again changes no report', async () => {
    const before = await rollupsOf(erasedStore);
    const again = await t.app.inject({
      method: 'POST',
      url: `/api/v1/stores/${erased.storeId}/privacy/erasures`,
      headers: asKey(erased.secretKey),
      payload: { userId: X.userId, anonymousId: X.anonymousId },
    });
    expect(again.statusCode).toBe(202);
    t.clock.advance(SETTLE_MS + 1000);
    await runJob(t, 'privacy');
    expect(await rollupsOf(erasedStore)).toEqual(before);
  });
});
