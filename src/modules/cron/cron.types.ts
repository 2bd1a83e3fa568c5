import type { Transaction } from 'kysely';
import type { PublicId } from '../../platform/ids.js';
import type { Logger } from '../../platform/log.js';
import type { RunStatus } from './cron.tables.js';

export type { RunStatus };

/**
 * The most rows one statement of a job may touch. Large deletes and updates hold locks and grow the undo log;
 * chunks of at most this many rows, each in its own `fence.commit`, keep both small and make progress durable.
 */
export const MAX_ROWS_PER_STATEMENT = 10_000;

/** What one call for a (job, slot) did: ran it, found it done, found it running elsewhere, or failed. */
export type RunAnswerStatus = 'ran' | 'skipped' | 'running' | 'failed';

export interface RunOutcome {
  job: string;
  /** The slot as ISO 8601 UTC. */
  slot: string;
  slotMs: number;
  status: RunAnswerStatus;
  runId: PublicId<'run'>;
  /** The handler's result (of this run, or of the earlier run a `skipped` answer found). */
  result: unknown;
  error: string | null;
  dryRun: boolean;
}

/**
 * Proof of ownership a handler shows with every write. `commit` opens a transaction on the shared database,
 * re-checks in it that this run still holds the fence (renewing the lease as it goes), runs `work` in the same
 * transaction and commits; if another instance took the run over, it throws FenceLostError and nothing of
 * `work` is committed. In a dry run the transaction is always rolled back and the count is only reported.
 */
export interface FenceGuard {
  readonly fence: number;
  /**
   * `work` returns how many rows it changed (added to the run's `rows_affected`). It must use `trx` for every
   * statement: on SQLite the one connection is held by the transaction, so a query on the shared database
   * inside `work` would wait forever.
   */
  commit<Tables = unknown>(work: (trx: Transaction<Tables>) => Promise<number>): Promise<number>;
}

export interface JobContext {
  readonly job: string;
  /** The slot being run, epoch ms UTC. */
  readonly slotMs: number;
  readonly dryRun: boolean;
  readonly runId: PublicId<'run'>;
  /** Aborted when the fence is lost or the instance shuts down; check it between chunks. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly fence: FenceGuard;
  /** Renews the lease now (it is also renewed every leaseMs / 3); throws FenceLostError if taken over. */
  heartbeat(): Promise<void>;
}

export interface JobDefinition<Result = unknown> {
  /** Lower case letters, digits and dashes, at most 40 characters (it becomes a URL and a k8s name). */
  name: string;
  /** Five-field cron expression, UTC; calls are mapped to the latest slot it matches. */
  schedule: string;
  /** How long a silent run keeps its claim before another instance may take it over. */
  leaseMs?: number;
  description: string;
  /**
   * Works in chunks through `ctx.fence.commit` and is idempotent: after a takeover it starts again from the
   * beginning and must skip what the previous owner already committed. Returns a JSON-serialisable summary.
   */
  handler(ctx: JobContext): Promise<Result>;
}

/** Thrown inside a run whose claim another instance took over: this instance must stop writing. */
export class FenceLostError extends Error {
  constructor(
    readonly job: string,
    readonly slotMs: number,
    readonly fence: number,
  ) {
    super(
      `cron run ${job}@${new Date(slotMs).toISOString()} lost its fence ${fence}: another instance took it over`,
    );
    this.name = 'FenceLostError';
  }
}

/** A run as history shows it; never carries the private id. */
export interface RunView {
  id: PublicId<'run'>;
  job: string;
  slot: string;
  status: RunStatus;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string | null;
  heartbeatAt: string;
  rowsAffected: number;
  result: unknown;
  error: string | null;
  instance: string;
  fence: number;
  attempts: number;
}

export interface JobInfo {
  name: string;
  schedule: string;
  description: string;
  leaseMs: number;
  lastRun: RunView | null;
}

export interface TokenView {
  id: PublicId<'crt'>;
  name: string;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface CreatedToken {
  id: PublicId<'crt'>;
  /** Shown once; only its hash is stored. */
  token: string;
}

/**
 * Re-types a fence transaction for the caller's own tables, e.g. to hand it to another module's repository.
 * Kysely's table types exist only at compile time: the object is the same open transaction either way.
 */
export function asTransaction<Tables>(trx: Transaction<unknown>): Transaction<Tables> {
  return trx as unknown as Transaction<Tables>;
}
