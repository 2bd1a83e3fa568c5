import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { createServices, type Services } from '../../src/main/modules.js';
import { systemClock } from '../../src/platform/clock.js';
import { loadConfig } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/log.js';
import type { TestDatabase } from '../harness/databases.js';

// Real processes for the fault suites: Footfall roles started with the CLI (as an operator would), and a
// private redis-server that a test may kill and restart without touching the shared one.

const REPO = resolve(import.meta.dirname, '../..');
export const SECRET = 'fault-test-secret-that-is-long-enough-0123';

export interface FootfallProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** SIGTERM (clean shutdown) or SIGKILL (a crash); resolves when the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** A test runner that dies (timeout, interrupted) must not leave Footfall or Redis processes behind. */
function killOnExit(child: ChildProcess): void {
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  child.once('exit', () => process.off('exit', kill));
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once('exit', () => done()));
}

/** `footfall serve --role <role>` on a free port, with the given database and Redis. */
export async function startFootfall(
  role: 'all' | 'ingest' | 'worker',
  env: { DATABASE_URL: string; REDIS_URL?: string },
): Promise<FootfallProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/main/cli.ts', 'serve', '--role', role, '--port', '0', '--host', '127.0.0.1'],
    {
      cwd: REPO,
      env: { ...process.env, ...env, FOOTFALL_SECRET: SECRET, LOG_LEVEL: 'warn', NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  killOnExit(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`footfall ${role} did not start:\n${output}`)), 30_000);
    const check = () => {
      const match = /Footfall is running at (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1] as string);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`footfall ${role} exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited(child);
    },
  };
}

export interface RedisProcess {
  port: number;
  url: string;
  /** Kills the server (SIGKILL: no chance to save anything beyond its append-only file). */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory: acknowledged writes come back from the AOF. */
  restart(): Promise<void>;
}

/** A private redis-server with AOF fsync on every write, like a production buffer should run. */
export async function startRedis(): Promise<RedisProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ff-redis-'));
  let child: ChildProcess | null = null;
  const start = async () => {
    const started = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--dir',
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = started;
    killOnExit(started);
    await new Promise<void>((ready, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${log}`)), 10_000);
      started.stdout?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (/Ready to accept connections/.test(log)) {
          clearTimeout(timer);
          ready();
        }
      });
      started.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${log}`));
      });
    });
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      if (child) {
        child.kill('SIGKILL');
        await exited(child);
      }
    },
    restart: start,
  };
}

/** Services on the test database in this process, for setup (stores, keys) and for reading results. */
export async function servicesFor(db: TestDatabase): Promise<Services> {
  const config = loadConfig({ DATABASE_URL: db.url, FOOTFALL_SECRET: SECRET });
  const logger = createLogger({
    level: 'silent',
    destination: new Writable({ write: (_c, _e, done) => done() }),
  });
  return createServices({ config, logger, database: db.database, redis: null, clock: systemClock });
}

/** A store with a publishable and a secret key. */
export async function createStore(services: Services, name: string) {
  const system = { type: 'system' as const, id: null, label: 'fault test' };
  const organization = await services.accounts.createOrganization(`${name} org`, system);
  const store = await services.stores.create(organization.id, { name }, system);
  const writeKey = await services.keys.create(store, { type: 'publishable' }, system);
  const secretKey = await services.keys.create(store, { type: 'secret', scopes: ['events:write'] }, system);
  return { store, writeKey: writeKey.secret, secretKey: secretKey.secret };
}
