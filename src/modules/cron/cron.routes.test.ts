import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS, type TestDatabase } from '../../../test/harness/databases.js';
import { createManualClock, type ManualClock } from '../../platform/clock.js';
import { createHttpApp, type HttpApp, type RegisteredRoute } from '../../platform/http/app.js';
import { type CronModule, previousSlot, registerCronRoutes } from './index.js';
import { createCronTestDatabase, createTestCronModule, silentLogger } from './test-fixtures/cron-test-kit.js';
import { countingJob, resetCounter } from './test-fixtures/fixture-jobs.js';

// See cron.service.test.ts: only cron's own migrations are needed here.
vi.mock('../../main/modules.js', () => ({ allMigrations: [] }));

const HOUR_MS = 3_600_000;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each(DIALECTS)('cron routes on %s', (dialect) => {
  let db: TestDatabase;
  let clock: ManualClock;
  let cron: CronModule;
  let app: HttpApp;
  let routes: RegisteredRoute[];
  let token: string;

  beforeAll(async () => {
    db = await createCronTestDatabase(dialect);
    clock = createManualClock(Date.now());
    cron = createTestCronModule(db, { clock, instanceId: 'http', config: { tokenGraceMs: HOUR_MS } });
    cron.register(
      countingJob({ name: 'hourly', schedule: '0 * * * *', leaseMs: 5_000, chunks: 2, chunkDelayMs: 0 }),
    );
    cron.register(
      countingJob({ name: 'nightly', schedule: '30 2 * * *', leaseMs: 5_000, chunks: 1, chunkDelayMs: 0 }),
    );
    await resetCounter(db.database, 'hourly');
    await resetCounter(db.database, 'nightly');
    ({ app, routes } = await createHttpApp({ logger: silentLogger, trustProxy: false, version: 'test' }));
    registerCronRoutes(app, cron);
    await app.ready();
    const created = await cron.createToken({ name: 'scheduler' });
    if (!created.ok) throw created.error;
    token = created.value.token;
  });
  afterAll(async () => {
    await app?.close();
    await cron?.close();
    await db?.drop();
  });

  it('declares access kind cron on every route', () => {
    const cronRoutes = routes.filter((r) => r.url.startsWith('/api/cron'));
    expect(cronRoutes.map((r) => `${r.method} ${r.url}`).sort()).toEqual([
      'GET /api/cron/jobs',
      'GET /api/cron/runs',
      'POST /api/cron/:job',
      'POST /api/cron/tick',
    ]);
    for (const route of cronRoutes) expect(route.access).toEqual({ kind: 'cron' });
  });

  describe('authentication', () => {
    const call = (headers: Record<string, string> = {}) =>
      app.inject({ method: 'GET', url: '/api/cron/jobs', headers });

    it('accepts a valid cron token and records its use', async () => {
      const response = await call(bearer(token));
      expect(response.statusCode).toBe(200);
      const listed = await cron.listTokens();
      expect(listed.find((t) => t.name === 'scheduler')?.lastUsedAt).not.toBeNull();
      expect(listed[0]?.prefix).toBe(token.slice(0, 14));
    });

    it.each([
      ['no header', {}, 'unauthenticated'],
      ['an empty header', { authorization: '' }, 'unauthenticated'],
      [
        'a wrong token',
        bearer('ff_cron_0000000000000000000000000000000000000000000000000'),
        'invalid_credentials',
      ],
      ['a secret key', bearer('ff_sk_9F3kT1pQ7zW2mX8vB4nR6yH0jL5cD1sA3gE7uK2oI9tZ'), 'invalid_credentials'],
      ['a publishable key', bearer('ff_pub_Q2w3E4r5T6y7U8i9O0p1A2s3D4f5G6h7'), 'invalid_credentials'],
      ['the Basic scheme', { authorization: 'Basic Zm9vOmJhcg==' }, 'invalid_credentials'],
    ])('refuses %s with 401 problem+json and a Bearer challenge', async (_label, headers, code) => {
      const response = await call(headers);
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="footfall-cron"/);
      expect(response.json()).toMatchObject({ status: 401, code });
    });

    it('refuses a token with a valid shape that was altered by one character', async () => {
      const altered = `${token.slice(0, 20)}${token[20] === 'a' ? 'b' : 'a'}${token.slice(21)}`;
      expect((await call(bearer(altered))).statusCode).toBe(401);
    });

    it('refuses an expired token', async () => {
      const created = await cron.createToken({ name: 'short-lived', expiresInMs: 60_000 });
      if (!created.ok) throw created.error;
      expect((await call(bearer(created.value.token))).statusCode).toBe(200);
      clock.advance(61_000);
      const response = await call(bearer(created.value.token));
      expect(response.statusCode).toBe(401);
      expect(response.json().detail).toMatch(/expired/);
    });

    it('refuses a revoked token', async () => {
      const created = await cron.createToken({ name: 'to-revoke' });
      if (!created.ok) throw created.error;
      expect(created.value.id).toMatch(/^crt_[0-9a-z]{26}$/);
      expect((await call(bearer(created.value.token))).statusCode).toBe(200);
      expect((await cron.revokeToken(created.value.id)).ok).toBe(true);
      expect((await call(bearer(created.value.token))).statusCode).toBe(401);
      expect((await cron.revokeToken('crt_nope')).ok).toBe(false);
    });

    it('keeps a rotated token valid during the grace window, then refuses it', async () => {
      const original = await cron.createToken({ name: 'to-rotate' });
      if (!original.ok) throw original.error;
      const rotated = await cron.rotateToken(original.value.id, 10 * 60_000);
      if (!rotated.ok) throw rotated.error;
      expect(rotated.value.id).not.toBe(original.value.id);
      expect(rotated.value.token).not.toBe(original.value.token);

      expect((await call(bearer(original.value.token))).statusCode).toBe(200);
      expect((await call(bearer(rotated.value.token))).statusCode).toBe(200);
      clock.advance(9 * 60_000);
      expect((await call(bearer(original.value.token))).statusCode).toBe(200);
      clock.advance(2 * 60_000);
      expect((await call(bearer(original.value.token))).statusCode).toBe(401);
      expect((await call(bearer(rotated.value.token))).statusCode).toBe(200);
      // A token already rotated cannot be rotated again (its successor can).
      const again = await cron.rotateToken(original.value.id);
      expect(again.ok).toBe(false);
    });
  });

  describe('running jobs', () => {
    const post = (url: string) => app.inject({ method: 'POST', url, headers: bearer(token) });

    it('runs a job and answers with exactly the documented fields', async () => {
      const response = await post('/api/cron/hourly');
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(Object.keys(body).sort()).toEqual([
        'dryRun',
        'error',
        'job',
        'result',
        'runId',
        'slot',
        'status',
      ]);
      expect(body).toMatchObject({
        job: 'hourly',
        slot: new Date(previousSlot('0 * * * *', clock.nowMs()) as number).toISOString(),
        status: 'ran',
        runId: expect.stringMatching(/^run_[0-9a-z]{26}$/),
        dryRun: false,
        result: { chunks: 2, committed: 2 },
        error: null,
      });
      const again = (await post('/api/cron/hourly')).json();
      expect(again).toMatchObject({
        status: 'skipped',
        runId: body.runId,
        result: { chunks: 2, committed: 2 },
      });
    });

    it('runs a dry run on ?dryRun=true', async () => {
      const slot = new Date((previousSlot('0 * * * *', clock.nowMs()) as number) - HOUR_MS).toISOString();
      const body = (await post(`/api/cron/hourly?dryRun=true&slot=${encodeURIComponent(slot)}`)).json();
      expect(body).toMatchObject({ status: 'ran', dryRun: true, slot });
    });

    it.each([
      ['not ISO', 'tomorrow', /ISO 8601/],
      ['misaligned', 'MISALIGNED', /not a slot/],
      ['stale', 'STALE', /older than/],
      ['in the future', 'FUTURE', /future/],
    ])('answers 400 for a slot %s', async (_label, slotText, detail) => {
      const latest = previousSlot('0 * * * *', clock.nowMs()) as number;
      const slot =
        {
          MISALIGNED: new Date(latest + 60_000).toISOString(),
          STALE: new Date(latest - 48 * HOUR_MS).toISOString(),
          FUTURE: new Date(latest + HOUR_MS).toISOString(),
        }[slotText] ?? slotText;
      const response = await post(`/api/cron/hourly?slot=${encodeURIComponent(slot)}`);
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ code: 'validation_failed', field: 'slot' });
      expect(response.json().detail).toMatch(detail);
    });

    it('answers 404 for an unknown job', async () => {
      const response = await post('/api/cron/no-such-job');
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'not_found' });
    });

    it('runs every due job on tick', async () => {
      const response = await post('/api/cron/tick');
      expect(response.statusCode).toBe(200);
      const runs = response.json().runs as { job: string; status: string }[];
      expect(runs.map((r) => r.job).sort()).toEqual(['hourly', 'nightly']);
      expect(runs.find((r) => r.job === 'nightly')?.status).toBe('ran');
      expect(['ran', 'skipped']).toContain(runs.find((r) => r.job === 'hourly')?.status);
      const second = (await post('/api/cron/tick')).json().runs as { status: string }[];
      expect(second.every((r) => r.status === 'skipped')).toBe(true);
    });
  });

  describe('history', () => {
    const get = (url: string) => app.inject({ method: 'GET', url, headers: bearer(token) });

    it('lists runs with public ids only, filtered by job and status', async () => {
      const response = await get('/api/cron/runs?job=hourly&status=succeeded&limit=10');
      expect(response.statusCode).toBe(200);
      const { items } = response.json() as { items: Record<string, unknown>[] };
      expect(items.length).toBeGreaterThan(0);
      for (const item of items) {
        expect(item).toMatchObject({
          job: 'hourly',
          status: 'succeeded',
          id: expect.stringMatching(/^run_/),
        });
        expect(Object.keys(item).sort()).toEqual(
          [
            'attempts',
            'dryRun',
            'error',
            'fence',
            'finishedAt',
            'heartbeatAt',
            'id',
            'instance',
            'job',
            'result',
            'rowsAffected',
            'slot',
            'startedAt',
            'status',
          ].sort(),
        );
      }
      expect(response.body).not.toMatch(/"id":\d/);
    });

    it('refuses an unknown status filter', async () => {
      const response = await get('/api/cron/runs?status=exploded');
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation_failed' });
    });

    it('lists jobs with schedule, description and last run', async () => {
      const { items } = (await get('/api/cron/jobs')).json() as { items: Record<string, unknown>[] };
      expect(items.map((j) => j.name)).toEqual(['hourly', 'nightly']);
      expect(items[0]).toMatchObject({
        schedule: '0 * * * *',
        description: 'test job hourly',
        lastRun: { job: 'hourly', id: expect.stringMatching(/^run_/) },
      });
    });
  });
});
