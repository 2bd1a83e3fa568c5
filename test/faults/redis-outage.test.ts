import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/main/modules.js';
import { waitFor } from '../harness/app.js';
import { createTestDatabase, type TestDatabase } from '../harness/databases.js';
import {
  createStore,
  type FootfallProcess,
  freePort,
  type RedisProcess,
  servicesFor,
  startFootfall,
  startRedis,
} from './fault-processes.js';

// Ingest never answers 2xx for an event it cannot buffer: with Redis unreachable it answers 503 with
// Retry-After; when Redis comes back it resumes by itself, and every event it ever accepted is stored.
// The shared Redis is never stopped: these tests use a private redis-server, or a port nobody listens on.

describe('ingest while Redis is away', () => {
  let db: TestDatabase;
  let services: Services;
  let store: Awaited<ReturnType<typeof createStore>>;
  const processes: FootfallProcess[] = [];
  let redis: RedisProcess | null = null;

  const send = async (url: string, messageIds: string[]) => {
    const response = await fetch(`${url}/v1/batch`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${store.writeKey}:`).toString('base64')}`,
      },
      body: JSON.stringify({
        batch: messageIds.map((messageId) => ({
          type: 'track',
          event: 'Outage Tested',
          messageId,
          anonymousId: 'visitor',
          timestamp: new Date().toISOString(),
        })),
      }),
    });
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: await response.json(),
    };
  };
  const ids = (n: number) => Array.from({ length: n }, () => randomUUID());

  beforeAll(async () => {
    db = await createTestDatabase('mysql');
    services = await servicesFor(db);
    store = await createStore(services, 'outage store');
  });
  afterAll(async () => {
    for (const p of processes) await p.stop('SIGKILL');
    await redis?.kill();
    await db?.drop();
  });

  it('answers 503 with Retry-After, never 2xx, when nothing listens on the Redis port', {
    timeout: 60_000,
  }, async () => {
    const deadPort = await freePort();
    const ingest = await startFootfall('ingest', {
      DATABASE_URL: db.url,
      REDIS_URL: `redis://127.0.0.1:${deadPort}`,
    });
    processes.push(ingest);
    for (let i = 0; i < 5; i++) {
      const answer = await send(ingest.url, ids(3));
      expect(answer.status).toBe(503);
      expect(Number(answer.retryAfter)).toBeGreaterThan(0);
      expect(answer.body.code).toBe('unavailable');
    }
    expect(await services.pipeline.events.count(store.store.id)).toBe(0);
  });

  it('goes 503 when Redis dies, resumes when it returns, and stores everything it accepted', {
    timeout: 120_000,
  }, async () => {
    redis = await startRedis();
    const env = { DATABASE_URL: db.url, REDIS_URL: redis.url };
    const ingest = await startFootfall('ingest', env);
    processes.push(ingest);
    const accepted: string[] = [];
    const refused: string[] = [];
    const record = (batch: string[], answer: { status: number; body: { accepted?: number } }) => {
      // Every answer is all-or-nothing: 200 with everything accepted, or 503 with nothing.
      expect([200, 503]).toContain(answer.status);
      if (answer.status === 200) {
        expect(answer.body.accepted).toBe(batch.length);
        accepted.push(...batch);
      } else refused.push(...batch);
    };

    // Accepted while up, but not yet consumed: no worker runs, so these live only in Redis.
    for (let i = 0; i < 5; i++) {
      const batch = ids(20);
      record(batch, await send(ingest.url, batch));
    }
    expect(accepted).toHaveLength(100);

    await redis.kill();
    const during = ids(10);
    const down = await send(ingest.url, during);
    expect(down.status).toBe(503);
    expect(Number(down.retryAfter)).toBeGreaterThan(0);
    record(during, down);

    await redis.restart();
    // The same ingest process reconnects on its own; until it has, it keeps answering 503.
    await waitFor(
      async () => {
        const batch = ids(10);
        const answer = await send(ingest.url, batch);
        record(batch, answer);
        return answer.status;
      },
      (status) => status === 200,
      { timeoutMs: 20_000, what: 'ingest to accept again' },
    );
    for (let i = 0; i < 3; i++) {
      const batch = ids(20);
      record(batch, await send(ingest.url, batch));
    }

    const worker = await startFootfall('worker', env);
    processes.push(worker);
    await waitFor(
      () => services.pipeline.events.count(store.store.id),
      (n) => n >= accepted.length,
      { timeoutMs: 30_000, what: `all ${accepted.length} accepted events stored` },
    );
    expect(await services.pipeline.events.count(store.store.id)).toBe(accepted.length);
    for (const messageId of [accepted[0], accepted[99], accepted[accepted.length - 1]]) {
      const found = await services.pipeline.events.list(store.store.id, { limit: 2, messageId });
      expect(found.items).toHaveLength(1);
    }
    for (const messageId of refused.slice(0, 5)) {
      const found = await services.pipeline.events.list(store.store.id, { limit: 2, messageId });
      expect(found.items).toHaveLength(0);
    }
  });
});
