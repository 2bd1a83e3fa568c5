import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { buildHttpApp } from '../../src/main/http.js';
import { createServices, type Services } from '../../src/main/modules.js';
import type { Role } from '../../src/modules/accounts/index.js';
import type { PipelineOptions } from '../../src/modules/pipeline/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { loadConfig } from '../../src/platform/config.js';
import type { Dialect } from '../../src/platform/db/database.js';
import type { HttpApp, RegisteredRoute } from '../../src/platform/http/app.js';
import { createLogger } from '../../src/platform/log.js';
import { createRedis, type Redis, waitForRedis } from '../../src/platform/redis.js';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './databases.js';

export interface TestApp {
  app: HttpApp;
  routes: RegisteredRoute[];
  services: Services;
  clock: ManualClock;
  db: TestDatabase;
  logs: string[];
  /** The Redis client and key prefix of a Redis-backed app; null with the in-process buffer. */
  redis: Redis | null;
  redisKeyPrefix: string | null;
  close(): Promise<void>;
}

export interface TestAppOptions {
  startMs?: number;
  /** Buffer events in Redis (under a key prefix of this app's own) instead of in process. */
  redis?: boolean;
  pipelineOptions?: PipelineOptions;
  /** Run the pipeline worker in process (default true), as the `all` role does. */
  worker?: boolean;
}

/** A full Footfall (all roles) on a fresh database of the dialect, with a manual clock, driven by app.inject. */
export async function createTestApp(dialect: Dialect, options: TestAppOptions = {}): Promise<TestApp> {
  const db = await createTestDatabase(dialect);
  let redis: Redis | null = null;
  let redisKeyPrefix: string | null = null;
  if (options.redis) {
    redis = createRedis(TEST_REDIS_URL, { name: 'footfall-test' });
    redis.on('error', () => undefined);
    await waitForRedis(redis, 5000);
    // Parallel suites share one Redis: each app streams under its own prefix.
    redisKeyPrefix = `ff:test:${randomBytes(6).toString('hex')}`;
  }
  const clock = createManualClock(options.startMs ?? Date.parse('2026-11-25T12:00:00Z'));
  const logs: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    }),
  });
  const config = loadConfig({
    DATABASE_URL: db.url,
    FOOTFALL_SECRET: 'test-secret-that-is-long-enough-0123456789',
  });
  const services = await createServices({
    config,
    logger,
    database: db.database,
    redis,
    clock,
    pipelineOptions: { ...options.pipelineOptions, ...(redisKeyPrefix ? { redisKeyPrefix } : {}) },
  });
  const { app, routes } = await buildHttpApp(services, { role: 'all' });
  await app.ready();
  const runsWorker = options.worker !== false;
  if (runsWorker) services.pipeline.worker.start();
  return {
    app,
    routes,
    services,
    clock,
    db,
    logs,
    redis,
    redisKeyPrefix,
    async close() {
      await app.close();
      if (runsWorker) await services.pipeline.worker.stop();
      if (redis && redisKeyPrefix) {
        await deleteRedisKeys(redis, redisKeyPrefix);
        redis.disconnect();
      }
      await db.drop();
    },
  };
}

/** Removes every key under a prefix (a test app's stream, seen-sets, sessions, heartbeats). */
export async function deleteRedisKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/**
 * Polls `probe` until `accept` holds or `timeoutMs` passes (then fails with the last value): storage is
 * asynchronous, so tests wait for it this way, never with a fixed sleep.
 */
export async function waitFor<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  options: { timeoutMs?: number; what?: string } = {},
): Promise<T> {
  // Generous bound: CI shares two cores between the suites; the poll returns as soon as the value is there.
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let value = await probe();
  while (!accept(value)) {
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${options.what ?? 'a condition'}; last value: ${JSON.stringify(value)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
    value = await probe();
  }
  return value;
}

export interface SignedIn {
  cookie: string;
  csrf: string;
  userId: string;
  email: string;
}

export const PASSWORD = 'correct horse battery staple';

/** Creates a user (if needed) and signs in through the API; returns the cookie and CSRF token. */
export async function signIn(t: TestApp, email: string, password = PASSWORD): Promise<SignedIn> {
  if (!(await t.services.accounts.findUserByEmail(email))) {
    await t.services.accounts.createUser({ email, name: email.split('@')[0] ?? 'user', password });
  }
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password },
  });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  const setCookie = response.headers['set-cookie'];
  const raw = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  const cookie = (raw ?? '').split(';')[0] ?? '';
  const body = response.json() as { csrfToken: string; user: { id: string } };
  return { cookie, csrf: body.csrfToken, userId: body.user.id, email };
}

export interface Tenant {
  orgId: string;
  storeId: string;
  owner: SignedIn;
  members: Record<Role, SignedIn>;
  /** A secret key with every scope, and the publishable key, of the tenant's store. */
  secretKey: string;
  writeKey: string;
  keyId: string;
  memberIds: Record<Role, string>;
}

const SYSTEM = { type: 'system' as const, id: null, label: 'test' };

/** An organization with one store, a member of each role (signed in), and keys. */
export async function createTenant(t: TestApp, name: string): Promise<Tenant> {
  const { accounts, stores, keys } = t.services;
  const organization = await accounts.createOrganization(`${name} org`, SYSTEM);
  const members = {} as Record<Role, SignedIn>;
  const memberIds = {} as Record<Role, string>;
  for (const role of ['owner', 'admin', 'analyst', 'viewer'] as const) {
    const email = `${role}@${name}.test`;
    const user = await accounts.createUser({ email, name: `${name} ${role}`, password: PASSWORD });
    const membership = await accounts.addMember(organization, { userId: user.id, role }, SYSTEM);
    memberIds[role] = membership.publicId;
    members[role] = await signIn(t, email);
  }
  const store = await stores.create(organization.id, { name: `${name} store` }, SYSTEM);
  const secret = await keys.create(
    store,
    {
      type: 'secret',
      scopes: [
        'events:write',
        'events:read',
        'reports:read',
        'stores:read',
        'stores:write',
        'keys:read',
        'keys:write',
        'privacy:read',
        'privacy:write',
        'deadletters:read',
        'deadletters:write',
      ],
    },
    SYSTEM,
  );
  const write = await keys.create(store, { type: 'publishable' }, SYSTEM);
  return {
    orgId: organization.publicId,
    storeId: store.publicId,
    owner: members.owner,
    members,
    memberIds,
    secretKey: secret.secret,
    writeKey: write.secret,
    keyId: secret.key.publicId,
  };
}

export function asUser(who: SignedIn): Record<string, string> {
  return { cookie: who.cookie, 'x-csrf-token': who.csrf };
}

export function asKey(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

/** Fails when any object in a JSON value has an integer-valued id-like field (`id`, `*Id`, `*_id`). */
export function findIntegerIds(value: unknown, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => findIntegerIds(item, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const here = `${path}.${key}`;
    const idLike = key === 'id' || /Id$/.test(key) || /_id$/.test(key) || key === 'ID';
    const isInteger = typeof child === 'number' || (typeof child === 'string' && /^\d+$/.test(child));
    return [...(idLike && isInteger ? [here] : []), ...findIntegerIds(child, here)];
  });
}

/** Signs every member in again: tests that move the clock past the session idle limit call this. */
export async function renewSessions(t: TestApp, tenant: Tenant): Promise<void> {
  for (const role of Object.keys(tenant.members) as Role[]) {
    tenant.members[role] = await signIn(t, tenant.members[role].email);
  }
  tenant.owner = tenant.members.owner;
}
