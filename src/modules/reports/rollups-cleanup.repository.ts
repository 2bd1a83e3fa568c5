import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import type { Database, TransactionHandle } from '../../platform/db/database.js';
import type { ReportsTables } from './reports.tables.js';

/** Keys per `IN (…)` list. */
const KEYS_PER_QUERY = 500;

const bin = (text: string): Buffer => Buffer.from(text, 'hex');

/** Rollup tables keyed by a UTC ms time, and the column. */
const TIMED = [
  ['report_hourly', 'hour_ms'],
  ['report_sessions', 'started_at_ms'],
  ['report_orders', 'placed_at_ms'],
  ['report_funnel_events', 'timestamp_ms'],
] as const;

/** Rollup tables keyed by a local day. */
const DAILY = [
  'report_daily_dims',
  'report_daily_pages',
  'report_daily_products',
  'report_daily_orders',
  'report_daily_customers',
  'report_visitor_days',
  'report_visitor_pairs',
] as const;

/** Everything a store has in reports, state and the merchant's rates last. */
const ALL_OF_STORE = [
  ...TIMED.map(([table]) => table),
  ...DAILY,
  'report_currency_rates',
  'report_state',
] as const;

type ReportTable = (typeof ALL_OF_STORE)[number];

/** A person's keys in the rollups (hex of the 8-byte hashes) and their order ids. */
export interface SubjectKeys {
  visitorKeys: readonly string[];
  orderIds: readonly string[];
}

/**
 * The SQL behind removing rollups with the raw data they came from: retention (rows of days before a
 * cutoff), store purge (everything of a store) and erasure (counting a person's rows of a day). Every
 * delete takes at most `limit` rows (`DELETE … LIMIT` on MySQL, a rowid subquery on SQLite); callers loop.
 */
export function createRollupsCleanupRepository(database: Database) {
  const db = (tx?: TransactionHandle): Kysely<ReportsTables> => database.typed<ReportsTables>(tx);
  const isMysql = database.dialect === 'mysql';

  async function deleteLimited(
    table: ReportTable,
    where: Expression<SqlBool>,
    limit: number,
    tx: TransactionHandle,
  ): Promise<number> {
    const result = isMysql
      ? await sql`delete from ${sql.table(table)} where ${where} limit ${sql.lit(limit)}`.execute(db(tx))
      : await sql`delete from ${sql.table(table)} where rowid in (select rowid from ${sql.table(table)} where ${where} limit ${sql.lit(limit)})`.execute(
          db(tx),
        );
    return Number(result.numAffectedRows ?? 0n);
  }

  async function countWhere(table: ReportTable, where: Expression<SqlBool>, tx: TransactionHandle) {
    const result = await sql<{
      n: number | string;
    }>`select count(*) as n from ${sql.table(table)} where ${where}`.execute(db(tx));
    return Number(result.rows[0]?.n ?? 0);
  }

  /** The conditions of rows before a cutoff, table by table. */
  function beforeConditions(storeId: number, beforeMs: number, beforeDay: number) {
    return [
      ...TIMED.map(
        ([table, column]) =>
          [table, sql<SqlBool>`store_id = ${storeId} and ${sql.ref(column)} < ${beforeMs}`] as const,
      ),
      ...DAILY.map((table) => [table, sql<SqlBool>`store_id = ${storeId} and day < ${beforeDay}`] as const),
    ];
  }

  return {
    /**
     * Retention: at most `limit` rollup rows of times before `beforeMs` / local days before `beforeDay`
     * (the first table that has any); 0 when none is left.
     */
    async deleteBefore(
      storeId: number,
      cutoff: { beforeMs: number; beforeDay: number },
      limit: number,
      tx: TransactionHandle,
    ): Promise<number> {
      for (const [table, where] of beforeConditions(storeId, cutoff.beforeMs, cutoff.beforeDay)) {
        const n = await deleteLimited(table, where, limit, tx);
        if (n > 0) return n;
      }
      return 0;
    },

    async countBefore(
      storeId: number,
      cutoff: { beforeMs: number; beforeDay: number },
      tx: TransactionHandle,
    ): Promise<number> {
      let total = 0;
      for (const [table, where] of beforeConditions(storeId, cutoff.beforeMs, cutoff.beforeDay)) {
        total += await countWhere(table, where, tx);
      }
      return total;
    },

    /** Purge: at most `limit` of the store's report rows (state and rates last); 0 when none is left. */
    async deleteStore(storeId: number, limit: number, tx: TransactionHandle): Promise<number> {
      for (const table of ALL_OF_STORE) {
        const n = await deleteLimited(table, sql<SqlBool>`store_id = ${storeId}`, limit, tx);
        if (n > 0) return n;
      }
      return 0;
    },

    async countStore(storeId: number, tx: TransactionHandle): Promise<number> {
      let total = 0;
      for (const table of ALL_OF_STORE)
        total += await countWhere(table, sql<SqlBool>`store_id = ${storeId}`, tx);
      return total;
    },

    /**
     * Erasure: the rows that carry the person's keys and belong to one local day (sessions started in it,
     * their active day, funnel rows and orders of its UTC span) — the rows a rebuild of that day removes.
     */
    async countSubjectRowsOfDay(
      storeId: number,
      keys: SubjectKeys,
      span: { day: number; fromMs: number; toMs: number },
      tx: TransactionHandle,
    ): Promise<number> {
      let total = 0;
      for (let i = 0; i < keys.visitorKeys.length; i += KEYS_PER_QUERY) {
        const part = keys.visitorKeys.slice(i, i + KEYS_PER_QUERY).map(bin);
        const visitors = sql.join(part);
        total += await countWhere(
          'report_sessions',
          sql<SqlBool>`store_id = ${storeId} and started_at_ms >= ${span.fromMs} and started_at_ms < ${span.toMs} and visitor_key in (${visitors})`,
          tx,
        );
        total += await countWhere(
          'report_visitor_days',
          sql<SqlBool>`store_id = ${storeId} and day = ${span.day} and visitor_key in (${visitors})`,
          tx,
        );
        total += await countWhere(
          'report_funnel_events',
          sql<SqlBool>`store_id = ${storeId} and timestamp_ms >= ${span.fromMs} and timestamp_ms < ${span.toMs} and visitor_key in (${visitors})`,
          tx,
        );
      }
      for (let i = 0; i < keys.orderIds.length; i += KEYS_PER_QUERY) {
        const part = sql.join(keys.orderIds.slice(i, i + KEYS_PER_QUERY));
        total += await countWhere(
          'report_orders',
          sql<SqlBool>`store_id = ${storeId} and placed_at_ms >= ${span.fromMs} and placed_at_ms < ${span.toMs} and order_id in (${part})`,
          tx,
        );
      }
      return total;
    },

    /**
     * Erasure: at most `limit` of these orders' report rows. Their days are rebuilt afterwards; deleting them
     * first means no session rebuilt before its order's day still counts the order.
     */
    async deleteOrders(
      storeId: number,
      orderIds: readonly string[],
      limit: number,
      tx: TransactionHandle,
    ): Promise<number> {
      let deleted = 0;
      for (let i = 0; i < orderIds.length && deleted < limit; i += KEYS_PER_QUERY) {
        const part = sql.join(orderIds.slice(i, i + KEYS_PER_QUERY));
        deleted += await deleteLimited(
          'report_orders',
          sql<SqlBool>`store_id = ${storeId} and order_id in (${part})`,
          limit - deleted,
          tx,
        );
      }
      return deleted;
    },

    /**
     * The zone of the store's rollups, null when it has none; with `lock`, takes the store's rollup lock
     * (FOR UPDATE on MySQL; SQLite has one writer anyway) so no worker batch interleaves.
     */
    async findState(
      storeId: number,
      options: { lock: boolean },
      tx: TransactionHandle,
    ): Promise<string | null> {
      let query = db(tx).selectFrom('report_state').select('time_zone').where('store_id', '=', storeId);
      if (isMysql && options.lock) query = query.forUpdate();
      const row = await query.executeTakeFirst();
      return row?.time_zone ?? null;
    },

    /** The local start days of these sessions (hex keys), as rolled up. */
    async listSessionStartDays(
      storeId: number,
      sessionKeys: readonly string[],
      tx: TransactionHandle,
    ): Promise<number[]> {
      const days = new Set<number>();
      for (let i = 0; i < sessionKeys.length; i += KEYS_PER_QUERY) {
        const rows = await db(tx)
          .selectFrom('report_sessions')
          .select('start_day')
          .distinct()
          .where('store_id', '=', storeId)
          .where('session_key', 'in', sessionKeys.slice(i, i + KEYS_PER_QUERY).map(bin))
          .execute();
        for (const row of rows) days.add(Number(row.start_day));
      }
      return [...days];
    },
  };
}

export type RollupsCleanupRepository = ReturnType<typeof createRollupsCleanupRepository>;
