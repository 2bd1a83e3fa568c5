import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asUser,
  createTenant,
  createTestApp,
  PASSWORD,
  signIn,
  type TestApp,
} from '../../../test/harness/app.js';
import { DIALECTS } from '../../../test/harness/databases.js';
import { LOGIN_WINDOW_MS, SESSION_IDLE_MS } from './accounts.service.js';

describe.each(DIALECTS)('accounts on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('stores argon2id hashes, never the password', async () => {
    const user = await t.services.accounts.createUser({
      email: 'Hash@Example.test',
      name: 'H',
      password: PASSWORD,
    });
    expect(user.email).toBe('hash@example.test');
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(user.passwordHash).not.toContain(PASSWORD);
  });

  it('refuses short passwords and duplicate emails with the field named', async () => {
    await expect(
      t.services.accounts.createUser({ email: 'short@example.test', name: 'S', password: 'abc' }),
    ).rejects.toMatchObject({ code: 'validation_failed', field: 'password' });
    await expect(
      t.services.accounts.createUser({ email: 'HASH@example.test', name: 'H2', password: PASSWORD }),
    ).rejects.toMatchObject({ code: 'conflict', field: 'email' });
  });

  it('signs in with an httpOnly SameSite=Lax cookie and answers /me with a CSRF token', async () => {
    await t.services.accounts.createUser({ email: 'login@example.test', name: 'L', password: PASSWORD });
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'login@example.test', password: PASSWORD },
    });
    expect(response.statusCode).toBe(200);
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(/ff_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/); // plain HTTP in tests; Secure is set behind HTTPS
    const me = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { cookie: cookie.split(';')[0] },
    });
    expect(me.statusCode).toBe(200);
    expect(me.json().user.email).toBe('login@example.test');
    expect(me.json().csrfToken).toEqual(expect.any(String));
  });

  it('gives the same answer for an unknown email and a wrong password', async () => {
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'nobody@example.test', password: 'whatever-long' },
    });
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'login@example.test', password: 'wrong password!' },
    });
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.json().detail).toBe(wrong.json().detail);
    expect(unknown.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('throttles an account after 5 failures, with Retry-After, and lets it in after the window', async () => {
    await t.services.accounts.createUser({ email: 'throttle@example.test', name: 'T', password: PASSWORD });
    const attempt = (password: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'throttle@example.test', password },
      });
    for (let i = 0; i < 5; i++) expect((await attempt('wrong password!')).statusCode).toBe(401);
    const locked = await attempt(PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    t.clock.advance(LOGIN_WINDOW_MS + 1000);
    expect((await attempt(PASSWORD)).statusCode).toBe(200);
  });

  it('throttles an IP that tries many accounts', async () => {
    for (let i = 0; i < 30; i++) {
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: '198.51.100.23',
        payload: { email: `spray${i}@example.test`, password: 'wrong password!' },
      });
    }
    const blocked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '198.51.100.99',
      payload: { email: 'login@example.test', password: PASSWORD },
    });
    expect(blocked.statusCode).toBe(429);
    t.clock.advance(LOGIN_WINDOW_MS + 1000);
  });

  it('requires the CSRF token for cookie-authenticated writes', async () => {
    const who = await signIn(t, 'csrf@example.test');
    const noToken = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orgs',
      headers: { cookie: who.cookie },
      payload: { name: 'Nope' },
    });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().code).toBe('csrf_failed');
    const forged = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orgs',
      headers: { cookie: who.cookie, 'x-csrf-token': 'k1.AAAA' },
      payload: { name: 'Nope' },
    });
    expect(forged.statusCode).toBe(403);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orgs',
      headers: asUser(who),
      payload: { name: 'Yes' },
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().role).toBe('owner');
  });

  it('ends sessions on logout, after 24 h idle, and after 7 days', async () => {
    const who = await signIn(t, 'session@example.test');
    const me = () => t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: who.cookie } });
    expect((await me()).statusCode).toBe(200);
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: asUser(who) });
    expect(out.statusCode).toBe(204);
    expect((await me()).statusCode).toBe(401);

    const idle = await signIn(t, 'session@example.test');
    t.clock.advance(SESSION_IDLE_MS + 1000);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: idle.cookie } })).statusCode,
    ).toBe(401);
  });

  it('keeps at least one owner and stops a role granting above itself', async () => {
    const owner = await signIn(t, 'boss@example.test');
    const org = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/orgs',
        headers: asUser(owner),
        payload: { name: 'Roles' },
      })
    ).json() as { id: string };
    const added = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${org.id}/members`,
      headers: asUser(owner),
      payload: { email: 'newadmin@example.test', role: 'admin' },
    });
    expect(added.statusCode).toBe(201);
    expect(added.json().temporaryPassword).toEqual(expect.any(String));
    const admin = await signIn(t, 'newadmin@example.test', added.json().temporaryPassword);
    const members = (
      await t.app.inject({ method: 'GET', url: `/api/v1/orgs/${org.id}/members`, headers: asUser(owner) })
    ).json() as { items: { id: string; role: string }[] };
    const ownerMember = members.items.find((m) => m.role === 'owner');
    const demote = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/orgs/${org.id}/members/${ownerMember?.id}`,
      headers: asUser(owner),
      payload: { role: 'viewer' },
    });
    expect(demote.statusCode).toBe(409);
    const escalate = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orgs/${org.id}/members`,
      headers: asUser(admin),
      payload: { email: 'another@example.test', role: 'owner' },
    });
    expect(escalate.statusCode).toBe(403);
    const adminRemovesOwner = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/orgs/${org.id}/members/${ownerMember?.id}`,
      headers: asUser(admin),
    });
    expect(adminRemovesOwner.statusCode).toBe(403);
  });

  it('records logins and failed logins in the audit log without raw IPs', async () => {
    const owner = await signIn(t, 'auditor@example.test');
    const org = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/orgs',
        headers: asUser(owner),
        payload: { name: 'Audited' },
      })
    ).json() as { id: string };
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '203.0.113.77',
      payload: { email: 'auditor@example.test', password: 'wrong password!' },
    });
    await signIn(t, 'auditor@example.test');
    const log = await t.app.inject({
      method: 'GET',
      url: `/api/v1/orgs/${org.id}/audit`,
      headers: asUser(owner),
    });
    expect(log.statusCode).toBe(200);
    const actions = (log.json().items as { action: string; ip: string | null }[]).map((i) => i.action);
    expect(actions).toEqual(
      expect.arrayContaining(['auth.login', 'auth.login_failed', 'org.created', 'member.added']),
    );
    expect(log.body).not.toContain('203.0.113.77');
    expect(log.body).toContain('203.0.113.0');
  });

  it('lets an owner or admin rename the organization, audited; analysts and viewers get 403, others 404', async () => {
    const home = await createTenant(t, 'renamed');
    const neighbour = await createTenant(t, 'neighbour');
    const rename = (orgId: string, who: Parameters<typeof asUser>[0], name: string) =>
      t.app.inject({
        method: 'PATCH',
        url: `/api/v1/orgs/${orgId}`,
        headers: asUser(who),
        payload: { name },
      });

    const byAdmin = await rename(home.orgId, home.members.admin, '  Acme Outdoor GmbH ');
    expect(byAdmin.statusCode).toBe(200);
    expect(byAdmin.json()).toEqual({ id: home.orgId, name: 'Acme Outdoor GmbH', role: 'admin' });
    const byOwner = await rename(home.orgId, home.owner, 'Acme Outdoor AG');
    expect(byOwner.statusCode).toBe(200);
    for (const role of ['analyst', 'viewer'] as const) {
      const refused = await rename(home.orgId, home.members[role], 'Taken over');
      expect(refused.statusCode, role).toBe(403);
    }
    // A neighbour's owner learns nothing, not even that the organization exists.
    expect((await rename(home.orgId, neighbour.owner, 'Taken over')).statusCode).toBe(404);
    expect((await rename(home.orgId, home.owner, '')).statusCode).toBe(400);

    // Every member sees the new name where they pick the organization.
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: asUser(home.members.viewer) });
    expect(me.json().organizations).toEqual([
      expect.objectContaining({ id: home.orgId, name: 'Acme Outdoor AG' }),
    ]);
    const log = await t.app.inject({
      method: 'GET',
      url: `/api/v1/orgs/${home.orgId}/audit?action=org.updated`,
      headers: asUser(home.owner),
    });
    const entries = log.json().items as { action: string; details: { name: string } }[];
    expect(entries.map((e) => e.details.name).sort()).toEqual(['Acme Outdoor AG', 'Acme Outdoor GmbH']);
    const neighbourMe = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: asUser(neighbour.owner),
    });
    expect(neighbourMe.json().organizations).toEqual([expect.objectContaining({ name: 'neighbour org' })]);
  });
});
