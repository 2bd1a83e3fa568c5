import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../harness/databases.js';

const run = promisify(execFile);

/** Runs the real CLI in a child process, as an operator would. */
async function footfall(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/main/cli.ts', ...args], {
      env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe.each(DIALECTS)('footfall CLI on %s', (dialect) => {
  let db: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    db = await createTestDatabase(dialect, { migrate: false });
    env = { DATABASE_URL: db.url };
    const migrated = await footfall(['migrate', '--json'], env);
    expect(migrated.code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('setup --json creates what is missing and prints only JSON; the password only the first time', async () => {
    const first = await footfall(['setup', '--json'], env);
    expect(first.code).toBe(0);
    const out = JSON.parse(first.stdout);
    expect(out.store.id).toMatch(/^str_/);
    expect(out.writeKey).toMatch(/^ff_pub_/);
    expect(out.secretKey).toMatch(/^ff_sk_/);
    expect(out.owner.email).toEqual(expect.any(String));
    expect(out.owner.password).toEqual(expect.any(String));

    const second = JSON.parse((await footfall(['setup', '--json'], env)).stdout);
    expect(second.store.id).toBe(out.store.id);
    expect(second.owner.password).toBeUndefined();
  }, 120_000);

  it('stores create and keys create/rotate/revoke print their JSON', async () => {
    const store = JSON.parse(
      (await footfall(['stores', 'create', '--name', 'CLI Shop', '--json'], env)).stdout,
    );
    expect(store).toEqual({ id: expect.stringMatching(/^str_/), name: 'CLI Shop' });

    const created = await footfall(
      [
        'keys',
        'create',
        '--store',
        store.id,
        '--type',
        'secret',
        '--scopes',
        'reports:read,events:read',
        '--expires-in',
        '30d',
        '--json',
      ],
      env,
    );
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout);
    expect(key).toMatchObject({ type: 'secret', scopes: ['events:read', 'reports:read'] });
    expect(key.id).toMatch(/^key_/);
    expect(key.key).toMatch(/^ff_sk_/);
    expect(Date.parse(key.expiresAt)).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    const rotated = JSON.parse(
      (await footfall(['keys', 'rotate', key.id, '--grace', '1h', '--json'], env)).stdout,
    );
    expect(rotated.key).toMatch(/^ff_sk_/);
    expect(rotated.previous).toMatchObject({ id: key.id, status: 'rotating' });

    const revoked = JSON.parse((await footfall(['keys', 'revoke', rotated.id, '--json'], env)).stdout);
    expect(revoked.revoked.status).toBe('revoked');
  }, 120_000);

  it('exits non-zero with a clear message, and nothing on stdout, when a command fails', async () => {
    const bad = await footfall(['keys', 'create', '--store', 'str_nope', '--type', 'secret', '--json'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/no store str_nope/);
    const badType = await footfall(['keys', 'create', '--store', 'x', '--type', 'root', '--json'], env);
    expect(badType.code).not.toBe(0);
    expect(badType.stderr).toMatch(/--type publishable or --type secret/);
  }, 120_000);
});

describe('footfall CLI configuration errors', () => {
  it('names the bad variable and exits 1', async () => {
    const result = await footfall(['migrate'], { DATABASE_URL: 'postgres://nope' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/DATABASE_URL/);
  }, 60_000);
});
