import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { createPool } from 'mysql2/promise';
import { allMigrations, createServices } from '../src/main/modules.js';
import { systemClock } from '../src/platform/clock.js';
import { loadConfig } from '../src/platform/config.js';
import { createDatabase } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrator.js';
import { createLogger } from '../src/platform/log.js';
import { createRedis, waitForRedis } from '../src/platform/redis.js';
import { startRedis } from '../test/faults/fault-processes.js';

// `npm run bench:soak`: production-mode Footfall (an ingest and a worker process, built bundle, on the local
// MariaDB and a private redis-server with AOF) driven at half its measured end-to-end maximum for SOAK_SECONDS
// (default 600). Every SAMPLE_SECONDS it prints each process's RSS, live heap (after a forced GC) and event-loop
// delay, with the send rate and backlog. At the end it checks that every accepted event is stored exactly once
// (and no refused one) and that the live heap does not keep growing (its slope over the second half), writes
// bench/results/soak.json, and exits 1 if either check fails. A bench, not a CI test: it takes minutes.

const REPO = resolve(import.meta.dirname, '..');
const MYSQL_URL = process.env.FOOTFALL_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const SAMPLE_SECONDS = Number(process.env.SOAK_SAMPLE_SECONDS ?? 10);
const BATCH_SIZE = Number(process.env.SOAK_BATCH_SIZE ?? 20);
/** Live-heap growth over the second half that counts as unbounded, in MB per minute (per process). */
const MAX_HEAP_SLOPE_MB_PER_MIN = Number(process.env.SOAK_MAX_HEAP_SLOPE_MB_PER_MIN ?? 1);
/** Requests a sender keeps in flight at most; past it the driver falls behind and says so. */
const MAX_IN_FLIGHT = 64;
const SECRET = 'soak-secret-that-is-long-enough-0123456789';

const log = (line: string) => process.stdout.write(`${line}\n`);

/**
 * Half of the maximum: SOAK_EVENTS_PER_SEC if given, else half the end-to-end rate (events stored per second,
 * ingest and one worker together) that `npm run bench:ingest` measured on this machine last.
 */
function targetRate(): { eventsPerSec: number; source: string } {
  if (process.env.SOAK_EVENTS_PER_SEC) {
    return { eventsPerSec: Number(process.env.SOAK_EVENTS_PER_SEC), source: 'SOAK_EVENTS_PER_SEC' };
  }
  const file = join(REPO, 'bench', 'results', 'ingest.json');
  if (existsSync(file)) {
    const results = JSON.parse(readFileSync(file, 'utf8')) as {
      when?: string;
      footfall?: { endToEnd?: { eventsPerSec?: number } };
    };
    const max = results.footfall?.endToEnd?.eventsPerSec;
    if (max && max > 0) {
      return {
        eventsPerSec: Math.floor(max / 2),
        source: `half of the end-to-end ${max} events/s in bench/results/ingest.json (${results.when})`,
      };
    }
  }
  return { eventsPerSec: 2000, source: 'default (no bench/results/ingest.json)' };
}

interface ProbeSample {
  rssMb: number;
  heapUsedMb: number;
  loopP50Ms: number;
  loopP99Ms: number;
  loopMaxMs: number;
}

interface Role {
  name: 'ingest' | 'worker';
  child: ChildProcess;
  url: string;
  latest: ProbeSample | null;
  output: string;
}

function startRole(name: Role['name'], env: Record<string, string>): Promise<Role> {
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      './bench/soak-probe.mjs',
      join('dist', 'cli.js'),
      'serve',
      '--role',
      name,
      '--port',
      '0',
    ],
    {
      cwd: REPO,
      env: { ...process.env, ...env, SOAK_PROBE_INTERVAL_MS: String(SAMPLE_SECONDS * 1000) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  process.once('exit', () => child.kill('SIGKILL'));
  const role: Role = { name, child, url: '', latest: null, output: '' };
  let pending = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('soak-probe ')) role.latest = JSON.parse(line.slice('soak-probe '.length));
      else role.output = `${role.output}${line}\n`.slice(-20_000);
    }
  });
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start:\n${role.output}`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      role.output += chunk.toString();
      const match = /running at (\S+)/.exec(role.output);
      if (match && !role.url) {
        clearTimeout(timer);
        role.url = match[1] as string;
        done(role);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`${name} exited with ${code}:\n${role.output}`));
    });
  });
}

function stopRole(role: Role): Promise<number | null> {
  if (role.child.exitCode !== null || role.child.signalCode !== null)
    return Promise.resolve(role.child.exitCode);
  return new Promise((done) => {
    role.child.once('exit', (code) => done(code));
    role.child.kill('SIGTERM');
  });
}

/** Least-squares slope of y over x. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/**
 * Paced load: request `r` carries events `soak-<run>-<r>-<i>`. What each request got back is kept per request
 * number (1 accepted, 2 refused with 503, 3 anything else), so the check can tell every stored id's fate.
 */
function createDriver(url: string, writeKey: string, eventsPerSec: number) {
  const run = randomBytes(4).toString('hex');
  const requestsPerSec = eventsPerSec / BATCH_SIZE;
  const maxRequests = Math.ceil(requestsPerSec * (SOAK_SECONDS + 60)) + 1000;
  const fate = new Uint8Array(maxRequests);
  const authorization = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  const nowIso = new Date().toISOString();
  const template = (id: string) =>
    JSON.stringify({
      type: 'track',
      event: 'Product Viewed',
      messageId: id,
      anonymousId: `soak-visitor-${id.length % 97}`,
      timestamp: nowIso,
      properties: { product_id: 'sku-1234', price: 12.5, currency: 'EUR' },
      context: {
        page: { url: 'https://shop.example/products/sku-1234', path: '/products/sku-1234' },
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36',
      },
    });
  let sent = 0;
  let inFlight = 0;
  let behind = 0;
  const counts = { accepted: 0, refused: 0, failed: 0 };
  let running = true;

  async function send(r: number): Promise<void> {
    inFlight++;
    const events = Array.from({ length: BATCH_SIZE }, (_, i) => template(`soak-${run}-${r}-${i}`));
    try {
      const response = await fetch(`${url}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: `{"batch":[${events.join(',')}]}`,
        signal: AbortSignal.timeout(30_000),
      });
      const body = (await response.json()) as { accepted?: number };
      if (response.status === 200 && body.accepted === BATCH_SIZE) {
        fate[r] = 1;
        counts.accepted += BATCH_SIZE;
      } else if (response.status === 503) {
        fate[r] = 2;
        counts.refused += BATCH_SIZE;
      } else {
        fate[r] = 3;
        counts.failed += BATCH_SIZE;
      }
    } catch {
      fate[r] = 3;
      counts.failed += BATCH_SIZE;
    } finally {
      inFlight--;
    }
  }

  const startedMs = Date.now();
  const pacing = (async () => {
    while (running) {
      const due = Math.min(maxRequests, Math.floor(((Date.now() - startedMs) / 1000) * requestsPerSec));
      while (sent < due) {
        if (inFlight >= MAX_IN_FLIGHT) {
          behind += due - sent;
          sent = due;
          break;
        }
        void send(sent++);
      }
      await sleep(10);
    }
    while (inFlight > 0) await sleep(20);
  })();

  return {
    run,
    fate,
    counts,
    requests: () => sent,
    /** Requests the pacer skipped because MAX_IN_FLIGHT were outstanding: the system could not keep up. */
    behind: () => behind,
    async stop() {
      running = false;
      await pacing;
    },
  };
}

async function main(): Promise<void> {
  const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100);
  const rate = targetRate();
  const name = `ff_soak_${randomBytes(4).toString('hex')}`;
  const admin = createPool({ uri: MYSQL_URL, connectionLimit: 1 });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const dbUrl = new URL(MYSQL_URL);
  dbUrl.pathname = `/${name}`;
  const databaseUrl = dbUrl.toString();
  const database = createDatabase({ kind: 'mysql', url: databaseUrl }, { poolSize: 2 });
  const redisServer = await startRedis();
  const roles: Role[] = [];
  let failed = false;
  try {
    await migrateToLatest(database, allMigrations);
    const logger = createLogger({
      level: 'silent',
      destination: new Writable({ write: (_c, _e, done) => done() }),
    });
    const config = loadConfig({ DATABASE_URL: databaseUrl, FOOTFALL_SECRET: SECRET });
    const services = await createServices({ config, logger, database, redis: null, clock: systemClock });
    const system = { type: 'system' as const, id: null, label: 'soak' };
    const organization = await services.accounts.createOrganization('Soak org', system);
    const store = await services.stores.create(organization.id, { name: 'Soak store' }, system);
    const writeKey = (await services.keys.create(store, { type: 'publishable' }, system)).secret;

    execFileSync(process.execPath, [join(REPO, 'scripts', 'build.mjs')], { cwd: REPO, stdio: 'ignore' });
    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisServer.url,
      FOOTFALL_SECRET: SECRET,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    };
    const ingest = await startRole('ingest', env);
    const worker = await startRole('worker', env);
    roles.push(ingest, worker);
    const redis = createRedis(redisServer.url);
    await waitForRedis(redis);

    log(
      `soak: ${rate.eventsPerSec} events/s (${rate.source}) in batches of ${BATCH_SIZE} for ${SOAK_SECONDS} s, ` +
        `sampling every ${SAMPLE_SECONDS} s; ${cpus().length} cores, load ${loadAtStart.join(' ')}`,
    );
    const header =
      '     t  events/s  accepted   refused  failed    stored  backlog |' +
      '  ingest rss  heap  loop p99  max |  worker rss  heap  loop p99  max';
    log(header);
    const driver = createDriver(ingest.url, writeKey, rate.eventsPerSec);
    const startedMs = Date.now();
    const samples: Record<string, unknown>[] = [];
    let lastAccepted = 0;
    let lastMs = startedMs;
    const pad = (value: unknown, width: number) => String(value).padStart(width);
    while (Date.now() - startedMs < SOAK_SECONDS * 1000) {
      await sleep(SAMPLE_SECONDS * 1000 - ((Date.now() - startedMs) % (SAMPLE_SECONDS * 1000)));
      const nowMs = Date.now();
      const t = Math.round((nowMs - startedMs) / 1000);
      const stored = await services.pipeline.events.count(store.id);
      const backlog = Number((await redis.get('ff:events:backlog')) ?? 0);
      const acceptedPerSec = Math.round(((driver.counts.accepted - lastAccepted) * 1000) / (nowMs - lastMs));
      lastAccepted = driver.counts.accepted;
      lastMs = nowMs;
      const sample = {
        t,
        acceptedPerSec,
        accepted: driver.counts.accepted,
        refused: driver.counts.refused,
        failed: driver.counts.failed,
        behind: driver.behind(),
        stored,
        backlog,
        ingest: ingest.latest,
        worker: worker.latest,
      };
      samples.push(sample);
      const proc = (p: ProbeSample | null) =>
        p
          ? `${pad(p.rssMb, 11)} ${pad(p.heapUsedMb, 5)} ${pad(p.loopP99Ms, 9)} ${pad(p.loopMaxMs, 4)}`
          : `${pad('-', 11)} ${pad('-', 5)} ${pad('-', 9)} ${pad('-', 4)}`;
      log(
        `${pad(t, 6)} ${pad(acceptedPerSec, 9)} ${pad(sample.accepted, 9)} ${pad(sample.refused, 9)} ` +
          `${pad(sample.failed, 7)} ${pad(stored, 9)} ${pad(backlog, 8)} |${proc(ingest.latest)} |${proc(worker.latest)}`,
      );
    }
    await driver.stop();
    const sentSeconds = (Date.now() - startedMs) / 1000;

    // Drain: the worker stores what is left in the stream.
    const drainStartedMs = Date.now();
    let stored = await services.pipeline.events.count(store.id);
    while (stored < driver.counts.accepted && Date.now() - drainStartedMs < 300_000) {
      await sleep(500);
      stored = await services.pipeline.events.count(store.id);
    }
    await sleep(2000); // anything stored beyond the accepted events would show now
    redis.disconnect();

    // Exactly once, by messageId: every stored id belongs to an accepted request, once; each accepted request
    // has all its events stored.
    const perRequest = new Uint16Array(driver.fate.length);
    const problems: string[] = [];
    let lastId = 0;
    let rows = 0;
    const prefix = `soak-${driver.run}-`;
    for (;;) {
      const page = await database
        .typed<{ events: { id: number; store_id: number; message_id: string } }>()
        .selectFrom('events')
        .select(['id', 'message_id'])
        .where('store_id', '=', store.id)
        .where('id', '>', lastId)
        .orderBy('id')
        .limit(50_000)
        .execute();
      if (page.length === 0) break;
      for (const row of page) {
        rows++;
        const r = row.message_id.startsWith(prefix)
          ? Number(row.message_id.slice(prefix.length).split('-')[0])
          : -1;
        if (!(r >= 0 && r < perRequest.length)) {
          if (problems.length < 20) problems.push(`unexpected messageId ${row.message_id}`);
          continue;
        }
        perRequest[r] = (perRequest[r] ?? 0) + 1;
      }
      lastId = Number(page[page.length - 1]?.id);
    }
    const duplicates = await sql<{
      n: number;
    }>`select count(*) as n from (select message_id from events where store_id = ${store.id} group by message_id having count(*) > 1) d`.execute(
      database.typed(),
    );
    const duplicateIds = Number(duplicates.rows[0]?.n ?? 0);
    let lost = 0;
    let storedRefused = 0;
    for (let r = 0; r < driver.requests(); r++) {
      const fate = driver.fate[r];
      const n = perRequest[r] ?? 0;
      if (fate === 1 && n !== BATCH_SIZE) {
        lost += BATCH_SIZE - Math.min(n, BATCH_SIZE);
        if (problems.length < 20) problems.push(`request ${r}: accepted, ${n} of ${BATCH_SIZE} stored`);
      }
      if (fate === 0 && n > 0 && problems.length < 20) {
        problems.push(`request ${r}: never sent (skipped by the pacer), yet ${n} stored`);
      }
      if (fate === 2 && n > 0) {
        storedRefused += n;
        if (problems.length < 20) problems.push(`request ${r}: refused with 503, yet ${n} stored`);
      }
    }
    if (duplicateIds > 0) problems.push(`${duplicateIds} messageIds stored more than once`);
    const exactlyOnce = problems.length === 0 && rows >= driver.counts.accepted;

    // Memory: the live heap's slope over the second half, per process.
    const secondHalf = samples.filter((s) => (s.t as number) > SOAK_SECONDS / 2);
    const heapSlope = (role: 'ingest' | 'worker') =>
      Math.round(
        slope(
          secondHalf
            .map((s) => ({
              x: (s.t as number) / 60,
              y: (s[role] as ProbeSample | null)?.heapUsedMb ?? Number.NaN,
            }))
            .filter((p) => Number.isFinite(p.y)),
        ) * 100,
      ) / 100;
    const slopes = { ingest: heapSlope('ingest'), worker: heapSlope('worker') };
    const memoryBounded =
      secondHalf.length >= 3 && Object.values(slopes).every((s) => s <= MAX_HEAP_SLOPE_MB_PER_MIN);

    const exitCodes = { ingest: await stopRole(ingest), worker: await stopRole(worker) };
    const verdict = {
      exactlyOnce,
      memoryBounded,
      // At half the maximum nothing should be refused or fail; a refusal is not a loss, but it is a finding.
      noFailedRequests: driver.counts.failed === 0 && driver.counts.refused === 0,
      cleanExit: exitCodes.ingest === 0 && exitCodes.worker === 0,
    };
    const results = {
      when: new Date().toISOString(),
      machine: {
        cores: cpus().length,
        cpu: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        loadAverageAtStart: loadAtStart,
        loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
      },
      setup: {
        seconds: SOAK_SECONDS,
        sampleSeconds: SAMPLE_SECONDS,
        targetEventsPerSec: rate.eventsPerSec,
        rateSource: rate.source,
        batchSize: BATCH_SIZE,
        maxHeapSlopeMbPerMin: MAX_HEAP_SLOPE_MB_PER_MIN,
        note:
          'ingest and worker are the production bundle (dist/cli.js) with a preloaded probe (bench/soak-probe.mjs) ' +
          'that forces a GC before each sample, so heapUsedMb is the live heap; MariaDB (shared), a private ' +
          'redis-server (AOF, fsync always), the driver and other engineers share the 2 cores',
      },
      totals: {
        sentSeconds: Math.round(sentSeconds),
        requests: driver.requests(),
        accepted: driver.counts.accepted,
        refused: driver.counts.refused,
        failed: driver.counts.failed,
        behindRequests: driver.behind(),
        acceptedPerSec: Math.round(driver.counts.accepted / sentSeconds),
        storedRows: rows,
        lost,
        storedRefused,
        duplicateIds,
        drainSeconds: Math.round((Date.now() - drainStartedMs) / 1000),
      },
      heapSlopeMbPerMinSecondHalf: slopes,
      exitCodes,
      verdict,
      problems,
      samples,
    };
    writeFileSync(join(REPO, 'bench', 'results', 'soak.json'), `${JSON.stringify(results, null, 2)}\n`);
    log(
      `accepted ${driver.counts.accepted}, refused ${driver.counts.refused}, failed ${driver.counts.failed}, ` +
        `stored ${rows}; lost ${lost}, stored-though-refused ${storedRefused}, duplicate ids ${duplicateIds}`,
    );
    log(`live heap slope over the second half (MB/min): ingest ${slopes.ingest}, worker ${slopes.worker}`);
    log(`verdict: ${JSON.stringify(verdict)}`);
    for (const problem of problems) log(`  ${problem}`);
    failed = !verdict.exactlyOnce || !verdict.memoryBounded || !verdict.noFailedRequests;
  } finally {
    for (const role of roles.reverse()) await stopRole(role);
    await redisServer.kill();
    await database.close();
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  }
  process.exit(failed ? 1 : 0);
}

main().catch((error: unknown) => {
  process.stderr.write(`soak failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
