import type { CronModule, JobDefinition } from '../cron/index.js';
import { createDbMaintenanceJob } from './db-maintenance.job.js';
import { createDeadLettersJob } from './dead-letters.job.js';
import { createExpireKeysJob } from './expire-keys.job.js';
import type { MaintenanceDeps } from './maintenance.types.js';
import { createPurgeDeletedJob } from './purge-deleted.job.js';
import { createPurgeSessionsJob } from './purge-sessions.job.js';
import { createRetentionJob } from './retention.job.js';
import { createRotateSecretsJob } from './rotate-secrets.job.js';

/**
 * Registers the maintenance jobs with cron (retention, purge-deleted, expire-keys, rotate-secrets,
 * dead-letters, db-maintenance, purge-sessions) and the privacy module's `privacy` job. Each is chunked
 * (at most MAX_ROWS_PER_STATEMENT rows per statement), writes only through `ctx.fence.commit`, is idempotent
 * after a takeover, and answers a dry run with the counts it would change. Returns the names registered.
 */
export function registerMaintenanceJobs(cron: Pick<CronModule, 'register'>, deps: MaintenanceDeps): string[] {
  const jobs: JobDefinition<unknown>[] = [
    createRetentionJob(deps),
    createPurgeDeletedJob(deps),
    createExpireKeysJob(deps),
    createRotateSecretsJob(deps),
    deps.privacy.job,
    createDeadLettersJob(deps),
    createDbMaintenanceJob(deps),
    createPurgeSessionsJob(deps),
  ];
  for (const job of jobs) cron.register(job);
  return jobs.map((job) => job.name);
}
