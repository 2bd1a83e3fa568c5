import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Services } from '../../src/main/modules.js';
import { waitFor } from '../harness/app.js';
import type { TestDatabase } from '../harness/databases.js';
import {
  createStore,
  type FootfallProcess,
  type MariaDbProcess,
  privateTestDatabase,
  type RedisProcess,
  servicesFor,
  startFootfall,
  startMariaDb,
  startRedis,
} from './fault-processes.js';
import { exactlyOnceViolations, type Load, startLoad, storedCounts } from './load-driver.js';

// MariaDB goes away while events keep coming (production mode: ingest and worker processes, Redis stream).
// Ingest needs no database on its hot path, so it keeps buffering into the stream up to the configured cap,
// then answers 503 with Retry-After — never 2xx for an event it did not buffer. The worker backs off quietly
// instead of spinning on errors. When MariaDB returns, the backlog drains: every accepted event stored exactly
// once, nothing that was refused stored. A private mariadbd is crashed (SIGKILL) and, in a second round, hung
// (SIGSTOP); the shared one on 3306 is never touched.

const STREAM_CAP = 2000;
/** Longer than every cache ingest keeps of database rows (stores 10 s, keys 30 s): ingest must not need them. */
const OUTAGE_MS = 40_000;

describe('MariaDB outage under load (production mode)', () => {
  let server: MariaDbProcess;
  let redis: RedisProcess;
  let db: TestDatabase;
  let services: Services;
  let ingest: FootfallProcess | null = null;
  let worker: FootfallProcess | null = null;
  let load: Load | null = null;

  beforeAll(async () => {
    server = await startMariaDb();
    redis = await startRedis();
    db = await privateTestDatabase(server);
    services = await servicesFor(db);
  });
  afterAll(async () => {
    await load?.stop();
    await ingest?.stop('SIGKILL');
    await worker?.stop('SIGKILL');
    await db?.drop().catch(() => undefined);
    await redis?.kill();
    await server?.destroy();
  });

  for (const signal of ['SIGKILL', 'SIGSTOP'] as const) {
    it(`buffers up to the cap, backs off and drains exactly once after a ${signal}`, {
      timeout: 300_000,
    }, async () => {
      const { store, writeKey } = await createStore(services, `outage ${signal}`);
      const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, STREAM_MAX_LENGTH: String(STREAM_CAP) };
      ingest ??= await startFootfall('ingest', env);
      worker ??= await startFootfall('worker', env);
      const ingestUrl = ingest.url;
      load = startLoad({ url: () => ingestUrl, key: () => writeKey, prefix: signal, batchSize: 20 });
      const running = { ingest, worker, load };
      onTestFailed(() => {
        console.error('answers:', JSON.stringify(running.load.failures().slice(0, 5)));
        console.error('ingest:', running.ingest.output().slice(-3000));
        console.error('worker:', running.worker.output().slice(-3000));
      });

      // Flowing: events are stored while the database is up.
      await waitFor(
        () => services.pipeline.events.count(store.id),
        (n) => n > 0,
        { timeoutMs: 60_000, what: 'the first events stored' },
      );
      const workerLogBefore = worker.output().split('\n').length;

      await server.stop(signal);
      const acceptedAtStop = load.accepted.length;
      // The stream fills to its cap, then ingest refuses with 503 + Retry-After (the load driver records both).
      await waitFor(
        async () => load?.refused.length ?? 0,
        (n) => n > 0,
        { timeoutMs: 120_000, what: 'ingest to refuse once the stream is full' },
      );
      // Ingest keeps answering all through the outage (a hung database must not hold its requests): count
      // the answers in the second half of it.
      await sleep(OUTAGE_MS / 2);
      const answersAtHalf = load.answers.length;
      await sleep(OUTAGE_MS / 2);
      const answersInSecondHalf = load.answers.length - answersAtHalf;
      const acceptedDuringOutage = load.accepted.length - acceptedAtStop;
      const workerLogLines = worker.output().split('\n').length - workerLogBefore;
      await server.restart();

      // Back to normal without restarting Footfall: ingest accepts again once the workers make room.
      const acceptedAtRestart = load.accepted.length;
      await waitFor(
        async () => load?.accepted.length ?? 0,
        (n) => n > acceptedAtRestart + 100,
        { timeoutMs: 120_000, what: 'ingest to accept again' },
      );
      await load.stop();
      const finished = load;
      load = null;

      await waitFor(
        () => services.pipeline.events.count(store.id),
        (n) => n >= finished.accepted.length,
        { timeoutMs: 180_000, what: `all ${finished.accepted.length} accepted events stored` },
      );
      console.info(
        `${signal}: ${finished.accepted.length} accepted (${acceptedDuringOutage} while MariaDB was down), ` +
          `${finished.refused.length} refused with 503, ${answersInSecondHalf} answers in the outage's second ` +
          `half, ${workerLogLines} worker log lines during the outage`,
      );
      expect(answersInSecondHalf).toBeGreaterThan(10);
      // The stream took what it could hold while MariaDB was away, and never more than its cap.
      expect(acceptedDuringOutage).toBeGreaterThan(0);
      expect(acceptedDuringOutage).toBeLessThanOrEqual(STREAM_CAP);
      // Every answer was a full 2xx or a 503 with Retry-After: nothing a client would count as lost.
      expect(finished.failures()).toEqual([]);
      // Backing off: a handful of warnings over 40 s, not a line per retry.
      expect(workerLogLines).toBeLessThan(40);
      expect(exactlyOnceViolations(await storedCounts(db, store.id), finished)).toEqual([]);
      expect((await services.pipeline.deadLetters.list(store.id, { limit: 10 })).items).toEqual([]);
    });
  }
});
