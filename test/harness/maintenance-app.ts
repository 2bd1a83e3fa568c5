import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import {
  type CronModule,
  createCronModule,
  previousSlot,
  type RunOutcome,
} from '../../src/modules/cron/index.js';
import {
  MAINTENANCE_JOBS,
  type MaintenanceOptions,
  registerMaintenanceJobs,
} from '../../src/modules/maintenance/index.js';
import {
  createPipelineMaintenanceService,
  type PipelineMaintenanceService,
} from '../../src/modules/pipeline/index.js';
import type { PrivacyModule } from '../../src/modules/privacy/index.js';
import type { Store } from '../../src/modules/stores/index.js';
import type { Dialect } from '../../src/platform/db/database.js';
import { createTestApp, type TestApp } from './app.js';

/**
 * The harness's full Footfall (createTestApp, worker not running: `flush` drains the buffer) plus the
 * maintenance jobs on a cron module of this kit's own with every-minute schedules, so each run gets a fresh
 * slot (`runJob`) instead of going back through days of daily slots into the stale window.
 */
export interface MaintenanceTestApp extends TestApp {
  privacy: PrivacyModule;
  pipelineData: PipelineMaintenanceService;
  cron: CronModule;
}

const EVERY_MINUTE = Object.fromEntries(MAINTENANCE_JOBS.map((name) => [name, '* * * * *']));

export async function createMaintenanceTestApp(
  dialect: Dialect,
  options: { startMs?: number; maintenance?: MaintenanceOptions } = {},
): Promise<MaintenanceTestApp> {
  const t = await createTestApp(dialect, {
    worker: false,
    ...(options.startMs === undefined ? {} : { startMs: options.startMs }),
  });
  const { services } = t;
  const pipelineData = createPipelineMaintenanceService({ database: t.db.database });
  const cron = createCronModule({
    database: t.db.database,
    clock: t.clock,
    ids: services.ids,
    logger: services.logger,
    instanceId: 'maintenance-test',
  });
  registerMaintenanceJobs(cron, {
    database: t.db.database,
    clock: t.clock,
    audit: services.audit,
    accounts: services.accounts,
    stores: services.stores,
    keys: services.keys,
    secrets: services.secrets,
    pipelineData,
    privacy: services.privacy,
    options: { ...options.maintenance, schedules: { ...EVERY_MINUTE, ...options.maintenance?.schedules } },
  });
  return {
    ...t,
    privacy: services.privacy,
    pipelineData,
    cron,
    async close() {
      await cron.close({ timeoutMs: 1000 });
      services.secrets.stop();
      await t.close();
    },
  };
}

const usedSlots = new Map<string, Set<number>>();

/**
 * Runs a job through cron's exactly-once claim with an explicit slot: the latest slot of its schedule that
 * this test file has not used yet (dry runs take no claim, so they reuse the latest). Fails unless it ran
 * (or, with `expect: 'failed'`, unless its handler failed).
 */
export async function runJob(
  t: MaintenanceTestApp,
  name: string,
  options: { dryRun?: boolean; expect?: 'ran' | 'failed' } = {},
) {
  const job = t.cron.jobs().find((j) => j.name === name);
  if (!job) throw new Error(`job ${name} is not registered`);
  let slotMs = previousSlot(job.expression, t.clock.nowMs());
  if (!options.dryRun) {
    const key = `${t.db.url}:${name}`;
    const used = usedSlots.get(key) ?? new Set<number>();
    usedSlots.set(key, used);
    while (slotMs !== null && used.has(slotMs)) slotMs = previousSlot(job.expression, slotMs - 1);
    if (slotMs === null) throw new Error(`no unused slot left for ${name}`);
    used.add(slotMs);
  }
  if (slotMs === null) throw new Error(`no slot for ${name}`);
  const result = await t.cron.run(name, { slot: slotMs, dryRun: options.dryRun ?? false });
  if (!result.ok) throw result.error;
  const outcome: RunOutcome = result.value;
  if ((options.expect ?? 'ran') === 'ran') expect(outcome.error).toBeNull();
  expect(outcome.status).toBe(options.expect ?? 'ran');
  return outcome;
}

export const basicAuth = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

/** Sends events through the tracking API (`/v1/batch`) with the store's write key; returns the answer. */
export async function sendEvents(t: TestApp, writeKey: string, events: Record<string, unknown>[]) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/v1/batch',
    headers: { 'content-type': 'application/json', authorization: basicAuth(writeKey) },
    payload: JSON.stringify({ batch: events }),
  });
  expect(response.statusCode).toBe(200);
  return response.json() as {
    accepted: number;
    duplicates: number;
    rejected: { index: number; reason: string }[];
  };
}

/** Writes everything buffered so far (the embedded worker drains on stop; it may be stopped repeatedly). */
export async function flush(t: TestApp): Promise<void> {
  await t.services.pipeline.worker.stop();
}

/** A Segment track call at the test clock's current time, with a fresh messageId. */
export function trackAt(t: TestApp, fields: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'track',
    event: 'Product Viewed',
    messageId: randomUUID(),
    timestamp: new Date(t.clock.nowMs()).toISOString(),
    properties: { product_id: 'sku-1', price: 10, currency: 'EUR' },
    ...fields,
  };
}

export function orderCompletedAt(t: TestApp, fields: Record<string, unknown>, orderId: string, total = 100) {
  return trackAt(t, {
    event: 'Order Completed',
    properties: { order_id: orderId, total, currency: 'EUR' },
    ...fields,
  });
}

export function orderRefundedAt(t: TestApp, fields: Record<string, unknown>, orderId: string, amount = 20) {
  return trackAt(t, {
    event: 'Order Refunded',
    properties: { order_id: orderId, total: amount, currency: 'EUR' },
    ...fields,
  });
}

export async function storeOf(t: TestApp, publicId: string): Promise<Store> {
  const store = await t.services.stores.findByPublicId(publicId, { withDeleted: true });
  if (!store) throw new Error(`store ${publicId} not found`);
  return store;
}

/** Every stored message id of a store (through the pipeline's reader), sorted. */
export async function storedMessageIds(t: TestApp, storeId: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await t.services.pipeline.events.list(storeId, {
      limit: 500,
      ...(cursor ? { cursor } : {}),
    });
    ids.push(...page.items.map((item) => item.messageId));
    if (!page.nextCursor) return ids.sort();
    cursor = page.nextCursor;
  }
}

/** Every order id of a store, sorted. */
export async function storedOrderIds(t: TestApp, storeId: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await t.services.pipeline.orders.list(storeId, {
      limit: 200,
      ...(cursor ? { cursor } : {}),
    });
    ids.push(...page.items.map((item) => item.orderId));
    if (!page.nextCursor) return ids.sort();
    cursor = page.nextCursor;
  }
}

/**
 * A derived-data cleaner over rows kept in memory: proves the jobs call the extension point with the right
 * store, cutoff and subject, chunk by chunk until it reports 0, and only count in a dry run.
 */
export interface FakeDerivedRow {
  storeId: number;
  atMs: number;
  userId: string | null;
  anonymousId: string | null;
}

export function createFakeCleaner(name: string, rowsPerCall = 2) {
  let rows: FakeDerivedRow[] = [];
  let calls = 0;
  const take = (match: (row: FakeDerivedRow) => boolean, options: { limit: number; countOnly: boolean }) => {
    const matching = rows.filter(match);
    calls++;
    if (options.countOnly) return matching.length;
    // Fewer rows per call than the limit allows: the jobs must keep calling until it answers 0.
    const doomed = new Set(matching.slice(0, Math.min(options.limit, rowsPerCall)));
    rows = rows.filter((row) => !doomed.has(row));
    return doomed.size;
  };
  return {
    rows: () => rows,
    calls: () => calls,
    add: (...added: FakeDerivedRow[]) => {
      rows.push(...added);
    },
    cleaner: {
      name,
      deleteStoreBefore: async (storeId: number, beforeMs: number, _tx: unknown, options: CleanOptionsLike) =>
        take((row) => row.storeId === storeId && row.atMs < beforeMs, options),
      // The plan is the subject itself: the fake's rows carry the identifiers, so it needs nothing else.
      planSubject: async (
        _storeId: number,
        subject: { userId: string | null; anonymousId: string | null },
        _footprint: unknown,
        _tx: unknown,
      ) => JSON.stringify(subject),
      deleteSubject: async (storeId: number, plan: string, _tx: unknown, options: CleanOptionsLike) => {
        const subject = JSON.parse(plan) as { userId: string | null; anonymousId: string | null };
        const rows = take(
          (row) =>
            row.storeId === storeId &&
            ((subject.userId !== null && row.userId === subject.userId) ||
              (subject.anonymousId !== null && row.anonymousId === subject.anonymousId)),
          options,
        );
        return { rows, plan: options.countOnly || rows > 0 ? plan : null };
      },
      deleteStore: async (storeId: number, _tx: unknown, options: CleanOptionsLike) =>
        take((row) => row.storeId === storeId, options),
    },
  };
}

interface CleanOptionsLike {
  limit: number;
  countOnly: boolean;
}
