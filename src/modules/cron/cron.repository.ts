import { type RawBuilder, type Selectable, sql, type Transaction } from 'kysely';
import { type Database, insertedId, isUniqueViolation } from '../../platform/db/database.js';
import { selectEntities } from '../../platform/db/soft-delete.js';
import type { Uid } from '../../platform/ids.js';
import type { CronRunsTable, CronTables, CronTokensTable, RunStatus } from './cron.tables.js';
import { FenceLostError } from './cron.types.js';

/** A run row as the service sees it. `id` is private: it never leaves the module. */
export interface RunRecord {
  id: number;
  uid: Uid;
  job: string;
  slotMs: number;
  isDryRun: boolean;
  status: RunStatus;
  fence: number;
  leaseUntilMs: number;
  startedAt: number;
  finishedAt: number | null;
  heartbeatAt: number;
  instance: string;
  attempts: number;
  rowsAffected: number;
  resultJson: string | null;
  error: string | null;
}

export interface TokenRecord {
  id: number;
  uid: Uid;
  name: string;
  tokenHash: Buffer;
  prefix: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

/** Identifies the claim a write is made under. */
export interface FencedRun {
  id: number;
  job: string;
  slotMs: number;
  fence: number;
  leaseMs: number;
}

export interface NewToken {
  uid: Uid;
  name: string;
  tokenHash: Buffer;
  prefix: string;
  expiresAt: number | null;
}

function toRun(row: Selectable<CronRunsTable>): RunRecord {
  return {
    id: Number(row.id),
    uid: Buffer.from(row.uid) as Uid,
    job: row.job,
    slotMs: Number(row.slot_ms),
    isDryRun: Number(row.dry_run) === 1,
    status: row.status,
    fence: Number(row.fence),
    leaseUntilMs: Number(row.lease_until_ms),
    startedAt: Number(row.started_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
    heartbeatAt: Number(row.heartbeat_at),
    instance: row.instance,
    attempts: Number(row.attempts),
    rowsAffected: Number(row.rows_affected),
    resultJson: row.result,
    error: row.error,
  };
}

function toToken(row: Selectable<CronTokensTable>): TokenRecord {
  return {
    id: Number(row.id),
    uid: Buffer.from(row.uid) as Uid,
    name: row.name,
    tokenHash: Buffer.from(row.token_hash),
    prefix: row.prefix,
    createdAt: Number(row.created_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  };
}

function affected(result: { numUpdatedRows: bigint }): number {
  return Number(result.numUpdatedRows);
}

/** InnoDB may pick a concurrent duplicate-key INSERT as a deadlock victim; the claim is then simply retried. */
export function isDeadlock(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  return (error as { code?: unknown }).code === 'ER_LOCK_DEADLOCK';
}

/** Thrown inside a dry-run transaction to roll it back while carrying the count out. */
class DryRunRollback extends Error {
  constructor(readonly rowsAffected: number) {
    super('dry run: rolled back');
  }
}

export type CronRepository = ReturnType<typeof createCronRepository>;

export function createCronRepository(database: Database) {
  const db = () => database.typed<CronTables>();

  /**
   * The database's clock in epoch ms. Every lease is written and compared with it, never with an instance's
   * clock, so instances whose clocks disagree still agree on whether a lease has expired. On MySQL/MariaDB
   * `utc_timestamp` avoids the session time zone (unix_timestamp(now()) is ambiguous in a DST fold).
   */
  const dbNow: RawBuilder<number> =
    database.dialect === 'mysql'
      ? sql<number>`(timestampdiff(microsecond, '1970-01-01 00:00:00', utc_timestamp(6)) div 1000)`
      : sql<number>`cast(round((julianday('now') - 2440587.5) * 86400000) as integer)`;
  const leaseEnd = (leaseMs: number) => sql<number>`${dbNow} + ${leaseMs}`;

  return {
    async databaseNowMs(): Promise<number> {
      const row = await sql<{ now_ms: number | string }>`select ${dbNow} as now_ms`.execute(db());
      return Number(row.rows[0]?.now_ms);
    },

    /**
     * Inserts a running run holding fence 1 and a fresh lease. For a real run the insert is the claim: it
     * returns null when (job, slot) already has a row, i.e. someone else claimed it first.
     */
    async insertRun(run: {
      uid: Uid;
      job: string;
      slotMs: number;
      isDryRun: boolean;
      instance: string;
      leaseMs: number;
    }): Promise<number | null> {
      try {
        const result = await db()
          .insertInto('cron_runs')
          .values({
            uid: run.uid,
            job: run.job,
            slot_ms: run.slotMs,
            claim: run.isDryRun ? null : 1,
            status: 'running',
            fence: 1,
            lease_until_ms: leaseEnd(run.leaseMs),
            started_at: dbNow,
            heartbeat_at: dbNow,
            instance: run.instance,
            attempts: 1,
            rows_affected: 0,
            dry_run: run.isDryRun ? 1 : 0,
          })
          .executeTakeFirstOrThrow();
        return insertedId(result);
      } catch (error) {
        if (isUniqueViolation(error)) return null;
        throw error;
      }
    },

    async findClaim(job: string, slotMs: number): Promise<RunRecord | undefined> {
      const row = await db()
        .selectFrom('cron_runs')
        .selectAll()
        .where('job', '=', job)
        .where('slot_ms', '=', slotMs)
        .where('claim', '=', 1)
        .executeTakeFirst();
      return row ? toRun(row) : undefined;
    },

    /**
     * Takes over a running claim whose lease expired in database time, bumping the fence so the previous owner's
     * next fenced write fails. True when this call won (of any number racing for it).
     */
    async takeOverExpired(id: number, fence: number, instance: string, leaseMs: number): Promise<boolean> {
      const result = await db()
        .updateTable('cron_runs')
        .set({
          fence: sql`fence + 1`,
          instance,
          attempts: sql`attempts + 1`,
          lease_until_ms: leaseEnd(leaseMs),
          heartbeat_at: dbNow,
        })
        .where('id', '=', id)
        .where('fence', '=', fence)
        .where('status', '=', 'running')
        .where('lease_until_ms', '<', dbNow)
        .executeTakeFirst();
      return affected(result) === 1;
    },

    /** Re-claims a failed run for another attempt (same fence rules as a takeover). */
    async reclaimFailed(id: number, fence: number, instance: string, leaseMs: number): Promise<boolean> {
      const result = await db()
        .updateTable('cron_runs')
        .set({
          status: 'running',
          fence: sql`fence + 1`,
          instance,
          attempts: sql`attempts + 1`,
          lease_until_ms: leaseEnd(leaseMs),
          started_at: dbNow,
          heartbeat_at: dbNow,
          finished_at: null,
          error: null,
        })
        .where('id', '=', id)
        .where('fence', '=', fence)
        .where('status', '=', 'failed')
        .executeTakeFirst();
      return affected(result) === 1;
    },

    /** Extends the lease while the fence is ours; false means another instance has taken the run over. */
    async renewLease(run: FencedRun): Promise<boolean> {
      const result = await db()
        .updateTable('cron_runs')
        .set({ lease_until_ms: leaseEnd(run.leaseMs), heartbeat_at: dbNow })
        .where('id', '=', run.id)
        .where('fence', '=', run.fence)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return affected(result) === 1;
    },

    /**
     * Runs `work` in one transaction that first proves (and locks) the fence: a zombie whose fence was bumped
     * gets 0 rows, throws FenceLostError, and its chunk rolls back. Holding the row lock until commit also
     * means a takeover cannot slip in between the check and the commit.
     */
    async commitFenced<Tables>(
      run: FencedRun,
      work: (trx: Transaction<Tables>) => Promise<number>,
      options: { rollback: boolean },
    ): Promise<number> {
      try {
        return await db()
          .transaction()
          .execute(async (trx) => {
            const check = await trx
              .updateTable('cron_runs')
              .set({ lease_until_ms: leaseEnd(run.leaseMs), heartbeat_at: dbNow })
              .where('id', '=', run.id)
              .where('fence', '=', run.fence)
              .where('status', '=', 'running')
              .executeTakeFirst();
            if (affected(check) !== 1) throw new FenceLostError(run.job, run.slotMs, run.fence);
            // The caller's tables are not ours to know; the transaction is the same connection either way.
            const rowsAffected = await work(trx as unknown as Transaction<Tables>);
            if (!Number.isSafeInteger(rowsAffected) || rowsAffected < 0) {
              throw new TypeError(`fence.commit work must return a row count, got ${String(rowsAffected)}`);
            }
            if (options.rollback) throw new DryRunRollback(rowsAffected);
            if (rowsAffected > 0) {
              await trx
                .updateTable('cron_runs')
                .set({ rows_affected: sql`rows_affected + ${rowsAffected}` })
                .where('id', '=', run.id)
                .execute();
            }
            return rowsAffected;
          });
      } catch (error) {
        if (error instanceof DryRunRollback) return error.rowsAffected;
        throw error;
      }
    },

    /** Records success; false when the fence was lost (the result then belongs to the new owner). */
    async finish(run: FencedRun, resultJson: string, rowsAffected: number | null): Promise<boolean> {
      const result = await db()
        .updateTable('cron_runs')
        .set({
          status: 'succeeded',
          finished_at: dbNow,
          heartbeat_at: dbNow,
          lease_until_ms: dbNow,
          result: resultJson,
          ...(rowsAffected === null ? {} : { rows_affected: rowsAffected }),
        })
        .where('id', '=', run.id)
        .where('fence', '=', run.fence)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return affected(result) === 1;
    },

    async fail(run: FencedRun, error: string, rowsAffected: number | null): Promise<boolean> {
      const result = await db()
        .updateTable('cron_runs')
        .set({
          status: 'failed',
          finished_at: dbNow,
          heartbeat_at: dbNow,
          lease_until_ms: dbNow,
          error,
          ...(rowsAffected === null ? {} : { rows_affected: rowsAffected }),
        })
        .where('id', '=', run.id)
        .where('fence', '=', run.fence)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return affected(result) === 1;
    },

    /** Ends the lease now (graceful shutdown) so the next call takes the run over at once. */
    async releaseLease(run: FencedRun): Promise<boolean> {
      const result = await db()
        .updateTable('cron_runs')
        .set({ lease_until_ms: sql`${dbNow} - 1` })
        .where('id', '=', run.id)
        .where('fence', '=', run.fence)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return affected(result) === 1;
    },

    async findRun(id: number): Promise<RunRecord | undefined> {
      const row = await db().selectFrom('cron_runs').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRun(row) : undefined;
    },

    async findRunByUid(uid: Uid): Promise<RunRecord | undefined> {
      const row = await db().selectFrom('cron_runs').selectAll().where('uid', '=', uid).executeTakeFirst();
      return row ? toRun(row) : undefined;
    },

    /** Newest first; `beforeId` continues a page. */
    async listRuns(filter: {
      job?: string;
      status?: RunStatus;
      beforeId?: number;
      limit: number;
    }): Promise<RunRecord[]> {
      let query = db().selectFrom('cron_runs').selectAll();
      if (filter.job !== undefined) query = query.where('job', '=', filter.job);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
      const rows = await query.orderBy('id', 'desc').limit(filter.limit).execute();
      return rows.map(toRun);
    },

    /** The latest real (not dry) run of a job. */
    async findLatestRun(job: string): Promise<RunRecord | undefined> {
      const row = await db()
        .selectFrom('cron_runs')
        .selectAll()
        .where('job', '=', job)
        .where('dry_run', '=', 0)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toRun(row) : undefined;
    },

    async insertToken(token: NewToken, nowMs: number): Promise<number> {
      const result = await db()
        .insertInto('cron_tokens')
        .values({
          uid: token.uid,
          created_at: nowMs,
          updated_at: nowMs,
          name: token.name,
          token_hash: token.tokenHash,
          prefix: token.prefix,
          expires_at: token.expiresAt,
        })
        .executeTakeFirstOrThrow();
      return insertedId(result);
    },

    /**
     * Inserts the replacement and shortens the old token's life to the grace window, in one transaction.
     * False when the old token was revoked or replaced concurrently (nothing is written then).
     */
    async rotateToken(
      oldId: number,
      replacement: NewToken,
      oldExpiresAt: number,
      nowMs: number,
    ): Promise<boolean> {
      return db()
        .transaction()
        .execute(async (trx) => {
          const inserted = await trx
            .insertInto('cron_tokens')
            .values({
              uid: replacement.uid,
              created_at: nowMs,
              updated_at: nowMs,
              name: replacement.name,
              token_hash: replacement.tokenHash,
              prefix: replacement.prefix,
              expires_at: replacement.expiresAt,
            })
            .executeTakeFirstOrThrow();
          const result = await trx
            .updateTable('cron_tokens')
            .set({
              expires_at: sql`case when expires_at is null or expires_at > ${oldExpiresAt} then ${oldExpiresAt} else expires_at end`,
              replaced_by_id: insertedId(inserted),
              updated_at: nowMs,
            })
            .where('id', '=', oldId)
            .where('revoked_at', 'is', null)
            .where('replaced_by_id', 'is', null)
            .where('deleted_at', 'is', null)
            .executeTakeFirst();
          if (affected(result) !== 1) throw new ConcurrentTokenChange();
          return true;
        })
        .catch((error: unknown) => {
          if (error instanceof ConcurrentTokenChange) return false;
          throw error;
        });
    },

    async revokeToken(id: number, nowMs: number): Promise<void> {
      await db()
        .updateTable('cron_tokens')
        .set({ revoked_at: nowMs, updated_at: nowMs })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
    },

    async findTokenByHash(tokenHash: Buffer): Promise<TokenRecord | undefined> {
      const row = await selectEntities(db(), 'cron_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row ? toToken(row) : undefined;
    },

    async findTokenByUid(uid: Uid): Promise<TokenRecord | undefined> {
      const row = await selectEntities(db(), 'cron_tokens')
        .selectAll()
        .where('uid', '=', uid)
        .executeTakeFirst();
      return row ? toToken(row) : undefined;
    },

    async listTokens(): Promise<TokenRecord[]> {
      const rows = await selectEntities(db(), 'cron_tokens').selectAll().orderBy('id', 'asc').execute();
      return rows.map(toToken);
    },

    /** Records use at most once per `minIntervalMs`, so a busy scheduler does not write on every call. */
    async touchToken(id: number, nowMs: number, minIntervalMs: number): Promise<void> {
      await db()
        .updateTable('cron_tokens')
        .set({ last_used_at: nowMs })
        .where('id', '=', id)
        .where((eb) =>
          eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', nowMs - minIntervalMs)]),
        )
        .execute();
    },
  };
}

class ConcurrentTokenChange extends Error {}
