import { type CreateTableBuilder, type Kysely, type RawBuilder, sql } from 'kysely';
import type { Dialect } from './database.js';

/** What a migration receives: the untyped connection and which dialect it speaks. */
export interface MigrationContext {
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before any table type exists
  readonly db: Kysely<any>;
  readonly dialect: Dialect;
}

export interface ModuleMigration {
  /** Globally sortable: `YYYYMMDDHHmm_<module>_<what>`. */
  readonly name: string;
  up(ctx: MigrationContext): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: builder over a table that does not exist yet
type Builder = CreateTableBuilder<any, any>;

/** Column type names that mean the same thing on both dialects. */
export function types(dialect: Dialect) {
  const mysql = dialect === 'mysql';
  return {
    id: mysql ? sql`bigint unsigned` : sql`integer`,
    ref: mysql ? sql`bigint unsigned` : sql`integer`,
    uid: mysql ? sql`binary(16)` : sql`blob`,
    bytes32: mysql ? sql`binary(32)` : sql`blob`,
    varbytes: (length: number) => (mysql ? sql.raw(`varbinary(${length})`) : sql`blob`),
    timeMs: sql`bigint`,
    string: (length: number) => sql.raw(`varchar(${length})`),
    text: mysql ? sql`mediumtext` : sql`text`,
    bool: mysql ? sql`tinyint` : sql`integer`,
    int: sql`integer`,
    bigint: sql`bigint`,
    money: mysql ? sql`decimal(18,4)` : sql`real`,
  };
}

/** `CREATE TABLE` with InnoDB/utf8mb4 on MySQL; callers add columns. */
export function createTable(ctx: MigrationContext, name: string): Builder {
  let builder: Builder = ctx.db.schema.createTable(name);
  if (ctx.dialect === 'mysql') {
    builder = builder.modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }
  return builder;
}

/** Private auto-increment id. */
export function withId(ctx: MigrationContext, builder: Builder): Builder {
  const t = types(ctx.dialect);
  return builder.addColumn('id', t.id, (c) => c.primaryKey().autoIncrement().notNull());
}

/**
 * The columns every entity table has: id, uid, created/updated/deleted times, and `alive`, a generated column
 * that is 1 while the row is not deleted and NULL after. Unique indexes include `alive`, and both dialects
 * treat NULLs as distinct, so a soft-deleted name can be reused.
 */
export function entityTable(ctx: MigrationContext, name: string): Builder {
  const t = types(ctx.dialect);
  return withId(ctx, createTable(ctx, name))
    .addColumn('uid', t.uid, (c) => c.notNull().unique())
    .addColumn('created_at', t.timeMs, (c) => c.notNull())
    .addColumn('updated_at', t.timeMs, (c) => c.notNull())
    .addColumn('deleted_at', t.timeMs)
    .addColumn('alive', t.bool, (c) =>
      c.generatedAlwaysAs(sql`case when deleted_at is null then 1 else null end`).stored(),
    );
}

export async function createIndex(
  ctx: MigrationContext,
  table: string,
  name: string,
  columns: string[],
  options: { unique?: boolean } = {},
): Promise<void> {
  let builder = ctx.db.schema.createIndex(name).on(table).columns(columns);
  if (options.unique) builder = builder.unique();
  await builder.execute();
}

/** Row type of the columns `entityTable` creates; entity table interfaces extend it. */
export interface EntityColumns {
  id: import('kysely').Generated<number>;
  uid: Buffer;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
  alive: import('kysely').GeneratedAlways<number | null>;
}

/**
 * Server errors that mean "this table option is not available here": ER_ILLEGAL_HA, ER_UNKNOWN_ERROR (how
 * Vitess-based hosts answer DDL they do not allow), ER_NOT_SUPPORTED_YET, ER_ILLEGAL_HA_CREATE_OPTION.
 */
const REFUSED_OPTION: ReadonlySet<number> = new Set([1031, 1105, 1235, 1478]);

/**
 * Rebuilds a MySQL table with these row-format options; a server that refuses them keeps the table as it is
 * (everything works the same), any other error fails the migration. SQLite: nothing to do.
 */
async function setRowFormat(ctx: MigrationContext, table: string, options: RawBuilder<unknown>) {
  if (ctx.dialect !== 'mysql') return;
  try {
    await sql`alter table ${sql.table(table)} ${options}`.execute(ctx.db);
  } catch (error) {
    if (!REFUSED_OPTION.has(Number((error as { errno?: unknown }).errno))) throw error;
  }
}

/**
 * InnoDB's compressed row format for a table that grows with every event: about half the bytes for rows and
 * secondary indexes, for some database CPU on writes. It rebuilds an existing table once.
 */
export function compressRows(ctx: MigrationContext, table: string): Promise<void> {
  return setRowFormat(ctx, table, sql`row_format=compressed key_block_size=8`);
}

/**
 * Back to InnoDB's default row format, for a table compressRows made smaller by too little for what
 * decompressing costs on reads. Rebuilds the table once.
 */
export function uncompressRows(ctx: MigrationContext, table: string): Promise<void> {
  return setRowFormat(ctx, table, sql`row_format=dynamic key_block_size=0`);
}

/**
 * MariaDB's page compression for a table compressRows made compressed: pages are held uncompressed in memory
 * and compressed (zlib, level 1) only when written to disk, where the file system punches out the unused end
 * of each page. Inserts then cost nearly what they cost on an uncompressed table, and compressing happens once
 * per page write rather than again whenever a compressed page's modification log fills. On 10M events the
 * events table took 276 bytes per event on disk (bench/results/reports.json); with compressed rows InnoDB
 * counted 291. Rebuilds the table once. A table whose rows are not compressed (an operator's choice, or a host
 * that refused compressRows) is left as it is, and so is every table on MySQL, whose page compression
 * (`COMPRESSION='zlib'`) is a different option this project does not test.
 */
export async function compressPages(ctx: MigrationContext, table: string): Promise<void> {
  if (ctx.dialect !== 'mysql') return;
  const { rows } = await sql<{ version: string; rowFormat: string | null }>`
    select version() as version, (
      select row_format from information_schema.tables where table_schema = database() and table_name = ${table}
    ) as rowFormat`.execute(ctx.db);
  const found = rows[0];
  if (!found?.version.includes('MariaDB') || found.rowFormat?.toLowerCase() !== 'compressed') return;
  await setRowFormat(
    ctx,
    table,
    sql`row_format=dynamic key_block_size=0 page_compressed=1 page_compression_level=1`,
  );
}

/**
 * MySQL/MariaDB: the bytes each table of the connection's database takes on disk, its file's allocated blocks:
 * less than InnoDB's page counts when pages are compressed, and without pages still only in memory. MariaDB
 * and MySQL name the view differently; reading it needs the PROCESS privilege (it throws without).
 */
export async function tableDiskBytes(db: Kysely<unknown>): Promise<Map<string, number>> {
  const version = await sql<{ v: string }>`select version() as v`.execute(db);
  const view = version.rows[0]?.v.includes('MariaDB')
    ? sql`information_schema.innodb_sys_tablespaces`
    : sql`information_schema.innodb_tablespaces`;
  // Tablespaces are named `database/table`.
  const result = await sql<{ name: string; bytes: number | string }>`
    select name, allocated_size as bytes from ${view}
    where left(name, char_length(database()) + 1) = concat(database(), '/')`.execute(db);
  const bytes = new Map<string, number>();
  for (const row of result.rows) bytes.set(row.name.slice(row.name.indexOf('/') + 1), Number(row.bytes));
  return bytes;
}
