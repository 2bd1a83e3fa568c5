import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, PASSWORD, type Tenant } from '../../../test/harness/app.js';
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
import { SESSION_IDLE_MS, SESSION_TTL_MS } from '../accounts/index.js';
import { SYSTEM_ACTOR } from '../audit/index.js';
import { keyStatus } from '../keys/index.js';
import { dayStartMs, localDay } from '../reports/index.js';
import { SIGNING_KEY_PUBLISH_MS } from '../secrets/index.js';
import type { Store } from '../stores/index.js';
import type {
  DbMaintenanceResult,
  ExpireKeysResult,
  PurgeResult,
  RetentionResult,
  RotateSecretsResult,
} from './index.js';
import { retentionCutoffMs } from './retention-cutoff.js';

const DAY_MS = 86_400_000;
/** Every table of the reports module with the column retention cuts it by (none: settings, kept). */
const REPORT_TABLES = [
  ['report_hourly', 'hour_ms'],
  ['report_sessions', 'started_at_ms'],
  ['report_orders', 'placed_at_ms'],
  ['report_funnel_events', 'timestamp_ms'],
  ['report_daily_dims', 'day'],
  ['report_daily_pages', 'day'],
  ['report_daily_products', 'day'],
  ['report_daily_orders', 'day'],
  ['report_daily_customers', 'day'],
  ['report_visitor_days', 'day'],
  ['report_visitor_pairs', 'day'],
  ['report_state', null],
  ['report_currency_rates', null],
] as const;
const T0 = Date.parse('2026-11-25T12:00:00Z');

describe.each(DIALECTS)('maintenance jobs on %s', (dialect) => {
  let t: MaintenanceTestApp;
  const fake = createFakeCleaner('test-rollups');

  beforeAll(async () => {
    t = await createMaintenanceTestApp(dialect, { startMs: T0 });
    t.privacy.addDerivedDataCleaner(fake.cleaner);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Sends at a moment of the test clock and stores what was sent. */
  const sendAt = async (atMs: number, tenant: Tenant, events: (at: number) => Record<string, unknown>[]) => {
    t.clock.set(atMs);
    const answer = await sendEvents(t, tenant.writeKey, events(atMs));
    expect(answer.rejected).toEqual([]);
    await flush(t);
  };
  const counts = async (store: Store) => t.pipelineData.countStoreRows(store.id);
  const db = () => t.db.database.typed<unknown>();
  /** Rollup rows of a store, per table; with a cutoff, only those of hours and local days before it. */
  const rollupRows = async (store: Store, before?: { ms: number; day: number }) => {
    const out: Record<string, number> = {};
    for (const [table, column] of REPORT_TABLES) {
      const limit = before
        ? column === 'day'
          ? sql` and day < ${before.day}`
          : column
            ? sql` and ${sql.ref(column)} < ${before.ms}`
            : sql` and 1 = 0`
        : sql``;
      const result = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}
        where store_id = ${store.id}${limit}`.execute(db());
      out[table] = Number(result.rows[0]?.n ?? 0);
    }
    return out;
  };
  const sum = (rows: Record<string, number>) => Object.values(rows).reduce((a, b) => a + b, 0);

  describe('retention', () => {
    let a: Tenant;
    let b: Tenant;
    let storeA: Store;
    let storeB: Store;
    let cutoffA: number;
    /** Store A's rollup rows before its cutoff, and its reports of the kept days, before retention ran. */
    let oldRollupsA: number;
    let keptReportA: unknown;
    let rollupsB: Record<string, number>;
    const kept: { a: string[]; b: string[] } = { a: [], b: [] };
    const gone: string[] = [];

    beforeAll(async () => {
      t.clock.set(T0);
      a = await createTenant(t, `reta${dialect}`);
      b = await createTenant(t, `retb${dialect}`);
      storeA = await t.services.stores.update(
        await storeOf(t, a.storeId),
        { timeZone: 'Pacific/Auckland', retentionDays: 30 },
        SYSTEM_ACTOR,
      );
      storeB = await t.services.stores.update(
        await storeOf(t, b.storeId),
        { retentionDays: 90 },
        SYSTEM_ACTOR,
      );
      cutoffA = retentionCutoffMs(T0, 'Pacific/Auckland', 30);

      // For each store: old page views and an old order (placed before A's cutoff) refunded a minute before
      // the cutoff; an event a minute before and one a minute after the cutoff; a new order refunded today.
      for (const [name, tenant] of [
        ['a', a],
        ['b', b],
      ] as const) {
        const id = (label: string) => `${name}-${label}-${dialect}`;
        const track = (label: string) => trackAt(t, { messageId: id(label), anonymousId: `${name}-visitor` });
        const at = (fields: Record<string, unknown>) => ({ anonymousId: `${name}-visitor`, ...fields });
        await sendAt(cutoffA - 20 * DAY_MS, tenant, () => [
          track('old-1'),
          track('old-2'),
          orderCompletedAt(t, at({ messageId: id('order-1') }), `${name}-ORD-1`),
        ]);
        await sendAt(cutoffA - 60_000, tenant, () => [
          track('edge-old'),
          orderRefundedAt(t, at({ messageId: id('refund-1') }), `${name}-ORD-1`),
        ]);
        await sendAt(cutoffA + 60_000, tenant, () => [
          track('edge-new'),
          orderCompletedAt(t, at({ messageId: id('order-2') }), `${name}-ORD-2`),
        ]);
        await sendAt(T0 - 3_600_000, tenant, () => [
          track('recent'),
          orderRefundedAt(t, at({ messageId: id('refund-2') }), `${name}-ORD-2`),
        ]);
        const all = [
          'old-1',
          'old-2',
          'order-1',
          'edge-old',
          'refund-1',
          'edge-new',
          'order-2',
          'recent',
          'refund-2',
        ];
        const old = new Set(['old-1', 'old-2', 'order-1', 'edge-old', 'refund-1']);
        kept[name] = all.filter((label) => name === 'b' || !old.has(label)).map(id);
        if (name === 'a') gone.push(...[...old].map(id));
      }
      // A dead letter of each store from before A's cutoff, and a recent one of A.
      const store = (tenant: Tenant) => (tenant === a ? storeA : storeB);
      for (const [tenant, atMs] of [
        [a, cutoffA - DAY_MS],
        [b, cutoffA - DAY_MS],
        [a, T0 - DAY_MS],
      ] as const) {
        t.clock.set(atMs);
        await t.services.pipeline.deadLetters.record([
          { storeId: store(tenant).id, messageId: `dl-${atMs}`, payload: '{}', reason: 'test', attempts: 5 },
        ]);
      }
      fake.add(
        { storeId: storeA.id, atMs: cutoffA - 1, userId: null, anonymousId: null },
        { storeId: storeA.id, atMs: cutoffA - 2, userId: null, anonymousId: null },
        { storeId: storeA.id, atMs: cutoffA - 3, userId: null, anonymousId: null },
        { storeId: storeA.id, atMs: cutoffA, userId: null, anonymousId: null },
        { storeId: storeB.id, atMs: cutoffA - 1, userId: null, anonymousId: null },
      );
      t.clock.set(T0);
      oldRollupsA = sum(await rollupRows(storeA, cutoffOfA()));
      keptReportA = await keptReport();
      rollupsB = await rollupRows(storeB);
    });

    const cutoffOfA = () => ({ ms: cutoffA, day: localDay('Pacific/Auckland', cutoffA) });
    /** The reports of store A's kept days (cutoff day to today). */
    const keptReport = async () => {
      const from = new Date(cutoffA).toLocaleDateString('en-CA', { timeZone: 'Pacific/Auckland' });
      const params = { from, to: '2026-11-26' };
      const reports = t.services.reports.service;
      return {
        overview: await reports.overview(storeA.id, params),
        ecommerce: await reports.ecommerce(storeA.id, params),
        products: await reports.products(storeA.id, params),
      };
    };
    it('stored what the scenario needs', async () => {
      expect(await counts(storeA)).toEqual({ events: 9, orders: 2, orderAdjustments: 4, deadLetters: 2 });
      expect(await counts(storeB)).toEqual({ events: 9, orders: 2, orderAdjustments: 4, deadLetters: 1 });
    });

    it('in a dry run, counts what it would delete and deletes nothing', async () => {
      const before = { a: await counts(storeA), b: await counts(storeB), fake: fake.rows().length };
      const outcome = await runJob(t, 'retention', { dryRun: true });
      const result = outcome.result as RetentionResult;
      expect(oldRollupsA).toBeGreaterThan(0);
      expect(result.totals).toEqual({
        events: 5,
        orders: 1,
        orderAdjustments: 2,
        deadLetters: 1,
        derivedRows: 3 + oldRollupsA,
      });
      expect(result.stores.map((s) => s.store)).toEqual([a.storeId]);
      expect(result.stores[0]?.cutoff).toBe(new Date(cutoffA).toISOString());
      expect({ a: await counts(storeA), b: await counts(storeB), fake: fake.rows().length }).toEqual(before);
    });

    it("deletes exactly the store's rows past its local-midnight cutoff, and nothing of the other store", async () => {
      const outcome = await runJob(t, 'retention');
      expect((outcome.result as RetentionResult).totals).toEqual({
        events: 5,
        orders: 1,
        orderAdjustments: 2,
        deadLetters: 1,
        derivedRows: 3 + oldRollupsA,
      });
      expect(await storedMessageIds(t, storeA.id)).toEqual([...kept.a].sort());
      expect(await storedMessageIds(t, storeB.id)).toEqual([...kept.b].sort());
      expect(await storedOrderIds(t, storeA.id)).toEqual(['a-ORD-2']);
      expect(await storedOrderIds(t, storeB.id)).toEqual(['b-ORD-1', 'b-ORD-2']);
      expect(await counts(storeA)).toEqual({ events: 4, orders: 1, orderAdjustments: 2, deadLetters: 1 });
      expect(await counts(storeB)).toEqual({ events: 9, orders: 2, orderAdjustments: 4, deadLetters: 1 });
      expect(fake.rows().map((r) => [r.storeId, r.atMs])).toEqual([
        [storeA.id, cutoffA],
        [storeB.id, cutoffA - 1],
      ]);
      for (const id of gone) expect(await storedMessageIds(t, storeA.id)).not.toContain(id);
    });

    it("deletes the rollups of hours and local days before the cutoff, keeps the kept days' reports, and leaves the other store's rollups alone", async () => {
      expect(sum(await rollupRows(storeA, cutoffOfA()))).toBe(0);
      expect(sum(await rollupRows(storeA))).toBeGreaterThan(0);
      expect(await keptReport()).toEqual(keptReportA);
      expect(await rollupRows(storeB)).toEqual(rollupsB);
    });

    it('is idempotent: the next run finds nothing left to delete', async () => {
      const outcome = await runJob(t, 'retention');
      expect((outcome.result as RetentionResult).totals).toEqual({
        events: 0,
        orders: 0,
        orderAdjustments: 0,
        deadLetters: 0,
        derivedRows: 0,
      });
    });

    it("the reports' cleaner deletes at most `limit` rows per call, and its dry-run count is what the calls delete", async () => {
      // Store B's rollups before A's cutoff (B keeps 90 days, so retention left them) deleted two at a time.
      const cleaner = t.services.reports.derivedDataCleaner;
      const inTx = (work: (tx: Parameters<typeof cleaner.deleteStore>[1]) => Promise<number>) =>
        t.db.database.transaction(work);
      const options = { limit: 2, countOnly: false };
      // A cutoff inside one of B's local days keeps that whole day: rows go up to the day's start.
      const day = localDay(storeB.timeZone, cutoffA);
      const before = { ms: dayStartMs(storeB.timeZone, day), day };
      expect(before.ms).toBeLessThan(cutoffA);
      const expected = sum(await rollupRows(storeB, before));
      expect(expected).toBeGreaterThan(4);
      expect(
        await inTx((tx) =>
          cleaner.deleteStoreBefore(storeB.id, cutoffA, tx, { ...options, countOnly: true }),
        ),
      ).toBe(expected);
      let deleted = 0;
      for (;;) {
        const n = await inTx((tx) => cleaner.deleteStoreBefore(storeB.id, cutoffA, tx, options));
        expect(n).toBeLessThanOrEqual(2);
        if (n === 0) break;
        deleted += n;
      }
      expect(deleted).toBe(expected);
      expect(sum(await rollupRows(storeB, before))).toBe(0);
      expect(sum(await rollupRows(storeB, { ms: cutoffA, day: day + 1 }))).toBeGreaterThan(0);
    });
  });

  describe('retention and the context dictionary', () => {
    it('deletes the shared contexts only past-cutoff events used, keeps those kept events use, and kept events read back whole', async () => {
      t.clock.set(T0);
      const tenant = await createTenant(t, `ctx${dialect}`);
      const store = await t.services.stores.update(
        await storeOf(t, tenant.storeId),
        { retentionDays: 30 },
        SYSTEM_ACTOR,
      );
      const cutoff = retentionCutoffMs(T0, store.timeZone, 30);
      const withAgent = (agent: string) => ({
        context: { userAgent: `Mozilla/5.0 (${agent})`, locale: 'en-GB', ip: '192.0.2.0' },
      });
      // "old" is only ever sent before the cutoff; "both" before and after; "new" only after.
      await sendAt(cutoff - 10 * DAY_MS, tenant, () => [
        trackAt(t, { anonymousId: 'v1', ...withAgent('old') }),
        trackAt(t, { anonymousId: 'v2', ...withAgent('both') }),
      ]);
      await sendAt(cutoff + 60_000, tenant, () => [
        trackAt(t, { anonymousId: 'v2', messageId: `kept-both-${dialect}`, ...withAgent('both') }),
        trackAt(t, { anonymousId: 'v3', messageId: `kept-new-${dialect}`, ...withAgent('new') }),
      ]);
      const agents = async () =>
        (
          await sql<{ body: string }>`select body from event_contexts where store_id = ${store.id}`.execute(
            db(),
          )
        ).rows
          .map((r) => String((JSON.parse(r.body) as { userAgent: string }).userAgent))
          .sort();
      expect(await agents()).toEqual(['Mozilla/5.0 (both)', 'Mozilla/5.0 (new)', 'Mozilla/5.0 (old)']);

      t.clock.set(T0);
      const dry = (await runJob(t, 'retention', { dryRun: true })).result as RetentionResult;
      const mine = dry.stores.find((s) => s.store === tenant.storeId);
      expect(mine).toMatchObject({ events: 2, derivedRows: expect.any(Number) });
      expect(await agents()).toHaveLength(3);
      await runJob(t, 'retention');
      expect(await agents()).toEqual(['Mozilla/5.0 (both)', 'Mozilla/5.0 (new)']);
      const kept = (await t.services.pipeline.events.list(store.id, { limit: 10 })).items;
      expect(kept.map((e) => [e.messageId, e.context]).sort()).toEqual([
        [`kept-both-${dialect}`, withAgent('both').context],
        [`kept-new-${dialect}`, withAgent('new').context],
      ]);
    });
  });

  describe('purge-deleted', () => {
    let gone: Tenant;
    let recent: Tenant;
    let alive: Tenant;
    let goneStore: Store;
    let recentStore: Store;
    let aliveStore: Store;
    let goneRollups: number;
    let keptRollups: Record<string, number>[];

    beforeAll(async () => {
      t.clock.set(T0 - 40 * DAY_MS);
      gone = await createTenant(t, `purgea${dialect}`);
      recent = await createTenant(t, `purgeb${dialect}`);
      alive = await createTenant(t, `purgec${dialect}`);
      for (const tenant of [gone, recent, alive]) {
        await sendAt(T0 - 40 * DAY_MS, tenant, () => [
          trackAt(t, { anonymousId: 'shopper' }),
          orderCompletedAt(t, { anonymousId: 'shopper' }, 'ORD-1'),
        ]);
        const store = await storeOf(t, tenant.storeId);
        await t.services.pipeline.deadLetters.record([
          { storeId: store.id, messageId: 'dl', payload: '{}', reason: 'test', attempts: 5 },
        ]);
        await t.privacy.service.requestExport(store, { userId: 'someone' }, SYSTEM_ACTOR);
        fake.add({ storeId: store.id, atMs: T0, userId: null, anonymousId: null });
      }
      goneStore = await storeOf(t, gone.storeId);
      recentStore = await storeOf(t, recent.storeId);
      aliveStore = await storeOf(t, alive.storeId);
      t.clock.set(T0 - 31 * DAY_MS);
      await t.services.stores.softDelete(goneStore, SYSTEM_ACTOR);
      // A member removed 31 days ago: their membership row goes too.
      const organization = await t.services.accounts.findOrganizationByPublicId(alive.orgId);
      if (!organization) throw new Error('organization missing');
      const member = await t.services.accounts.findMember(organization, alive.memberIds.viewer);
      await t.services.accounts.removeMember(organization, member, { ...SYSTEM_ACTOR, role: 'owner' });
      t.clock.set(T0 - 10 * DAY_MS);
      await t.services.stores.softDelete(recentStore, SYSTEM_ACTOR);
      t.clock.set(T0);
      // A merchant rate: settings of the reports module, which go with the store too.
      await t.services.reports.putRates(goneStore.id, [{ currency: 'USD', validFromMs: 0, rate: 0.9 }]);
      goneRollups = sum(await rollupRows(goneStore));
      keptRollups = [await rollupRows(recentStore), await rollupRows(aliveStore)];
    });

    const deletedMemberships = async () => {
      const db = t.db.database.typed<{ memberships: { deleted_at: number | null } }>();
      const row = await sql<{
        n: number;
      }>`select count(*) as n from memberships where deleted_at is not null`.execute(db);
      return Number(row.rows[0]?.n ?? 0);
    };

    it('in a dry run, counts the store past its grace period and deletes nothing', async () => {
      const outcome = await runJob(t, 'purge-deleted', { dryRun: true });
      const result = outcome.result as PurgeResult;
      expect(result.stores).toEqual([
        {
          store: gone.storeId,
          deletedAt: new Date(T0 - 31 * DAY_MS).toISOString(),
          events: 2,
          orders: 1,
          orderAdjustments: 1,
          deadLetters: 1,
          derivedRows: 1 + goneRollups,
          privacyRows: 1,
          keys: 2,
          stores: 1,
        },
      ]);
      expect(result.memberships).toBe(1);
      expect(await t.services.stores.findById(goneStore.id, { withDeleted: true })).not.toBeNull();
      expect((await counts(goneStore)).events).toBe(2);
      expect(await deletedMemberships()).toBe(1);
    });

    it('hard-deletes a store deleted past the grace period with everything it owned, children first', async () => {
      const outcome = await runJob(t, 'purge-deleted');
      const result = outcome.result as PurgeResult;
      expect(result.stores.map((s) => [s.store, s.stores, s.keys, s.events, s.privacyRows])).toEqual([
        [gone.storeId, 1, 2, 2, 1],
      ]);
      expect(await t.services.stores.findById(goneStore.id, { withDeleted: true })).toBeNull();
      expect(await counts(goneStore)).toEqual({ events: 0, orders: 0, orderAdjustments: 0, deadLetters: 0 });
      expect(await t.services.keys.repository.listByStore(goneStore.id)).toEqual([]);
      expect(await t.privacy.countStoreRows(goneStore.id)).toBe(0);
      expect(fake.rows().some((r) => r.storeId === goneStore.id)).toBe(false);
      expect(goneRollups).toBeGreaterThan(2);
      expect(sum(await rollupRows(goneStore))).toBe(0);
      expect(await deletedMemberships()).toBe(0);
    });

    it('leaves a store inside its restore window and a live store untouched', async () => {
      for (const store of [recentStore, aliveStore]) {
        expect(await t.services.stores.findById(store.id, { withDeleted: true })).not.toBeNull();
        expect(await counts(store)).toEqual({ events: 2, orders: 1, orderAdjustments: 1, deadLetters: 1 });
        expect(await t.services.keys.repository.listByStore(store.id)).toHaveLength(2);
        expect(await t.privacy.countStoreRows(store.id)).toBe(1);
        expect(fake.rows().some((r) => r.storeId === store.id)).toBe(true);
      }
      expect([await rollupRows(recentStore), await rollupRows(aliveStore)]).toEqual(keptRollups);
    });

    it('refuses a grace period shorter than the store restore window', async () => {
      const { createPurgeDeletedJob } = await import('./purge-deleted.job.js');
      expect(() =>
        createPurgeDeletedJob({
          ...({} as Parameters<typeof createPurgeDeletedJob>[0]),
          options: { purgeGraceMs: DAY_MS },
        }),
      ).toThrow(/restore window/);
    });
  });

  describe('expire-keys', () => {
    let tenant: Tenant;
    let other: Tenant;
    let store: Store;

    beforeAll(async () => {
      t.clock.set(T0);
      tenant = await createTenant(t, `keys${dialect}`);
      other = await createTenant(t, `keysother${dialect}`);
      store = await storeOf(t, tenant.storeId);
    });

    const keyById = async (id: string) => t.services.keys.findInStore(await storeOf(t, tenant.storeId), id);
    const auditActions = async (orgId: string) => {
      const organization = await t.services.accounts.findOrganizationByPublicId(orgId);
      if (!organization) throw new Error('organization missing');
      return (await t.services.audit.list(organization.id, { limit: 100 })).items;
    };

    it('marks keys past their expiry or rotation grace as expired, audits each, and touches no other key', async () => {
      t.clock.set(T0);
      const shortLived = await t.services.keys.create(
        store,
        { type: 'secret', scopes: ['stores:read'], expiresInMs: DAY_MS },
        SYSTEM_ACTOR,
      );
      const rotated = await t.services.keys.create(
        store,
        { type: 'secret', scopes: ['stores:read'] },
        SYSTEM_ACTOR,
      );
      const successor = await t.services.keys.rotate(store, rotated.key, 3_600_000, SYSTEM_ACTOR);
      t.clock.set(T0 + 2 * DAY_MS);

      const dry = await runJob(t, 'expire-keys', { dryRun: true });
      expect((dry.result as ExpireKeysResult).expired).toBe(2);
      expect((await keyById(shortLived.key.publicId)).expiredAt).toBeNull();

      const outcome = await runJob(t, 'expire-keys');
      expect(outcome.result as ExpireKeysResult).toEqual({ capped: 0, warned: 0, expired: 2 });
      for (const key of [shortLived.key, rotated.key]) {
        const now = await keyById(key.publicId);
        expect(now.expiredAt).toBe(T0 + 2 * DAY_MS);
        expect(keyStatus(now, t.clock.nowMs())).toBe('expired');
      }
      expect((await keyById(successor.key.publicId)).expiredAt).toBeNull();
      const expiredEntries = (await auditActions(tenant.orgId)).filter((e) => e.action === 'key.expired');
      expect(expiredEntries.map((e) => [e.targetId, e.details?.reason]).sort()).toEqual(
        [
          [shortLived.key.publicId, 'expiry'],
          [rotated.key.publicId, 'rotation grace ended'],
        ].sort(),
      );
      expect((await auditActions(other.orgId)).some((e) => e.action === 'key.expired')).toBe(false);
    });

    it("applies a store's maximum key age: flags keys nearing it, then expires them when they reach it", async () => {
      t.clock.set(T0 + 2 * DAY_MS);
      const key = await t.services.keys.create(
        store,
        { type: 'secret', scopes: ['stores:read'] },
        SYSTEM_ACTOR,
      );
      const createdAt = t.clock.nowMs();
      t.clock.set(createdAt + 80 * DAY_MS);
      await t.services.stores.update(store, { maxKeyAgeDays: 90 }, SYSTEM_ACTOR);
      const otherStore = await storeOf(t, other.storeId);

      const flagged = await runJob(t, 'expire-keys');
      expect((flagged.result as ExpireKeysResult).warned).toBeGreaterThanOrEqual(1);
      const warned = await keyById(key.key.publicId);
      expect(warned.ageWarnedAt).toBe(createdAt + 80 * DAY_MS);
      expect(warned.expiresAt).toBe(createdAt + 90 * DAY_MS);
      expect(t.services.keys.toPublicView(warned).nearingMaxAge).toBe(true);
      const warnings = (await auditActions(tenant.orgId)).filter((e) => e.action === 'key.age_warning');
      expect(warnings.map((e) => e.targetId)).toContain(key.key.publicId);
      for (const otherKey of await t.services.keys.list(otherStore)) expect(otherKey.expiresAt).toBeNull();

      t.clock.set(createdAt + 90 * DAY_MS);
      await runJob(t, 'expire-keys');
      const expired = await keyById(key.key.publicId);
      expect(expired.expiredAt).toBe(createdAt + 90 * DAY_MS);
      const entry = (await auditActions(tenant.orgId)).find(
        (e) => e.action === 'key.expired' && e.targetId === key.key.publicId,
      );
      expect(entry?.details?.reason).toBe('maximum key age');
      for (const otherKey of await t.services.keys.list(otherStore)) expect(otherKey.expiredAt).toBeNull();
    });
  });

  describe('rotate-secrets', () => {
    it('adds one signing key per period whatever the number of runs; it signs after its publish window, tokens signed before stay valid', async () => {
      t.clock.set(T0 + 200 * DAY_MS);
      const signer = t.services.secrets.signer;
      const before = signer.sign('csrf', 'session-1');
      const dry = await runJob(t, 'rotate-secrets', { dryRun: true });
      const dryResult = dry.result as RotateSecretsResult;
      expect(dryResult.added).toBe(true);
      expect(t.services.secrets.listKids().some((k) => k.kid === dryResult.kid)).toBe(false);

      const first = (await runJob(t, 'rotate-secrets')).result as RotateSecretsResult;
      expect(first.added).toBe(true);
      expect(first.kid).toBe(dryResult.kid);
      expect(first.signsFrom).toBe(new Date(t.clock.nowMs() + SIGNING_KEY_PUBLISH_MS).toISOString());
      // Published verify-only: the old key signs until every instance has loaded the new one.
      expect(signer.sign('csrf', 'session-1')).toBe(before);
      t.clock.advance(SIGNING_KEY_PUBLISH_MS);
      const after = signer.sign('csrf', 'session-1');
      expect(after.startsWith(`${first.kid}.`)).toBe(true);
      expect(signer.verify('csrf', 'session-1', before)).toBe(true);
      expect(signer.verify('csrf', 'session-1', after)).toBe(true);

      t.clock.advance(60_000);
      const second = (await runJob(t, 'rotate-secrets')).result as RotateSecretsResult;
      expect(second).toMatchObject({ kid: first.kid, added: false });
      expect(t.services.secrets.listKids().filter((k) => k.kid === first.kid)).toHaveLength(1);
    });
  });

  describe('dead-letters', () => {
    it('prunes dead letters older than their retention in every store, and keeps younger ones', async () => {
      const tenant = await createTenant(t, `dlq${dialect}`);
      const store = await storeOf(t, tenant.storeId);
      const base = T0 + 300 * DAY_MS;
      for (const ageDays of [45, 31, 29, 1]) {
        t.clock.set(base - ageDays * DAY_MS);
        await t.services.pipeline.deadLetters.record([
          { storeId: store.id, messageId: `dl-${ageDays}`, payload: '{}', reason: 'test', attempts: 5 },
        ]);
      }
      t.clock.set(base);
      const dry = await runJob(t, 'dead-letters', { dryRun: true });
      const dryDeleted = (dry.result as { deleted: number }).deleted;
      expect(dryDeleted).toBeGreaterThanOrEqual(2);
      expect((await counts(store)).deadLetters).toBe(4);
      const outcome = await runJob(t, 'dead-letters');
      expect((outcome.result as { deleted: number }).deleted).toBe(dryDeleted);
      const left = await t.services.pipeline.deadLetters.list(store.id, { limit: 10 });
      expect(left.items.map((d) => d.messageId).sort()).toEqual(['dl-1', 'dl-29']);
    });
  });

  describe('db-maintenance', () => {
    it('refreshes statistics and reports every table with its size and row count', async () => {
      const outcome = await runJob(t, 'db-maintenance');
      const result = outcome.result as DbMaintenanceResult;
      expect(result.dialect).toBe(dialect);
      const events = result.tables.find((table) => table.table === 'events');
      expect(events).toBeDefined();
      expect(result.tables.some((table) => table.table === 'privacy_requests')).toBe(true);
      // Test servers run as root, so MariaDB shows each file's allocated bytes (0 while none is written yet).
      expect(events?.diskBytes).toBeTypeOf('number');
      expect(result.tables.every((table) => table.diskBytes !== null && table.diskBytes >= 0)).toBe(true);
      const sizes = result.tables.map((table) => table.diskBytes ?? 0);
      expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
      if (dialect === 'mysql') {
        expect(result.analyzed).toContain('events');
        expect(result.rowsAreEstimates).toBe(true);
      } else {
        expect(result.sqlite?.optimized).toBe(true);
        expect(events?.rows).toBeGreaterThan(0);
      }
    });
  });

  describe('purge-sessions', () => {
    it('deletes sessions past expiry', async () => {
      t.clock.set(T0 + 400 * DAY_MS);
      const outcome = await runJob(t, 'purge-sessions');
      expect((outcome.result as { sessions: number }).sessions).toBeGreaterThan(0);
      const again = await runJob(t, 'purge-sessions');
      expect((again.result as { sessions: number }).sessions).toBe(0);
    });

    it('deletes exactly the sessions past expiry (their CSRF tokens die with them) and login-throttling records past their window, after a dry run that deletes nothing', async () => {
      const start = T0 + 500 * DAY_MS;
      const email = `purge-${dialect}@example.test`;
      t.clock.set(start);
      await t.services.accounts.createUser({ email, name: 'purge', password: PASSWORD });
      const login = (password: string) =>
        t.services.accounts.login({ email, password, ip: '203.0.113.9', userAgent: null });
      const expired = await login(PASSWORD);
      t.clock.set(start + SESSION_TTL_MS - 60 * 60_000);
      const live = await login(PASSWORD);
      // After the last successful login (which forgets the account's failures).
      for (const attempt of [1, 2]) await login(`wrong-${attempt}`).catch(() => undefined);
      t.clock.set(start + SESSION_TTL_MS + 60_000);
      await login('wrong-recent').catch(() => undefined);
      const rows = async () => {
        const count = async (table: string) =>
          Number(
            (await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(db()))
              .rows[0]?.n ?? 0,
          );
        return { sessions: await count('sessions'), loginFailures: await count('login_failures') };
      };
      const before = await rows();
      expect(before.loginFailures).toBe(3);

      const dry = await runJob(t, 'purge-sessions', { dryRun: true });
      expect(dry.result).toEqual({ sessions: 1, loginFailures: 2 });
      expect(await rows()).toEqual(before);

      const outcome = await runJob(t, 'purge-sessions');
      expect(outcome.result).toEqual({ sessions: 1, loginFailures: 2 });
      expect(await rows()).toEqual({ sessions: before.sessions - 1, loginFailures: 1 });
      expect(await t.services.accounts.authenticateSession(expired.token)).toBeNull();
      const stillIn = await t.services.accounts.authenticateSession(live.token);
      expect(stillIn?.session.publicId).toBe(live.session.publicId);
      expect(t.services.accounts.verifyCsrf(live.session, live.csrfToken)).toBe(true);
    });

    it('deletes a session idle past its limit before its absolute expiry, and keeps one in use', async () => {
      const start = T0 + 600 * DAY_MS;
      const email = `idle-${dialect}@example.test`;
      t.clock.set(start);
      await runJob(t, 'purge-sessions'); // what the earlier tests left idle
      await t.services.accounts.createUser({ email, name: 'idle', password: PASSWORD });
      const login = () =>
        t.services.accounts.login({ email, password: PASSWORD, ip: '203.0.113.10', userAgent: null });
      const idle = await login();
      const used = await login();
      t.clock.set(start + SESSION_IDLE_MS - 60 * 60_000);
      expect(await t.services.accounts.authenticateSession(used.token)).not.toBeNull(); // moves its idle clock
      t.clock.set(start + SESSION_IDLE_MS + 60_000);

      const outcome = await runJob(t, 'purge-sessions');
      expect((outcome.result as { sessions: number }).sessions).toBe(1);
      expect(await t.services.accounts.authenticateSession(idle.token)).toBeNull();
      expect((await t.services.accounts.authenticateSession(used.token))?.session.publicId).toBe(
        used.session.publicId,
      );
    });
  });
});
