import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS, type TestDatabase } from '../../../test/harness/databases.js';
import { createManualClock, systemClock } from '../../platform/clock.js';
import type { AppError } from '../../platform/errors.js';
import {
  FenceLostError,
  type JobContext,
  type JobDefinition,
  previousSlot,
  type RunOutcome,
} from './index.js';
import {
  createCronTestDatabase,
  createGate,
  createTestCronModule,
  uniqueJobName,
} from './test-fixtures/cron-test-kit.js';
import {
  commitChunk,
  countingJob,
  type FixtureTables,
  readCounter,
  resetCounter,
} from './test-fixtures/fixture-jobs.js';

// The harness imports the composition root for `allMigrations`; these suites migrate only cron's tables
// (createCronTestDatabase), so they do not need the other modules loaded.
vi.mock('../../main/modules.js', () => ({ allMigrations: [] }));

const HOUR_MS = 3_600_000;
const currentHourSlot = (nowMs: number) => previousSlot('0 * * * *', nowMs) as number;

/** The same job, calling `onCall` before each run of its handler. */
function observed<R>(job: JobDefinition<R>, onCall: (ctx: JobContext) => void): JobDefinition<R> {
  return {
    ...job,
    handler: (ctx) => {
      onCall(ctx);
      return job.handler(ctx);
    },
  };
}

function statusCounts(outcomes: RunOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) counts[outcome.status] = (counts[outcome.status] ?? 0) + 1;
  return counts;
}

describe.each(DIALECTS)('cron service on %s', (dialect) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createCronTestDatabase(dialect);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('runs a job exactly once under 50 concurrent calls for the same slot', async () => {
    const cron = createTestCronModule(db, { clock: systemClock, instanceId: 'a' });
    const name = uniqueJobName('once');
    let calls = 0;
    const job = countingJob({ name, leaseMs: 10_000, chunks: 1, chunkDelayMs: 50 });
    cron.register(
      observed(job, () => {
        calls++;
      }),
    );
    await resetCounter(db.database, name);

    const results = await Promise.all(Array.from({ length: 50 }, () => cron.run(name)));
    const outcomes = results.map((r) => (r.ok ? r.value : expect.fail(r.error.message)));

    expect(statusCounts(outcomes).ran).toBe(1);
    expect(outcomes.every((o) => ['ran', 'running', 'skipped'].includes(o.status))).toBe(true);
    expect(new Set(outcomes.map((o) => o.runId)).size).toBe(1);
    expect(calls).toBe(1);
    expect(await readCounter(db.database, name)).toEqual({ counter: 1, effects: 1 });
    // Later calls find the finished run and return its result.
    const again = await cron.run(name);
    expect(again.ok && again.value).toMatchObject({ status: 'skipped', result: { chunks: 1, committed: 1 } });
  });

  it('agrees on leases across instances whose clocks are 5 minutes apart (database time)', async () => {
    const realNow = Date.now();
    const clockA = createManualClock(realNow);
    const clockB = createManualClock(realNow + 5 * 60_000);
    const a = createTestCronModule(db, { clock: clockA, instanceId: 'a' });
    const b = createTestCronModule(db, { clock: clockB, instanceId: 'b' });
    const name = uniqueJobName('skew');
    const gate = createGate();
    let calls = 0;
    const job = countingJob({
      name,
      leaseMs: 2_000,
      chunks: 1,
      chunkDelayMs: 0,
      beforeChunk: () => gate.wait(),
    });
    const counted = observed(job, () => {
      calls++;
    });
    a.register(counted);
    b.register(counted);
    await resetCounter(db.database, name);
    const slotMs = currentHourSlot(realNow);

    const first = a.run(name, { slot: slotMs });
    await gate.reached;
    // B's clock is 5 minutes past A's lease end; a lease judged by B's clock would look long expired.
    const whileRunning = await Promise.all([
      ...Array.from({ length: 12 }, () => a.run(name, { slot: slotMs })),
      ...Array.from({ length: 12 }, () => b.run(name, { slot: slotMs })),
    ]);
    expect(whileRunning.every((r) => r.ok && r.value.status === 'running')).toBe(true);
    gate.open();
    const done = await first;
    expect(done.ok && done.value.status).toBe('ran');
    const after = await b.run(name, { slot: slotMs });
    expect(after.ok && after.value.status).toBe('skipped');
    expect(calls).toBe(1);
    expect(await readCounter(db.database, name)).toEqual({ counter: 1, effects: 1 });
  });

  it('keeps a long run alive by renewing its lease', async () => {
    const a = createTestCronModule(db, { clock: systemClock, instanceId: 'a' });
    const b = createTestCronModule(db, { clock: systemClock, instanceId: 'b' });
    const name = uniqueJobName('renew');
    // Three leases of silent work before the only commit: only the renewal timer keeps the claim.
    const job = countingJob({ name, leaseMs: 600, chunks: 1, chunkDelayMs: 1_800 });
    a.register(job);
    b.register(job);
    await resetCounter(db.database, name);

    const first = a.run(name);
    await sleep(1_100);
    const meanwhile = await b.run(name);
    expect(meanwhile.ok && meanwhile.value.status).toBe('running');
    const done = await first;
    expect(done.ok && done.value.status).toBe('ran');
    const history = await a.listRuns({ job: name });
    expect(history.ok && history.value.items[0]).toMatchObject({
      status: 'succeeded',
      fence: 1,
      attempts: 1,
    });
  });

  it('takes over a run whose lease expired and finishes it without doing anything twice', async () => {
    // Instance A stalls after its first chunk and never renews: to everyone else it has crashed.
    const a = createTestCronModule(db, {
      clock: systemClock,
      instanceId: 'a',
      config: { renewLeases: false },
    });
    const b = createTestCronModule(db, { clock: systemClock, instanceId: 'b' });
    const name = uniqueJobName('takeover');
    const stall = createGate();
    a.register(
      countingJob({
        name,
        leaseMs: 1_000,
        chunks: 4,
        chunkDelayMs: 0,
        beforeChunk: (chunk) => (chunk === 1 ? stall.wait() : Promise.resolve()),
      }),
    );
    b.register(countingJob({ name, leaseMs: 1_000, chunks: 4, chunkDelayMs: 0 }));
    await resetCounter(db.database, name);

    const crashed = a.run(name);
    await stall.reached;
    expect(await readCounter(db.database, name)).toEqual({ counter: 1, effects: 1 });
    const early = await b.run(name);
    expect(early.ok && early.value.status).toBe('running');

    await sleep(1_100);
    const takeover = await b.run(name);
    expect(takeover.ok && takeover.value).toMatchObject({
      status: 'ran',
      result: { chunks: 4, committed: 3 },
    });
    expect(await readCounter(db.database, name)).toEqual({ counter: 4, effects: 4 });
    const history = await b.listRuns({ job: name });
    expect(history.ok && history.value.items[0]).toMatchObject({
      status: 'succeeded',
      fence: 2,
      attempts: 2,
      instance: 'b',
      rowsAffected: 4,
    });

    stall.open();
    const zombie = await crashed;
    // A wakes up, is refused by the fence, and reports the run as done by someone else.
    expect(zombie.ok && zombie.value.status).toBe('skipped');
    expect(await readCounter(db.database, name)).toEqual({ counter: 4, effects: 4 });
  });

  it("refuses a zombie's write after takeover and commits none of it", async () => {
    const a = createTestCronModule(db, {
      clock: systemClock,
      instanceId: 'a',
      config: { renewLeases: false },
    });
    const b = createTestCronModule(db, { clock: systemClock, instanceId: 'b' });
    const name = uniqueJobName('zombie');
    const pause = createGate();
    let zombieError: unknown;
    a.register({
      name,
      schedule: '0 * * * *',
      leaseMs: 300,
      description: 'pauses, then writes without checking anything itself',
      async handler(ctx) {
        await pause.wait();
        try {
          // Not idempotent on purpose: if this committed, the counter would move.
          return await ctx.fence.commit<FixtureTables>(async (trx) => {
            await trx.insertInto('cron_fx_effects').values({ job: name, chunk: 99 }).execute();
            await trx
              .updateTable('cron_fx_counters')
              .set((eb) => ({ value: eb('value', '+', 100) }))
              .where('job', '=', name)
              .execute();
            return 2;
          });
        } catch (error) {
          zombieError = error;
          throw error;
        }
      },
    });
    b.register(countingJob({ name, leaseMs: 300, chunks: 2, chunkDelayMs: 0 }));
    await resetCounter(db.database, name);

    const paused = a.run(name);
    await pause.reached;
    await sleep(400);
    const takeover = await b.run(name);
    expect(takeover.ok && takeover.value.status).toBe('ran');

    pause.open();
    const zombie = await paused;
    expect(zombieError).toBeInstanceOf(FenceLostError);
    expect(zombie.ok && zombie.value.status).toBe('skipped');
    expect(await readCounter(db.database, name)).toEqual({ counter: 2, effects: 2 });
    const history = await b.listRuns({ job: name });
    expect(history.ok && history.value.items[0]).toMatchObject({
      status: 'succeeded',
      rowsAffected: 2,
      fence: 2,
    });
  });

  it('records a failed handler with its error; tick reports it, an explicit call retries it', async () => {
    const clock = createManualClock(Date.now());
    const cron = createTestCronModule(db, { clock, instanceId: 'a' });
    const name = uniqueJobName('flaky');
    let calls = 0;
    cron.register({
      name,
      schedule: '0 * * * *',
      leaseMs: 5_000,
      description: 'fails the first time',
      async handler() {
        calls++;
        if (calls === 1) throw new Error('disk on fire');
        return { ok: true };
      },
    });

    const failed = await cron.run(name);
    expect(failed.ok && failed.value).toMatchObject({ status: 'failed', error: 'Error: disk on fire' });
    const runs = await cron.listRuns({ job: name, status: 'failed' });
    expect(runs.ok && runs.value.items).toHaveLength(1);
    expect(runs.ok && runs.value.items[0]).toMatchObject({ status: 'failed', error: 'Error: disk on fire' });
    expect(runs.ok && runs.value.items[0]?.finishedAt).not.toBeNull();

    const tick = await cron.tick();
    const ticked = tick.ok && tick.value.find((o) => o.job === name);
    expect(ticked).toMatchObject({ status: 'failed', error: 'Error: disk on fire' });
    expect(calls).toBe(1);

    const retried = await cron.run(name);
    expect(retried.ok && retried.value).toMatchObject({ status: 'ran', result: { ok: true }, error: null });
    expect(calls).toBe(2);
    const after = await cron.listRuns({ job: name });
    expect(after.ok && after.value.items[0]).toMatchObject({ status: 'succeeded', attempts: 2, fence: 2 });
  });

  it('reports a dry run without writing, and it does not use up the slot', async () => {
    const cron = createTestCronModule(db, { clock: systemClock, instanceId: 'a' });
    const name = uniqueJobName('dry');
    const seen: boolean[] = [];
    const job = countingJob({ name, leaseMs: 5_000, chunks: 3, chunkDelayMs: 0 });
    cron.register(observed(job, (ctx) => seen.push(ctx.dryRun)));
    await resetCounter(db.database, name);

    const dry = await cron.run(name, { dryRun: true });
    expect(dry.ok && dry.value).toMatchObject({
      status: 'ran',
      dryRun: true,
      result: { chunks: 3, committed: 3 },
    });
    expect(await readCounter(db.database, name)).toEqual({ counter: 0, effects: 0 });
    const dryHistory = await cron.listRuns({ job: name });
    expect(dryHistory.ok && dryHistory.value.items[0]).toMatchObject({ dryRun: true, rowsAffected: 3 });

    const real = await cron.run(name);
    expect(real.ok && real.value).toMatchObject({ status: 'ran', dryRun: false });
    expect(await readCounter(db.database, name)).toEqual({ counter: 3, effects: 3 });
    expect(seen).toEqual([true, false]);
  });

  it('hands a run over at once when its instance shuts down', async () => {
    const a = createTestCronModule(db, { clock: systemClock, instanceId: 'a' });
    const b = createTestCronModule(db, { clock: systemClock, instanceId: 'b' });
    const name = uniqueJobName('shutdown');
    const job = countingJob({ name, leaseMs: 60_000, chunks: 2, chunkDelayMs: 0 });
    const gate = createGate();
    a.register({
      ...job,
      async handler(ctx) {
        const working = sleep(60_000, undefined, { signal: ctx.signal });
        void gate.wait(); // tells the test the run has started; it never opens
        await working;
        return job.handler(ctx);
      },
    });
    b.register(job);
    await resetCounter(db.database, name);

    const interrupted = a.run(name);
    await gate.reached;
    await a.close();
    const outcome = await interrupted;
    expect(outcome.ok && outcome.value).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/shut down/),
    });
    expect((await a.run(name)).ok).toBe(false);
    const resumed = await b.run(name);
    expect(resumed.ok && resumed.value.status).toBe('ran');
    expect(await readCounter(db.database, name)).toEqual({ counter: 2, effects: 2 });
  });

  it('releases the lease of a handler that ignores shutdown, and fences its late writes', async () => {
    const a = createTestCronModule(db, { clock: systemClock, instanceId: 'a' });
    const b = createTestCronModule(db, { clock: systemClock, instanceId: 'b' });
    const name = uniqueJobName('stubborn');
    const gate = createGate();
    const job = countingJob({ name, leaseMs: 60_000, chunks: 1, chunkDelayMs: 0 });
    let lateError: unknown;
    a.register({
      ...job,
      async handler(ctx) {
        await gate.wait(); // ignores ctx.signal
        try {
          return await job.handler(ctx);
        } catch (error) {
          lateError = error;
          throw error;
        }
      },
    });
    b.register(job);
    await resetCounter(db.database, name);

    const stubborn = a.run(name);
    await gate.reached;
    await a.close({ timeoutMs: 100 });
    const resumed = await b.run(name);
    expect(resumed.ok && resumed.value.status).toBe('ran');
    gate.open();
    const late = await stubborn;
    expect(lateError).toBeInstanceOf(FenceLostError);
    expect(late.ok && late.value.status).toBe('skipped');
    expect(await readCounter(db.database, name)).toEqual({ counter: 1, effects: 1 });
  });

  it('refuses misaligned, stale, future and malformed slots with 400 on the slot field', async () => {
    const nowMs = Date.UTC(2026, 10, 25, 10, 30);
    const cron = createTestCronModule(db, { clock: createManualClock(nowMs), instanceId: 'a' });
    const name = uniqueJobName('slots');
    cron.register(countingJob({ name, schedule: '0 * * * *', leaseMs: 5_000, chunks: 0, chunkDelayMs: 0 }));

    const cases: [string, string | number, RegExp][] = [
      ['misaligned', '2026-11-25T10:01:00Z', /not a slot of the schedule/],
      ['misaligned by a second', '2026-11-25T10:00:01Z', /not a slot/],
      ['stale', '2026-11-24T09:00:00Z', /older than the 24 h window/],
      ['future', '2026-11-25T11:00:00Z', /in the future/],
      ['malformed', 'yesterday', /ISO 8601/],
      ['without a zone', '2026-11-25T10:00:00', /ISO 8601/],
      ['not a date', '2026-13-45T10:00:00Z', /ISO 8601/],
    ];
    for (const [label, slot, detail] of cases) {
      const result = await cron.run(name, { slot });
      expect(result.ok, label).toBe(false);
      const error = (result as { error: AppError }).error;
      expect({ label, status: error.status, field: error.field }).toEqual({
        label,
        status: 400,
        field: 'slot',
      });
      expect(error.message).toMatch(detail);
    }

    const explicit = await cron.run(name, { slot: '2026-11-25T10:00:00Z' });
    expect(explicit.ok && explicit.value).toMatchObject({ status: 'ran', slot: '2026-11-25T10:00:00.000Z' });
    const withinWindow = await cron.run(name, { slot: '2026-11-24T11:00:00+00:00' });
    expect(withinWindow.ok && withinWindow.value.status).toBe('ran');
    const implicit = await cron.run(name);
    expect(implicit.ok && implicit.value).toMatchObject({
      status: 'skipped',
      slot: '2026-11-25T10:00:00.000Z',
    });
    expect((await cron.run('no-such-job')).ok).toBe(false);
  });

  it('lists history newest first with filters and cursor pages, and jobs with their last run', async () => {
    const cron = createTestCronModule(db, { clock: systemClock, instanceId: 'hist' });
    const name = uniqueJobName('history');
    cron.register(countingJob({ name, schedule: '0 * * * *', leaseMs: 5_000, chunks: 0, chunkDelayMs: 0 }));
    const slot = currentHourSlot(Date.now());
    for (const offset of [3, 2, 1]) await cron.run(name, { slot: slot - offset * HOUR_MS });

    const first = await cron.listRuns({ job: name, limit: 2 });
    if (!first.ok) throw first.error;
    expect(first.value.items.map((r) => r.slot)).toEqual([
      new Date(slot - HOUR_MS).toISOString(),
      new Date(slot - 2 * HOUR_MS).toISOString(),
    ]);
    expect(first.value.items[0]?.id).toMatch(/^run_[0-9a-z]{26}$/);
    expect(first.value.items[0]).not.toHaveProperty('uid');
    expect(first.value.nextCursor).toBe(first.value.items[1]?.id);
    const second = await cron.listRuns({ job: name, limit: 2, cursor: first.value.nextCursor ?? '' });
    expect(second.ok && second.value.items.map((r) => r.slot)).toEqual([
      new Date(slot - 3 * HOUR_MS).toISOString(),
    ]);
    expect(second.ok && second.value.nextCursor).toBeNull();
    expect((await cron.listRuns({ job: name, status: 'failed' })).ok).toBe(true);
    const bad = await cron.listRuns({ cursor: '42' });
    expect(!bad.ok && bad.error.field).toBe('cursor');

    const jobs = await cron.listJobs();
    expect(jobs.find((j) => j.name === name)).toMatchObject({
      schedule: '0 * * * *',
      lastRun: { slot: new Date(slot - HOUR_MS).toISOString(), status: 'succeeded', instance: 'hist' },
    });
  });

  it('gives handlers a fenced transaction they can hand to their own repositories', async () => {
    const cron = createTestCronModule(db, { clock: systemClock, instanceId: 'a' });
    const name = uniqueJobName('trx');
    await resetCounter(db.database, name);
    cron.register({
      name,
      schedule: '0 * * * *',
      leaseMs: 5_000,
      description: 'rolls back a chunk that throws',
      async handler(ctx) {
        await ctx.fence.commit<FixtureTables>((trx) => commitChunk(trx, name, 0));
        await expect(
          ctx.fence.commit<FixtureTables>(async (trx) => {
            await commitChunk(trx, name, 1);
            throw new Error('chunk failed half-way');
          }),
        ).rejects.toThrow('half-way');
        await ctx.heartbeat();
        return 'done';
      },
    });
    const outcome = await cron.run(name);
    expect(outcome.ok && outcome.value).toMatchObject({ status: 'ran', result: 'done' });
    expect(await readCounter(db.database, name)).toEqual({ counter: 1, effects: 1 });
  });
});
