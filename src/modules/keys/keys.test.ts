import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asKey,
  asUser,
  createTenant,
  createTestApp,
  renewSessions,
  type Tenant,
  type TestApp,
} from '../../../test/harness/app.js';
import { DIALECTS } from '../../../test/harness/databases.js';
import { generateKey, parseKey } from './key-codec.js';
import { KEY_CACHE_MS } from './keys.service.js';

describe('key codec', () => {
  it('generates keys with 128 random bits and a checksum that parse back', () => {
    for (const type of ['publishable', 'secret'] as const) {
      const key = generateKey(type);
      expect(key).toMatch(type === 'secret' ? /^ff_sk_[0-9A-Za-z]{28}$/ : /^ff_pub_[0-9A-Za-z]{28}$/);
      expect(parseKey(key)?.type).toBe(type);
    }
  });

  it('rejects every single-character change (the checksum catches typos before any lookup)', () => {
    const key = generateKey('secret');
    fc.assert(
      fc.property(
        fc.integer({ min: 6, max: key.length - 1 }),
        fc.constantFrom(...'0123456789abcXYZ'),
        (i, c) => {
          const changed = key.slice(0, i) + c + key.slice(i + 1);
          return changed === key || parseKey(changed) === null;
        },
      ),
    );
  });

  it('never accepts arbitrary strings', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 80 }),
        (text) => parseKey(`ff_sk_${text}`) === null || text.length === 28,
      ),
    );
    expect(parseKey(undefined)).toBeNull();
    expect(parseKey(`ff_sk_${'A'.repeat(200)}`)).toBeNull();
  });
});

describe.each(DIALECTS)('keys on %s', (dialect) => {
  let t: TestApp;
  let tenant: Tenant;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    tenant = await createTenant(t, 'keys');
  });
  afterAll(async () => {
    await t?.close();
  });

  const createKey = (payload: Record<string, unknown>) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/stores/${tenant.storeId}/keys`,
      headers: asUser(tenant.members.admin),
      payload,
    });
  const readStore = (key: string) =>
    t.app.inject({ method: 'GET', url: `/api/v1/stores/${tenant.storeId}`, headers: asKey(key) });

  it('shows the secret once; the list shows prefix, last 4, scopes and never the key', async () => {
    const created = await createKey({
      type: 'secret',
      scopes: ['stores:read', 'reports:read'],
      expiresIn: '30d',
    });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body.key).toMatch(/^ff_sk_/);
    expect(body.scopes).toEqual(['reports:read', 'stores:read']);
    expect(Date.parse(body.expiresAt) - t.clock.nowMs()).toBe(30 * 86_400_000);
    const list = await t.app.inject({
      method: 'GET',
      url: `/api/v1/stores/${tenant.storeId}/keys`,
      headers: asUser(tenant.members.admin),
    });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(body.key);
    const listed = list.json().items.find((k: { id: string }) => k.id === body.id);
    expect(listed).toMatchObject({
      prefix: body.key.slice(0, 10),
      last4: body.key.slice(-4),
      status: 'active',
    });
  });

  it('refuses unknown scopes and non-event scopes on publishable keys', async () => {
    expect((await createKey({ type: 'secret', scopes: ['root'] })).json().field).toBe('scopes');
    expect((await createKey({ type: 'secret' })).statusCode).toBe(400);
    expect((await createKey({ type: 'publishable', scopes: ['reports:read'] })).statusCode).toBe(400);
    expect(
      (await createKey({ type: 'secret', scopes: ['stores:read'], expiresIn: 'soon' })).json().field,
    ).toBe('expiresIn');
  });

  it('enforces scopes: a key without stores:write cannot change the store', async () => {
    const key = (await createKey({ type: 'secret', scopes: ['stores:read'] })).json().key as string;
    expect((await readStore(key)).statusCode).toBe(200);
    const write = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/stores/${tenant.storeId}`,
      headers: asKey(key),
      payload: { name: 'Hijacked' },
    });
    expect(write.statusCode).toBe(403);
  });

  it('refuses publishable keys on the management API', async () => {
    expect((await readStore(tenant.writeKey)).statusCode).toBe(401);
  });

  it('expires keys at their expiry', async () => {
    const key = (await createKey({ type: 'secret', scopes: ['stores:read'], expiresIn: '1h' })).json()
      .key as string;
    expect((await readStore(key)).statusCode).toBe(200);
    t.clock.advance(3_600_000 + 1);
    expect((await readStore(key)).statusCode).toBe(401);
    await renewSessions(t, tenant);
  });

  it('rotation keeps the old key valid for the grace window, then only the new one works', async () => {
    const old = (await createKey({ type: 'secret', scopes: ['stores:read'] })).json() as {
      id: string;
      key: string;
    };
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/api/v1/stores/${tenant.storeId}/keys/${old.id}/rotate`,
      headers: asUser(tenant.members.admin),
      payload: { grace: '24h' },
    });
    expect(rotated.statusCode).toBe(201);
    const successor = rotated.json();
    expect(successor.previous).toMatchObject({ id: old.id, status: 'rotating', replacedBy: successor.id });
    expect((await readStore(old.key)).statusCode).toBe(200);
    expect((await readStore(successor.key)).statusCode).toBe(200);
    t.clock.advance(24 * 3_600_000 + 1);
    expect((await readStore(old.key)).statusCode).toBe(401);
    expect((await readStore(successor.key)).statusCode).toBe(200);
    await renewSessions(t, tenant);
  });

  it('rotation with grace 0 revokes the old key at once', async () => {
    const old = (await createKey({ type: 'secret', scopes: ['stores:read'] })).json() as {
      id: string;
      key: string;
    };
    expect((await readStore(old.key)).statusCode).toBe(200);
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/api/v1/stores/${tenant.storeId}/keys/${old.id}/rotate`,
      headers: asUser(tenant.members.admin),
      payload: { grace: '0' },
    });
    expect(rotated.statusCode).toBe(201);
    expect((await readStore(old.key)).statusCode).toBe(401);
  });

  it('revocation is immediate here and reaches other instances within the cache bound', async () => {
    const created = (await createKey({ type: 'secret', scopes: ['stores:read'] })).json() as {
      id: string;
      key: string;
    };
    // A second instance on the same database, with its own cache.
    const { createKeysService } = await import('./keys.service.js');
    const other = createKeysService({
      database: t.db.database,
      clock: t.clock,
      ids: t.services.ids,
      audit: t.services.audit,
    });
    expect(await other.authenticate(created.key)).not.toBeNull();
    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/stores/${tenant.storeId}/keys/${created.id}`,
      headers: asUser(tenant.members.admin),
    });
    expect(revoked.json().status).toBe('revoked');
    expect((await readStore(created.key)).statusCode).toBe(401);
    t.clock.advance(KEY_CACHE_MS + 1);
    expect(await other.authenticate(created.key)).toBeNull();
  });

  it("caps expiry at the store's maximum key age", async () => {
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/stores/${tenant.storeId}`,
      headers: asUser(tenant.members.admin),
      payload: { maxKeyAgeDays: 90 },
    });
    const created = (await createKey({ type: 'secret', scopes: ['stores:read'] })).json();
    expect(Date.parse(created.expiresAt) - t.clock.nowMs()).toBe(90 * 86_400_000);
  });

  it('an analyst can read nothing about keys and a viewer neither', async () => {
    for (const role of ['analyst', 'viewer'] as const) {
      const list = await t.app.inject({
        method: 'GET',
        url: `/api/v1/stores/${tenant.storeId}/keys`,
        headers: asUser(tenant.members[role]),
      });
      expect(list.statusCode).toBe(403);
    }
  });

  it('audits creation, rotation and revocation', async () => {
    const log = await t.app.inject({
      method: 'GET',
      url: `/api/v1/orgs/${tenant.orgId}/audit?limit=200`,
      headers: asUser(tenant.owner),
    });
    const actions = new Set((log.json().items as { action: string }[]).map((i) => i.action));
    for (const action of ['key.created', 'key.rotated', 'key.revoked']) expect(actions).toContain(action);
  });
});
