import type { Clock } from '../../platform/clock.js';
import type { Database, TransactionHandle } from '../../platform/db/database.js';
import type { JobDefinition } from '../cron/index.js';
import { createReportsRepository } from './reports.repository.js';
import { createReportsService } from './reports.service.js';
import { createRollupBulkLoader } from './rollup-bulk.service.js';
import { createRollupRebuilder, createRollupsCleaner } from './rollup-rebuild.service.js';
import { createRollupWriter, type StoreSettingsLookup } from './rollup-writer.service.js';
import { createRollupsJob, type RollupsJobResult } from './rollups.job.js';
import { createRollupsRepository } from './rollups.repository.js';
import { createRollupsCleanupRepository } from './rollups-cleanup.repository.js';

/** What reports need from the stores module. */
export interface StoresLookup {
  getCached(id: number): Promise<{ timeZone: string; currency: string } | null>;
  listAll(): Promise<readonly { id: number; timeZone: string }[]>;
}

export interface ReportsModuleDeps {
  database: Database;
  clock: Clock;
  stores: StoresLookup;
  /** Store settings inside a transaction; default: read from the stores table in that transaction. */
  storeSettingsInTransaction?: (
    storeId: number,
    tx: TransactionHandle,
  ) => Promise<{ timeZone: string; currency: string } | null>;
}

export type ReportsModule = ReturnType<typeof createReportsModule>;

/** The reports module for one process: the worker's batch hook, the report service, rebuilds and the job. */
export function createReportsModule(deps: ReportsModuleDeps) {
  const rollups = createRollupsRepository(deps.database);
  const inTransaction = deps.storeSettingsInTransaction ?? rollups.storeSettings;
  const storeSettings: StoreSettingsLookup = async (storeId, tx) => {
    if (tx !== undefined) return inTransaction(storeId, tx);
    const store = await deps.stores.getCached(storeId);
    return store ? { timeZone: store.timeZone, currency: store.currency } : null;
  };
  const writer = createRollupWriter({ repository: rollups, clock: deps.clock, storeSettings });
  const rebuilder = createRollupRebuilder({
    database: deps.database,
    repository: rollups,
    clock: deps.clock,
    storeSettings,
  });
  const service = createReportsService({
    reports: createReportsRepository(deps.database),
    rollups,
    storeSettings,
    clock: deps.clock,
  });
  return {
    /** `pipeline.worker.addBatchHook(reports.onBatch)`: rollups in every batch transaction. */
    onBatch: writer.onBatch,
    service,
    rebuilder,
    /** `privacy.addDerivedDataCleaner(…)`: retention, erasure and store purge take the rollups along. */
    derivedDataCleaner: createRollupsCleaner({
      rebuilder,
      repository: createRollupsCleanupRepository(deps.database),
    }),
    /** `cron.register(reports.rollupsJob())`. */
    rollupsJob: (options: { recentDays?: number } = {}): JobDefinition<RollupsJobResult> =>
      createRollupsJob({
        rebuilder,
        repository: rollups,
        clock: deps.clock,
        listStores: () => deps.stores.listAll(),
        ...options,
      }),
    /** Rollups for a bulk load of new traffic (the seed), computed in the same pass. */
    bulkLoader: (options: { storeId: number; zone: string; currency: string }) =>
      rollups
        .listRates(options.storeId)
        .then((rates) => createRollupBulkLoader({ repository: rollups, ...options, rates })),
    /** The zone a store's rollups are kept in, creating the state with `zone` if there is none yet. */
    async ensureState(storeId: number, zone: string): Promise<string> {
      return deps.database.transaction((tx) => rollups.lockState(storeId, zone, deps.clock.nowMs(), tx));
    },
    putRates: (storeId: number, rates: { currency: string; validFromMs: number; rate: number }[]) =>
      rollups.putRates(storeId, rates, deps.clock.nowMs()),
    listRates: (storeId: number) => rollups.listRates(storeId),
  };
}
