import type { Selectable } from 'kysely';
import type { Database, TransactionHandle } from '../../platform/db/database.js';
import { type PublicId, toPublicId, type Uid } from '../../platform/ids.js';
import type { DeadLettersTable, PipelineTables } from './pipeline.tables.js';

export interface DeadLetter {
  id: number;
  publicId: PublicId<'dlq'>;
  storeId: number;
  messageId: string | null;
  /** The buffer entry as it was: the event's JSON, or whatever damaged text the entry held. */
  payload: string;
  reason: string;
  attempts: number;
  createdAt: number;
  replayedAt: number | null;
}

const toDeadLetter = (row: Selectable<DeadLettersTable>): DeadLetter => ({
  id: row.id,
  publicId: toPublicId('dlq', row.uid),
  storeId: row.store_id,
  messageId: row.message_id,
  payload: row.payload,
  reason: row.reason,
  attempts: row.attempts,
  createdAt: Number(row.created_at),
  replayedAt: row.replayed_at === null ? null : Number(row.replayed_at),
});

export function createDeadLettersRepository(database: Database) {
  const db = (tx?: TransactionHandle) => database.typed<PipelineTables>(tx);
  return {
    async insert(
      rows: {
        uid: Uid;
        storeId: number;
        messageId: string | null;
        payload: string;
        reason: string;
        attempts: number;
        nowMs: number;
      }[],
    ): Promise<void> {
      if (rows.length === 0) return;
      await db()
        .insertInto('dead_letters')
        .values(
          rows.map((row) => ({
            uid: row.uid,
            store_id: row.storeId,
            message_id: row.messageId?.slice(0, 255) ?? null,
            payload: row.payload,
            reason: row.reason.slice(0, 1024),
            attempts: row.attempts,
            created_at: row.nowMs,
          })),
        )
        .execute();
    },

    async findByUid(storeId: number, uid: Uid): Promise<DeadLetter | null> {
      const row = await db()
        .selectFrom('dead_letters')
        .selectAll()
        .where('store_id', '=', storeId)
        .where('uid', '=', uid)
        .executeTakeFirst();
      return row ? toDeadLetter(row) : null;
    },

    /** Newest first; `beforeId` is the private id of the previous page's last row. */
    async list(
      storeId: number,
      page: { limit: number; beforeId: number | null; includeReplayed: boolean },
    ): Promise<{ records: DeadLetter[]; hasMore: boolean }> {
      let query = db().selectFrom('dead_letters').selectAll().where('store_id', '=', storeId);
      if (page.beforeId !== null) query = query.where('id', '<', page.beforeId);
      if (!page.includeReplayed) query = query.where('replayed_at', 'is', null);
      const rows = await query
        .orderBy('id', 'desc')
        .limit(page.limit + 1)
        .execute();
      return { records: rows.slice(0, page.limit).map(toDeadLetter), hasMore: rows.length > page.limit };
    },

    /** Marks a dead letter replayed; false if another replay got there first. */
    async markReplayed(id: number, nowMs: number, tx: TransactionHandle): Promise<boolean> {
      const result = await db(tx)
        .updateTable('dead_letters')
        .set({ replayed_at: nowMs })
        .where('id', '=', id)
        .where('replayed_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

export type DeadLettersRepository = ReturnType<typeof createDeadLettersRepository>;
