import { join, resolve } from 'node:path';

/** Where the events and entities live. SQLite is the embedded default; MySQL covers MySQL 8, PlanetScale, MariaDB. */
export type DatabaseConfig = { kind: 'sqlite'; path: string } | { kind: 'mysql'; url: string };

export type Role = 'all' | 'api' | 'ingest' | 'worker';
export const ROLES: readonly Role[] = ['all', 'api', 'ingest', 'worker'];

export interface Config {
  readonly database: DatabaseConfig;
  readonly redisUrl: string | null;
  readonly port: number;
  readonly host: string;
  /**
   * Root secret from FOOTFALL_SECRET, or null: then one is generated on first start and persisted in the
   * database, so every instance sharing the database shares it.
   */
  readonly secret: string | null;
  /**
   * FOOTFALL_SECRET_PREVIOUS while the root secret is being rotated: what was wrapped under it still opens,
   * and the `rotate-secrets` job re-wraps it under `secret`.
   */
  readonly previousSecret: string | null;
  readonly dataDir: string;
  readonly logLevel: string;
  /** Proxies whose X-Forwarded-For we believe: `false`, or a list of addresses/CIDRs. */
  readonly trustProxy: false | string[];
  readonly publicUrl: string | null;
  readonly isProduction: boolean;
  /** Events that may wait in the Redis stream before ingest answers 503 (back-pressure, never a silent drop). */
  readonly streamMaxLength: number;
  /**
   * Fault tests only (FOOTFALL_TEST_CRASH_POINT, refused unless NODE_ENV=test): the Redis worker SIGKILLs itself
   * at this point of its first batch, so a test can hit the windows around the commit exactly.
   */
  readonly testCrashPoint: WorkerCrashPoint | null;
}

export type WorkerCrashPoint = 'before-commit' | 'after-commit';

function parseTestCrashPoint(env: NodeJS.ProcessEnv): WorkerCrashPoint | null {
  const raw = env.FOOTFALL_TEST_CRASH_POINT;
  if (raw === undefined || raw === '') return null;
  if (env.NODE_ENV !== 'test') {
    throw new ConfigError(
      'FOOTFALL_TEST_CRASH_POINT',
      'is a fault-test hook; it is refused unless NODE_ENV=test',
    );
  }
  if (raw !== 'before-commit' && raw !== 'after-commit') {
    throw new ConfigError('FOOTFALL_TEST_CRASH_POINT', 'must be before-commit or after-commit');
  }
  return raw;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

function parseInteger(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function parseDatabaseUrl(raw: string | undefined, dataDir: string): DatabaseConfig {
  if (raw === undefined || raw === '') return { kind: 'sqlite', path: join(dataDir, 'footfall.db') };
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length).replace(/^\/\//, '');
    if (path === '')
      throw new ConfigError('DATABASE_URL', 'sqlite: needs a file path, e.g. sqlite:./data/footfall.db');
    return { kind: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
  }
  if (raw.startsWith('mysql://') || raw.startsWith('mariadb://')) {
    try {
      const url = new URL(raw.replace(/^mariadb:/, 'mysql:'));
      if (url.pathname.length <= 1)
        throw new ConfigError('DATABASE_URL', 'the MySQL URL needs a database name');
      return { kind: 'mysql', url: url.toString() };
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError('DATABASE_URL', 'is not a valid URL');
    }
  }
  throw new ConfigError('DATABASE_URL', 'must start with mysql:// or sqlite:');
}

function parseSecret(env: NodeJS.ProcessEnv): string | null {
  const fromEnv = env.FOOTFALL_SECRET;
  if (fromEnv === undefined || fromEnv === '') return null;
  if (fromEnv.length < 32) throw new ConfigError('FOOTFALL_SECRET', 'must be at least 32 characters');
  return fromEnv;
}

function parsePreviousSecret(env: NodeJS.ProcessEnv, secret: string | null): string | null {
  const previous = env.FOOTFALL_SECRET_PREVIOUS;
  if (previous === undefined || previous === '') return null;
  if (secret === null)
    throw new ConfigError('FOOTFALL_SECRET_PREVIOUS', 'needs FOOTFALL_SECRET (the new secret)');
  if (previous.length < 32)
    throw new ConfigError('FOOTFALL_SECRET_PREVIOUS', 'must be at least 32 characters');
  if (previous === secret) throw new ConfigError('FOOTFALL_SECRET_PREVIOUS', 'equals FOOTFALL_SECRET');
  return previous;
}

function parseTrustProxy(raw: string | undefined): false | string[] {
  if (raw === undefined || raw === '' || raw === 'false') return false;
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of list) {
    if (!/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(entry) && entry !== 'loopback' && entry !== 'uniquelocal') {
      throw new ConfigError('TRUST_PROXY', `"${entry}" is not an address, CIDR, loopback or uniquelocal`);
    }
  }
  return list;
}

/** Parses the environment once, into a frozen object. Nothing else in the code base reads process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(env.FOOTFALL_DATA_DIR || './data');
  const database = parseDatabaseUrl(env.DATABASE_URL, dataDir);
  const redisUrl = env.REDIS_URL ? env.REDIS_URL : null;
  if (redisUrl !== null && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError('REDIS_URL', 'must start with redis:// or rediss://');
  }
  const publicUrl = env.PUBLIC_URL ? env.PUBLIC_URL.replace(/\/$/, '') : null;
  if (publicUrl !== null && !/^https?:\/\//.test(publicUrl)) {
    throw new ConfigError('PUBLIC_URL', 'must be an http(s) URL');
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `unknown level "${logLevel}"`);
  }
  const secret = parseSecret(env);
  return Object.freeze({
    database,
    redisUrl,
    port: parseInteger(env, 'PORT', 3000, 0, 65535),
    host: env.HOST || '127.0.0.1',
    secret,
    previousSecret: parsePreviousSecret(env, secret),
    dataDir,
    logLevel,
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    publicUrl,
    isProduction: env.NODE_ENV === 'production',
    streamMaxLength: parseInteger(env, 'STREAM_MAX_LENGTH', 1_000_000, 1000, 100_000_000),
    testCrashPoint: parseTestCrashPoint(env),
  });
}
