import { type Expression, type Kysely, type Selectable, type SqlBool, sql } from 'kysely';
import type { Database, TransactionHandle } from '../../platform/db/database.js';
import { type PublicId, toPublicId } from '../../platform/ids.js';
import { type EventReadRow, type EventRecord, toEventRecord } from './events.repository.js';
import type { OrderAdjustmentsTable, OrdersTable, PipelineTables } from './pipeline.tables.js';

/**
 * The SQL behind retention, purge, erasure and export: deletes that touch at most `limit` rows per statement
 * (select the ids, then delete by id list — MySQL cannot LIMIT inside `IN (subquery)`, and a plain
 * `DELETE … LIMIT` does not exist on SQLite), and the reads an export needs. Every write takes the caller's
 * transaction: the maintenance jobs commit each chunk inside a cron fence.
 */

/** Whose data: events and orders carrying this user id or this anonymous id (at least one is set). */
export interface SubjectIds {
  userId: string | null;
  anonymousId: string | null;
}

/** Rows a deletion removed (or, counted, would remove), per table. */
export interface PipelineRowCounts {
  events: number;
  orders: number;
  orderAdjustments: number;
  deadLetters: number;
}

export const NO_ROWS: PipelineRowCounts = Object.freeze({
  events: 0,
  orders: 0,
  orderAdjustments: 0,
  deadLetters: 0,
});

/** One stored event as an access export shows it: everything we keep, nothing private (`id` is the `evt_…`). */
export type ExportedEvent = Omit<EventRecord, 'hash'> & {
  /** Private row id: the export pages by it; never written to the file. */
  rowId: number;
  id: PublicId<'evt'>;
};

export interface ExportedOrder {
  id: PublicId<'ord'>;
  orderId: string;
  status: string;
  currency: string | null;
  revenue: number;
  refundedTotal: number;
  netRevenue: number;
  lineItems: unknown[] | null;
  revenueSource: string | null;
  isCompleted: boolean;
  userId: string | null;
  anonymousId: string | null;
  sessionId: string | null;
  channel: string | null;
  referrerHost: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
  placedAtMs: number;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface ExportedOrderAdjustment {
  orderId: string;
  kind: string;
  amount: number | null;
  currency: string | null;
  occurredAtMs: number;
  createdAtMs: number;
}

/** A buffer entry that failed too often to store, as an access export shows it. */
export interface ExportedDeadLetter {
  /** Private row id: pages are read by it; never written to the file. */
  rowId: number;
  messageId: string | null;
  /** The entry as it was buffered: the event's JSON, or damaged text. */
  payload: string;
  reason: string;
  createdAtMs: number;
}

/** Orders per statement when their `order_id`s travel in an IN list (255-character ids: about 256 KB). */
const ORDER_IDS_PER_STATEMENT = 1000;

/** Identifiers are stored cut to their 255-character column; a subject is matched the same way. */
const IDENTIFIER_LENGTH = 255;
const clip = (value: string | null): string | null =>
  value === null ? null : value.slice(0, IDENTIFIER_LENGTH);

/** Byte order of UTF-8, which both dialects use for these binary-collated columns (JS sorts UTF-16). */
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

const nullableNumber = (value: number | string | null): number | null =>
  value === null ? null : Number(value);

function toExportedEvent(row: EventReadRow): ExportedEvent {
  const { hash, ...record } = toEventRecord(row);
  return { rowId: row.id, id: toPublicId('evt', hash), ...record };
}

function toExportedOrder(row: Selectable<OrdersTable>): ExportedOrder {
  return {
    id: toPublicId('ord', row.uid),
    orderId: row.order_id,
    status: row.status,
    currency: row.currency,
    revenue: Number(row.revenue),
    refundedTotal: Number(row.refunded_total),
    netRevenue: Number(row.net_revenue),
    lineItems: row.line_items ? (JSON.parse(row.line_items) as unknown[]) : null,
    revenueSource: row.revenue_source,
    isCompleted: Boolean(row.is_completed),
    userId: row.user_id,
    anonymousId: row.anonymous_id,
    sessionId: row.session_id,
    channel: row.channel,
    referrerHost: row.referrer_host,
    utmSource: row.utm_source,
    utmMedium: row.utm_medium,
    utmCampaign: row.utm_campaign,
    utmTerm: row.utm_term,
    utmContent: row.utm_content,
    placedAtMs: Number(row.placed_at_ms),
    createdAtMs: Number(row.created_at),
    updatedAtMs: Number(row.updated_at),
  };
}

function toExportedAdjustment(row: Selectable<OrderAdjustmentsTable>): ExportedOrderAdjustment {
  return {
    orderId: row.order_id,
    kind: row.kind,
    amount: nullableNumber(row.amount),
    currency: row.currency,
    occurredAtMs: Number(row.occurred_at_ms),
    createdAtMs: Number(row.created_at),
  };
}

/** `(user_id = ? or anonymous_id = ?)` with the identifiers the subject has, on a table or an alias. */
function subjectWhere(subject: SubjectIds, table: string): Expression<SqlBool> {
  const userId = clip(subject.userId);
  const anonymousId = clip(subject.anonymousId);
  const parts: Expression<SqlBool>[] = [];
  if (userId !== null) parts.push(sql<SqlBool>`${sql.ref(`${table}.user_id`)} = ${userId}`);
  if (anonymousId !== null) parts.push(sql<SqlBool>`${sql.ref(`${table}.anonymous_id`)} = ${anonymousId}`);
  const [first, second] = parts;
  // A subject without identifiers must never match everything: the service refuses one, this is the backstop.
  if (!first) throw new Error('a privacy subject needs a userId or an anonymousId');
  return second ? sql<SqlBool>`(${first} or ${second})` : first;
}

const count = (row: { n: number | string | bigint } | undefined): number => Number(row?.n ?? 0);
const deleted = (result: { numDeletedRows: bigint }): number => Number(result.numDeletedRows);

export function createPipelineMaintenanceRepository(database: Database) {
  const db = (tx?: TransactionHandle): Kysely<PipelineTables> => database.typed<PipelineTables>(tx);

  async function deleteEventIds(ids: number[], tx: TransactionHandle): Promise<number> {
    if (ids.length === 0) return 0;
    return deleted(await db(tx).deleteFrom('events').where('id', 'in', ids).executeTakeFirst());
  }

  /** Orders with these order ids and their ledger rows; adjustments go in statements of at most `limit`. */
  async function deleteOrdersByOrderIds(
    storeId: number,
    orderIds: readonly string[],
    limit: number,
    tx: TransactionHandle,
  ): Promise<{ orders: number; orderAdjustments: number }> {
    let orders = 0;
    let orderAdjustments = 0;
    for (let start = 0; start < orderIds.length; start += ORDER_IDS_PER_STATEMENT) {
      const slice = orderIds.slice(start, start + ORDER_IDS_PER_STATEMENT);
      // An order has a handful of adjustments, but nothing bounds them: delete them in limited statements.
      for (;;) {
        const ids = await db(tx)
          .selectFrom('order_adjustments')
          .select('id')
          .where('store_id', '=', storeId)
          .where('order_id', 'in', slice)
          .limit(limit)
          .execute();
        if (ids.length === 0) break;
        orderAdjustments += deleted(
          await db(tx)
            .deleteFrom('order_adjustments')
            .where(
              'id',
              'in',
              ids.map((r) => r.id),
            )
            .executeTakeFirst(),
        );
        if (ids.length < limit) break;
      }
      orders += deleted(
        await db(tx)
          .deleteFrom('orders')
          .where('store_id', '=', storeId)
          .where('order_id', 'in', slice)
          .executeTakeFirst(),
      );
    }
    return { orders, orderAdjustments };
  }

  /** The subquery of order ids the subject's events mention. */
  const subjectEventOrderIds = (storeId: number, subject: SubjectIds, tx?: TransactionHandle) =>
    db(tx)
      .selectFrom('events as e')
      .select('e.order_id')
      .where('e.store_id', '=', storeId)
      .where(subjectWhere(subject, 'e'))
      .where('e.order_id', 'is not', null);

  return {
    // ---- retention: one store's rows older than a cutoff ----

    async countEventsBefore(storeId: number, beforeMs: number, tx?: TransactionHandle): Promise<number> {
      return count(
        await db(tx)
          .selectFrom('events')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('store_id', '=', storeId)
          .where('timestamp_ms', '<', beforeMs)
          .executeTakeFirst(),
      );
    },

    /** At most `limit` of the store's events older than `beforeMs`; returns how many went. */
    async deleteEventsBefore(
      storeId: number,
      beforeMs: number,
      limit: number,
      tx: TransactionHandle,
    ): Promise<number> {
      const ids = await db(tx)
        .selectFrom('events')
        .select('id')
        .where('store_id', '=', storeId)
        .where('timestamp_ms', '<', beforeMs)
        .limit(limit)
        .execute();
      return deleteEventIds(
        ids.map((r) => r.id),
        tx,
      );
    },

    async countOrdersPlacedBefore(
      storeId: number,
      beforeMs: number,
      tx?: TransactionHandle,
    ): Promise<{ orders: number; orderAdjustments: number }> {
      const orders = count(
        await db(tx)
          .selectFrom('orders')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('store_id', '=', storeId)
          .where('placed_at_ms', '<', beforeMs)
          .executeTakeFirst(),
      );
      const orderAdjustments = count(
        await db(tx)
          .selectFrom('order_adjustments')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('store_id', '=', storeId)
          .where(
            'order_id',
            'in',
            db(tx)
              .selectFrom('orders')
              .select('order_id')
              .where('store_id', '=', storeId)
              .where('placed_at_ms', '<', beforeMs),
          )
          .executeTakeFirst(),
      );
      return { orders, orderAdjustments };
    },

    /**
     * Up to 1,000 orders placed before `beforeMs`, with their ledger rows. Orders are derived from events: an
     * order older than retention goes with the events that made it.
     */
    async deleteOrdersPlacedBefore(
      storeId: number,
      beforeMs: number,
      limit: number,
      tx: TransactionHandle,
    ): Promise<{ orders: number; orderAdjustments: number }> {
      const rows = await db(tx)
        .selectFrom('orders')
        .select('order_id')
        .where('store_id', '=', storeId)
        .where('placed_at_ms', '<', beforeMs)
        .limit(Math.min(limit, ORDER_IDS_PER_STATEMENT))
        .execute();
      return deleteOrdersByOrderIds(
        storeId,
        rows.map((r) => r.order_id),
        limit,
        tx,
      );
    },

    /** Dead letters created before `beforeMs`: of one store, or of every store (`storeId` null). */
    async countDeadLettersBefore(
      storeId: number | null,
      beforeMs: number,
      tx?: TransactionHandle,
    ): Promise<number> {
      let query = db(tx)
        .selectFrom('dead_letters')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('created_at', '<', beforeMs);
      if (storeId !== null) query = query.where('store_id', '=', storeId);
      return count(await query.executeTakeFirst());
    },

    async deleteDeadLettersBefore(
      storeId: number | null,
      beforeMs: number,
      limit: number,
      tx: TransactionHandle,
    ): Promise<number> {
      let query = db(tx).selectFrom('dead_letters').select('id').where('created_at', '<', beforeMs);
      if (storeId !== null) query = query.where('store_id', '=', storeId);
      const ids = await query.limit(limit).execute();
      if (ids.length === 0) return 0;
      return deleted(
        await db(tx)
          .deleteFrom('dead_letters')
          .where(
            'id',
            'in',
            ids.map((r) => r.id),
          )
          .executeTakeFirst(),
      );
    },

    /**
     * Context dictionary rows (event-contexts.ts) of the store that no event at or after `beforeMs` can refer
     * to: at most `limit`, or with `countOnly` how many there are.
     */
    async deleteContextsBefore(
      storeId: number,
      beforeMs: number | null,
      limit: number,
      tx: TransactionHandle,
      countOnly: boolean,
    ): Promise<number> {
      let query = db(tx).selectFrom('event_contexts').where('store_id', '=', storeId);
      if (beforeMs !== null) query = query.where('last_event_ms', '<', beforeMs);
      if (countOnly) {
        return count(await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst());
      }
      const ids = (await query.select('id').limit(limit).execute()).map((r) => r.id);
      if (ids.length === 0) return 0;
      return deleted(await db(tx).deleteFrom('event_contexts').where('id', 'in', ids).executeTakeFirst());
    },

    // ---- purge: everything of one store ----

    async countStoreRows(storeId: number, tx?: TransactionHandle): Promise<PipelineRowCounts> {
      const countOf = async (table: keyof PipelineTables) =>
        count(
          await db(tx)
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('store_id', '=', storeId)
            .executeTakeFirst(),
        );
      return {
        events: await countOf('events'),
        orders: await countOf('orders'),
        orderAdjustments: await countOf('order_adjustments'),
        deadLetters: await countOf('dead_letters'),
      };
    },

    /**
     * At most `limit` rows of the store, children first (ledger, orders, events, dead letters); all zero once
     * the store has none left.
     */
    async deleteStoreChunk(
      storeId: number,
      limit: number,
      tx: TransactionHandle,
    ): Promise<PipelineRowCounts> {
      const tables = [
        ['order_adjustments', 'orderAdjustments'],
        ['orders', 'orders'],
        ['events', 'events'],
        ['dead_letters', 'deadLetters'],
      ] as const;
      for (const [table, key] of tables) {
        const ids = await db(tx)
          .selectFrom(table)
          .select('id')
          .where('store_id', '=', storeId)
          .limit(limit)
          .execute();
        if (ids.length === 0) continue;
        const rows = deleted(
          await db(tx)
            .deleteFrom(table)
            .where(
              'id',
              'in',
              ids.map((r) => r.id),
            )
            .executeTakeFirst(),
        );
        return { ...NO_ROWS, [key]: rows };
      }
      return { ...NO_ROWS };
    },

    // ---- erasure and export: one subject's rows in one store ----

    /** What an erasure of the subject would delete (dead letters are matched by payload, so not counted). */
    async countSubject(
      storeId: number,
      subject: SubjectIds,
      tx?: TransactionHandle,
    ): Promise<{ events: number; orders: number; orderAdjustments: number }> {
      const events = count(
        await db(tx)
          .selectFrom('events as e')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('e.store_id', '=', storeId)
          .where(subjectWhere(subject, 'e'))
          .executeTakeFirst(),
      );
      // Two index lookups (events by subject, orders by (store, user) / (store, anonymous id)) and then the
      // ids themselves: one statement OR-ing them with a subquery made MariaDB scan every order of the store.
      const [mentioned, own] = await Promise.all([
        subjectEventOrderIds(storeId, subject, tx).distinct().execute(),
        db(tx)
          .selectFrom('orders as o')
          .select('o.order_id')
          .where('o.store_id', '=', storeId)
          .where(subjectWhere(subject, 'o'))
          .execute(),
      ]);
      const orderIds = new Set(own.map((row) => row.order_id));
      const others = [...new Set(mentioned.map((row) => row.order_id))].filter(
        (id): id is string => id !== null && !orderIds.has(id),
      );
      for (let i = 0; i < others.length; i += ORDER_IDS_PER_STATEMENT) {
        const existing = await db(tx)
          .selectFrom('orders')
          .select('order_id')
          .where('store_id', '=', storeId)
          .where('order_id', 'in', others.slice(i, i + ORDER_IDS_PER_STATEMENT))
          .execute();
        for (const row of existing) orderIds.add(row.order_id);
      }
      // Adjustments may outlive (or precede) their order row: any id the subject is linked to counts.
      const adjustable = [...new Set([...orderIds, ...others])];
      let orderAdjustments = 0;
      for (let i = 0; i < adjustable.length; i += ORDER_IDS_PER_STATEMENT) {
        orderAdjustments += count(
          await db(tx)
            .selectFrom('order_adjustments')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('store_id', '=', storeId)
            .where('order_id', 'in', adjustable.slice(i, i + ORDER_IDS_PER_STATEMENT))
            .executeTakeFirst(),
        );
      }
      return { events, orders: orderIds.size, orderAdjustments };
    },

    /**
     * The subject's order ids after `afterOrderId` (byte order), at most `limit`: ids its events mention and
     * ids of orders carrying its identifiers. Paging is by key, so it also works while the rows are deleted.
     */
    async listSubjectOrderIds(
      storeId: number,
      subject: SubjectIds,
      afterOrderId: string | null,
      limit: number,
      tx?: TransactionHandle,
    ): Promise<string[]> {
      let fromEvents = db(tx)
        .selectFrom('events as e')
        .select('e.order_id')
        .distinct()
        .where('e.store_id', '=', storeId)
        .where(subjectWhere(subject, 'e'))
        .where('e.order_id', 'is not', null);
      let fromOrders = db(tx)
        .selectFrom('orders as o')
        .select('o.order_id')
        .where('o.store_id', '=', storeId)
        .where(subjectWhere(subject, 'o'));
      if (afterOrderId !== null) {
        fromEvents = fromEvents.where('e.order_id', '>', afterOrderId);
        fromOrders = fromOrders.where('o.order_id', '>', afterOrderId);
      }
      const [a, b] = await Promise.all([
        fromEvents.orderBy('e.order_id').limit(limit).execute(),
        fromOrders.orderBy('o.order_id').limit(limit).execute(),
      ]);
      // Each side holds its `limit` smallest ids, so the union's `limit` smallest are exact.
      const ids = new Set<string>();
      for (const row of [...a, ...b]) if (row.order_id !== null) ids.add(row.order_id);
      return [...ids].sort(byteOrder).slice(0, limit);
    },

    deleteOrdersByOrderIds,

    /** At most `limit` of the subject's events; returns how many went. */
    async deleteSubjectEvents(
      storeId: number,
      subject: SubjectIds,
      limit: number,
      tx: TransactionHandle,
    ): Promise<number> {
      const ids = await db(tx)
        .selectFrom('events as e')
        .select('e.id')
        .where('e.store_id', '=', storeId)
        .where(subjectWhere(subject, 'e'))
        .limit(limit)
        .execute();
      return deleteEventIds(
        ids.map((r) => r.id),
        tx,
      );
    },

    /** A page of the store's dead letters (id order), for matching payloads the database cannot parse. */
    async listDeadLetterPayloads(
      storeId: number,
      afterId: number,
      limit: number,
      tx?: TransactionHandle,
    ): Promise<ExportedDeadLetter[]> {
      const rows = await db(tx)
        .selectFrom('dead_letters')
        .select(['id', 'message_id', 'payload', 'reason', 'created_at'])
        .where('store_id', '=', storeId)
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        rowId: r.id,
        messageId: r.message_id,
        payload: r.payload,
        reason: r.reason,
        createdAtMs: Number(r.created_at),
      }));
    },

    async deleteDeadLettersByIds(
      storeId: number,
      ids: readonly number[],
      tx: TransactionHandle,
    ): Promise<number> {
      if (ids.length === 0) return 0;
      return deleted(
        await db(tx)
          .deleteFrom('dead_letters')
          .where('store_id', '=', storeId)
          .where('id', 'in', [...ids])
          .executeTakeFirst(),
      );
    },

    // ---- IP policy: rewriting addresses already stored when a store tightens its policy ----

    async maxEventId(storeId: number): Promise<number> {
      const row = await db()
        .selectFrom('events')
        .select((eb) => eb.fn.max<number | null>('id').as('id'))
        .where('store_id', '=', storeId)
        .executeTakeFirst();
      return Number(row?.id ?? 0);
    },

    /**
     * The store's events in (afterId, upToId] whose context may carry an address, at most `limit`, in id
     * order; `scannedTo` is how far the page got (so a page of rows without addresses still advances).
     */
    async listEventContextsWithIp(
      storeId: number,
      afterId: number,
      upToId: number,
      limit: number,
    ): Promise<{ rows: { id: number; context: string }[]; scannedTo: number; isDone: boolean }> {
      const rows = await db()
        .selectFrom('events')
        .select(['id', 'context'])
        .where('store_id', '=', storeId)
        .where('id', '>', afterId)
        .where('id', '<=', upToId)
        .orderBy('id')
        .limit(limit)
        .execute();
      const last = rows[rows.length - 1];
      return {
        rows: rows.flatMap((r) => (r.context?.includes('"ip"') ? [{ id: r.id, context: r.context }] : [])),
        scannedTo: last ? last.id : upToId,
        isDone: rows.length < limit,
      };
    },

    async updateEventContext(id: number, context: string | null, tx: TransactionHandle): Promise<number> {
      const result = await db(tx)
        .updateTable('events')
        .set({ context })
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    /** The subject's events with row id above `afterRowId`, in row id order. */
    async listSubjectEvents(
      storeId: number,
      subject: SubjectIds,
      afterRowId: number,
      limit: number,
    ): Promise<ExportedEvent[]> {
      const rows = await db()
        .selectFrom('events as e')
        .leftJoin('event_contexts as c', 'c.id', 'e.context_id')
        .selectAll('e')
        .select('c.body as shared_context')
        .where('e.store_id', '=', storeId)
        .where(subjectWhere(subject, 'e'))
        .where('e.id', '>', afterRowId)
        .orderBy('e.id')
        .limit(limit)
        .execute();
      return rows.map(toExportedEvent);
    },

    async listOrdersByOrderIds(storeId: number, orderIds: readonly string[]): Promise<ExportedOrder[]> {
      if (orderIds.length === 0) return [];
      const rows = await db()
        .selectFrom('orders')
        .selectAll()
        .where('store_id', '=', storeId)
        .where('order_id', 'in', [...orderIds])
        .orderBy('id')
        .execute();
      return rows.map(toExportedOrder);
    },

    async listAdjustmentsByOrderIds(
      storeId: number,
      orderIds: readonly string[],
    ): Promise<ExportedOrderAdjustment[]> {
      if (orderIds.length === 0) return [];
      const rows = await db()
        .selectFrom('order_adjustments')
        .selectAll()
        .where('store_id', '=', storeId)
        .where('order_id', 'in', [...orderIds])
        .orderBy('id')
        .execute();
      return rows.map(toExportedAdjustment);
    },
  };
}

export type PipelineMaintenanceRepository = ReturnType<typeof createPipelineMaintenanceRepository>;
