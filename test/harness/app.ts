import { Writable } from 'node:stream';
import { buildHttpApp } from '../../src/main/http.js';
import { createServices, type Services } from '../../src/main/modules.js';
import type { Role } from '../../src/modules/accounts/index.js';
import { createManualClock, type ManualClock } from '../../src/platform/clock.js';
import { loadConfig } from '../../src/platform/config.js';
import type { Dialect } from '../../src/platform/db/database.js';
import type { HttpApp, RegisteredRoute } from '../../src/platform/http/app.js';
import { createLogger } from '../../src/platform/log.js';
import { createTestDatabase, type TestDatabase } from './databases.js';

export interface TestApp {
  app: HttpApp;
  routes: RegisteredRoute[];
  services: Services;
  clock: ManualClock;
  db: TestDatabase;
  logs: string[];
  close(): Promise<void>;
}

/** A full Footfall (all roles) on a fresh database of the dialect, with a manual clock, driven by app.inject. */
export async function createTestApp(dialect: Dialect, options: { startMs?: number } = {}): Promise<TestApp> {
  const db = await createTestDatabase(dialect);
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
  const services = await createServices({ config, logger, database: db.database, redis: null, clock });
  const { app, routes } = await buildHttpApp(services, { role: 'all' });
  await app.ready();
  return {
    app,
    routes,
    services,
    clock,
    db,
    logs,
    async close() {
      await app.close();
      await db.drop();
    },
  };
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
