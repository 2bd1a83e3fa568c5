/**
 * maintenance — owns no tables. The cleanup jobs registered with cron: retention (per store, in its time
 * zone), purge of soft-deleted rows past the grace period (a store takes everything it owned), key expiry and
 * maximum key age, signing-key rotation, dead-letter pruning, database upkeep (ANALYZE / PRAGMA optimize and a
 * size report), and expired sessions. It acts on other modules' data only through their services.
 *
 * Others may use: `registerMaintenanceJobs(cron, deps)` (called once in src/main), the deps and options types,
 * and the pure `retentionCutoffMs`.
 */
export type { DbMaintenanceResult } from './db-maintenance.job.js';
export { DEFAULT_DEAD_LETTER_RETENTION_MS } from './dead-letters.job.js';
export type { ExpireKeysResult } from './expire-keys.job.js';
export { registerMaintenanceJobs } from './maintenance.module.js';
export {
  MAINTENANCE_JOBS,
  type MaintenanceDeps,
  type MaintenanceJobName,
  type MaintenanceOptions,
} from './maintenance.types.js';
export type { PurgeResult } from './purge-deleted.job.js';
export type { RetentionResult } from './retention.job.js';
export { retentionCutoffMs } from './retention-cutoff.js';
export {
  DEFAULT_SECRET_ROTATION_MS,
  type RotateSecretsResult,
  rotationKid,
  SIGNING_KEY_VERIFY_MS,
} from './rotate-secrets.job.js';
