import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { AppError } from '../errors.js';
import { createCachedLookup } from './cached-lookup.js';

// The hot-path cache ingest reads keys and stores through: fresh within its TTL, the last known value while the
// database is down or hangs, and 503 (not 500) when it has never seen the value. The lookup here is a plain
// function standing in for the repository; the fault suite (test/faults/mariadb-outage.test.ts) proves the
// same with a real MariaDB crashed and hung under ingest.

function setup(options: { timeoutMs?: number } = {}) {
  const clock = createManualClock(1_000_000);
  let calls = 0;
  let behaviour: 'ok' | 'fail' | 'hang' = 'ok';
  let version = 0;
  const cache = createCachedLookup<string, string>({
    ttlMs: 10_000,
    retryMs: 5_000,
    timeoutMs: options.timeoutMs ?? 50,
    now: clock.nowMs,
    what: 'The thing',
    load: async (key) => {
      calls++;
      if (behaviour === 'fail')
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      if (behaviour === 'hang') return new Promise<string>(() => undefined);
      return `${key}@${version}`;
    },
  });
  return {
    cache,
    clock,
    calls: () => calls,
    set(next: { behaviour?: 'ok' | 'fail' | 'hang'; version?: number }) {
      behaviour = next.behaviour ?? behaviour;
      version = next.version ?? version;
    },
  };
}

describe('createCachedLookup', () => {
  it('serves a value from memory within its TTL and looks it up again after', async () => {
    const t = setup();
    expect(await t.cache.get('k')).toBe('k@0');
    t.set({ version: 1 });
    t.clock.advance(9_000);
    expect(await t.cache.get('k')).toBe('k@0');
    expect(t.calls()).toBe(1);
    t.clock.advance(2_000);
    expect(await t.cache.get('k')).toBe('k@1');
    expect(t.calls()).toBe(2);
  });

  it('keeps serving the last known value while the database fails, retrying only every retryMs', async () => {
    const t = setup();
    await t.cache.get('k');
    t.set({ behaviour: 'fail' });
    t.clock.advance(11_000);
    expect(await t.cache.get('k')).toBe('k@0');
    expect(await t.cache.get('k')).toBe('k@0');
    expect(t.calls()).toBe(2);
    t.clock.advance(5_001);
    expect(await t.cache.get('k')).toBe('k@0');
    expect(t.calls()).toBe(3);
    t.set({ behaviour: 'ok', version: 2 });
    t.clock.advance(5_001);
    expect(await t.cache.get('k')).toBe('k@2');
  });

  it('serves the last known value when the lookup hangs past its timeout, and waits on it only once', async () => {
    const t = setup({ timeoutMs: 30 });
    await t.cache.get('k');
    t.set({ behaviour: 'hang' });
    t.clock.advance(11_000);
    const [first, second] = await Promise.all([t.cache.get('k'), t.cache.get('k')]);
    expect([first, second]).toEqual(['k@0', 'k@0']);
    expect(t.calls()).toBe(2);
  });

  it('answers 503 unavailable with Retry-After for a value it has never seen while the database is away', async () => {
    const t = setup();
    t.set({ behaviour: 'fail' });
    const error = await t.cache.get('new').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'unavailable', status: 503, options: { retryAfterS: 5 } });
  });

  it('forgets entries on request, so a revocation is seen at once', async () => {
    const t = setup();
    await t.cache.get('k');
    t.set({ version: 3 });
    t.cache.deleteWhere((value) => value === 'k@0');
    expect(await t.cache.get('k')).toBe('k@3');
  });
});
