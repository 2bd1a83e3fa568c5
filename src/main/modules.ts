import { hostname } from 'node:os';
import { createAccessService } from '../modules/access/index.js';
import { accountsMigrations, createAccountsService } from '../modules/accounts/index.js';
import { auditMigrations, createAuditService } from '../modules/audit/index.js';
import { createCronModule, cronMigrations } from '../modules/cron/index.js';
import {
  createIngestService,
  createMemorySessionStore,
  createRedisSessionStore,
} from '../modules/ingest/index.js';
import { createKeysService, keysMigrations } from '../modules/keys/index.js';
import { registerMaintenanceJobs } from '../modules/maintenance/index.js';
import {
  createPipelineMaintenanceService,
  createPipelineModule,
  type PipelineOptions,
  pipelineMigrations,
} from '../modules/pipeline/index.js';
import { createPrivacyModule, privacyMigrations } from '../modules/privacy/index.js';
import { createReportsModule, reportsMigrations } from '../modules/reports/index.js';
import { createSecretsService, secretsMigrations } from '../modules/secrets/index.js';
import { createStoresService, storesMigrations } from '../modules/stores/index.js';
import type { Clock } from '../platform/clock.js';
import type { Config } from '../platform/config.js';
import type { Database } from '../platform/db/database.js';
import type { ModuleMigration } from '../platform/db/schema.js';
import { createIds, type Ids } from '../platform/ids.js';
import type { Logger } from '../platform/log.js';
import type { Redis } from '../platform/redis.js';

/** Every module's migrations; the migrator sorts them by name. */
export const allMigrations: readonly ModuleMigration[] = [
  ...secretsMigrations,
  ...auditMigrations,
  ...accountsMigrations,
  ...storesMigrations,
  ...keysMigrations,
  ...cronMigrations,
  ...pipelineMigrations,
  ...privacyMigrations,
  ...reportsMigrations,
];

export interface Infrastructure {
  config: Config;
  logger: Logger;
  database: Database;
  redis: Redis | null;
  clock: Clock;
  /** Redis key prefix and worker tuning; tests give each app its own prefix. */
  pipelineOptions?: PipelineOptions;
}

/** Wires the modules once per process. The only place that knows who depends on whom. */
export async function createServices(infra: Infrastructure) {
  const { database, clock } = infra;
  const ids: Ids = createIds(clock);
  const audit = createAuditService({ database, clock, ids });
  const secrets = createSecretsService({
    database,
    clock,
    rootSecret: infra.config.secret,
    previousRootSecret: infra.config.previousSecret,
  });
  await secrets.load();
  const accounts = createAccountsService({ database, clock, ids, audit, signer: secrets.signer });
  const stores = createStoresService({ database, clock, ids, audit });
  const keys = createKeysService({ database, clock, ids, audit });
  stores.onStoreDeleted((storeId, nowMs, tx) => keys.revokeAllOfStore(storeId, nowMs, tx));
  const access = createAccessService({ accounts, stores, keys });
  const cron = createCronModule({
    database,
    clock,
    ids,
    logger: infra.logger,
    instanceId: `${hostname()}:${process.pid}`,
  });
  const pipeline = createPipelineModule({
    database,
    redis: infra.redis,
    clock,
    ids,
    logger: infra.logger,
    config: infra.config,
    audit,
    options: infra.pipelineOptions,
  });
  const reports = createReportsModule({ database, clock, stores });
  pipeline.worker.addBatchHook(reports.onBatch);
  cron.register(reports.rollupsJob());
  const pipelineData = createPipelineMaintenanceService({ database });
  const privacy = createPrivacyModule({
    database,
    clock,
    ids,
    logger: infra.logger,
    audit,
    stores,
    pipelineData,
    signer: secrets.signer,
    rootSecret: infra.config.secret,
    previousRootSecret: infra.config.previousSecret,
    publicUrl: infra.config.publicUrl,
  });
  await privacy.load();
  pipeline.addSuppressionCheck(privacy.isSuppressed);
  privacy.addDerivedDataCleaner(reports.derivedDataCleaner);
  privacy.addDerivedDataCleaner(pipelineData.contextsCleaner);
  registerMaintenanceJobs(cron, {
    database,
    clock,
    audit,
    accounts,
    stores,
    keys,
    secrets,
    pipelineData,
    privacy,
  });
  const sessions = infra.redis
    ? createRedisSessionStore({ redis: infra.redis, prefix: infra.pipelineOptions?.redisKeyPrefix ?? 'ff' })
    : createMemorySessionStore();
  const ingest = createIngestService({ keys, stores, pipeline, sessions, clock });
  return {
    ...infra,
    ids,
    audit,
    secrets,
    accounts,
    stores,
    keys,
    access,
    cron,
    pipeline,
    ingest,
    privacy,
    reports,
  };
}

export type Services = Awaited<ReturnType<typeof createServices>>;
