import type { Selectable } from 'kysely';
import type { Database, TransactionHandle } from '../../platform/db/database.js';
import { type PublicId, toPublicId, type Uid } from '../../platform/ids.js';
import type { Attribution, OrderEventKind, OrderState, OrderStatus } from './order-ledger.js';
import type { OrdersTable, PipelineTables } from './pipeline.tables.js';

export interface OrderRecord extends OrderState {
  id: number;
  publicId: PublicId<'ord'>;
  createdAt: number;
  updatedAt: number;
}

export interface OrderPosition {
  placedAtMs: number;
  id: number;
}

const toRecord = (row: Selectable<OrdersTable>): OrderRecord => ({
  id: row.id,
  publicId: toPublicId('ord', row.uid),
  orderId: row.order_id,
  status: row.status as OrderStatus,
  currency: row.currency,
  revenue: Number(row.revenue),
  refundedTotal: Number(row.refunded_total),
  netRevenue: Number(row.net_revenue),
  lineItems: row.line_items ? (JSON.parse(row.line_items) as unknown[]) : null,
  revenueSource: row.revenue_source as OrderState['revenueSource'],
  isCompleted: Boolean(row.is_completed),
  anonymousId: row.anonymous_id,
  userId: row.user_id,
  sessionId: row.session_id,
  channel: row.channel,
  referrerHost: row.referrer_host,
  utmSource: row.utm_source,
  utmMedium: row.utm_medium,
  utmCampaign: row.utm_campaign,
  utmTerm: row.utm_term,
  utmContent: row.utm_content,
  placedAtMs: Number(row.placed_at_ms),
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

const clip = (value: string | null, length: number): string | null =>
  value === null ? null : value.slice(0, length);

function toColumns(state: OrderState) {
  return {
    status: state.status,
    currency: clip(state.currency, 3),
    revenue: state.revenue,
    refunded_total: state.refundedTotal,
    net_revenue: state.netRevenue,
    line_items: state.lineItems ? JSON.stringify(state.lineItems) : null,
    revenue_source: state.revenueSource,
    is_completed: state.isCompleted ? 1 : 0,
    anonymous_id: clip(state.anonymousId, 255),
    user_id: clip(state.userId, 255),
    session_id: clip(state.sessionId, 255),
    channel: clip(state.channel, 16),
    referrer_host: clip(state.referrerHost, 255),
    utm_source: clip(state.utmSource, 255),
    utm_medium: clip(state.utmMedium, 255),
    utm_campaign: clip(state.utmCampaign, 255),
    utm_term: clip(state.utmTerm, 255),
    utm_content: clip(state.utmContent, 255),
    placed_at_ms: state.placedAtMs,
  };
}

export function createOrdersRepository(database: Database) {
  const db = (tx?: TransactionHandle) => database.typed<PipelineTables>(tx);
  return {
    /**
     * Records that an order event was applied; false when this message was applied before (a redelivery),
     * in which case the caller must not apply it again. Unique on (store_id, message_hash).
     */
    async recordAdjustment(
      row: {
        storeId: number;
        messageHash: Buffer;
        orderId: string;
        kind: OrderEventKind;
        amount: number | null;
        currency: string | null;
        occurredAtMs: number;
        nowMs: number;
      },
      tx: TransactionHandle,
    ): Promise<boolean> {
      let query = db(tx)
        .insertInto('order_adjustments')
        .values({
          store_id: row.storeId,
          message_hash: row.messageHash,
          order_id: row.orderId.slice(0, 255),
          kind: row.kind,
          amount: row.amount,
          currency: clip(row.currency, 3),
          occurred_at_ms: row.occurredAtMs,
          created_at: row.nowMs,
        });
      query =
        database.dialect === 'mysql'
          ? query.ignore()
          : query.onConflict((oc) => oc.columns(['store_id', 'message_hash']).doNothing());
      const result = await query.executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },

    /** The order, locked for this transaction on MySQL (SQLite has one writer at a time anyway). */
    async findForUpdate(
      storeId: number,
      orderId: string,
      tx: TransactionHandle,
    ): Promise<OrderRecord | null> {
      let query = db(tx)
        .selectFrom('orders')
        .selectAll()
        .where('store_id', '=', storeId)
        .where('order_id', '=', orderId.slice(0, 255));
      if (database.dialect === 'mysql') query = query.forUpdate();
      const row = await query.executeTakeFirst();
      return row ? toRecord(row) : null;
    },

    async insert(
      row: { uid: Uid; storeId: number; state: OrderState; nowMs: number },
      tx: TransactionHandle,
    ): Promise<void> {
      await db(tx)
        .insertInto('orders')
        .values({
          uid: row.uid,
          store_id: row.storeId,
          order_id: row.state.orderId.slice(0, 255),
          ...toColumns(row.state),
          created_at: row.nowMs,
          updated_at: row.nowMs,
        })
        .execute();
    },

    async update(id: number, state: OrderState, nowMs: number, tx: TransactionHandle): Promise<void> {
      await db(tx)
        .updateTable('orders')
        .set({ ...toColumns(state), updated_at: nowMs })
        .where('id', '=', id)
        .execute();
    },

    /**
     * The campaign of a session: its first event with a page (the landing). Read through the visitor index,
     * so the scan is one visitor's events.
     */
    async findSessionLanding(
      storeId: number,
      visitor: { anonymousId: string | null; userId: string | null },
      sessionId: string,
      tx: TransactionHandle,
    ): Promise<Attribution | null> {
      let query = db(tx)
        .selectFrom('events')
        .select([
          'channel',
          'referrer_host',
          'utm_source',
          'utm_medium',
          'utm_campaign',
          'utm_term',
          'utm_content',
        ])
        .where('store_id', '=', storeId)
        .where('session_id', '=', sessionId)
        .where('channel', 'is not', null)
        // A page the visitor saw: server events join the browser's session, but without a page they say
        // nothing about how the visitor came, and one stored before the landing page would have won.
        .where('path', 'is not', null);
      if (visitor.anonymousId !== null) query = query.where('anonymous_id', '=', visitor.anonymousId);
      else if (visitor.userId !== null) query = query.where('user_id', '=', visitor.userId);
      else return null;
      const row = await query.orderBy('timestamp_ms', 'asc').orderBy('id', 'asc').limit(1).executeTakeFirst();
      return row
        ? {
            channel: row.channel,
            referrerHost: row.referrer_host,
            utmSource: row.utm_source,
            utmMedium: row.utm_medium,
            utmCampaign: row.utm_campaign,
            utmTerm: row.utm_term,
            utmContent: row.utm_content,
          }
        : null;
    },

    async findByUid(storeId: number, uid: Uid): Promise<OrderRecord | null> {
      const row = await db()
        .selectFrom('orders')
        .selectAll()
        .where('store_id', '=', storeId)
        .where('uid', '=', uid)
        .executeTakeFirst();
      return row ? toRecord(row) : null;
    },

    async list(
      storeId: number,
      filters: { orderId?: string; status?: string; fromMs?: number; toMs?: number },
      page: { limit: number; after: OrderPosition | null },
    ): Promise<{ records: OrderRecord[]; hasMore: boolean }> {
      let query = db().selectFrom('orders').selectAll().where('store_id', '=', storeId);
      if (filters.orderId !== undefined) query = query.where('order_id', '=', filters.orderId);
      if (filters.status !== undefined) query = query.where('status', '=', filters.status);
      if (filters.fromMs !== undefined) query = query.where('placed_at_ms', '>=', filters.fromMs);
      if (filters.toMs !== undefined) query = query.where('placed_at_ms', '<', filters.toMs);
      const after = page.after;
      if (after) {
        query = query.where((eb) =>
          eb.or([
            eb('placed_at_ms', '<', after.placedAtMs),
            eb.and([eb('placed_at_ms', '=', after.placedAtMs), eb('id', '<', after.id)]),
          ]),
        );
      }
      const rows = await query
        .orderBy('placed_at_ms', 'desc')
        .orderBy('id', 'desc')
        .limit(page.limit + 1)
        .execute();
      return { records: rows.slice(0, page.limit).map(toRecord), hasMore: rows.length > page.limit };
    },
  };
}

export type OrdersRepository = ReturnType<typeof createOrdersRepository>;
