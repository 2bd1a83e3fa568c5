import { gunzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asKey, asUser, createTenant, type Tenant } from '../../../test/harness/app.js';
import { DIALECTS } from '../../../test/harness/databases.js';
import {
  createFakeCleaner,
  createMaintenanceTestApp,
  flush,
  type MaintenanceTestApp,
  orderCompletedAt,
  orderRefundedAt,
  runJob,
  sendEvents,
  storedMessageIds,
  storedOrderIds,
  storeOf,
  trackAt,
} from '../../../test/harness/maintenance-app.js';
import { parsePublicId } from '../../platform/ids.js';
import { SYSTEM_ACTOR } from '../audit/index.js';
import type { Store } from '../stores/index.js';
import {
  createPrivacyModule,
  type PrivacyJobResult,
  type PrivacyRequestView,
  SUPPRESSION_REFRESH_MS,
} from './index.js';

const T0 = Date.parse('2026-11-25T12:00:00Z');
/** How long an erasure waits before deleting (the default: 12 suppression refreshes). */
const SETTLE_MS = 12 * SUPPRESSION_REFRESH_MS;
const DAY_MS = 86_400_000;
/**
 * Derived rows of the erased person: 2 of the fake cleaner and 9 rollup rows of the reports cleaner (their
 * sessions, active days, funnel rows and order; privacy-rollups.test.ts checks those against the reports).
 */
const DERIVED = 11;

describe.each(DIALECTS)('privacy on %s', (dialect) => {
  let t: MaintenanceTestApp;
  let a: Tenant;
  let b: Tenant;
  let storeA: Store;
  let storeB: Store;
  const fake = createFakeCleaner('test-rollups');

  beforeAll(async () => {
    t = await createMaintenanceTestApp(dialect, { startMs: T0 });
    t.privacy.addDerivedDataCleaner(fake.cleaner);
    a = await createTenant(t, `prva${dialect}`);
    b = await createTenant(t, `prvb${dialect}`);
    storeA = await storeOf(t, a.storeId);
    storeB = await storeOf(t, b.storeId);
  });
  afterAll(async () => {
    await t?.close();
  });

  const request = (
    tenant: Tenant,
    kind: 'erasures' | 'exports',
    payload: Record<string, unknown>,
    key = tenant.secretKey,
  ) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/stores/${tenant.storeId}/privacy/${kind}`,
      headers: asKey(key),
      payload,
    });
  const readRequest = async (tenant: Tenant, kind: 'erasures' | 'exports', id: string) => {
    const response = await t.app.inject({
      method: 'GET',
      url: `/api/v1/stores/${tenant.storeId}/privacy/${kind}/${id}`,
      headers: asKey(tenant.secretKey),
    });
    expect(response.statusCode).toBe(200);
    return response.json() as PrivacyRequestView;
  };
  const eventsOf = async (store: Store, filter: { userId?: string; anonymousId?: string }) =>
    (await t.services.pipeline.events.list(store.id, { limit: 500, ...filter })).items
      .map((e) => e.messageId)
      .sort();
  const requestsIn = (result: unknown) => (result as PrivacyJobResult).requests;
  /** Sends events every one of which must be accepted (seeding: a rejected event would skew the counts). */
  const seed = async (writeKey: string, events: Record<string, unknown>[]) => {
    expect((await sendEvents(t, writeKey, events)).rejected).toEqual([]);
  };

  describe('access', () => {
    it('lets owners, admins and keys with privacy scopes in, and nobody else', async () => {
      const url = `/api/v1/stores/${a.storeId}/privacy/erasures`;
      for (const role of ['analyst', 'viewer'] as const) {
        const headers = asUser(a.members[role]);
        expect((await t.app.inject({ method: 'GET', url, headers })).statusCode).toBe(403);
        expect(
          (await t.app.inject({ method: 'POST', url, headers, payload: { userId: 'x' } })).statusCode,
        ).toBe(403);
      }
      const admin = await t.app.inject({ method: 'GET', url, headers: asUser(a.members.admin) });
      expect(admin.statusCode).toBe(200);
      const readOnly = await t.services.keys.create(
        storeA,
        { type: 'secret', scopes: ['stores:read'] },
        SYSTEM_ACTOR,
      );
      expect((await request(a, 'erasures', { userId: 'x' }, readOnly.secret)).statusCode).toBe(403);
      // Another tenant's key does not even learn that the store exists.
      expect((await request(a, 'erasures', { userId: 'x' }, b.secretKey)).statusCode).toBe(404);
    });

    it('refuses a request that names nobody', async () => {
      const response = await request(a, 'erasures', {});
      expect(response.statusCode).toBe(400);
      expect(response.json().field).toBe('userId');
      expect((await request(a, 'exports', { userId: '' })).statusCode).toBe(400);
      expect((await request(a, 'exports', { email: 'x@y.z' })).statusCode).toBe(400);
    });

    it("hides another store's requests", async () => {
      const created = (await request(a, 'exports', { userId: 'hidden' })).json() as PrivacyRequestView;
      const response = await t.app.inject({
        method: 'GET',
        url: `/api/v1/stores/${b.storeId}/privacy/exports/${created.id}`,
        headers: asKey(b.secretKey),
      });
      expect(response.statusCode).toBe(404);
      const asErasure = await t.app.inject({
        method: 'GET',
        url: `/api/v1/stores/${a.storeId}/privacy/erasures/${created.id}`,
        headers: asKey(a.secretKey),
      });
      expect(asErasure.statusCode).toBe(404);
    });
  });

  describe('suppression', () => {
    it('refuses new events of an erased person at once, in that store only', async () => {
      const created = await request(a, 'erasures', { userId: 'erased-1' });
      expect(created.statusCode).toBe(202);
      expect(created.json()).toMatchObject({ kind: 'erasure', status: 'pending', identifiers: ['userId'] });
      const answer = await sendEvents(t, a.writeKey, [
        trackAt(t, { userId: 'erased-1', messageId: `e1-${dialect}` }),
        trackAt(t, { userId: 'kept-1', messageId: `k1-${dialect}` }),
      ]);
      expect(answer.accepted).toBe(1);
      expect(answer.rejected.map((r) => r.index)).toEqual([0]);
      expect((await sendEvents(t, b.writeKey, [trackAt(t, { userId: 'erased-1' })])).accepted).toBe(1);
      await flush(t);
      expect(await eventsOf(storeA, { userId: 'erased-1' })).toEqual([]);
      expect(await eventsOf(storeA, { userId: 'kept-1' })).toEqual([`k1-${dialect}`]);
      expect(await eventsOf(storeB, { userId: 'erased-1' })).toHaveLength(1);
    });

    it('drops events of the person that were already buffered when the erasure came', async () => {
      const buffered = [
        trackAt(t, { anonymousId: 'buffered-1' }),
        trackAt(t, { anonymousId: 'buffered-1', userId: 'someone-else' }),
        trackAt(t, { anonymousId: 'not-erased' }),
      ];
      expect((await sendEvents(t, a.writeKey, buffered)).accepted).toBe(3);
      expect((await request(a, 'erasures', { anonymousId: 'buffered-1' })).statusCode).toBe(202);
      await flush(t);
      expect(await eventsOf(storeA, { anonymousId: 'buffered-1' })).toEqual([]);
      expect(await eventsOf(storeA, { anonymousId: 'not-erased' })).toHaveLength(1);
    });

    it('reaches every other instance within the refresh interval', async () => {
      const other = createPrivacyModule({
        database: t.db.database,
        clock: t.clock,
        ids: t.services.ids,
        logger: t.services.logger,
        audit: t.services.audit,
        stores: t.services.stores,
        pipelineData: t.pipelineData,
        signer: t.services.secrets.signer,
        rootSecret: t.services.config.secret,
        publicUrl: null,
      });
      await other.load();
      expect(await other.isSuppressed(storeA.id, 'late-1', null)).toBe(false);
      expect((await request(a, 'erasures', { userId: 'late-1' })).statusCode).toBe(202);
      expect(await t.privacy.isSuppressed(storeA.id, 'late-1', null)).toBe(true);
      t.clock.advance(SUPPRESSION_REFRESH_MS);
      expect(await other.isSuppressed(storeA.id, 'late-1', null)).toBe(true);
      expect(await other.isSuppressed(storeB.id, 'late-1', null)).toBe(false);
      expect(await other.isSuppressed(storeA.id, null, 'late-1')).toBe(false);
    });
  });

  describe('erasure', () => {
    const ids = (label: string) => `${label}-${dialect}`;
    let erasure: PrivacyRequestView;

    beforeAll(async () => {
      // The person browses anonymously, logs in, buys and gets a refund; another person does the same; the
      // same user id exists in store B. Dead letters and derived rows exist for each.
      const person = { userId: 'u-2', anonymousId: 'a-2' };
      await seed(a.writeKey, [
        trackAt(t, { anonymousId: 'a-2', messageId: ids('p-anon') }),
        trackAt(t, { ...person, messageId: ids('p-login') }),
        orderCompletedAt(t, { ...person, messageId: ids('p-order') }, 'ORD-U2'),
        trackAt(t, { userId: 'u-3', anonymousId: 'a-3', messageId: ids('o-1') }),
        orderCompletedAt(t, { userId: 'u-3', messageId: ids('o-order') }, 'ORD-U3'),
      ]);
      await flush(t);
      await seed(a.writeKey, [orderRefundedAt(t, { userId: 'u-2', messageId: ids('p-refund') }, 'ORD-U2')]);
      await seed(b.writeKey, [
        trackAt(t, { ...person, messageId: ids('b-p') }),
        orderCompletedAt(t, { ...person, messageId: ids('b-order') }, 'ORD-U2'),
      ]);
      await flush(t);
      await t.services.pipeline.deadLetters.record([
        {
          storeId: storeA.id,
          messageId: 'dl-p',
          payload: JSON.stringify({ userId: 'u-2' }),
          reason: 'x',
          attempts: 5,
        },
        {
          storeId: storeA.id,
          messageId: 'dl-o',
          payload: JSON.stringify({ userId: 'u-3' }),
          reason: 'x',
          attempts: 5,
        },
        {
          storeId: storeB.id,
          messageId: 'dl-b',
          payload: JSON.stringify({ userId: 'u-2' }),
          reason: 'x',
          attempts: 5,
        },
      ]);
      fake.add(
        { storeId: storeA.id, atMs: T0, userId: 'u-2', anonymousId: null },
        { storeId: storeA.id, atMs: T0, userId: null, anonymousId: 'a-2' },
        { storeId: storeA.id, atMs: T0, userId: 'u-3', anonymousId: null },
        { storeId: storeB.id, atMs: T0, userId: 'u-2', anonymousId: 'a-2' },
      );
      erasure = (await request(a, 'erasures', person)).json() as PrivacyRequestView;
    });

    it('waits until every instance suppresses the person before deleting', async () => {
      const outcome = await runJob(t, 'privacy');
      expect(requestsIn(outcome.result).some((r) => r.id === erasure.id)).toBe(false);
      expect(await eventsOf(storeA, { userId: 'u-2' })).toHaveLength(3);
    });

    it('in a dry run, counts what it would delete and deletes nothing', async () => {
      t.clock.advance(SETTLE_MS + 1000);
      const outcome = await runJob(t, 'privacy', { dryRun: true });
      const entry = requestsIn(outcome.result).find((r) => r.id === erasure.id);
      expect(entry).toEqual({
        id: erasure.id,
        kind: 'erasure',
        outcome: 'would-run',
        counts: { events: 4, orders: 1, orderAdjustments: 2, deadLetters: 1, derivedRows: DERIVED },
      });
      expect(await eventsOf(storeA, { userId: 'u-2' })).toHaveLength(3);
      expect((await readRequest(a, 'erasures', erasure.id)).status).toBe('pending');
    });

    it("deletes exactly the person's events, orders, ledger, dead letters and derived rows in that store", async () => {
      const before = {
        other: await eventsOf(storeA, { userId: 'u-3' }),
        storeB: await storedMessageIds(t, storeB.id),
        storeBOrders: await storedOrderIds(t, storeB.id),
      };
      const outcome = await runJob(t, 'privacy');
      const entry = requestsIn(outcome.result).find((r) => r.id === erasure.id);
      expect(entry?.outcome).toBe('done');

      const remaining = await storedMessageIds(t, storeA.id);
      for (const label of ['p-anon', 'p-login', 'p-order', 'p-refund'])
        expect(remaining).not.toContain(ids(label));
      expect(remaining).toEqual(expect.arrayContaining([ids('o-1'), ids('o-order')]));
      expect(await eventsOf(storeA, { userId: 'u-3' })).toEqual(before.other);
      expect(await storedOrderIds(t, storeA.id)).toEqual(['ORD-U3']);
      expect(await storedMessageIds(t, storeB.id)).toEqual(before.storeB);
      expect(await storedOrderIds(t, storeB.id)).toEqual(before.storeBOrders);
      const letters = async (store: Store) =>
        (await t.services.pipeline.deadLetters.list(store.id, { limit: 50 })).items.map((d) => d.messageId);
      expect(await letters(storeA)).toEqual(['dl-o']);
      expect(await letters(storeB)).toEqual(['dl-b']);
      expect(fake.rows().map((r) => [r.storeId, r.userId])).toEqual([
        [storeA.id, 'u-3'],
        [storeB.id, 'u-2'],
      ]);
    });

    it('leaves a receipt with counts and times, and keeps no identifier in plain text', async () => {
      const receipt = await readRequest(a, 'erasures', erasure.id);
      expect(receipt).toMatchObject({
        status: 'done',
        identifiers: ['userId', 'anonymousId'],
        counts: { events: 4, orders: 1, orderAdjustments: 2, deadLetters: 1, derivedRows: DERIVED },
        error: null,
        file: null,
      });
      expect(receipt.startedAt).not.toBeNull();
      expect(Date.parse(receipt.finishedAt ?? '')).toBeGreaterThanOrEqual(
        Date.parse(receipt.startedAt ?? ''),
      );
      const db = t.db.database.typed<unknown>();
      const leftovers = await sql<{ n: number }>`select count(*) as n from privacy_requests
        where pending_user_id = 'u-2' or pending_anonymous_id = 'a-2'`.execute(db);
      expect(Number(leftovers.rows[0]?.n)).toBe(0);
      const hashes = await sql<{
        subject_hash: Buffer;
      }>`select subject_hash from privacy_suppressions`.execute(db);
      for (const row of hashes.rows) {
        expect(Buffer.from(row.subject_hash)).toHaveLength(32);
        expect(Buffer.from(row.subject_hash).toString('latin1')).not.toContain('u-2');
      }
      const organization = await t.services.accounts.findOrganizationByPublicId(a.orgId);
      const audit = await t.services.audit.list(organization?.id ?? 0, { limit: 100 });
      const entry = audit.items.find((e) => e.targetId === erasure.id);
      expect(entry?.action).toBe('privacy.erasure_requested');
      expect(JSON.stringify(audit.items)).not.toContain('"u-2"');
      const list = await t.app.inject({
        method: 'GET',
        url: `/api/v1/stores/${a.storeId}/privacy/erasures?limit=2`,
        headers: asKey(a.secretKey),
      });
      expect(list.json().items[0].id).toBe(erasure.id);
      expect(list.json().nextCursor).not.toBeNull();
    });

    it('keeps refusing the person’s events afterwards', async () => {
      const answer = await sendEvents(t, a.writeKey, [trackAt(t, { anonymousId: 'a-2' })]);
      expect(answer.accepted).toBe(0);
      await flush(t);
      expect(await eventsOf(storeA, { anonymousId: 'a-2' })).toEqual([]);
    });
  });

  describe('export', () => {
    let exported: PrivacyRequestView;
    let expected: string[];

    beforeAll(async () => {
      const person = { userId: 'x-1' };
      await seed(a.writeKey, [
        trackAt(t, {
          ...person,
          anonymousId: 'x-anon',
          properties: { product_id: 'sku-ü', note: 'ünïcödé ✓' },
        }),
        trackAt(t, { anonymousId: 'x-anon' }),
        orderCompletedAt(t, person, 'ORD-X1', 250),
        trackAt(t, { userId: 'x-2' }),
      ]);
      await flush(t);
      await seed(a.writeKey, [orderRefundedAt(t, person, 'ORD-X1', 50)]);
      await seed(b.writeKey, [trackAt(t, person)]);
      await flush(t);
      expected = await eventsOf(storeA, { userId: 'x-1' });
      exported = (await request(a, 'exports', person)).json() as PrivacyRequestView;
    });

    const download = (url: string) => t.app.inject({ method: 'GET', url });

    it("writes exactly the person's events and orders to an NDJSON.gz behind a signed link", async () => {
      await runJob(t, 'privacy');
      const done = await readRequest(a, 'exports', exported.id);
      expect(done.status).toBe('done');
      expect(done.counts).toMatchObject({ events: 3, orders: 1, orderAdjustments: 2 });
      expect(done.file?.downloadUrl).toMatch(
        /^\/api\/v1\/privacy\/exports\/prv_[0-9a-z]{26}\/file\?expires=\d+&signature=/,
      );

      const response = await download(done.file?.downloadUrl ?? '');
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/gzip');
      expect(response.headers['content-disposition']).toContain(`footfall-export-${exported.id}.ndjson.gz`);
      const lines = gunzipSync(response.rawPayload)
        .toString('utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const events = lines.filter((l) => l.record === 'event');
      expect(events.map((e) => e.messageId).sort()).toEqual(expected);
      expect(events.every((e) => e.userId === 'x-1')).toBe(true);
      expect(events.some((e) => (e.properties as { note?: string }).note === 'ünïcödé ✓')).toBe(true);
      expect(
        lines.filter((l) => l.record === 'order').map((o) => [o.orderId, o.revenue, o.netRevenue]),
      ).toEqual([['ORD-X1', 250, 200]]);
      expect(lines.filter((l) => l.record === 'orderAdjustment').map((l) => l.kind)).toHaveLength(2);
      expect(
        lines.every((l) => ['event', 'order', 'orderAdjustment', 'deadLetter'].includes(String(l.record))),
      ).toBe(true);
      expect(JSON.stringify(lines)).not.toContain('"x-2"');
      expect(JSON.stringify(lines)).not.toMatch(/"rowId"/);
    });

    it('refuses a tampered link, and an expired one', async () => {
      const done = await readRequest(a, 'exports', exported.id);
      const url = new URL(done.file?.downloadUrl ?? '', 'http://x');
      const signature = url.searchParams.get('signature') ?? '';
      const tampered = `${url.pathname}?expires=${Number(url.searchParams.get('expires')) + 1}&signature=${encodeURIComponent(signature)}`;
      expect((await download(tampered)).statusCode).toBe(403);
      const otherId = (await request(a, 'exports', { userId: 'x-2' })).json().id as string;
      expect((await download(url.pathname.replace(exported.id, otherId) + url.search)).statusCode).toBe(403);

      t.clock.advance(25 * 3_600_000);
      expect((await download(done.file?.downloadUrl ?? '')).statusCode).toBe(410);
      const fresh = await readRequest(a, 'exports', exported.id);
      expect((await download(fresh.file?.downloadUrl ?? '')).statusCode).toBe(200);
    });

    it('deletes the file at the end of its retention', async () => {
      t.clock.advance(7 * DAY_MS);
      const outcome = await runJob(t, 'privacy');
      expect((outcome.result as PrivacyJobResult).exportFilesDeleted).toBeGreaterThanOrEqual(1);
      const after = await readRequest(a, 'exports', exported.id);
      expect(after.status).toBe('done');
      expect(after.file).toBeNull();
      const db = t.db.database.typed<unknown>();
      const uid = parsePublicId('prv', exported.id) ?? Buffer.alloc(16);
      const chunks = await sql<{ n: number }>`select count(*) as n from privacy_export_chunks
        where request_id = (select id from privacy_requests where uid = ${uid})`.execute(db);
      expect(Number(chunks.rows[0]?.n)).toBe(0);
    });
  });

  describe('IP policy', () => {
    it('rewrites addresses already stored when a store tightens its policy, in that store only', async () => {
      const c = await createTenant(t, `ipc${dialect}`);
      const d = await createTenant(t, `ipd${dialect}`);
      for (const tenant of [c, d]) {
        const store = await storeOf(t, tenant.storeId);
        await t.services.stores.update(store, { ipPolicy: 'full' }, SYSTEM_ACTOR);
      }
      // Ingest reads store settings through a 10-second cache.
      t.clock.advance(11_000);
      for (const tenant of [c, d]) {
        await sendEvents(t, tenant.writeKey, [
          trackAt(t, { anonymousId: 'ip', context: { ip: '203.0.113.77', locale: 'de-DE' } }),
        ]);
      }
      await flush(t);
      const ipOf = async (tenant: Tenant) =>
        (await t.services.pipeline.events.list((await storeOf(t, tenant.storeId)).id, { limit: 5 })).items[0]
          ?.context.ip;
      expect(await ipOf(c)).toBe('203.0.113.77');
      await runJob(t, 'privacy');

      await t.services.stores.update(await storeOf(t, c.storeId), { ipPolicy: 'truncate' }, SYSTEM_ACTOR);
      const early = await runJob(t, 'privacy');
      expect((early.result as PrivacyJobResult).ipPolicies).toEqual([]);
      t.clock.advance(SETTLE_MS + 1000);
      const outcome = await runJob(t, 'privacy');
      expect((outcome.result as PrivacyJobResult).ipPolicies).toEqual([
        { store: c.storeId, from: 'full', to: 'truncate', eventsRewritten: 1, isComplete: true },
      ]);
      expect(await ipOf(c)).toBe('203.0.113.0');
      expect(await ipOf(d)).toBe('203.0.113.77');
      const again = await runJob(t, 'privacy');
      expect((again.result as PrivacyJobResult).ipPolicies).toEqual([]);
    });
  });
});
