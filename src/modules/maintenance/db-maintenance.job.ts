import type { JobDefinition } from '../cron/index.js';
import { createMaintenanceRepository, type TableStats } from './maintenance.repository.js';
import type { MaintenanceDeps } from './maintenance.types.js';

export interface DbMaintenanceResult {
  dialect: 'sqlite' | 'mysql';
  /** MySQL/MariaDB: tables whose statistics were refreshed (none in a dry run). */
  analyzed: string[];
  /** SQLite: PRAGMA optimize ran; pages returned to the file system by incremental vacuum. */
  sqlite: { optimized: boolean; autoVacuum: string; freedPages: number } | null;
  rowsAreEstimates: boolean;
  /** Largest on disk first. */
  tables: TableStats[];
}

/**
 * `db-maintenance`: keeps the query planner's statistics fresh after retention deleted many rows (ANALYZE
 * TABLE on MySQL/MariaDB, PRAGMA optimize and incremental vacuum on SQLite), and reports every table's size
 * and row count in the run result. Writes no rows, so there is nothing to fence; a dry run only reports.
 */
export function createDbMaintenanceJob(deps: MaintenanceDeps): JobDefinition<DbMaintenanceResult> {
  const repo = createMaintenanceRepository(deps.database);
  return {
    name: 'db-maintenance',
    schedule: deps.options?.schedules?.['db-maintenance'] ?? '0 5 * * 0',
    description:
      'ANALYZE TABLE (MySQL/MariaDB) or PRAGMA optimize and incremental vacuum (SQLite); reports table sizes',
    // ANALYZE of a big table can take minutes; the lease is renewed meanwhile, this only bounds a dead run.
    leaseMs: 15 * 60_000,
    async handler(ctx) {
      const dialect = deps.database.dialect;
      const analyzed: string[] = [];
      let sqlite: DbMaintenanceResult['sqlite'] = null;
      if (dialect === 'mysql') {
        if (!ctx.dryRun) {
          for (const table of await repo.listTables()) {
            ctx.signal.throwIfAborted();
            await repo.analyzeTable(table);
            analyzed.push(table);
          }
        }
      } else if (ctx.dryRun) {
        sqlite = { optimized: false, autoVacuum: 'unknown', freedPages: 0 };
      } else {
        const optimized = await repo.optimizeSqlite();
        sqlite = { optimized: true, ...optimized };
      }
      const size = (t: TableStats) => t.diskBytes ?? (t.dataBytes ?? 0) + (t.indexBytes ?? 0);
      const tables = (await repo.tableStats()).sort((a, b) => size(b) - size(a) || b.rows - a.rows);
      return { dialect, analyzed, sqlite, rowsAreEstimates: dialect === 'mysql', tables };
    },
  };
}
