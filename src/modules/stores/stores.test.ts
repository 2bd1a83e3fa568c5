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
import { STORE_RESTORE_GRACE_MS } from './stores.service.js';

describe.each(DIALECTS)('stores on %s', (dialect) => {
  let t: TestApp;
  let tenant: Tenant;
  beforeAll(async () => {
    t = await createTestApp(dialect);
    tenant = await createTenant(t, 'acme');
  });
  afterAll(async () => {
    await t?.close();
  });

  const create = (name: string, extra: Record<string, unknown> = {}) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${tenant.orgId}/stores`,
      headers: asUser(tenant.members.admin),
      payload: { name, ...extra },
    });

  it('creates a store with defaults and validated settings', async () => {
    const response = await create('Outlet', { currency: 'eur', timeZone: 'Europe/Berlin' });
    expect(response.statusCode).toBe(201);
    const store = response.json();
    expect(store).toMatchObject({
      name: 'Outlet',
      currency: 'EUR',
      timeZone: 'Europe/Berlin',
      retentionDays: 395,
      ipPolicy: 'truncate',
      organizationId: tenant.orgId,
      deletedAt: null,
    });
    expect(store.id).toMatch(/^str_/);
  });

  it.each([
    [{ currency: 'EURO' }, 'currency'],
    [{ currency: 'ZZZ' }, 'currency'],
    [{ timeZone: 'Mars/Olympus' }, 'timeZone'],
    [{ allowedOrigins: ['https://shop.example/path'] }, 'allowedOrigins.0'],
    [{ retentionDays: 0 }, 'retentionDays'],
    [{ ipPolicy: 'sometimes' }, 'ipPolicy'],
  ])('refuses bad settings %j naming %s, and changes nothing', async (patch, field) => {
    const before = (
      await t.app.inject({
        method: 'GET',
        url: `/api/v1/stores/${tenant.storeId}`,
        headers: asKey(tenant.secretKey),
      })
    ).json();
    const response = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/stores/${tenant.storeId}`,
      headers: asUser(tenant.members.admin),
      payload: { name: 'Renamed', ...patch },
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
    expect(response.json().field).toBe(field);
    const after = (
      await t.app.inject({
        method: 'GET',
        url: `/api/v1/stores/${tenant.storeId}`,
        headers: asKey(tenant.secretKey),
      })
    ).json();
    expect(after).toEqual(before);
  });

  it('updates settings with a secret key that has stores:write', async () => {
    const response = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/stores/${tenant.storeId}`,
      headers: asKey(tenant.secretKey),
      payload: { allowedOrigins: ['https://shop.example', 'http://localhost:8080/'], ipPolicy: 'none' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().allowedOrigins).toEqual(['https://shop.example', 'http://localhost:8080']);
  });

  it('soft-deletes a store, revoking its keys in the same step, and restores it within the grace period', async () => {
    const store = (await create('Temporary')).json() as { id: string };
    const key = (
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/stores/${store.id}/keys`,
        headers: asUser(tenant.members.admin),
        payload: { type: 'secret', scopes: ['stores:read'] },
      })
    ).json() as { key: string };
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/stores/${store.id}`, headers: asKey(key.key) }))
        .statusCode,
    ).toBe(200);

    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/stores/${store.id}`,
      headers: asUser(tenant.members.admin),
    });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json().deletedAt).not.toBeNull();
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: `/api/v1/stores/${store.id}`,
          headers: asUser(tenant.members.admin),
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/stores/${store.id}`, headers: asKey(key.key) }))
        .statusCode,
    ).toBe(401);
    const listed = await t.app.inject({
      method: 'GET',
      url: `/api/v1/orgs/${tenant.orgId}/stores`,
      headers: asUser(tenant.members.viewer),
    });
    expect(listed.json().items.map((s: { id: string }) => s.id)).not.toContain(store.id);

    // The name is free again while the deleted store waits for purge.
    expect((await create('Temporary')).statusCode).toBe(201);
    const clash = await t.app.inject({
      method: 'POST',
      url: `/api/v1/stores/${store.id}/restore`,
      headers: asUser(tenant.members.admin),
    });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().field).toBe('name');
  });

  it('restores a deleted store within 30 days and refuses after', async () => {
    const store = (await create('Seasonal')).json() as { id: string };
    await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/stores/${store.id}`,
      headers: asUser(tenant.members.admin),
    });
    const restored = await t.app.inject({
      method: 'POST',
      url: `/api/v1/stores/${store.id}/restore`,
      headers: asUser(tenant.members.admin),
    });
    expect(restored.statusCode).toBe(200);
    expect(restored.json().deletedAt).toBeNull();

    await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/stores/${store.id}`,
      headers: asUser(tenant.members.admin),
    });
    t.clock.advance(STORE_RESTORE_GRACE_MS + 1000);
    await renewSessions(t, tenant);
    const late = await t.app.inject({
      method: 'POST',
      url: `/api/v1/stores/${store.id}/restore`,
      headers: asUser(tenant.members.admin),
    });
    expect(late.statusCode).toBe(410);
  });

  it('keeps two stores of one organization from sharing a name', async () => {
    expect((await create('Twin')).statusCode).toBe(201);
    const again = await create('Twin');
    expect(again.statusCode).toBe(409);
    expect(again.json().field).toBe('name');
  });
});
