/**
 * cron — owns `cron_runs` (one claim per job and slot, leases, fences, run history) and `cron_tokens` (the
 * cron endpoint's own bearer tokens, stored as SHA-256 hashes). It serves `POST /api/cron/<job>`,
 * `POST /api/cron/tick`, `GET /api/cron/runs` and `GET /api/cron/jobs`, and the functions behind
 * `footfall cron …` (runJobNow, listJobs, createToken, rotateToken, revokeToken, renderSchedule).
 *
 * Others may use: `CronModule.register(job)` at start-up to add a job (a chunked, idempotent handler that
 * writes only through `ctx.fence.commit`), the job types below, `asTransaction` to hand the fenced
 * transaction to their own repositories, and `FenceLostError` to recognise a run taken over by another
 * instance. They must not read or write the cron tables.
 */

export {
  type CronModule,
  type CronModuleConfig,
  type CronModuleDeps,
  createCronModule,
} from './cron.module.js';
export { registerCronRoutes } from './cron.routes.js';
export type { RunQuery } from './cron.service.js';
export {
  asTransaction,
  type CreatedToken,
  type FenceGuard,
  FenceLostError,
  type JobContext,
  type JobDefinition,
  type JobInfo,
  MAX_ROWS_PER_STATEMENT,
  type RunAnswerStatus,
  type RunOutcome,
  type RunStatus,
  type RunView,
  type TokenView,
} from './cron.types.js';
export {
  CronExpressionError,
  isAligned,
  parseCronExpression,
  previousSlot,
  toAwsCronExpressions,
} from './cron-expression.js';
export {
  renderSchedule,
  SCHEDULE_FORMATS,
  type ScheduledJob,
  type ScheduleFormat,
  type ScheduleOptions,
} from './cron-schedule.js';
export { cronMigrations } from './migrations/cron-migrations.js';
