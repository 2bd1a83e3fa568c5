import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPermission, type Role, roleAllows } from '../../src/modules/accounts/index.js';
import { newUid, toPublicId } from '../../src/platform/ids.js';
import {
  asKey,
  asUser,
  createTenant,
  createTestApp,
  findIntegerIds,
  type Tenant,
  type TestApp,
} from '../harness/app.js';
import { DIALECTS } from '../harness/databases.js';

const ROLES: Role[] = ['owner', 'admin', 'analyst', 'viewer'];
type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** Fills a route's path parameters with the given tenant's resources, and well-formed ids for the rest. */
function urlFor(pattern: string, tenant: Tenant): string {
  return pattern.replace(/:(\w+)/g, (_match, name: string) => {
    if (name === 'orgId') return tenant.orgId;
    if (name === 'storeId') return tenant.storeId;
    if (name === 'keyId') return tenant.keyId;
    if (name === 'memberId') return tenant.memberIds.viewer;
    if (name === 'job') return 'retention';
    return toPublicId('evt', newUid());
  });
}

describe.each(DIALECTS)('tenant isolation and least privilege on %s', (dialect) => {
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;
  let narrowKey: string;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    a = await createTenant(t, 'alpha');
    b = await createTenant(t, 'bravo');
    const store = await t.services.stores.findByPublicId(a.storeId);
    if (!store) throw new Error('tenant store missing');
    narrowKey = (
      await t.services.keys.create(
        store,
        { type: 'secret', scopes: ['events:write'] },
        { type: 'system', id: null, label: 'test' },
      )
    ).secret;
  });
  afterAll(async () => {
    await t?.close();
  });

  const scoped = () => t.routes.filter((r) => r.access.kind === 'org' || r.access.kind === 'store');

  it('has routes to check', () => {
    expect(scoped().length).toBeGreaterThanOrEqual(15);
  });

  it('answers 404 — never 403, never data — to every member and key of another tenant, on every route', async () => {
    const failures: string[] = [];
    for (const route of scoped()) {
      const url = urlFor(route.url, b);
      const callers: [string, Record<string, string>][] = [
        ...ROLES.map((role): [string, Record<string, string>] => [`alpha ${role}`, asUser(a.members[role])]),
        ['alpha secret key', asKey(a.secretKey)],
      ];
      for (const [who, headers] of callers) {
        const response = await t.app.inject({ method: route.method as Method, url, headers, payload: {} });
        if (response.statusCode !== 404)
          failures.push(`${route.method} ${route.url} as ${who}: ${response.statusCode}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers 403 to members whose role lacks the permission, and to keys without the scope', async () => {
    const failures: string[] = [];
    for (const route of scoped()) {
      if (route.access.kind !== 'org' && route.access.kind !== 'store') continue;
      const permission = route.access.permission;
      expect(isPermission(permission)).toBe(true);
      if (!isPermission(permission)) continue;
      const url = urlFor(route.url, a);
      for (const role of ROLES) {
        if (roleAllows(role, permission)) continue;
        const response = await t.app.inject({
          method: route.method as Method,
          url,
          headers: asUser(a.members[role]),
          payload: {},
        });
        if (response.statusCode !== 403)
          failures.push(`${route.method} ${route.url} as ${role}: ${response.statusCode}`);
      }
      if (permission !== 'events:write') {
        const response = await t.app.inject({
          method: route.method as Method,
          url,
          headers: asKey(narrowKey),
          payload: {},
        });
        if (response.statusCode !== 403)
          failures.push(`${route.method} ${route.url} as narrow key: ${response.statusCode}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers 401 to anonymous callers on every non-public route', async () => {
    const failures: string[] = [];
    for (const route of t.routes) {
      if (['public', 'ingest'].includes(route.access.kind)) continue;
      const response = await t.app.inject({
        method: route.method as Method,
        url: urlFor(route.url, a),
        payload: {},
      });
      if (response.statusCode !== 401) failures.push(`${route.method} ${route.url}: ${response.statusCode}`);
    }
    expect(failures).toEqual([]);
  });

  it('rejects integer ids in paths', async () => {
    for (const url of [
      '/api/v1/stores/1',
      `/api/v1/orgs/1/stores`,
      `/api/v1/stores/${a.storeId}/keys/1/rotate`,
    ]) {
      const response = await t.app.inject({
        method: url.endsWith('rotate') ? 'POST' : 'GET',
        url,
        headers: asUser(a.owner),
      });
      expect([400, 404]).toContain(response.statusCode);
      expect(response.headers['content-type']).toMatch(/problem\+json/);
    }
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/stores/1', headers: asUser(a.owner) });
    expect(response.statusCode).toBe(400);
    expect(response.json().field).toBe('storeId');
  });

  it('never serialises an integer id: every GET response is walked for id-like integer fields', async () => {
    const failures: string[] = [];
    // Server-Sent Event streams never end, so they are walked by their own tests (reports.routes.test.ts).
    const walked = t.routes.filter(
      (r) => r.method === 'GET' && r.access.kind !== 'public' && !r.url.endsWith('/stream'),
    );
    for (const route of walked) {
      const headers = route.access.kind === 'cron' ? {} : asUser(a.owner);
      const response = await t.app.inject({ method: 'GET', url: urlFor(route.url, a), headers });
      if (response.statusCode !== 200 || !String(response.headers['content-type']).includes('json')) continue;
      const found = findIntegerIds(response.json());
      if (found.length > 0) failures.push(`${route.url}: ${found.join(', ')}`);
    }
    expect(failures).toEqual([]);
  });

  it('refuses mass assignment: ids and roles in bodies are not accepted', async () => {
    const response = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/stores/${a.storeId}`,
      headers: asUser(a.owner),
      payload: { name: 'Moved', organizationId: b.orgId },
    });
    expect(response.statusCode).toBe(400);
    const store = await t.services.stores.findByPublicId(a.storeId);
    expect(store?.name).not.toBe('Moved');
  });
});

describe('OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is OpenAPI 3.1 and documents every route with a summary and responses', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    const doc = response.json() as {
      openapi: string;
      paths: Record<string, Record<string, { summary?: string; responses?: object }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const missing: string[] = [];
    for (const route of t.routes) {
      if (
        route.url === '/api/openapi.json' ||
        (route.access.kind === 'public' &&
          !route.url.startsWith('/api') &&
          !route.url.startsWith('/v1') &&
          !route.url.endsWith('z'))
      )
        continue;
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      const operation = doc.paths[path]?.[route.method.toLowerCase()];
      if (!operation?.summary || !operation.responses) missing.push(`${route.method} ${route.url}`);
    }
    expect(missing).toEqual([]);
  });
});
