import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import { tableDiskBytes } from '../../platform/db/schema.js';

export interface TableStats {
  table: string;
  /** Exact on SQLite (COUNT), the engine's estimate on MySQL/MariaDB (InnoDB keeps no exact count). */
  rows: number;
  dataBytes: number | null;
  indexBytes: number | null;
  /**
   * What the table takes on disk. MySQL/MariaDB: its file's allocated blocks, less than data plus indexes when
   * pages are compressed, and not counting pages still only in memory (null where the server does not show
   * them: it needs the PROCESS privilege). SQLite: its pages in the database file.
   */
  diskBytes: number | null;
}

const quoteMysql = (name: string) => `\`${name.replace(/`/g, '``')}\``;
const quoteSqlite = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Engine upkeep for the db-maintenance job. It speaks to the catalog (information_schema, sqlite_master),
 * not to any module's tables, so it lists whatever tables exist.
 */
export function createMaintenanceRepository(database: Database) {
  const db = database.typed<unknown>();

  async function listTables(): Promise<string[]> {
    if (database.dialect === 'mysql') {
      const result = await sql<{ name: string }>`select table_name as name from information_schema.tables
        where table_schema = database() and table_type = 'BASE TABLE' order by table_name`.execute(db);
      return result.rows.map((r) => r.name);
    }
    const result = await sql<{ name: string }>`select name from sqlite_master
      where type = 'table' and name not like 'sqlite_%' order by name`.execute(db);
    return result.rows.map((r) => r.name);
  }

  return {
    listTables,

    /** MySQL/MariaDB: refreshes one table's index statistics (a metadata operation; it does not copy rows). */
    async analyzeTable(table: string): Promise<void> {
      await sql.raw(`analyze table ${quoteMysql(table)}`).execute(db);
    },

    /**
     * SQLite: `PRAGMA optimize` (ANALYZE where the planner would profit) and, when the file was created with
     * auto_vacuum = INCREMENTAL, hands free pages back to the file system. Returns the pages freed.
     */
    async optimizeSqlite(): Promise<{ autoVacuum: 'none' | 'full' | 'incremental'; freedPages: number }> {
      await sql.raw('pragma optimize').execute(db);
      const mode = await sql<{ auto_vacuum: number }>`pragma auto_vacuum`.execute(db);
      const code = Number(mode.rows[0]?.auto_vacuum ?? 0);
      const autoVacuum = code === 2 ? 'incremental' : code === 1 ? 'full' : 'none';
      if (autoVacuum !== 'incremental') return { autoVacuum, freedPages: 0 };
      const before = await sql<{ freelist_count: number }>`pragma freelist_count`.execute(db);
      await sql.raw('pragma incremental_vacuum').execute(db);
      const after = await sql<{ freelist_count: number }>`pragma freelist_count`.execute(db);
      return {
        autoVacuum,
        freedPages: Number(before.rows[0]?.freelist_count ?? 0) - Number(after.rows[0]?.freelist_count ?? 0),
      };
    },

    async tableStats(): Promise<TableStats[]> {
      if (database.dialect === 'mysql') {
        const result = await sql<{
          name: string;
          table_rows: number | string | null;
          data_length: number | string | null;
          index_length: number | string | null;
        }>`select table_name as name, table_rows, data_length, index_length from information_schema.tables
          where table_schema = database() and table_type = 'BASE TABLE'`.execute(db);
        // Without the PROCESS privilege (hosted servers) sizes come from information_schema.tables only.
        const disk = await tableDiskBytes(db).catch(() => new Map<string, number>());
        return result.rows.map((r) => ({
          table: r.name,
          rows: Number(r.table_rows ?? 0),
          dataBytes: r.data_length === null ? null : Number(r.data_length),
          indexBytes: r.index_length === null ? null : Number(r.index_length),
          diskBytes: disk.get(r.name) ?? null,
        }));
      }
      const sizes = new Map<string, number>();
      try {
        // dbstat is compiled into most SQLite builds (better-sqlite3's included); without it sizes are null.
        const result = await sql<{
          name: string;
          bytes: number;
        }>`select name, sum(pgsize) as bytes from dbstat
          group by name`.execute(db);
        for (const row of result.rows) sizes.set(row.name, Number(row.bytes));
      } catch {
        // No dbstat: report rows only.
      }
      const stats: TableStats[] = [];
      for (const table of await listTables()) {
        const count = await sql<{
          n: number;
        }>`select count(*) as n from ${sql.raw(quoteSqlite(table))}`.execute(db);
        stats.push({
          table,
          rows: Number(count.rows[0]?.n ?? 0),
          dataBytes: sizes.get(table) ?? null,
          indexBytes: null,
          diskBytes: sizes.get(table) ?? null,
        });
      }
      return stats;
    },
  };
}
