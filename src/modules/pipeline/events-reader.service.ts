import type { Database } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { type PublicId, parsePublicId, toPublicId } from '../../platform/ids.js';
import { createEventsRepository, type EventFilters, type EventRecord } from './events.repository.js';
import { messageHash } from './pipeline-event.js';

export interface EventView extends Omit<EventRecord, 'hash'> {
  id: PublicId<'evt'>;
}

export interface EventQuery {
  limit: number;
  cursor?: string;
  messageId?: string;
  userId?: string;
  anonymousId?: string;
  event?: string;
  type?: string;
  fromMs?: number;
  toMs?: number;
}

export type EventsReader = ReturnType<typeof createEventsReader>;

/** Reads stored events, newest first, with an opaque cursor (the last item's id). */
export function createEventsReader(deps: { database: Database }) {
  const repo = createEventsRepository(deps.database);
  const toView = ({ hash, ...rest }: EventRecord): EventView => ({ id: toPublicId('evt', hash), ...rest });

  return {
    async list(
      storeId: number,
      query: EventQuery,
    ): Promise<{ items: EventView[]; nextCursor: string | null }> {
      let after = null;
      if (query.cursor !== undefined) {
        const hash = parsePublicId('evt', query.cursor);
        after = hash ? await repo.findPosition(storeId, hash) : null;
        if (!after)
          throw new AppError('validation_failed', 'The cursor is not valid here', { field: 'cursor' });
      }
      const filters: EventFilters = {
        ...(query.messageId !== undefined ? { messageHash: messageHash(query.messageId) } : {}),
        ...(query.userId !== undefined ? { userId: query.userId } : {}),
        ...(query.anonymousId !== undefined ? { anonymousId: query.anonymousId } : {}),
        ...(query.event !== undefined ? { event: query.event } : {}),
        ...(query.type !== undefined ? { type: query.type } : {}),
        ...(query.fromMs !== undefined ? { fromMs: query.fromMs } : {}),
        ...(query.toMs !== undefined ? { toMs: query.toMs } : {}),
      };
      const page = await repo.list(storeId, filters, { limit: query.limit, after });
      const items = page.records.map(toView);
      const last = items[items.length - 1];
      return { items, nextCursor: page.hasMore && last ? last.id : null };
    },

    /** The number of events a store has; for tests and operators, not a report. */
    count: (storeId: number) => repo.countByStore(storeId),
  };
}
