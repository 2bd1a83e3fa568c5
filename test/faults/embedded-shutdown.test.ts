import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/main/modules.js';
import { createTestDatabase, type TestDatabase } from '../harness/databases.js';
import { createStore, type FootfallProcess, servicesFor, startFootfall } from './fault-processes.js';
import { exactlyOnceViolations, startLoad, storedCounts } from './load-driver.js';

// Embedded mode (SQLite, no Redis) keeps accepted events in memory for up to 250 ms: a clean shutdown
// (SIGTERM) must write them before the database closes.

describe('embedded mode shutdown', () => {
  let db: TestDatabase;
  let services: Services;
  let footfall: FootfallProcess | null = null;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    services = await servicesFor(db);
  });
  afterAll(async () => {
    await footfall?.stop('SIGKILL');
    await db?.drop();
  });

  it('drains the in-process buffer on SIGTERM', { timeout: 60_000 }, async () => {
    const { store, writeKey } = await createStore(services, 'embedded store');
    footfall = await startFootfall('all', { DATABASE_URL: db.url });
    const batch = Array.from({ length: 300 }, () => ({
      type: 'track',
      event: 'Drained',
      messageId: randomUUID(),
      anonymousId: 'visitor',
      timestamp: new Date().toISOString(),
    }));
    const response = await fetch(`${footfall.url}/v1/batch`, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain',
        authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
      },
      body: JSON.stringify({ batch }),
    });
    expect(response.status).toBe(200);
    expect((await response.json()).accepted).toBe(300);
    await footfall.stop('SIGTERM');
    expect(footfall.child.exitCode).toBe(0);
    expect(await services.pipeline.events.count(store.id)).toBe(300);
  });

  it('answers every request in flight on SIGTERM under load, drains, exits 0 and loses nothing', {
    timeout: 120_000,
  }, async () => {
    const { store, writeKey } = await createStore(services, 'embedded load store');
    footfall = await startFootfall('all', { DATABASE_URL: db.url });
    const running = footfall;
    const load = startLoad({ url: () => running.url, key: () => writeKey, batchSize: 50, senders: 6 });
    await load.answered(40);
    const exit = running.stop('SIGTERM');
    // No new requests from here on; the ones already sent must all be answered.
    await load.stop();
    await exit;
    expect(running.child.exitCode).toBe(0);
    expect(load.failures()).toEqual([]);
    expect(load.accepted.length).toBeGreaterThanOrEqual(40 * 50);
    // Nothing is left to drain after the exit: what was answered 2xx is in the database now.
    expect(exactlyOnceViolations(await storedCounts(db, store.id), load)).toEqual([]);
  });
});
