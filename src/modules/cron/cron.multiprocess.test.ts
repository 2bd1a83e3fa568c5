import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TestDatabase } from '../../../test/harness/databases.js';
import { systemClock } from '../../platform/clock.js';
import { createCronTestDatabase, createTestCronModule } from './test-fixtures/cron-test-kit.js';
import { FIXTURE_JOBS, readCounter, resetCounter } from './test-fixtures/fixture-jobs.js';

// See cron.service.test.ts: only cron's own migrations are needed here.
vi.mock('../../main/modules.js', () => ({ allMigrations: [] }));

const here = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(here, '../../..');
const FIXTURE_SERVER = join(here, 'test-fixtures', 'cron-fixture-server.ts');
const START_TIMEOUT_MS = 20_000;

interface Instance {
  name: string;
  child: ChildProcess;
  port: number;
  stderr: string[];
}

/** Starts one API process and resolves when it prints the port it listens on. */
function startInstance(name: string, databaseUrl: string, clockOffsetMs = 0): Promise<Instance> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      FIXTURE_SERVER,
      '--db',
      databaseUrl,
      '--instance',
      name,
      '--clock-offset-ms',
      String(clockOffsetMs),
    ],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${START_TIMEOUT_MS} ms: ${stderr.join('')}`));
    }, START_TIMEOUT_MS);
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      resolvePort({ name, child, port: (JSON.parse(line) as { port: number }).port, stderr });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening: ${stderr.join('')}`));
    });
  });
}

interface Answer {
  job: string;
  slot: string;
  status: string;
  runId: string;
}

describe('cron across three processes on MariaDB', () => {
  let db: TestDatabase;
  let token: string;
  const instances: Instance[] = [];

  const call = async (instance: Instance, path: string, method = 'POST'): Promise<Answer> => {
    const response = await fetch(`http://127.0.0.1:${instance.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(15_000),
    });
    if (response.status !== 200)
      throw new Error(`${instance.name} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Answer;
  };

  beforeAll(async () => {
    db = await createCronTestDatabase('mysql');
    const admin = createTestCronModule(db, { clock: systemClock, instanceId: 'test' });
    const created = await admin.createToken({ name: 'multiprocess' });
    if (!created.ok) throw created.error;
    token = created.value.token;
    instances.push(
      ...(await Promise.all(['api-1', 'api-2', 'api-3'].map((name) => startInstance(name, db.url)))),
    );
  });

  afterAll(async () => {
    for (const instance of instances) {
      if (instance.child.exitCode === null && instance.child.signalCode === null)
        instance.child.kill('SIGKILL');
    }
    await db?.drop();
  });

  it('listens on three different ports', () => {
    expect(new Set(instances.map((i) => i.port)).size).toBe(3);
  });

  it('runs a job once for 50 concurrent calls spread over the three instances', async () => {
    const job = FIXTURE_JOBS.once;
    await resetCounter(db.database, job.name);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => call(instances[i % 3] as Instance, `/api/cron/${job.name}`)),
    );
    const ran = answers.filter((a) => a.status === 'ran');
    expect(ran).toHaveLength(1);
    expect(answers.every((a) => ['ran', 'running', 'skipped'].includes(a.status))).toBe(true);
    expect(new Set(answers.map((a) => a.runId)).size).toBe(1);
    expect(new Set(answers.map((a) => a.slot)).size).toBe(1);
    expect(await readCounter(db.database, job.name)).toEqual({ counter: 1, effects: 1 });
  });

  it('takes over the run of a killed instance after its lease and finishes without double effects', async () => {
    const job = FIXTURE_JOBS.crash;
    await resetCounter(db.database, job.name);
    const [victim, survivor] = instances as [Instance, Instance, Instance];

    // The victim starts the run; its answer never comes, since it is killed mid-way.
    const lost = call(victim, `/api/cron/${job.name}`).catch(() => null);
    const deadline = Date.now() + 10_000;
    while ((await readCounter(db.database, job.name)).effects < 2) {
      if (Date.now() > deadline) throw new Error('the victim never committed two chunks');
      await sleep(25);
    }
    victim.child.kill('SIGKILL');
    await lost;
    const partial = await readCounter(db.database, job.name);
    expect(partial.effects).toBeGreaterThanOrEqual(2);
    expect(partial.effects).toBeLessThan(job.chunks);

    // Its lease (1.5 s, renewed every 0.5 s until the kill) is still alive for a moment.
    expect((await call(survivor, `/api/cron/${job.name}`)).status).toBe('running');

    let answer: Answer | null = null;
    const takeoverDeadline = Date.now() + 10_000;
    while (Date.now() < takeoverDeadline) {
      answer = await call(survivor, `/api/cron/${job.name}`);
      if (answer.status !== 'running') break;
      await sleep(200);
    }
    expect(answer?.status).toBe('ran');
    expect(await readCounter(db.database, job.name)).toEqual({ counter: job.chunks, effects: job.chunks });

    const history = await fetch(`http://127.0.0.1:${survivor.port}/api/cron/runs?job=${job.name}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const { items } = (await history.json()) as { items: Record<string, unknown>[] };
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ status: 'succeeded', fence: 2, attempts: 2, instance: survivor.name });
    expect(items[0]?.rowsAffected).toBe(job.chunks);
  });

  it('keeps a killed run alive by database time on an instance 5 minutes ahead, then takes it over once', async () => {
    const job = FIXTURE_JOBS.skew;
    await resetCounter(db.database, job.name);
    // Two more instances of their own (the three above stay as they are): one true clock, one 5 minutes ahead.
    const [victim, ahead] = await Promise.all([
      startInstance('api-true-clock', db.url),
      startInstance('api-5-min-ahead', db.url, 5 * 60_000),
    ]);
    instances.push(victim, ahead);
    // The slot as the scheduler names it; the instance 5 minutes ahead accepts it (not in its future).
    const slot = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString();
    const path = `/api/cron/${job.name}?slot=${encodeURIComponent(slot)}`;

    const lost = call(victim, path).catch(() => null);
    const deadline = Date.now() + 10_000;
    while ((await readCounter(db.database, job.name)).effects < 2) {
      if (Date.now() > deadline) throw new Error('the victim never committed two chunks');
      await sleep(25);
    }
    victim.child.kill('SIGKILL');
    await lost;
    // By its own clock the lease (10 s) ended minutes ago; by the database's, it is still alive.
    expect((await call(ahead, path)).status).toBe('running');

    let answer: Answer | null = null;
    const takeoverDeadline = Date.now() + 30_000;
    while (Date.now() < takeoverDeadline) {
      answer = await call(ahead, path);
      if (answer.status !== 'running') break;
      await sleep(250);
    }
    expect(answer?.status).toBe('ran');
    expect(answer?.slot).toBe(slot);
    expect(await readCounter(db.database, job.name)).toEqual({ counter: job.chunks, effects: job.chunks });
    // Called again for the same slot from the instance ahead: done, not run twice.
    expect((await call(ahead, path)).status).toBe('skipped');
    expect(await readCounter(db.database, job.name)).toEqual({ counter: job.chunks, effects: job.chunks });
  });

  it('skips a replayed scheduler call for a slot that already ran, on every instance', async () => {
    const job = FIXTURE_JOBS.replay;
    await resetCounter(db.database, job.name);
    // Every instance still running: the three above less the one killed, and the one 5 minutes ahead.
    const alive = instances.filter((i) => i.child.exitCode === null && i.child.signalCode === null);
    expect(alive.length).toBeGreaterThanOrEqual(3);
    const [firstInstance, ...others] = alive as [Instance, ...Instance[]];
    const first = await call(firstInstance, `/api/cron/${job.name}`);
    expect(first.status).toBe('ran');
    // The scheduler delivers the same call again later (at-least-once delivery, a retry after a timeout, an
    // operator re-running the same curl): same slot, any instance, one after another and all at once.
    const path = `/api/cron/${job.name}?slot=${encodeURIComponent(first.slot)}`;
    const replays: Answer[] = [];
    for (const instance of [...others, firstInstance]) replays.push(await call(instance, path));
    replays.push(...(await Promise.all(alive.map((instance) => call(instance, path)))));
    for (const replay of replays) {
      expect(replay).toMatchObject({ status: 'skipped', slot: first.slot, runId: first.runId });
    }
    expect(await readCounter(db.database, job.name)).toEqual({ counter: 1, effects: 1 });
  });

  it('refuses the writes of a paused instance that wakes up after a takeover (zombie)', async () => {
    const job = FIXTURE_JOBS.pause;
    await resetCounter(db.database, job.name);
    const [, sleeper, survivor] = instances as [Instance, Instance, Instance];

    const zombieAnswer = call(sleeper, `/api/cron/${job.name}`);
    const deadline = Date.now() + 10_000;
    while ((await readCounter(db.database, job.name)).effects < 2) {
      if (Date.now() > deadline) throw new Error('the sleeper never committed two chunks');
      await sleep(25);
    }
    sleeper.child.kill('SIGSTOP');
    try {
      let answer: Answer | null = null;
      const takeoverDeadline = Date.now() + 10_000;
      while (Date.now() < takeoverDeadline) {
        answer = await call(survivor, `/api/cron/${job.name}`);
        if (answer.status !== 'running') break;
        await sleep(200);
      }
      expect(answer?.status).toBe('ran');
      expect(await readCounter(db.database, job.name)).toEqual({ counter: job.chunks, effects: job.chunks });
    } finally {
      sleeper.child.kill('SIGCONT');
    }
    // The sleeper resumes mid-run with its old fence: its next commit is refused, and it reports the run done.
    expect((await zombieAnswer).status).toBe('skipped');
    await sleep(500);
    expect(await readCounter(db.database, job.name)).toEqual({ counter: job.chunks, effects: job.chunks });
  });
});
