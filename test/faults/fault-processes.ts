import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { createPool } from 'mysql2/promise';
import { allMigrations, createServices, type Services } from '../../src/main/modules.js';
import { systemClock } from '../../src/platform/clock.js';
import { loadConfig } from '../../src/platform/config.js';
import { createDatabase } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrator.js';
import { createLogger } from '../../src/platform/log.js';
import { createRedis, type Redis, waitForRedis } from '../../src/platform/redis.js';
import { createTestDatabase, type TestDatabase } from '../harness/databases.js';

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
  env: { DATABASE_URL: string; REDIS_URL?: string } & Record<string, string>,
  args: string[] = [],
): Promise<FootfallProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/main/cli.ts',
      'serve',
      '--role',
      role,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      ...args,
    ],
    {
      cwd: REPO,
      env: { ...process.env, FOOTFALL_SECRET: SECRET, LOG_LEVEL: 'warn', NODE_ENV: 'test', ...env },
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

/**
 * Production mode for one suite: a fresh MariaDB database with services on it, a private redis-server and a
 * client of it, and the Footfall processes the suite starts with `start`; `close` kills and drops them all.
 */
export interface ProductionSetup {
  db: TestDatabase;
  services: Services;
  redisServer: RedisProcess;
  redis: Redis;
  /** DATABASE_URL and REDIS_URL of this setup. */
  env: { DATABASE_URL: string; REDIS_URL: string };
  start(
    role: 'all' | 'ingest' | 'worker',
    env?: Record<string, string>,
    args?: string[],
  ): Promise<FootfallProcess>;
  close(): Promise<void>;
}

export async function startProductionSetup(): Promise<ProductionSetup> {
  const db = await createTestDatabase('mysql');
  const services = await servicesFor(db);
  const redisServer = await startRedis();
  const redis = createRedis(redisServer.url);
  await waitForRedis(redis);
  const env = { DATABASE_URL: db.url, REDIS_URL: redisServer.url };
  const processes: FootfallProcess[] = [];
  return {
    db,
    services,
    redisServer,
    redis,
    env,
    async start(role, extra = {}, args = []) {
      const started = await startFootfall(role, { ...env, ...extra }, args);
      processes.push(started);
      return started;
    },
    async close() {
      for (const p of processes) await p.stop('SIGKILL');
      redis.disconnect();
      await redisServer.kill();
      await db.drop();
    },
  };
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

export interface MariaDbProcess {
  port: number;
  /** The migrated test database on this server, as a child process reaches it. */
  url: string;
  /** Stops the server: SIGKILL (a crash; InnoDB recovers committed work on restart) or SIGSTOP (a hang). */
  stop(signal?: 'SIGKILL' | 'SIGSTOP'): Promise<void>;
  /** SIGCONT after a SIGSTOP, or a new server on the same data directory and port after a SIGKILL. */
  restart(): Promise<void>;
  /** Kills the server and removes its data directory. */
  destroy(): Promise<void>;
}

/**
 * A private mariadbd on its own port, socket and temporary data directory, which a test may crash, hang and
 * start again. The shared MariaDB on 3306 is never touched: every other suite depends on it.
 */
export async function startMariaDb(): Promise<MariaDbProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ff-mariadb-'));
  const datadir = join(dir, 'data');
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  await new Promise<void>((done, reject) => {
    const install = spawn(
      'mariadb-install-db',
      [
        '--no-defaults',
        `--datadir=${datadir}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        '--user=root',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    install.stdout?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    install.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    install.once('exit', (code) =>
      code === 0 ? done() : reject(new Error(`mariadb-install-db exited with ${code}:\n${log}`)),
    );
  });
  let child: ChildProcess | null = null;
  const start = async () => {
    const started = spawn(
      '/usr/sbin/mariadbd',
      [
        '--no-defaults',
        `--datadir=${datadir}`,
        `--socket=${join(dir, 'mariadb.sock')}`,
        `--pid-file=${join(dir, 'mariadb.pid')}`,
        `--port=${port}`,
        // Its own temporary directory: at start MariaDB deletes every `#sql*` file in its tmpdir, and in the
        // shared /tmp those are the internal temporary tables of the shared server's queries in flight.
        `--tmpdir=${tmp}`,
        '--bind-address=127.0.0.1',
        '--user=root',
        '--innodb-buffer-pool-size=64M',
        '--innodb-log-file-size=48M',
        '--max-connections=200',
        '--skip-log-bin',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = started;
    killOnExit(started);
    await new Promise<void>((ready, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`mariadbd did not start:\n${log}`)), 60_000);
      started.stderr?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (/ready for connections/.test(log)) {
          clearTimeout(timer);
          ready();
        }
      });
      started.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`mariadbd exited with ${code}:\n${log}`));
      });
    });
  };
  await start();
  const admin = createPool({ uri: `mysql://root@127.0.0.1:${port}/mysql`, connectionLimit: 1 });
  await admin.query('CREATE DATABASE footfall CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
  await admin.end();
  let stopped: 'SIGKILL' | 'SIGSTOP' | null = null;
  const kill = async () => {
    const current = child as ChildProcess | null;
    if (!current) return;
    if (stopped === 'SIGSTOP') current.kill('SIGCONT');
    current.kill('SIGKILL');
    await exited(current);
  };
  return {
    port,
    url: `mysql://root@127.0.0.1:${port}/footfall`,
    async stop(signal = 'SIGKILL') {
      stopped = signal;
      if (signal === 'SIGKILL') await kill();
      else (child as ChildProcess | null)?.kill('SIGSTOP');
    },
    async restart() {
      if (stopped === 'SIGSTOP') (child as ChildProcess | null)?.kill('SIGCONT');
      else await start();
      stopped = null;
    },
    async destroy() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A migrated Footfall database on a private server, shaped like the harness's test databases. */
export async function privateTestDatabase(server: MariaDbProcess): Promise<TestDatabase> {
  const database = createDatabase({ kind: 'mysql', url: server.url }, { poolSize: 3 });
  await migrateToLatest(database, allMigrations);
  return { database, url: server.url, drop: () => database.close() };
}
