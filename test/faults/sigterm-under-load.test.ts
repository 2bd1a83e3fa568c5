import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { waitFor } from '../harness/app.js';
import { createStore, type ProductionSetup, startProductionSetup } from './fault-processes.js';
import { exactlyOnceViolations, startLoad, storedCounts } from './load-driver.js';

// A deploy sends SIGTERM to the ingest and worker processes (production mode: MariaDB and a Redis stream) while
// traffic keeps coming. Every request in flight at that moment gets a full answer, the worker finishes and
// acknowledges the batch it holds (nothing is left pending under its name), both exit 0, and every event
// answered 2xx is stored exactly once once a new worker takes over the backlog.
// (embedded-shutdown.test.ts covers the embedded mode.)

describe('SIGTERM under load (production mode)', () => {
  let setup: ProductionSetup;

  beforeAll(async () => {
    setup = await startProductionSetup();
  });
  afterAll(async () => {
    await setup?.close();
  });

  it('answers every request in flight, finishes the batch, exits 0 and loses nothing', {
    timeout: 240_000,
  }, async () => {
    const { services, redis, db } = setup;
    const { store, writeKey } = await createStore(services, 'sigterm store');
    const ingest = await setup.start('ingest');
    const worker = await setup.start('worker');
    // Eight senders of 100-event batches: at any moment several requests are on their way.
    const load = startLoad({ url: () => ingest.url, key: () => writeKey, batchSize: 100, senders: 8 });
    onTestFailed(() => {
      console.error('failures:', JSON.stringify(load.failures().slice(0, 5)));
      console.error('ingest:', ingest.output().slice(-3000));
      console.error('worker:', worker.output().slice(-3000));
    });
    await load.answered(50);
    await waitFor(
      () => services.pipeline.events.count(store.id),
      (n) => n >= 1000,
      { timeoutMs: 60_000, what: 'the worker storing under load' },
    );

    const ingestExit = ingest.stop('SIGTERM');
    const workerExit = worker.stop('SIGTERM');
    // No new requests from here on; the ones already sent must all be answered.
    await load.stop();
    await Promise.all([ingestExit, workerExit]);
    expect(ingest.child.exitCode).toBe(0);
    expect(worker.child.exitCode).toBe(0);
    expect(load.failures()).toEqual([]);
    expect(load.accepted.length).toBeGreaterThan(0);
    // The stopped worker acknowledged everything it had read: nothing pending in the consumer group.
    const pending = (await redis.xpending('ff:events', 'footfall-workers')) as [number, ...unknown[]];
    expect(Number(pending[0])).toBe(0);
    const storedAtStop = await services.pipeline.events.count(store.id);

    // What ingest buffered and no worker read yet is picked up by the next worker.
    const next = await setup.start('worker');
    await waitFor(
      () => services.pipeline.events.count(store.id),
      (n) => n >= load.accepted.length,
      { timeoutMs: 120_000, what: `all ${load.accepted.length} accepted events stored` },
    );
    console.info(
      `SIGTERM with ${load.answers.length} requests answered: ${load.accepted.length} events accepted, ` +
        `${storedAtStop} stored by the stopped worker, the rest by its successor`,
    );
    expect(exactlyOnceViolations(await storedCounts(db, store.id), load)).toEqual([]);
    await next.stop('SIGTERM');
    expect(next.child.exitCode).toBe(0);
  });
});
