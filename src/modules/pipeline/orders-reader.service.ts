import type { Database } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { parsePublicId } from '../../platform/ids.js';
import { createOrdersRepository, type OrderRecord } from './orders.repository.js';

export type { OrderRecord };

export type OrdersReader = ReturnType<typeof createOrdersReader>;

/** Reads orders, most recently placed first, with an opaque cursor (the last item's `ord_…` id). */
export function createOrdersReader(deps: { database: Database }) {
  const repo = createOrdersRepository(deps.database);
  return {
    async list(
      storeId: number,
      query: {
        limit: number;
        cursor?: string;
        orderId?: string;
        status?: string;
        fromMs?: number;
        toMs?: number;
      },
    ): Promise<{ items: OrderRecord[]; nextCursor: string | null }> {
      let after = null;
      if (query.cursor !== undefined) {
        const uid = parsePublicId('ord', query.cursor);
        const anchor = uid ? await repo.findByUid(storeId, uid) : null;
        if (!anchor)
          throw new AppError('validation_failed', 'The cursor is not valid here', { field: 'cursor' });
        after = { placedAtMs: anchor.placedAtMs, id: anchor.id };
      }
      const page = await repo.list(
        storeId,
        {
          ...(query.orderId !== undefined ? { orderId: query.orderId } : {}),
          ...(query.status !== undefined ? { status: query.status } : {}),
          ...(query.fromMs !== undefined ? { fromMs: query.fromMs } : {}),
          ...(query.toMs !== undefined ? { toMs: query.toMs } : {}),
        },
        { limit: query.limit, after },
      );
      const last = page.records[page.records.length - 1];
      return { items: page.records, nextCursor: page.hasMore && last ? last.publicId : null };
    },
  };
}
