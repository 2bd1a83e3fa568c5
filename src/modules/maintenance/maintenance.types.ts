import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { AccountsService } from '../accounts/index.js';
import type { AuditService } from '../audit/index.js';
import type { KeysService } from '../keys/index.js';
import type { PipelineMaintenanceService } from '../pipeline/index.js';
import type { PrivacyModule } from '../privacy/index.js';
import type { SecretsService } from '../secrets/index.js';
import type { StoresService } from '../stores/index.js';

export const MAINTENANCE_JOBS = [
  'retention',
  'purge-deleted',
  'expire-keys',
  'rotate-secrets',
  'dead-letters',
  'db-maintenance',
  'purge-sessions',
] as const;
export type MaintenanceJobName = (typeof MAINTENANCE_JOBS)[number];

export interface MaintenanceOptions {
  /** Cron expressions (UTC) replacing the defaults, per job. */
  schedules?: Partial<Record<MaintenanceJobName, string>>;
  /** purge-deleted: how long soft-deleted rows wait; never shorter than the store restore window (30 days). */
  purgeGraceMs?: number;
  /** dead-letters: how long a dead letter is kept for inspection and replay; default 30 days. */
  deadLetterRetentionMs?: number;
  /** rotate-secrets: how often a new signing key is added; default 30 days. */
  secretRotationMs?: number;
}

export interface MaintenanceDeps {
  database: Database;
  clock: Clock;
  audit: AuditService;
  accounts: AccountsService;
  stores: StoresService;
  keys: KeysService;
  secrets: SecretsService;
  /** From the pipeline: chunked deletes on events, orders, order adjustments and dead letters. */
  pipelineData: PipelineMaintenanceService;
  /** The privacy module: its job, derived-data cleaners, and its rows of a purged store. */
  privacy: PrivacyModule;
  options?: MaintenanceOptions;
}
