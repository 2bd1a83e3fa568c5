import { Writable } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '../../../../test/harness/databases.js';
import { allMigrations } from '../../../main/modules.js';
import { createManualClock, type ManualClock } from '../../../platform/clock.js';
import type { Database, Dialect } from '../../../platform/db/database.js';
import { migrateToLatest } from '../../../platform/db/migrator.js';
import type { ModuleMigration } from '../../../platform/db/schema.js';
import { createIds } from '../../../platform/ids.js';
import { createLogger } from '../../../platform/log.js';
import {
  createPipelineModule,
  type PipelineEvent,
  type PipelineModule,
  pipelineMigrations,
} from '../../pipeline/index.js';
import { reportsMigrations } from '../reports.migrations.js';
import { createReportsModule, type ReportsModule } from '../reports.module.js';

export interface TestStore {
  id: number;
  timeZone: string;
  currency: string;
}

/**
 * A database with the pipeline and reports tables, the real pipeline (embedded buffer, batch writer) with the
 * reports batch hook, and stores that exist only as settings (reports need nothing else of them).
 */
export interface ReportsTestEnv {
  db: TestDatabase;
  database: Database;
  clock: ManualClock;
  stores: Map<number, TestStore>;
  reports: ReportsModule;
  pipeline: PipelineModule;
  /** Warnings and errors the pipeline logged (a failing hook shows up here). */
  problems: string[];
  /** Appends events and drains the worker: every event is stored (or refused as a duplicate) on return. */
  ingest(storeId: number, events: readonly PipelineEvent[]): Promise<void>;
  close(): Promise<void>;
}

export async function createReportsTestEnv(
  dialect: Dialect,
  options: { startMs: number; stores: TestStore[]; batchSize?: number },
): Promise<ReportsTestEnv> {
  const db = await createTestDatabase(dialect, { migrate: false });
  const byName = new Map<string, ModuleMigration>();
  for (const migration of [...allMigrations, ...pipelineMigrations, ...reportsMigrations]) {
    byName.set(migration.name, migration);
  }
  await migrateToLatest(db.database, [...byName.values()]);
  const clock = createManualClock(options.startMs);
  const problems: string[] = [];
  const logger = createLogger({
    level: 'warn',
    destination: new Writable({
      write(chunk, _encoding, done) {
        problems.push(String(chunk));
        done();
      },
    }),
  });
  const stores = new Map(options.stores.map((store) => [store.id, store]));
  const reports = createReportsModule({
    database: db.database,
    clock,
    stores: {
      getCached: async (id) => stores.get(id) ?? null,
      listAll: async () => [...stores.values()],
    },
    storeSettingsInTransaction: async (id) => stores.get(id) ?? null,
  });
  const pipeline = createPipelineModule({
    database: db.database,
    redis: null,
    clock,
    ids: createIds(clock),
    logger,
    config: { streamMaxLength: 1_000_000 },
    options: { batchSize: options.batchSize ?? 50, memoryBufferMaxEvents: 1_000_000 },
  });
  pipeline.worker.addBatchHook(reports.onBatch);
  return {
    db,
    database: db.database,
    clock,
    stores,
    reports,
    pipeline,
    problems,
    async ingest(storeId, events) {
      for (let i = 0; i < events.length; i += 5000) {
        await pipeline.buffer.append(storeId, events.slice(i, i + 5000));
        await pipeline.worker.stop();
      }
    },
    async close() {
      await pipeline.worker.stop();
      await db.drop();
    },
  };
}
