import type { Generated } from 'kysely';

/** Run status as stored; the HTTP answer's `ran`/`skipped`/`running`/`failed` is derived from it. */
export type RunStatus = 'running' | 'succeeded' | 'failed';

/**
 * One row per run: the claim of a (job, slot) and its history. Real runs carry `claim = 1` and are unique per
 * (job, slot_ms, claim); dry runs carry `claim = NULL` (NULLs are distinct in unique indexes on both
 * dialects), so any number of dry runs never block the real one. Times are epoch ms of the database clock.
 */
export interface CronRunsTable {
  id: Generated<number>;
  uid: Buffer;
  job: string;
  slot_ms: number;
  claim: number | null;
  status: RunStatus;
  /** Bumped by every takeover or retry; a writer whose fence is stale is refused. */
  fence: number;
  lease_until_ms: number;
  started_at: number;
  finished_at: number | null;
  heartbeat_at: number;
  instance: string;
  attempts: number;
  rows_affected: number;
  /** JSON of the handler's result. */
  result: string | null;
  error: string | null;
  dry_run: number;
}

export interface CronTokensTable {
  id: Generated<number>;
  uid: Buffer;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
  alive: Generated<number | null>;
  name: string;
  /** SHA-256 of the whole token; the token itself is never stored. */
  token_hash: Buffer;
  /** First characters of the token, enough to recognise it in a list. */
  prefix: string;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  /** Private id of the token that replaced this one on rotation. */
  replaced_by_id: number | null;
}

export interface CronTables {
  cron_runs: CronRunsTable;
  cron_tokens: CronTokensTable;
}
