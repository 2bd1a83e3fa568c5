import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { asKey, createTenant, createTestApp, PASSWORD } from '../harness/app.js';

interface Started {
  child: ChildProcess;
  url: string;
  stdout: () => string;
}

/** Starts `footfall serve` as a real process on a free port and waits for its banner. */
async function start(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/cli.ts', 'serve', '--port', '0'], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk) => {
    out += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    err += String(chunk);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner after 30 s: ${out} ${err}`)), 30_000);
    const poll = setInterval(() => {
      const match = /running at (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(match[1]);
      }
    }, 50);
    child.once('exit', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`exited ${code}: ${err}`));
    });
  });
  return { child, url, stdout: () => out };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

describe('footfall serve (embedded SQLite)', () => {
  const file = `/tmp/footfall-serve-${randomBytes(4).toString('hex')}.db`;
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all([file, `${file}-wal`, `${file}-shm`].map((f) => rm(f, { force: true })));
  });

  it('prints the demo login, store and keys on first start, serves health, and exits 0 on SIGTERM', async () => {
    const server = await start({ DATABASE_URL: `sqlite:${file}` });
    children.push(server.child);
    expect(server.stdout()).toMatch(/Sign in as: +owner@footfall\.local/);
    expect(server.stdout()).toMatch(/Password: +\S+/);
    expect(server.stdout()).toMatch(/Write key: +ff_pub_/);
    expect(server.stdout()).toMatch(/Secret key: +ff_sk_/);
    expect(server.stdout()).toMatch(
      /<script defer src="http:\/\/127\.0\.0\.1:\d+\/footfall\.js\?v=\w{8}" data-write-key="ff_pub_\w+" integrity="sha384-/,
    );
    expect(await (await fetch(`${server.url}/healthz`)).json()).toMatchObject({ status: 'ok' });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await exited(server.child)).toBe(0);

    const again = await start({ DATABASE_URL: `sqlite:${file}` });
    children.push(again.child);
    expect(again.stdout()).not.toMatch(/Password:/);
    again.child.kill('SIGINT');
    expect(await exited(again.child)).toBe(0);
  }, 90_000);

  it('answers 503 on /readyz while Redis is unreachable', async () => {
    const server = await start({ DATABASE_URL: `sqlite:${file}`, REDIS_URL: 'redis://127.0.0.1:1' });
    children.push(server.child);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { database: 'ok', redis: 'unreachable' } });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await exited(server.child)).toBe(0);
  }, 90_000);
});

describe('logs', () => {
  it('never contain passwords, keys, cookies or raw client IPs', async () => {
    const t = await createTestApp('sqlite');
    try {
      const tenant = await createTenant(t, 'logs');
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: '203.0.113.77',
        payload: { email: 'owner@logs.test', password: PASSWORD },
      });
      await t.app.inject({
        method: 'GET',
        url: `/api/v1/stores/${tenant.storeId}`,
        remoteAddress: '203.0.113.77',
        headers: { ...asKey(tenant.secretKey), cookie: tenant.owner.cookie, 'x-forwarded-for': '192.0.2.1' },
      });
      const all = t.logs.join('\n');
      expect(all.length).toBeGreaterThan(0);
      expect(all).toContain('"reqId"');
      for (const secret of [
        PASSWORD,
        tenant.secretKey,
        tenant.owner.cookie.split('=')[1] ?? 'x',
        '203.0.113.77',
        '192.0.2.1',
      ]) {
        expect(all).not.toContain(secret);
      }
    } finally {
      await t.close();
    }
  });
});

describe('management API', () => {
  it('sends security headers and no CORS headers', async () => {
    const t = await createTestApp('sqlite');
    try {
      const response = await t.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/me',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
      });
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
      const me = await t.app.inject({
        method: 'GET',
        url: '/api/v1/me',
        headers: { origin: 'https://evil.example' },
      });
      expect(me.headers['access-control-allow-origin']).toBeUndefined();
      expect(me.headers['x-content-type-options']).toBe('nosniff');
      expect(me.headers['content-security-policy']).toContain("default-src 'self'");
      expect(me.headers['x-request-id']).toEqual(expect.any(String));
    } finally {
      await t.close();
    }
  });
});
