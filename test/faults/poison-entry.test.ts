import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/main/modules.js';
import { createRedis, type Redis, waitForRedis } from '../../src/platform/redis.js';
import { waitFor } from '../harness/app.js';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from '../harness/databases.js';
import { createStore, type FootfallProcess, servicesFor, startFootfall } from './fault-processes.js';

// Entries the database refuses go to the dead letters after 5 failed deliveries; a damaged entry goes at once;
// and neither holds up the events around them. A real worker process on MariaDB; this suite's own Redis db.
const REDIS_DB = 12;

describe('poison entries in the stream', () => {
  let db: TestDatabase;
  let services: Services;
  let redis: Redis;
  const processes: FootfallProcess[] = [];
  const redisUrl = `${TEST_REDIS_URL.replace(/\/\d*$/, '')}/${REDIS_DB}`;

  beforeAll(async () => {
    db = await createTestDatabase('mysql');
    services = await servicesFor(db);
    redis = createRedis(redisUrl);
    await waitForRedis(redis);
    await redis.flushdb();
  });
  afterAll(async () => {
    for (const p of processes) await p.stop('SIGKILL');
    await redis?.flushdb().catch(() => undefined);
    redis?.disconnect();
    await db?.drop();
  });

  it('dead-letters them with their reason while the other events keep flowing', {
    timeout: 120_000,
  }, async () => {
    const { store, writeKey } = await createStore(services, 'poison store');
    const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl };
    const ingest = await startFootfall('ingest', env);
    const worker = await startFootfall('worker', env);
    processes.push(ingest, worker);

    const send = async (messageId: string) => {
      const response = await fetch(`${ingest.url}/v1/track`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
        },
        body: JSON.stringify({
          event: 'Flowing',
          messageId,
          anonymousId: 'v',
          timestamp: new Date().toISOString(),
        }),
      });
      expect(response.status).toBe(200);
    };
    const isStored = async (messageId: string) =>
      (await services.pipeline.events.list(store.id, { limit: 1, messageId })).items.length === 1;

    await send('before');
    // Decodes, but no BIGINT holds its timestamp: MariaDB refuses the row every time.
    const refused = {
      messageId: 'refused-by-db',
      type: 'track',
      event: 'Broken',
      timestampMs: 1e300,
      receivedAtMs: Date.now(),
      properties: {},
      traits: {},
      context: {},
    };
    // Alone in its entry, and beside a good event in another: only the refused one may end as a dead letter.
    const neighbour = { ...refused, messageId: 'beside-the-refused', timestampMs: Date.now(), event: 'Fine' };
    await redis.xadd(
      'ff:events',
      '*',
      's',
      String(store.id),
      'n',
      '2',
      'e',
      JSON.stringify(refused),
      'e',
      JSON.stringify(neighbour),
    );
    await redis.xadd('ff:events', '*', 's', String(store.id), 'n', '1', 'e', 'garbage that is not an event');
    await redis.incrby('ff:events:backlog', 3); // as ingest counts what it appends
    await send('after');

    await waitFor(() => isStored('before'), Boolean, { what: 'the event before the poison' });
    await waitFor(() => isStored('after'), Boolean, { what: 'the event after the poison' });
    await waitFor(() => isStored('beside-the-refused'), Boolean, { what: 'the event in the same entry' });

    const letters = await waitFor(
      async () => (await services.pipeline.deadLetters.list(store.id, { limit: 10 })).items,
      (items) => items.length === 2,
      { timeoutMs: 60_000, what: 'both poison entries in the dead letters' },
    );
    const damaged = letters.find((l) => l.payload === 'garbage that is not an event');
    expect(damaged).toMatchObject({
      attempts: 1,
      reason: expect.stringMatching(/damaged event: payload is not JSON/),
    });
    const byDb = letters.find((l) => l.messageId === 'refused-by-db');
    expect(byDb?.attempts).toBe(5);
    expect(byDb?.reason).toMatch(/timestampMs 1e\+300 is outside the storable range/);

    await send('later');
    await waitFor(() => isStored('later'), Boolean, { what: 'an event after the dead-lettering' });
    await waitFor(
      () => redis.xlen('ff:events'),
      (n) => n === 0,
      { what: 'the stream to drain' },
    );
    expect(await redis.hlen('ff:events:failures')).toBe(0);
    expect(Number(await redis.get('ff:events:backlog'))).toBe(0);
  });
});
