import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import type { Ids } from '../../platform/ids.js';
import type { Logger } from '../../platform/log.js';
import { createCronRepository } from './cron.repository.js';
import { createCronService } from './cron.service.js';
import type { RunOutcome } from './cron.types.js';
import { renderSchedule, type ScheduleFormat, type ScheduleOptions } from './cron-schedule.js';
import { createCronTokenService } from './cron-token.service.js';

export interface CronModuleConfig {
  /** How old an explicit `?slot` may be; default 24 h. */
  slotWindowMs?: number;
  /** How far ahead of this instance's clock an explicit slot may be (clock differences); default 5 s. */
  futureToleranceMs?: number;
  /** Lease of jobs that set none; default 5 min. */
  defaultLeaseMs?: number;
  /** How long a rotated-out token keeps working; default 24 h. */
  tokenGraceMs?: number;
  /** false only in tests that play a stalled process; default true. */
  renewLeases?: boolean;
}

export interface CronModuleDeps {
  database: Database;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  /** Recorded on each run it executes, e.g. `hostname:pid`. */
  instanceId: string;
  config?: CronModuleConfig;
}

const HOUR_MS = 3_600_000;

export type CronModule = ReturnType<typeof createCronModule>;

/**
 * The cron module for one process. Other modules register their jobs on it at start-up; the HTTP routes, the
 * CLI and the tests drive it.
 */
export function createCronModule(deps: CronModuleDeps) {
  const config = deps.config ?? {};
  const repository = createCronRepository(deps.database);
  const runs = createCronService({
    repository,
    clock: deps.clock,
    ids: deps.ids,
    logger: deps.logger,
    instanceId: deps.instanceId,
    options: {
      windowMs: config.slotWindowMs ?? 24 * HOUR_MS,
      futureToleranceMs: config.futureToleranceMs ?? 5_000,
      defaultLeaseMs: config.defaultLeaseMs ?? 5 * 60_000,
      renewLeases: config.renewLeases ?? true,
    },
  });
  const tokens = createCronTokenService({
    repository,
    clock: deps.clock,
    ids: deps.ids,
    logger: deps.logger,
    defaultGraceMs: config.tokenGraceMs ?? 24 * HOUR_MS,
  });

  return {
    register: runs.register,
    jobs: runs.jobs,
    run: runs.run,
    tick: runs.tick,
    listJobs: runs.listJobs,
    listRuns: runs.listRuns,
    findRun: runs.findRun,
    close: runs.close,

    createToken: tokens.createToken,
    listTokens: tokens.listTokens,
    rotateToken: tokens.rotateToken,
    revokeToken: tokens.revokeToken,
    authenticate: tokens.authenticate,

    /** `footfall cron run <job> [--dry-run]`: the job's latest slot, through the same exactly-once claim. */
    async runJobNow(name: string, options: { dryRun?: boolean } = {}): Promise<RunOutcome> {
      const outcome = await runs.run(name, { dryRun: options.dryRun ?? false, retryFailed: true });
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    },

    /** `footfall cron schedule --format …`: scheduler configuration for every registered job. */
    renderSchedule(format: ScheduleFormat, options: ScheduleOptions): string {
      const jobs = runs.jobs();
      if (jobs.length === 0) throw new AppError('not_found', 'No cron jobs are registered');
      return renderSchedule(jobs, format, options);
    },
  };
}
