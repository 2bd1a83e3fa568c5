import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, MysqlDialect, SqliteDialect, sql } from 'kysely';
import { createPool, format } from 'mysql2';
import type { DatabaseConfig } from '../config.js';

export type Dialect = 'sqlite' | 'mysql';

/** The time zone mysql2 formats and escapes values in (UTC; Footfall stores epoch milliseconds anyway). */
export const MYSQL_TIME_ZONE = 'Z';

/**
 * One connection pool per process. Modules never see this object's untyped Kysely: each repository asks
 * for `typed<ItsTables>()`, so a module can only name the tables it declares.
 */
/**
 * An open transaction, opaque to modules: a service that must commit with another module passes it along,
 * and each repository opens it as its own typed view with `database.typed<Tables>(tx)`.
 */
export type TransactionHandle = { readonly __transaction: true };

export interface Database {
  readonly dialect: Dialect;
  /** The connection (or, given `tx`, that transaction) typed with the caller's own tables. */
  typed<Tables>(tx?: TransactionHandle): Kysely<Tables>;
  transaction<R>(work: (tx: TransactionHandle) => Promise<R>): Promise<R>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

// Kysely<any> is the untyped root that `typed<T>()` narrows; no module code sees it.
// biome-ignore lint/suspicious/noExplicitAny: the one place tables are unknown
type Untyped = Kysely<any>;

export function createDatabase(config: DatabaseConfig, options: { poolSize?: number } = {}): Database {
  let kysely: Untyped;
  if (config.kind === 'sqlite') {
    if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true });
    const native = new SQLite(config.path);
    // WAL lets readers (reports) run while the worker writes; NORMAL sync is durable across process crashes.
    native.pragma('journal_mode = WAL');
    native.pragma('synchronous = NORMAL');
    native.pragma('busy_timeout = 5000');
    native.pragma('foreign_keys = OFF');
    kysely = new Kysely({ dialect: new SqliteDialect({ database: native }) });
  } else {
    const pool = createPool({
      uri: config.url,
      connectionLimit: options.poolSize ?? 10,
      charset: 'utf8mb4',
      timezone: MYSQL_TIME_ZONE,
      supportBigNumbers: true,
      bigNumberStrings: false,
      decimalNumbers: true,
      dateStrings: true,
      enableKeepAlive: true,
      connectTimeout: 5000,
      // mysql2 formats every query client-side, scanning the text for `?` even with no values to put in. The
      // bulk statements (bulk-insert.ts) come with their values already escaped into a megabyte of text: those
      // go out as they are. Anything with values is formatted as mysql2 would (same time zone, no objects).
      queryFormat: (sql: string, values: unknown) =>
        Array.isArray(values) && values.length === 0
          ? sql
          : format(sql, values as never, false, MYSQL_TIME_ZONE),
    });
    kysely = new Kysely({ dialect: new MysqlDialect({ pool }) });
  }
  return {
    dialect: config.kind,
    typed: <Tables>(tx?: TransactionHandle) => (tx ?? kysely) as unknown as Kysely<Tables>,
    transaction: (work) => kysely.transaction().execute((trx) => work(trx as unknown as TransactionHandle)),
    ping: async () => {
      await sql`select 1`.execute(kysely);
    },
    close: () => kysely.destroy(),
  };
}

/** Duplicate-key failure on either dialect: the signal that another writer got there first. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return (
    code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/** Kysely reports insertId as bigint; our ids stay below 2^53. */
export function insertedId(result: { insertId?: bigint | undefined }): number {
  if (result.insertId === undefined) throw new Error('insert returned no id');
  return Number(result.insertId);
}
