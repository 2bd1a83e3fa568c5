import { randomBytes } from 'node:crypto';
import { createPool } from 'mysql2/promise';
import { allMigrations } from '../../src/main/modules.js';
import { createDatabase, type Database, type Dialect } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrator.js';

/** Every repository and service suite runs once per dialect: `describe.each(DIALECTS)`. */
export const DIALECTS: readonly Dialect[] = ['sqlite', 'mysql'];

/** The MariaDB/MySQL server the MySQL suites use; they fail (never skip) when it cannot be reached. */
export const TEST_MYSQL_URL = process.env.FOOTFALL_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
export const TEST_REDIS_URL = process.env.FOOTFALL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestDatabase {
  database: Database;
  /** URL a child process can use to reach the same database. */
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database: a temporary SQLite file's in-memory twin, or a new MariaDB schema. */
export async function createTestDatabase(
  dialect: Dialect,
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  let database: Database;
  let url: string;
  let drop: () => Promise<void>;
  if (dialect === 'sqlite') {
    const file = `/tmp/footfall-test-${randomBytes(6).toString('hex')}.db`;
    url = `sqlite:${file}`;
    database = createDatabase({ kind: 'sqlite', path: file });
    drop = async () => {
      await database.close();
      const { rm } = await import('node:fs/promises');
      await Promise.all([file, `${file}-wal`, `${file}-shm`].map((f) => rm(f, { force: true })));
    };
  } else {
    const name = `ff_t_${randomBytes(6).toString('hex')}`;
    const admin = createPool({ uri: TEST_MYSQL_URL, connectionLimit: 1 });
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.end();
    const base = new URL(TEST_MYSQL_URL);
    base.pathname = `/${name}`;
    url = base.toString();
    database = createDatabase({ kind: 'mysql', url }, { poolSize: 5 });
    drop = async () => {
      await database.close();
      const cleanup = createPool({ uri: TEST_MYSQL_URL, connectionLimit: 1 });
      await cleanup.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await cleanup.end();
    };
  }
  if (options.migrate !== false) await migrateToLatest(database, allMigrations);
  return { database, url, drop };
}
