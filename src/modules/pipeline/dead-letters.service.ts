import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import { AppError, conflict, notFound } from '../../platform/errors.js';
import { type Ids, parsePublicId } from '../../platform/ids.js';
import type { Actor, AuditService } from '../audit/index.js';
import type { BatchWriter } from './batch-writer.service.js';
import { describeError, isTransientDatabaseError } from './database-errors.js';
import { createDeadLettersRepository, type DeadLetter } from './dead-letters.repository.js';
import { decodeEvent } from './pipeline-event.js';

export type { DeadLetter };

export interface DeadLetterInput {
  storeId: number;
  messageId: string | null;
  payload: string;
  reason: string;
  attempts: number;
}

export type DeadLettersService = ReturnType<typeof createDeadLettersService>;

/** The dead-letter table: where entries go after too many failed deliveries, and how an admin replays them. */
export function createDeadLettersService(deps: {
  database: Database;
  clock: Clock;
  ids: Ids;
  writer: BatchWriter;
  audit: AuditService | null;
}) {
  const repo = createDeadLettersRepository(deps.database);
  return {
    async record(entries: DeadLetterInput[]): Promise<void> {
      const nowMs = deps.clock.nowMs();
      await repo.insert(entries.map((entry) => ({ ...entry, uid: deps.ids.newUid(), nowMs })));
    },

    async list(
      storeId: number,
      options: { limit: number; cursor?: string; includeReplayed?: boolean },
    ): Promise<{ items: DeadLetter[]; nextCursor: string | null }> {
      let beforeId: number | null = null;
      if (options.cursor !== undefined) {
        const uid = parsePublicId('dlq', options.cursor);
        const anchor = uid ? await repo.findByUid(storeId, uid) : null;
        if (!anchor)
          throw new AppError('validation_failed', 'The cursor is not valid here', { field: 'cursor' });
        beforeId = anchor.id;
      }
      const page = await repo.list(storeId, {
        limit: options.limit,
        beforeId,
        includeReplayed: options.includeReplayed === true,
      });
      const last = page.records[page.records.length - 1];
      return { items: page.records, nextCursor: page.hasMore && last ? last.publicId : null };
    },

    /**
     * Stores a dead letter's event now, in the caller's request, and marks it replayed in the same
     * transaction: a replay either fully happens or the letter stays as it was (with the new reason in the
     * answer). Idempotent: an event that was stored meanwhile is not stored twice.
     */
    async replay(
      storeId: number,
      publicId: string,
      audit: { actor: Actor; organizationId: number | null },
    ): Promise<{ letter: DeadLetter; outcome: 'stored' | 'duplicate' | 'suppressed' }> {
      const uid = parsePublicId('dlq', publicId);
      if (!uid) throw notFound('Dead letter');
      const letter = await repo.findByUid(storeId, uid);
      if (!letter) throw notFound('Dead letter');
      if (letter.replayedAt !== null) throw conflict('id', 'This dead letter was already replayed');
      const decoded = decodeEvent(String(letter.storeId), letter.payload);
      if (!decoded.ok) throw conflict('payload', `This entry cannot be replayed: ${decoded.reason}`);
      let result: Awaited<ReturnType<BatchWriter['write']>>;
      try {
        result = await deps.writer.write([decoded.event], {
          alsoInTransaction: async (tx) => {
            if (!(await repo.markReplayed(letter.id, deps.clock.nowMs(), tx))) {
              throw conflict('id', 'This dead letter was already replayed');
            }
          },
        });
      } catch (error) {
        if (error instanceof AppError) throw error;
        if (isTransientDatabaseError(error)) {
          throw new AppError('unavailable', 'The database is unavailable; try again shortly', {
            retryAfterS: 5,
          });
        }
        throw conflict('payload', `Storing the event failed again: ${describeError(error)}`);
      }
      await deps.audit?.record({
        action: 'deadletter.replayed',
        actor: audit.actor,
        organizationId: audit.organizationId,
        storeId,
        targetId: letter.publicId,
        details: { messageId: letter.messageId },
      });
      const outcome = result.suppressed > 0 ? 'suppressed' : result.stored > 0 ? 'stored' : 'duplicate';
      return { letter: (await repo.findByUid(storeId, uid)) ?? letter, outcome };
    },
  };
}
