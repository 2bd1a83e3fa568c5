import { sql } from 'kysely';
import { insertRows } from '../../platform/db/bulk-insert.js';
import type { Database, TransactionHandle } from '../../platform/db/database.js';
import { EVENT_COLUMNS, type EventRow, eventRowValues } from '../pipeline/index.js';

/**
 * Bulk writes of generated traffic into the pipeline's tables. Event rows come from the pipeline's own
 * mapping (`toEventRow`: same columns, cuts to column widths, message hash and payload packing), so seeded
 * events are indistinguishable from ingested ones. Multi-row inserts within both dialects' limits: at most
 * 1,000 rows and SQLite's 32,766 bound parameters per statement.
 */
export interface OrderRowValues {
  uid: Buffer;
  storeId: number;
  orderId: string;
  status: string;
  currency: string | null;
  revenue: number;
  refundedTotal: number;
  netRevenue: number;
  lineItems: string | null;
  revenueSource: string | null;
  anonymousId: string | null;
  userId: string | null;
  sessionId: string | null;
  channel: string | null;
  referrerHost: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
  placedAtMs: number;
  nowMs: number;
}

export interface AdjustmentRowValues {
  storeId: number;
  messageHash: Buffer;
  orderId: string;
  kind: string;
  amount: number | null;
  currency: string | null;
  occurredAtMs: number;
  nowMs: number;
}

const ORDER_COLUMNS = [
  'uid',
  'store_id',
  'order_id',
  'status',
  'currency',
  'revenue',
  'refunded_total',
  'net_revenue',
  'line_items',
  'revenue_source',
  'is_completed',
  'anonymous_id',
  'user_id',
  'session_id',
  'channel',
  'referrer_host',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'placed_at_ms',
  'created_at',
  'updated_at',
];

const ADJUSTMENT_COLUMNS = [
  'store_id',
  'message_hash',
  'order_id',
  'kind',
  'amount',
  'currency',
  'occurred_at_ms',
  'created_at',
];

const cutTo = (value: string | null, length: number): string | null =>
  value === null ? null : value.length <= length ? value : value.slice(0, length);

export type SeedRepository = ReturnType<typeof createSeedRepository>;

export function createSeedRepository(database: Database) {
  const quote =
    database.dialect === 'mysql' ? (name: string) => `\`${name}\`` : (name: string) => `"${name}"`;
  const insert = (tx: TransactionHandle, table: string, columns: readonly string[], rows: unknown[][]) =>
    insertRows(database, tx, table, columns, rows);

  return {
    async insertEvents(rows: readonly EventRow[], tx: TransactionHandle): Promise<void> {
      await insert(tx, 'events', EVENT_COLUMNS, rows.map(eventRowValues));
    },

    async insertOrders(rows: readonly OrderRowValues[], tx: TransactionHandle): Promise<void> {
      await insert(
        tx,
        'orders',
        ORDER_COLUMNS,
        rows.map((o) => [
          o.uid,
          o.storeId,
          o.orderId,
          o.status,
          cutTo(o.currency, 3),
          o.revenue,
          o.refundedTotal,
          o.netRevenue,
          o.lineItems,
          o.revenueSource,
          1,
          cutTo(o.anonymousId, 255),
          cutTo(o.userId, 255),
          cutTo(o.sessionId, 255),
          cutTo(o.channel, 16),
          cutTo(o.referrerHost, 255),
          cutTo(o.utmSource, 255),
          cutTo(o.utmMedium, 255),
          cutTo(o.utmCampaign, 255),
          cutTo(o.utmTerm, 255),
          cutTo(o.utmContent, 255),
          o.placedAtMs,
          o.nowMs,
          o.nowMs,
        ]),
      );
    },

    async insertAdjustments(rows: readonly AdjustmentRowValues[], tx: TransactionHandle): Promise<void> {
      await insert(
        tx,
        'order_adjustments',
        ADJUSTMENT_COLUMNS,
        rows.map((a) => [
          a.storeId,
          a.messageHash,
          a.orderId,
          a.kind,
          a.amount,
          cutTo(a.currency, 3),
          a.occurredAtMs,
          a.nowMs,
        ]),
      );
    },

    /**
     * Drops the secondary indexes of an empty `events` table (MySQL) and returns how to build them again,
     * all in one pass: for a bulk load into a fresh database, one sorted build at the end is far cheaper than
     * keeping two random-order indexes (message hash, visitor) current row by row. A table that already has
     * rows, or SQLite, is left alone (the returned restore does nothing).
     */
    async deferEventIndexes(): Promise<() => Promise<void>> {
      const noop = async () => undefined;
      if (database.dialect !== 'mysql') return noop;
      const root = database.typed<unknown>();
      const any = await sql`select 1 as x from events limit 1`.execute(root);
      if (any.rows.length > 0) return noop;
      const rows = (
        await sql<{ name: string; nonUnique: number; column: string; part: number | null }>`
          select index_name as name, non_unique as ${sql.ref('nonUnique')}, column_name as ${sql.ref('column')},
                 sub_part as part
          from information_schema.statistics
          where table_schema = database() and table_name = 'events' and index_name <> 'PRIMARY'
          order by index_name, seq_in_index`.execute(root)
      ).rows;
      const indexes = new Map<string, { unique: boolean; columns: string[] }>();
      for (const row of rows) {
        const index = indexes.get(row.name) ?? { unique: Number(row.nonUnique) === 0, columns: [] };
        index.columns.push(
          row.part === null ? quote(row.column) : `${quote(row.column)}(${Number(row.part)})`,
        );
        indexes.set(row.name, index);
      }
      if (indexes.size === 0) return noop;
      const names = [...indexes.keys()];
      await sql
        .raw(`alter table events ${names.map((name) => `drop index ${quote(name)}`).join(', ')}`)
        .execute(root);
      return async () => {
        const adds = [...indexes.entries()].map(
          ([name, index]) =>
            `add ${index.unique ? 'unique ' : ''}index ${quote(name)} (${index.columns.join(', ')})`,
        );
        await sql.raw(`alter table events ${adds.join(', ')}`).execute(root);
      };
    },

    async countEvents(storeId: number): Promise<number> {
      const result = await sql<{
        n: number | string;
      }>`select count(*) as n from events where store_id = ${storeId}`.execute(database.typed<unknown>());
      return Number(result.rows[0]?.n ?? 0);
    },
  };
}
