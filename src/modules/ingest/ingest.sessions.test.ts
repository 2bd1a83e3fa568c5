import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteRedisKeys } from '../../../test/harness/app.js';
import { TEST_REDIS_URL } from '../../../test/harness/databases.js';
import { createRedis, type Redis, waitForRedis } from '../../platform/redis.js';
import {
  createMemorySessionStore,
  createRedisSessionStore,
  type SessionRequest,
  type SessionStore,
} from './ingest.sessions.js';

// Both session stores apply one rule: the embedded in-process map and the production Redis script.
const STORES = [{ label: 'in-process' }, { label: 'redis' }];
const MIN = 60_000;

describe.each(STORES)('session store ($label)', ({ label }) => {
  let redis: Redis | null = null;
  const prefix = `test-sessions-${randomUUID()}`;
  let store: SessionStore;
  let counter = 0;
  const newId = () => `s${++counter}`;
  const browser = (
    visitors: string[],
    timestampMs: number,
    clientSessionId: string | null = null,
  ): SessionRequest => ({
    visitors,
    timestampMs,
    extendsSession: true,
    clientSessionId,
  });
  const server = (visitors: string[], timestampMs: number): SessionRequest => ({
    visitors,
    timestampMs,
    extendsSession: false,
    clientSessionId: null,
  });

  beforeAll(async () => {
    if (label === 'redis') {
      redis = createRedis(TEST_REDIS_URL);
      await waitForRedis(redis);
      store = createRedisSessionStore({ redis, prefix });
    } else {
      store = createMemorySessionStore();
    }
  });
  afterAll(async () => {
    if (redis) {
      await deleteRedisKeys(redis, prefix);
      redis.disconnect();
    }
  });

  it('keeps assigning sessions after Redis forgets its scripts (a restart, SCRIPT FLUSH)', async () => {
    const v = `v-${randomUUID()}`;
    const t0 = 1_000_000_000_000;
    const [before] = await store.assign(1, [browser([v], t0)], newId);
    await redis?.script('FLUSH');
    const [after] = await store.assign(1, [browser([v], t0 + MIN)], newId);
    expect(after).toBe(before);
  });

  it('keeps a visitor in one session until 30 minutes pass without events, oldest event first', async () => {
    const v = `v-${randomUUID()}`;
    const t0 = 1_000_000_000_000;
    const first = await store.assign(1, [browser([v], t0 + 10 * MIN), browser([v], t0)], newId);
    expect(first[0]).toBe(first[1]);
    const [same] = await store.assign(1, [browser([v], t0 + 39 * MIN)], newId);
    expect(same).toBe(first[0]);
    const [next] = await store.assign(1, [browser([v], t0 + 70 * MIN)], newId);
    expect(next).not.toBe(first[0]);
    // A stray from long before gets its own session and leaves the current one in place.
    const [stray] = await store.assign(1, [browser([v], t0 - 120 * MIN)], newId);
    expect(stray).not.toBe(next);
    const [after] = await store.assign(1, [browser([v], t0 + 75 * MIN)], newId);
    expect(after).toBe(next);
  });

  it('lets a server event join a live session, never start one, and keeps stores apart', async () => {
    const v = `v-${randomUUID()}`;
    const t0 = 1_000_000_000_000;
    expect(await store.assign(1, [server([v], t0)], newId)).toEqual([null]);
    const [browsing] = await store.assign(1, [browser([v], t0)], newId);
    expect(await store.assign(1, [server([v], t0 + 5 * MIN)], newId)).toEqual([browsing]);
    expect(await store.assign(1, [server([v], t0 + 45 * MIN)], newId)).toEqual([null]);
    expect(await store.assign(2, [server([v], t0 + 5 * MIN)], newId)).toEqual([null]);
  });

  it("records a client's session so the visitor's user id and server events join it", async () => {
    const anon = `a-${randomUUID()}`;
    const user = `u-${randomUUID()}`;
    const t0 = 1_000_000_000_000;
    expect(await store.assign(1, [browser([anon, user], t0, 'client-1')], newId)).toEqual(['client-1']);
    expect(await store.assign(1, [server([user], t0 + MIN)], newId)).toEqual(['client-1']);
    expect(await store.assign(1, [browser([anon], t0 + 2 * MIN)], newId)).toEqual(['client-1']);
  });

  it('derives one session for a new visitor from concurrent requests', async () => {
    const v = `v-${randomUUID()}`;
    const t0 = 1_000_000_000_000;
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.assign(1, [browser([v], t0 + i * 1000)], newId)),
    );
    expect(new Set(answers.flat()).size).toBe(1);
  });
});
