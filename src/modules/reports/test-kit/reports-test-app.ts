import { Writable } from 'node:stream';
import type { TestApp } from '../../../../test/harness/app.js';
import { createTestDatabase } from '../../../../test/harness/databases.js';
import { allMigrations, createServices } from '../../../main/modules.js';
import { createManualClock } from '../../../platform/clock.js';
import { loadConfig } from '../../../platform/config.js';
import type { Dialect } from '../../../platform/db/database.js';
import { migrateToLatest } from '../../../platform/db/migrator.js';
import type { ModuleMigration } from '../../../platform/db/schema.js';
import { createHttpApp } from '../../../platform/http/app.js';
import { createIds } from '../../../platform/ids.js';
import { createLogger } from '../../../platform/log.js';
import { registerAccountsRoutes } from '../../accounts/index.js';
import {
  createPipelineModule,
  type PipelineEvent,
  type PipelineModule,
  pipelineMigrations,
} from '../../pipeline/index.js';
import { reportsMigrations } from '../reports.migrations.js';
import { createReportsModule, type ReportsModule } from '../reports.module.js';
import { registerReportsRoutes } from '../reports.routes.js';

export interface ReportsTestApp extends TestApp {
  reports: ReportsModule;
  pipeline: PipelineModule;
  ingest(storeId: number, events: readonly PipelineEvent[]): Promise<void>;
}

/**
 * The management API's accounts, stores, keys and access, with the reports routes on an HTTP app of its
 * own and a pipeline whose batch hook is this reports module: what `buildHttpApp` will serve once wired.
 */
export async function createReportsTestApp(
  dialect: Dialect,
  options: { startMs: number },
): Promise<ReportsTestApp> {
  const db = await createTestDatabase(dialect, { migrate: false });
  const byName = new Map<string, ModuleMigration>();
  for (const migration of [...allMigrations, ...pipelineMigrations, ...reportsMigrations]) {
    byName.set(migration.name, migration);
  }
  await migrateToLatest(db.database, [...byName.values()]);
  const clock = createManualClock(options.startMs);
  const logs: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    }),
  });
  const config = loadConfig({
    DATABASE_URL: db.url,
    FOOTFALL_SECRET: 'test-secret-that-is-long-enough-0123456789',
  });
  const services = await createServices({ config, logger, database: db.database, redis: null, clock });
  const reports = createReportsModule({ database: db.database, clock, stores: services.stores });
  const pipeline = createPipelineModule({
    database: db.database,
    redis: null,
    clock,
    ids: createIds(clock),
    logger,
    config,
    options: { batchSize: 100 },
  });
  pipeline.worker.addBatchHook(reports.onBatch);
  const { app, routes } = await createHttpApp({ logger, trustProxy: false, version: 'test' });
  app.decorateRequest('context', null);
  app.addHook('preValidation', services.access.enforce);
  // Sign-in (the tenant helpers log members in through the API).
  registerAccountsRoutes(app, { accounts: services.accounts });
  registerReportsRoutes(app, { reports: reports.service });
  await app.ready();
  const testApp = {
    app,
    routes,
    services,
    clock,
    db,
    logs,
    redis: null,
    redisKeyPrefix: null,
    reports,
    pipeline,
    async ingest(storeId: number, events: readonly PipelineEvent[]) {
      await pipeline.buffer.append(storeId, events);
      await pipeline.worker.stop();
    },
    async close() {
      await app.close();
      await pipeline.worker.stop();
      await db.drop();
    },
  };
  return testApp as unknown as ReportsTestApp;
}
