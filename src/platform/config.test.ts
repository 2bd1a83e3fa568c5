import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('configuration', () => {
  it('defaults to SQLite in ./data, port 3000, no Redis', () => {
    const config = loadConfig({});
    expect(config.database).toEqual({ kind: 'sqlite', path: expect.stringMatching(/data\/footfall\.db$/) });
    expect(config.port).toBe(3000);
    expect(config.redisUrl).toBeNull();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('refuses the worker crash hook outside NODE_ENV=test, and takes only its two points', () => {
    expect(loadConfig({}).testCrashPoint).toBeNull();
    for (const env of [{}, { NODE_ENV: 'production' }, { NODE_ENV: 'development' }]) {
      expect(() => loadConfig({ ...env, FOOTFALL_TEST_CRASH_POINT: 'after-commit' })).toThrow(ConfigError);
    }
    expect(() => loadConfig({ NODE_ENV: 'test', FOOTFALL_TEST_CRASH_POINT: 'anywhere' })).toThrow(
      ConfigError,
    );
    expect(loadConfig({ NODE_ENV: 'test', FOOTFALL_TEST_CRASH_POINT: 'before-commit' }).testCrashPoint).toBe(
      'before-commit',
    );
  });

  it('takes MySQL and SQLite URLs', () => {
    expect(loadConfig({ DATABASE_URL: 'mysql://u:p@db:3306/footfall' }).database.kind).toBe('mysql');
    expect(loadConfig({ DATABASE_URL: 'sqlite:/tmp/x.db' }).database).toEqual({
      kind: 'sqlite',
      path: '/tmp/x.db',
    });
  });

  it.each([
    [{ DATABASE_URL: 'postgres://x/y' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'mysql://host' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'sqlite:' }, 'DATABASE_URL'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ FOOTFALL_SECRET: 'short' }, 'FOOTFALL_SECRET'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ TRUST_PROXY: 'everyone' }, 'TRUST_PROXY'],
  ])('names the bad variable: %j', (env, variable) => {
    try {
      loadConfig(env);
      expect.unreachable('config should have been refused');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe(variable);
      expect((error as Error).message).toContain(variable);
    }
  });
});
