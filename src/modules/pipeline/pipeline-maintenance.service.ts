import type { Database, TransactionHandle } from '../../platform/db/database.js';
import {
  createPipelineMaintenanceRepository,
  type ExportedDeadLetter,
  type ExportedEvent,
  type ExportedOrder,
  type ExportedOrderAdjustment,
  type PipelineRowCounts,
  type SubjectIds,
} from './pipeline-maintenance.repository.js';

export type {
  ExportedDeadLetter,
  ExportedEvent,
  ExportedOrder,
  ExportedOrderAdjustment,
  PipelineRowCounts,
  SubjectIds,
};

/** How a derived-data cleaner is asked to work: one chunk of at most `limit` rows, or a count. */
interface CleanOptions {
  limit: number;
  countOnly: boolean;
}

export type PipelineMaintenanceService = ReturnType<typeof createPipelineMaintenanceService>;

/** Whether a dead letter's payload (an encoded PipelineEvent, or damaged text) is about the subject. */
export function deadLetterMentions(payload: string, subject: SubjectIds): boolean {
  const wanted = [subject.userId, subject.anonymousId].filter((id): id is string => id !== null);
  try {
    const value = JSON.parse(payload) as { userId?: unknown; anonymousId?: unknown } | null;
    if (typeof value === 'object' && value !== null) {
      return (
        (subject.userId !== null && value.userId === subject.userId) ||
        (subject.anonymousId !== null && value.anonymousId === subject.anonymousId)
      );
    }
  } catch {
    // Damaged entries are kept verbatim: look for the identifier as a JSON string anywhere in the text.
  }
  return wanted.some((id) => payload.includes(JSON.stringify(id)));
}

/**
 * What the maintenance and privacy jobs may do to the pipeline's tables: chunked deletes (each call touches
 * at most `limit` rows per statement and runs in the caller's transaction) and the reads of an access export.
 * The pipeline stays the only module that knows its tables.
 */
export function createPipelineMaintenanceService(deps: { database: Database }) {
  const repo = createPipelineMaintenanceRepository(deps.database);
  return {
    countEventsBefore: repo.countEventsBefore,
    deleteEventsBefore: repo.deleteEventsBefore,
    countOrdersPlacedBefore: repo.countOrdersPlacedBefore,
    deleteOrdersPlacedBefore: repo.deleteOrdersPlacedBefore,
    countDeadLettersBefore: repo.countDeadLettersBefore,
    deleteDeadLettersBefore: repo.deleteDeadLettersBefore,

    countStoreRows: repo.countStoreRows,
    deleteStoreChunk: repo.deleteStoreChunk,

    countSubject: repo.countSubject,
    listSubjectOrderIds: repo.listSubjectOrderIds,
    deleteOrdersByOrderIds: repo.deleteOrdersByOrderIds,
    deleteSubjectEvents: repo.deleteSubjectEvents,

    /**
     * Scans one page of the store's dead letters after `afterId` and deletes those about the subject. Dead
     * letters hold raw payloads, so the match happens here rather than in SQL. `nextAfterId` is null once the
     * scan has passed the last dead letter.
     */
    async deleteSubjectDeadLetters(
      storeId: number,
      subject: SubjectIds,
      afterId: number,
      limit: number,
      tx: TransactionHandle,
    ): Promise<{ deleted: number; nextAfterId: number | null }> {
      const page = await repo.listDeadLetterPayloads(storeId, afterId, limit, tx);
      const matching = page.filter((row) => deadLetterMentions(row.payload, subject)).map((row) => row.rowId);
      const deleted = await repo.deleteDeadLettersByIds(storeId, matching, tx);
      const last = page[page.length - 1];
      return { deleted, nextAfterId: page.length < limit || !last ? null : last.rowId };
    },

    /** One page of the store's dead letters about the subject (for an export, or a dry run's count). */
    async listSubjectDeadLetters(
      storeId: number,
      subject: SubjectIds,
      afterId: number,
      limit: number,
    ): Promise<{ items: ExportedDeadLetter[]; nextAfterId: number | null }> {
      const page = await repo.listDeadLetterPayloads(storeId, afterId, limit);
      const last = page[page.length - 1];
      return {
        items: page.filter((row) => deadLetterMentions(row.payload, subject)),
        nextAfterId: page.length < limit || !last ? null : last.rowId,
      };
    },

    maxEventId: repo.maxEventId,
    listEventContextsWithIp: repo.listEventContextsWithIp,
    updateEventContext: repo.updateEventContext,

    listSubjectEvents: repo.listSubjectEvents,
    listOrdersByOrderIds: repo.listOrdersByOrderIds,
    listAdjustmentsByOrderIds: repo.listAdjustmentsByOrderIds,

    /**
     * The context dictionary as data derived from events (register it with the privacy module's cleaners):
     * retention deletes the rows only events past the cutoff referred to, and a purged store takes its rows.
     * Erasure leaves them: they describe a kind of browser, not a person, and other visitors' events share them.
     */
    contextsCleaner: {
      name: 'event-contexts',
      deleteStoreBefore: (storeId: number, beforeMs: number, tx: TransactionHandle, options: CleanOptions) =>
        repo.deleteContextsBefore(storeId, beforeMs, options.limit, tx, options.countOnly),
      planSubject: async (): Promise<string | null> => null,
      deleteSubject: async (): Promise<{ rows: number; plan: string | null }> => ({ rows: 0, plan: null }),
      deleteStore: (storeId: number, tx: TransactionHandle, options: CleanOptions) =>
        repo.deleteContextsBefore(storeId, null, options.limit, tx, options.countOnly),
    },
  };
}
