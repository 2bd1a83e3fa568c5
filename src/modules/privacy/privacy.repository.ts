import { type Kysely, type Selectable, sql } from 'kysely';
import {
  type Database,
  insertedId,
  isUniqueViolation,
  type TransactionHandle,
} from '../../platform/db/database.js';
import { type PublicId, toPublicId, type Uid } from '../../platform/ids.js';
import type {
  PrivacyRequestKind,
  PrivacyRequestStatus,
  PrivacyRequestsTable,
  PrivacyTables,
} from './privacy.tables.js';

export interface RequestCounts {
  events: number;
  orders: number;
  orderAdjustments: number;
  deadLetters: number;
  derivedRows: number;
}

export const ZERO_COUNTS: Readonly<RequestCounts> = Object.freeze({
  events: 0,
  orders: 0,
  orderAdjustments: 0,
  deadLetters: 0,
  derivedRows: 0,
});

export interface PrivacyRequest {
  id: number;
  publicId: PublicId<'prv'>;
  storeId: number;
  kind: PrivacyRequestKind;
  status: PrivacyRequestStatus;
  hasUserId: boolean;
  hasAnonymousId: boolean;
  /** The identifiers while the request is unfinished; null afterwards. */
  pendingUserId: string | null;
  pendingAnonymousId: string | null;
  attempt: number;
  leaseUntilMs: number | null;
  counts: RequestCounts;
  /** Erasure: the derived-data cleaners' plans (JSON `{ [cleaner]: plan | null }`) once made; null before. */
  derivedPlan: string | null;
  fileAttempt: number | null;
  fileBytes: number | null;
  fileExpiresAt: number | null;
  error: string | null;
  requestedBy: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

const num = (value: number | string | bigint | null): number | null =>
  value === null ? null : Number(value);

const toRequest = (row: Selectable<PrivacyRequestsTable>): PrivacyRequest => ({
  id: row.id,
  publicId: toPublicId('prv', row.uid),
  storeId: row.store_id,
  kind: row.kind,
  status: row.status,
  hasUserId: row.user_id_hash !== null,
  hasAnonymousId: row.anonymous_id_hash !== null,
  pendingUserId: row.pending_user_id,
  pendingAnonymousId: row.pending_anonymous_id,
  attempt: Number(row.attempt),
  leaseUntilMs: num(row.lease_until_ms),
  counts: {
    events: Number(row.events_count),
    orders: Number(row.orders_count),
    orderAdjustments: Number(row.order_adjustments_count),
    deadLetters: Number(row.dead_letters_count),
    derivedRows: Number(row.derived_count),
  },
  derivedPlan: row.derived_plan,
  fileAttempt: num(row.file_attempt),
  fileBytes: num(row.file_bytes),
  fileExpiresAt: num(row.file_expires_at),
  error: row.error,
  requestedBy: row.requested_by,
  createdAt: Number(row.created_at),
  startedAt: num(row.started_at),
  finishedAt: num(row.finished_at),
});

const affected = (result: { numUpdatedRows: bigint } | { numDeletedRows: bigint }): number =>
  Number('numUpdatedRows' in result ? result.numUpdatedRows : result.numDeletedRows);

const UNFINISHED: PrivacyRequestStatus[] = ['pending', 'running'];

export function createPrivacyRepository(database: Database) {
  const db = (tx?: TransactionHandle): Kysely<PrivacyTables> => database.typed<PrivacyTables>(tx);

  return {
    // ---- the HMAC key ----

    async findKey(name: string): Promise<{ material: Buffer; isWrapped: boolean } | null> {
      const row = await db()
        .selectFrom('privacy_keys')
        .select(['material', 'is_wrapped'])
        .where('name', '=', name)
        .executeTakeFirst();
      return row ? { material: Buffer.from(row.material), isWrapped: Boolean(row.is_wrapped) } : null;
    },

    /** Replaces the key's stored form if it still is `expected` (another instance may have done it first). */
    async replaceKey(
      name: string,
      expected: Buffer,
      next: { material: Buffer; isWrapped: boolean },
    ): Promise<boolean> {
      const result = await db()
        .updateTable('privacy_keys')
        .set({ material: next.material, is_wrapped: next.isWrapped ? 1 : 0 })
        .where('name', '=', name)
        .where('material', '=', expected)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    /** Inserts the key unless another instance did first (the unique name lets exactly one in). */
    async insertKeyIfAbsent(
      name: string,
      key: { material: Buffer; isWrapped: boolean },
      nowMs: number,
    ): Promise<void> {
      try {
        await db()
          .insertInto('privacy_keys')
          .values({ name, material: key.material, is_wrapped: key.isWrapped ? 1 : 0, created_at: nowMs })
          .execute();
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    },

    // ---- requests ----

    async insertRequest(
      row: {
        uid: Uid;
        storeId: number;
        kind: PrivacyRequestKind;
        userIdHash: Buffer | null;
        anonymousIdHash: Buffer | null;
        userId: string | null;
        anonymousId: string | null;
        requestedBy: string | null;
        nowMs: number;
      },
      tx?: TransactionHandle,
    ): Promise<number> {
      const result = await db(tx)
        .insertInto('privacy_requests')
        .values({
          uid: row.uid,
          store_id: row.storeId,
          kind: row.kind,
          status: 'pending',
          user_id_hash: row.userIdHash,
          anonymous_id_hash: row.anonymousIdHash,
          pending_user_id: row.userId,
          pending_anonymous_id: row.anonymousId,
          requested_by: row.requestedBy,
          created_at: row.nowMs,
          updated_at: row.nowMs,
        })
        .executeTakeFirstOrThrow();
      return insertedId(result);
    },

    async findById(id: number, tx?: TransactionHandle): Promise<PrivacyRequest | null> {
      const row = await db(tx)
        .selectFrom('privacy_requests')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toRequest(row) : null;
    },

    async findByUid(uid: Uid): Promise<PrivacyRequest | null> {
      const row = await db()
        .selectFrom('privacy_requests')
        .selectAll()
        .where('uid', '=', uid)
        .executeTakeFirst();
      return row ? toRequest(row) : null;
    },

    /** Newest first; `beforeId` is the private id of the previous page's last request. */
    async list(
      storeId: number,
      kind: PrivacyRequestKind,
      page: { limit: number; beforeId: number | null },
    ): Promise<{ records: PrivacyRequest[]; hasMore: boolean }> {
      let query = db()
        .selectFrom('privacy_requests')
        .selectAll()
        .where('store_id', '=', storeId)
        .where('kind', '=', kind);
      if (page.beforeId !== null) query = query.where('id', '<', page.beforeId);
      const rows = await query
        .orderBy('id', 'desc')
        .limit(page.limit + 1)
        .execute();
      return { records: rows.slice(0, page.limit).map(toRequest), hasMore: rows.length > page.limit };
    },

    /**
     * Unfinished requests no run holds, oldest first. Erasures wait until `erasuresCreatedBefore`, so that
     * every instance's suppression cache knows them before their rows are deleted (see privacy-requests.job).
     */
    async listDue(
      nowMs: number,
      erasuresCreatedBefore: number,
      limit: number,
      afterId = 0,
    ): Promise<PrivacyRequest[]> {
      const rows = await db()
        .selectFrom('privacy_requests')
        .selectAll()
        .where('status', 'in', UNFINISHED)
        .where('id', '>', afterId)
        .where((eb) => eb.or([eb('lease_until_ms', 'is', null), eb('lease_until_ms', '<', nowMs)]))
        .where((eb) => eb.or([eb('kind', '=', 'export'), eb('created_at', '<=', erasuresCreatedBefore)]))
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(toRequest);
    },

    /**
     * Takes an unfinished request for one run: bumps `attempt` if it is still the one the caller read and
     * no live lease holds it. False when another run got there first.
     */
    async claim(
      request: { id: number; attempt: number },
      leaseUntilMs: number,
      nowMs: number,
      tx: TransactionHandle,
    ): Promise<boolean> {
      const result = await db(tx)
        .updateTable('privacy_requests')
        .set({
          status: 'running',
          attempt: request.attempt + 1,
          lease_until_ms: leaseUntilMs,
          started_at: sql<number>`coalesce(started_at, ${nowMs})`,
          updated_at: nowMs,
        })
        .where('id', '=', request.id)
        .where('attempt', '=', request.attempt)
        .where('status', 'in', UNFINISHED)
        .where((eb) => eb.or([eb('lease_until_ms', 'is', null), eb('lease_until_ms', '<', nowMs)]))
        .executeTakeFirst();
      return affected(result) === 1;
    },

    /**
     * Adds a chunk's counts and renews the lease, in the chunk's own transaction. False when the request is
     * no longer this attempt's: the caller then throws, which rolls the chunk back.
     */
    async addProgress(
      request: { id: number; attempt: number },
      counts: Partial<RequestCounts>,
      leaseUntilMs: number,
      nowMs: number,
      tx: TransactionHandle,
      /** The derived-data plans after this chunk; undefined leaves them as they are. */
      derivedPlan?: string | null,
    ): Promise<boolean> {
      const plus = (column: string, n: number | undefined) => sql<number>`${sql.ref(column)} + ${n ?? 0}`;
      const result = await db(tx)
        .updateTable('privacy_requests')
        .set({
          events_count: plus('events_count', counts.events),
          orders_count: plus('orders_count', counts.orders),
          order_adjustments_count: plus('order_adjustments_count', counts.orderAdjustments),
          dead_letters_count: plus('dead_letters_count', counts.deadLetters),
          derived_count: plus('derived_count', counts.derivedRows),
          lease_until_ms: leaseUntilMs,
          updated_at: nowMs,
          ...(derivedPlan === undefined ? {} : { derived_plan: derivedPlan }),
        })
        .where('id', '=', request.id)
        .where('attempt', '=', request.attempt)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return affected(result) === 1;
    },

    /** Resets the counts when an export starts over (its file is rewritten from the beginning). */
    async resetCounts(request: { id: number; attempt: number }, tx: TransactionHandle): Promise<boolean> {
      const result = await db(tx)
        .updateTable('privacy_requests')
        .set({
          events_count: 0,
          orders_count: 0,
          order_adjustments_count: 0,
          dead_letters_count: 0,
          derived_count: 0,
        })
        .where('id', '=', request.id)
        .where('attempt', '=', request.attempt)
        .executeTakeFirst();
      return affected(result) === 1;
    },

    /** Done: the receipt stays, the identifiers go. */
    async finish(
      request: { id: number; attempt: number },
      file: { bytes: number; expiresAt: number } | null,
      nowMs: number,
      tx: TransactionHandle,
    ): Promise<boolean> {
      const result = await db(tx)
        .updateTable('privacy_requests')
        .set({
          status: 'done',
          pending_user_id: null,
          pending_anonymous_id: null,
          derived_plan: null,
          lease_until_ms: null,
          finished_at: nowMs,
          updated_at: nowMs,
          error: null,
          ...(file
            ? { file_attempt: request.attempt, file_bytes: file.bytes, file_expires_at: file.expiresAt }
            : {}),
        })
        .where('id', '=', request.id)
        .where('attempt', '=', request.attempt)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return affected(result) === 1;
    },

    /** Gave up: kept as a receipt with the reason; the identifiers go too. */
    async fail(
      request: { id: number; attempt: number },
      error: string,
      nowMs: number,
      tx: TransactionHandle,
    ) {
      const result = await db(tx)
        .updateTable('privacy_requests')
        .set({
          status: 'failed',
          pending_user_id: null,
          pending_anonymous_id: null,
          derived_plan: null,
          lease_until_ms: null,
          finished_at: nowMs,
          updated_at: nowMs,
          error: error.slice(0, 1024),
        })
        .where('id', '=', request.id)
        .where('attempt', '=', request.attempt)
        .where('status', 'in', UNFINISHED)
        .executeTakeFirst();
      return affected(result) === 1;
    },

    // ---- the suppression list ----

    async insertSuppression(
      row: { storeId: number; kind: 'user' | 'anonymous'; hash: Buffer; requestId: number; nowMs: number },
      tx?: TransactionHandle,
    ): Promise<void> {
      const values = {
        store_id: row.storeId,
        kind: row.kind,
        subject_hash: row.hash,
        request_id: row.requestId,
        created_at: row.nowMs,
      };
      // Erasing the same person twice is fine: the first row already suppresses them.
      const query = db(tx).insertInto('privacy_suppressions').values(values);
      await (database.dialect === 'mysql'
        ? query.ignore()
        : query.onConflict((oc) => oc.columns(['store_id', 'subject_hash']).doNothing())
      ).execute();
    },

    async listSuppressionsAfter(
      afterId: number,
      limit: number,
    ): Promise<{ id: number; storeId: number; hash: Buffer }[]> {
      const rows = await db()
        .selectFrom('privacy_suppressions')
        .select(['id', 'store_id', 'subject_hash'])
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ id: r.id, storeId: r.store_id, hash: Buffer.from(r.subject_hash) }));
    },

    // ---- export files ----

    async insertChunk(
      row: { requestId: number; attempt: number; seq: number; data: Buffer; nowMs: number },
      tx: TransactionHandle,
    ): Promise<void> {
      await db(tx)
        .insertInto('privacy_export_chunks')
        .values({
          request_id: row.requestId,
          attempt: row.attempt,
          seq: row.seq,
          data: row.data,
          created_at: row.nowMs,
        })
        .execute();
    },

    async listChunkIds(requestId: number, attempt: number): Promise<number[]> {
      const rows = await db()
        .selectFrom('privacy_export_chunks')
        .select('id')
        .where('request_id', '=', requestId)
        .where('attempt', '=', attempt)
        .orderBy('seq')
        .execute();
      return rows.map((r) => r.id);
    },

    async readChunk(id: number): Promise<Buffer | null> {
      const row = await db()
        .selectFrom('privacy_export_chunks')
        .select('data')
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? Buffer.from(row.data) : null;
    },

    /** Chunks of earlier attempts of a request (a run that lost it left them), at most `limit`. */
    async deleteChunksBeforeAttempt(
      requestId: number,
      attempt: number,
      limit: number,
      tx: TransactionHandle,
    ): Promise<number> {
      const ids = await db(tx)
        .selectFrom('privacy_export_chunks')
        .select('id')
        .where('request_id', '=', requestId)
        .where('attempt', '<', attempt)
        .limit(limit)
        .execute();
      if (ids.length === 0) return 0;
      return affected(
        await db(tx)
          .deleteFrom('privacy_export_chunks')
          .where(
            'id',
            'in',
            ids.map((r) => r.id),
          )
          .executeTakeFirst(),
      );
    },

    /** Export requests whose file is past its expiry but still stored. */
    async listExpiredFiles(nowMs: number, limit: number): Promise<{ id: number; attempt: number }[]> {
      const rows = await db()
        .selectFrom('privacy_requests')
        .select(['id', 'file_attempt'])
        .where('file_expires_at', '<', nowMs)
        .where('file_attempt', 'is not', null)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ id: r.id, attempt: Number(r.file_attempt) }));
    },

    /** Deletes at most `limit` chunks of the request; once none is left, marks its file gone. */
    async deleteFileChunk(requestId: number, limit: number, tx: TransactionHandle): Promise<number> {
      const ids = await db(tx)
        .selectFrom('privacy_export_chunks')
        .select('id')
        .where('request_id', '=', requestId)
        .limit(limit)
        .execute();
      if (ids.length === 0) {
        await db(tx)
          .updateTable('privacy_requests')
          .set({ file_attempt: null })
          .where('id', '=', requestId)
          .execute();
        return 0;
      }
      return affected(
        await db(tx)
          .deleteFrom('privacy_export_chunks')
          .where(
            'id',
            'in',
            ids.map((r) => r.id),
          )
          .executeTakeFirst(),
      );
    },

    // ---- store purge ----

    async countStoreRows(storeId: number, tx?: TransactionHandle): Promise<number> {
      const requestIds = db(tx).selectFrom('privacy_requests').select('id').where('store_id', '=', storeId);
      const counts = await Promise.all([
        db(tx)
          .selectFrom('privacy_export_chunks')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('request_id', 'in', requestIds)
          .executeTakeFirst(),
        db(tx)
          .selectFrom('privacy_suppressions')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('store_id', '=', storeId)
          .executeTakeFirst(),
        db(tx)
          .selectFrom('privacy_ip_policies')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('store_id', '=', storeId)
          .executeTakeFirst(),
        db(tx)
          .selectFrom('privacy_requests')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('store_id', '=', storeId)
          .executeTakeFirst(),
      ]);
      return counts.reduce((sum, row) => sum + Number(row?.n ?? 0), 0);
    },

    /**
     * At most `limit` of the store's privacy rows, children first (export chunks, suppressions, IP policy,
     * then the requests); 0 once none is left.
     */
    async deleteStoreChunk(storeId: number, limit: number, tx: TransactionHandle): Promise<number> {
      const chunkIds = await db(tx)
        .selectFrom('privacy_export_chunks')
        .select('id')
        .where(
          'request_id',
          'in',
          db(tx).selectFrom('privacy_requests').select('id').where('store_id', '=', storeId),
        )
        .limit(limit)
        .execute();
      if (chunkIds.length > 0) {
        return affected(
          await db(tx)
            .deleteFrom('privacy_export_chunks')
            .where(
              'id',
              'in',
              chunkIds.map((r) => r.id),
            )
            .executeTakeFirst(),
        );
      }
      for (const table of ['privacy_suppressions', 'privacy_requests'] as const) {
        const ids = await db(tx)
          .selectFrom(table)
          .select('id')
          .where('store_id', '=', storeId)
          .limit(limit)
          .execute();
        if (ids.length === 0) continue;
        return affected(
          await db(tx)
            .deleteFrom(table)
            .where(
              'id',
              'in',
              ids.map((r) => r.id),
            )
            .executeTakeFirst(),
        );
      }
      return affected(
        await db(tx).deleteFrom('privacy_ip_policies').where('store_id', '=', storeId).executeTakeFirst(),
      );
    },

    // ---- IP policy ----

    async findIpPolicy(storeId: number): Promise<{
      policy: string;
      pendingPolicy: string | null;
      scrubAfterId: number | null;
      scrubUpToId: number | null;
    } | null> {
      const row = await db()
        .selectFrom('privacy_ip_policies')
        .selectAll()
        .where('store_id', '=', storeId)
        .executeTakeFirst();
      return row
        ? {
            policy: row.policy,
            pendingPolicy: row.pending_policy,
            scrubAfterId: num(row.scrub_after_id),
            scrubUpToId: num(row.scrub_up_to_id),
          }
        : null;
    },

    async insertIpPolicy(
      storeId: number,
      policy: string,
      nowMs: number,
      tx: TransactionHandle,
    ): Promise<number> {
      const query = db(tx)
        .insertInto('privacy_ip_policies')
        .values({ store_id: storeId, policy, updated_at: nowMs });
      const result = await (database.dialect === 'mysql'
        ? query.ignore()
        : query.onConflict((oc) => oc.column('store_id').doNothing())
      ).executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n);
    },

    /** Starts, advances or (with `pendingPolicy` null) completes a rewrite of stored addresses. */
    async updateIpPolicy(
      storeId: number,
      change: {
        policy: string;
        pendingPolicy: string | null;
        scrubAfterId: number | null;
        scrubUpToId: number | null;
      },
      nowMs: number,
      tx: TransactionHandle,
    ): Promise<number> {
      return affected(
        await db(tx)
          .updateTable('privacy_ip_policies')
          .set({
            policy: change.policy,
            pending_policy: change.pendingPolicy,
            scrub_after_id: change.scrubAfterId,
            scrub_up_to_id: change.scrubUpToId,
            updated_at: nowMs,
          })
          .where('store_id', '=', storeId)
          .executeTakeFirst(),
      );
    },
  };
}

export type PrivacyRepository = ReturnType<typeof createPrivacyRepository>;
