import { type Kysely, type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';
import { multiRowQuery, quoteIdentifier } from '../../platform/db/bulk-insert.js';
import type { Database, Dialect, TransactionHandle } from '../../platform/db/database.js';
import { MAX_ROWS_PER_STATEMENT } from '../cron/index.js';
import type { ReportsTables } from './reports.tables.js';
import type {
  FunnelRow,
  OrderItem,
  OrderRollup,
  RollupDeltas,
  RollupEvent,
  SessionState,
  SourceOrder,
} from './rollup-model.js';
import { hash8 } from './rollup-model.js';

/** PlanetScale's limit, and a statement size both dialects handle well. */
const ROWS_PER_STATEMENT = 1000;
/** Keys per `IN (…)` list. */
const KEYS_PER_QUERY = 500;

const hex = (buffer: Buffer | null): string | null => (buffer === null ? null : buffer.toString('hex'));
const bin = (text: string): Buffer => Buffer.from(text, 'hex');
const binOrNull = (text: string | null): Buffer | null => (text === null ? null : bin(text));

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const money = (value: number | string | null): number => (value === null ? 0 : Number(value));

/** The columns a rollup needs from a raw event row; properties only for the events that need them. */
const RAW_EVENT_COLUMNS = [
  'message_hash',
  'type',
  'event',
  'timestamp_ms',
  'anonymous_id',
  'user_id',
  'session_id',
  'path',
  'referrer_host',
  'channel',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'device_type',
  'browser',
  'os',
  'country',
  'is_bot',
  'order_id',
] as const;

interface RawEventRow {
  message_hash: Buffer;
  type: string;
  event: string | null;
  timestamp_ms: number;
  anonymous_id: string | null;
  user_id: string | null;
  session_id: string | null;
  path: string | null;
  referrer_host: string | null;
  channel: string | null;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  device_type: string | null;
  browser: string | null;
  os: string | null;
  country: string | null;
  is_bot: number;
  order_id: string | null;
  properties: string | null;
}

export function rawToRollupEvent(row: RawEventRow): RollupEvent {
  return {
    hash: row.message_hash.subarray(0, 8).toString('hex'),
    type: row.type,
    event: row.event,
    timestampMs: Number(row.timestamp_ms),
    anonymousId: row.anonymous_id,
    userId: row.user_id,
    sessionId: row.session_id,
    path: row.path,
    referrerHost: row.referrer_host,
    channel: row.channel,
    utmSource: row.utm_source,
    utmMedium: row.utm_medium,
    utmCampaign: row.utm_campaign,
    deviceType: row.device_type,
    browser: row.browser,
    os: row.os,
    country: row.country,
    isBot: Boolean(row.is_bot),
    orderId: row.order_id,
    properties: row.properties,
  };
}

interface SessionRow {
  session_key: Buffer;
  visitor_key: Buffer;
  started_at_ms: number;
  ended_at_ms: number;
  landing_hash: Buffer;
  start_hour_ms: number;
  start_day: number;
  page_views: number;
  events: number;
  order_count: number;
  channel: string;
  referrer_host: string;
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
  device_type: string;
  browser: string;
  os: string;
  country: string;
  landing_path: string;
}

function toSessionState(row: SessionRow): SessionState {
  return {
    sessionKey: row.session_key.toString('hex'),
    visitorKey: row.visitor_key.toString('hex'),
    startedAtMs: Number(row.started_at_ms),
    endedAtMs: Number(row.ended_at_ms),
    landingHash: row.landing_hash.toString('hex'),
    startHourMs: Number(row.start_hour_ms),
    startDay: Number(row.start_day),
    pageViews: Number(row.page_views),
    events: Number(row.events),
    orderCount: Number(row.order_count),
    dims: {
      channel: row.channel,
      referrerHost: row.referrer_host,
      utmSource: row.utm_source,
      utmMedium: row.utm_medium,
      utmCampaign: row.utm_campaign,
      deviceType: row.device_type,
      browser: row.browser,
      os: row.os,
      country: row.country,
      landingPath: row.landing_path,
    },
  };
}

const SESSION_COLUMNS = [
  'store_id',
  'session_key',
  'visitor_key',
  'started_at_ms',
  'ended_at_ms',
  'landing_hash',
  'start_hour_ms',
  'start_day',
  'page_views',
  'events',
  'order_count',
  'channel',
  'referrer_host',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'device_type',
  'browser',
  'os',
  'country',
  'landing_path',
];

function sessionValues(storeId: number, s: SessionState): unknown[] {
  return [
    storeId,
    bin(s.sessionKey),
    bin(s.visitorKey),
    s.startedAtMs,
    s.endedAtMs,
    bin(s.landingHash),
    s.startHourMs,
    s.startDay,
    s.pageViews,
    s.events,
    s.orderCount,
    s.dims.channel,
    s.dims.referrerHost,
    s.dims.utmSource,
    s.dims.utmMedium,
    s.dims.utmCampaign,
    s.dims.deviceType,
    s.dims.browser,
    s.dims.os,
    s.dims.country,
    s.dims.landingPath,
  ];
}

interface ReportOrderRow {
  order_id: string;
  placed_at_ms: number;
  hour_ms: number;
  day: number;
  status: string;
  is_counted: number;
  is_test: number;
  is_returning: number;
  prev_order_ms: number | string | null;
  next_order_ms: number | string | null;
  currency: string;
  rate: number | null;
  gross_e4: number;
  refunded_e4: number;
  net_e4: number;
  gross_store_e4: number | null;
  refunded_store_e4: number | null;
  net_store_e4: number | null;
  discount_store_e4: number | null;
  coupon: string;
  units: number;
  items: string;
  session_key: Buffer | null;
  visitor_key: Buffer | null;
  customer_key: Buffer | null;
}

const numOrNull = (value: number | string | null): number | null => (value === null ? null : Number(value));

function toOrderRollup(row: ReportOrderRow): OrderRollup {
  return {
    orderId: row.order_id,
    placedAtMs: Number(row.placed_at_ms),
    hourMs: Number(row.hour_ms),
    day: Number(row.day),
    status: row.status,
    isCounted: Boolean(row.is_counted),
    isTest: Boolean(row.is_test),
    isReturning: Boolean(row.is_returning),
    prevOrderMs: numOrNull(row.prev_order_ms),
    nextOrderMs: numOrNull(row.next_order_ms),
    currency: row.currency,
    rate: numOrNull(row.rate),
    grossE4: Number(row.gross_e4),
    refundedE4: Number(row.refunded_e4),
    netE4: Number(row.net_e4),
    grossStoreE4: numOrNull(row.gross_store_e4),
    refundedStoreE4: numOrNull(row.refunded_store_e4),
    netStoreE4: numOrNull(row.net_store_e4),
    discountStoreE4: numOrNull(row.discount_store_e4),
    coupon: row.coupon,
    units: Number(row.units),
    items: JSON.parse(row.items) as OrderItem[],
    sessionKey: hex(row.session_key),
    visitorKey: hex(row.visitor_key),
    customerKey: hex(row.customer_key),
  };
}

const ORDER_COLUMNS = [
  'store_id',
  'order_id',
  'placed_at_ms',
  'hour_ms',
  'day',
  'status',
  'is_counted',
  'is_test',
  'is_returning',
  'currency',
  'rate',
  'gross_e4',
  'refunded_e4',
  'net_e4',
  'gross_store_e4',
  'refunded_store_e4',
  'net_store_e4',
  'discount_store_e4',
  'coupon',
  'units',
  'items',
  'session_key',
  'visitor_key',
  'customer_key',
  'prev_order_ms',
  'next_order_ms',
];

function orderValues(storeId: number, o: OrderRollup): unknown[] {
  return [
    storeId,
    o.orderId,
    o.placedAtMs,
    o.hourMs,
    o.day,
    o.status,
    o.isCounted ? 1 : 0,
    o.isTest ? 1 : 0,
    o.isReturning ? 1 : 0,
    o.currency,
    o.rate,
    o.grossE4,
    o.refundedE4,
    o.netE4,
    o.grossStoreE4,
    o.refundedStoreE4,
    o.netStoreE4,
    o.discountStoreE4,
    o.coupon,
    o.units,
    JSON.stringify(o.items),
    binOrNull(o.sessionKey),
    binOrNull(o.visitorKey),
    binOrNull(o.customerKey),
    o.prevOrderMs,
    o.nextOrderMs,
  ];
}

/**
 * Links every counted, non-test order of a customer to the customer's orders before and after it (by time,
 * then order id), for one store or all: after a bulk load (whose chunks are written concurrently, so a
 * chunk cannot update an order another chunk may not have committed yet) and to fill the columns once.
 * Window functions: MariaDB 10.2+, MySQL 8, SQLite 3.25+ (UPDATE … FROM: 3.33+).
 */
export async function linkCustomerOrders(
  db: Kysely<unknown>,
  dialect: Dialect,
  storeId: number | null,
): Promise<void> {
  const store = storeId === null ? sql`1 = 1` : sql`store_id = ${storeId}`;
  const chain = sql`select store_id, order_id,
      lag(placed_at_ms) over (partition by store_id, customer_key order by placed_at_ms, order_id) as prev_ms,
      lead(placed_at_ms) over (partition by store_id, customer_key order by placed_at_ms, order_id) as next_ms
    from report_orders
    where ${store} and is_counted = 1 and is_test = 0 and customer_key is not null`;
  if (dialect === 'mysql') {
    await sql`update report_orders o join (${chain}) c on c.store_id = o.store_id and c.order_id = o.order_id
      set o.prev_order_ms = c.prev_ms, o.next_order_ms = c.next_ms, o.is_returning = (c.prev_ms is not null)`.execute(
      db,
    );
  } else {
    await sql`update report_orders set prev_order_ms = c.prev_ms, next_order_ms = c.next_ms,
        is_returning = (c.prev_ms is not null)
      from (${chain}) as c where c.store_id = report_orders.store_id and c.order_id = report_orders.order_id`.execute(
      db,
    );
  }
}

/** `report_daily_customers`' neighbour times for an order that has no previous or no next order. */
export const NO_PREVIOUS_ORDER_MS = -1;
export const NO_NEXT_ORDER_MS = Number.MAX_SAFE_INTEGER;

/**
 * Recomputes the daily order rollups (`report_daily_orders`, `report_daily_customers`) of these local days
 * from `report_orders`: of one store, or of every store and day (`null`, after a bulk load or to fill the
 * tables once). Callers pass every day whose order rows they inserted, deleted, moved or relinked, inside
 * the same transaction; the result never depends on what the rows held before.
 */
export async function refreshOrderDays(
  db: Kysely<unknown>,
  storeId: number | null,
  days: readonly number[] | null,
): Promise<void> {
  if (days !== null && days.length === 0) return;
  const parts = days === null ? [null] : chunks([...new Set(days)], KEYS_PER_QUERY);
  for (const part of parts) {
    const where = sql.join(
      [
        storeId === null ? sql`1 = 1` : sql`store_id = ${storeId}`,
        part === null ? sql`1 = 1` : sql`day in (${sql.join(part)})`,
      ],
      sql` and `,
    );
    await sql`delete from report_daily_orders where ${where}`.execute(db);
    await sql`delete from report_daily_customers where ${where}`.execute(db);
    await sql`insert into report_daily_orders (store_id, day, is_test, currency, coupon, orders, net_e4,
        net_store_e4, unconverted, returning_orders, discount_store_e4)
      select store_id, day, is_test, currency, coupon, count(*), sum(net_e4), coalesce(sum(net_store_e4), 0),
        sum(case when rate is null then 1 else 0 end), sum(is_returning), coalesce(sum(discount_store_e4), 0)
      from report_orders where ${where} and is_counted = 1
      group by store_id, day, is_test, currency, coupon`.execute(db);
    const prev = sql`coalesce(prev_order_ms, ${NO_PREVIOUS_ORDER_MS})`;
    const next = sql`coalesce(next_order_ms, ${NO_NEXT_ORDER_MS})`;
    await sql`insert into report_daily_customers (store_id, day, prev_order_ms, next_order_ms, orders)
      select store_id, day, ${prev}, ${next}, count(*)
      from report_orders where ${where} and is_counted = 1 and is_test = 0 and customer_key is not null
      group by store_id, day, ${prev}, ${next}`.execute(db);
  }
}

/** The touch columns of `report_orders` and the `report_sessions` columns they copy. */
const TOUCH_COLUMNS = [
  ['channel', 'channel'],
  ['source', 'utm_source'],
  ['medium', 'utm_medium'],
  ['campaign', 'utm_campaign'],
] as const;

/**
 * Recomputes the attribution touches of orders: last touch = the landing of the order's session, first touch
 * = the landing of its visitor's first session (earliest start, then landing hash), '' where there is none.
 * Of the orders of these visitors and these order ids in one store, or of every order (`null`: after a bulk
 * load, or to fill the columns once). Callers pass every visitor whose sessions or orders they changed and
 * every order they rewrote, inside the same transaction. A session deleted by retention leaves its orders'
 * touches as they were: where an order came from does not change when old traffic is forgotten.
 */
export async function refreshOrderTouches(
  db: Kysely<unknown>,
  dialect: Dialect,
  storeId: number,
  target: { visitorKeys: readonly string[]; orderIds: readonly string[] } | null,
): Promise<void> {
  const visitorParts = target === null ? [null] : chunks(target.visitorKeys, KEYS_PER_QUERY);
  const orderParts = target === null ? [] : chunks(target.orderIds, KEYS_PER_QUERY);
  const run = async (visitors: readonly string[] | null, orderIds: readonly string[] | null) => {
    let visitorList = visitors === null ? null : sql.join(visitors.map(bin));
    if (visitorList !== null) {
      // Most visitors of a batch have no order: an index lookup finds those that do, if any.
      const owners = await sql<{ visitor_key: Buffer }>`select distinct visitor_key from report_orders
        where store_id = ${storeId} and visitor_key in (${visitorList})`.execute(db);
      if (owners.rows.length === 0) return;
      visitorList = sql.join(owners.rows.map((row) => row.visitor_key));
    }
    const sessionsOf = visitorList === null ? sql`1 = 1` : sql`visitor_key in (${visitorList})`;
    const ordersOf =
      orderIds !== null
        ? sql`o.order_id in (${sql.join(orderIds)})`
        : visitorList === null
          ? sql`1 = 1`
          : sql`o.visitor_key in (${visitorList})`;
    // The first sessions of the visitors concerned; for order ids, of their own visitors.
    const firstSessionsOf =
      orderIds !== null
        ? sql`visitor_key in (select visitor_key from report_orders o where o.store_id = ${storeId} and ${ordersOf} and visitor_key is not null)`
        : sessionsOf;
    // DISTINCT (the rows are unique anyway) keeps MySQL 8 from merging this read of report_orders into the
    // update of report_orders, which it refuses (error 1093); materialised, it is allowed, as on MariaDB.
    const touches = sql`select distinct o.store_id, o.order_id,
        ${sql.join(
          TOUCH_COLUMNS.flatMap(([name, column]) => [
            sql`coalesce(l.${sql.raw(column)}, '') as ${sql.raw(`last_${name}`)}`,
            sql`coalesce(f.${sql.raw(column)}, '') as ${sql.raw(`first_${name}`)}`,
          ]),
        )}
      from report_orders o
      left join report_sessions l on l.store_id = o.store_id and l.session_key = o.session_key
      left join (
        select visitor_key, channel, utm_source, utm_medium, utm_campaign from (
          select visitor_key, channel, utm_source, utm_medium, utm_campaign,
            row_number() over (partition by visitor_key order by started_at_ms, landing_hash) as n
          from report_sessions where store_id = ${storeId} and ${firstSessionsOf}
        ) ranked where n = 1
      ) f on f.visitor_key = o.visitor_key
      where o.store_id = ${storeId} and ${ordersOf}`;
    const assignments = TOUCH_COLUMNS.flatMap(([name]) =>
      [`last_${name}`, `first_${name}`].map((column) =>
        dialect === 'mysql'
          ? sql`o.${sql.raw(column)} = t.${sql.raw(column)}`
          : sql`${sql.raw(column)} = t.${sql.raw(column)}`,
      ),
    );
    if (dialect === 'mysql') {
      await sql`update report_orders o join (${touches}) t on t.store_id = o.store_id and t.order_id = o.order_id
        set ${sql.join(assignments)}`.execute(db);
    } else {
      await sql`update report_orders set ${sql.join(assignments)} from (${touches}) as t
        where t.store_id = report_orders.store_id and t.order_id = report_orders.order_id`.execute(db);
    }
  };
  for (const part of visitorParts) await run(part, null);
  for (const part of orderParts) await run(null, part);
}

export interface CurrencyRate {
  currency: string;
  validFromMs: number;
  rate: number;
}

export type RollupsRepository = ReturnType<typeof createRollupsRepository>;

/**
 * Everything rollup maintenance says to the database. MySQL reads of rollup state are locking reads (FOR
 * UPDATE / LOCK IN SHARE MODE): the batch transaction's snapshot was fixed by the pipeline's first read, and
 * only a locking read sees what another worker committed since. SQLite has one writer, so plain reads are
 * current there.
 */
export function createRollupsRepository(database: Database) {
  const db = (tx?: TransactionHandle): Kysely<ReportsTables> => database.typed<ReportsTables>(tx);
  const isMysql = database.dialect === 'mysql';

  /**
   * Deletes every row of `table` matching `where`, MAX_ROWS_PER_STATEMENT rows per statement (PlanetScale's
   * limits, and no long lock on a busy day's rows); returns how many.
   */
  const deleteWhere = async (
    table: keyof ReportsTables & string,
    where: RawBuilder<unknown>,
    tx: TransactionHandle,
  ): Promise<number> => {
    const limit = sql.lit(MAX_ROWS_PER_STATEMENT);
    let total = 0;
    for (;;) {
      const result = isMysql
        ? await sql`delete from ${sql.table(table)} where ${where} limit ${limit}`.execute(db(tx))
        : await sql`delete from ${sql.table(table)} where rowid in (select rowid from ${sql.table(table)} where ${where} limit ${limit})`.execute(
            db(tx),
          );
      const n = Number(result.numAffectedRows ?? 0n);
      total += n;
      if (n < MAX_ROWS_PER_STATEMENT) return total;
    }
  };

  // biome-ignore lint/suspicious/noExplicitAny: applies to any select over our tables
  function latest<Q extends SelectQueryBuilder<ReportsTables, any, any>>(query: Q): Q {
    return (isMysql ? query.forUpdate() : query) as Q;
  }
  // biome-ignore lint/suspicious/noExplicitAny: as above
  function shared<Q extends SelectQueryBuilder<ReportsTables, any, any>>(query: Q): Q {
    return (isMysql ? query.modifyEnd(sql`lock in share mode`) : query) as Q;
  }

  const quote = (name: string) => quoteIdentifier(database.dialect, name);

  /** Rows in statements of at most 1,000, as text (multiRowQuery): a Kysely node per value cost more. */
  async function runRows(tx: TransactionHandle, head: string, rows: readonly unknown[][], tail = '') {
    for (const part of chunks(rows, ROWS_PER_STATEMENT))
      await db(tx).executeQuery(multiRowQuery(database.dialect, head, part, tail));
  }

  /**
   * `INSERT … ON DUPLICATE KEY UPDATE` / `ON CONFLICT DO UPDATE`, in statements of at most 1,000 rows.
   * `add` columns are incremented by the new value, `replace` columns overwritten, `keepFirst` columns set
   * only while empty.
   */
  async function upsert(
    tx: TransactionHandle,
    table: string,
    columns: readonly string[],
    keyColumns: readonly string[],
    update: { add?: readonly string[]; replace?: readonly string[]; keepFirst?: readonly string[] },
    rows: readonly unknown[][],
  ): Promise<void> {
    const incoming = (column: string) => (isMysql ? `values(${quote(column)})` : `excluded.${quote(column)}`);
    const sets: string[] = [];
    for (const column of update.add ?? [])
      sets.push(`${quote(column)} = ${quote(column)} + ${incoming(column)}`);
    for (const column of update.replace ?? []) sets.push(`${quote(column)} = ${incoming(column)}`);
    for (const column of update.keepFirst ?? []) {
      const ref = quote(column);
      sets.push(`${ref} = case when ${ref} = '' then ${incoming(column)} else ${ref} end`);
    }
    const head = `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values `;
    const conflict = isMysql
      ? ` on duplicate key update ${sets.join(', ')}`
      : ` on conflict (${keyColumns.map(quote).join(', ')}) do update set ${sets.join(', ')}`;
    await runRows(tx, head, rows, conflict);
  }

  async function insertRows(
    tx: TransactionHandle,
    table: string,
    columns: readonly string[],
    rows: readonly unknown[][],
  ): Promise<void> {
    await runRows(tx, `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values `, rows);
  }

  return {
    /**
     * Takes the store's rollup lock for this transaction and returns the zone rollups are kept in (creating
     * the state with `zone` the first time). Rollup writers of one store run one at a time: each reads state
     * and writes the difference, which two at once would both base on the same old state.
     */
    async lockState(storeId: number, zone: string, nowMs: number, tx: TransactionHandle): Promise<string> {
      let insert = db(tx)
        .insertInto('report_state')
        .values({ store_id: storeId, time_zone: zone, updated_at: nowMs });
      insert = isMysql ? insert.ignore() : insert.onConflict((oc) => oc.column('store_id').doNothing());
      await insert.execute();
      const row = await latest(
        db(tx).selectFrom('report_state').select('time_zone').where('store_id', '=', storeId),
      ).executeTakeFirstOrThrow();
      return row.time_zone;
    },

    /**
     * A store's zone and currency, read in the caller's transaction. Rollups run inside the pipeline's batch
     * transaction, and on SQLite a read through another module's service (on the shared connection) would
     * wait for that very transaction to end.
     */
    async storeSettings(
      storeId: number,
      tx: TransactionHandle,
    ): Promise<{ timeZone: string; currency: string } | null> {
      const row = await db(tx)
        .selectFrom('stores')
        .select(['time_zone', 'currency'])
        .where('id', '=', storeId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return row ? { timeZone: row.time_zone, currency: row.currency } : null;
    },

    async setZone(storeId: number, zone: string, nowMs: number, tx: TransactionHandle): Promise<void> {
      await db(tx)
        .updateTable('report_state')
        .set({ time_zone: zone, updated_at: nowMs })
        .where('store_id', '=', storeId)
        .execute();
    },

    async findZone(storeId: number): Promise<string | null> {
      const row = await db()
        .selectFrom('report_state')
        .select('time_zone')
        .where('store_id', '=', storeId)
        .executeTakeFirst();
      return row?.time_zone ?? null;
    },

    async listStates(): Promise<{ storeId: number; timeZone: string }[]> {
      const rows = await db().selectFrom('report_state').select(['store_id', 'time_zone']).execute();
      return rows.map((row) => ({ storeId: Number(row.store_id), timeZone: row.time_zone }));
    },

    async loadSessions(
      storeId: number,
      keys: readonly string[],
      tx: TransactionHandle,
    ): Promise<Map<string, SessionState>> {
      const out = new Map<string, SessionState>();
      for (const part of chunks(keys, KEYS_PER_QUERY)) {
        const rows = await latest(
          db(tx)
            .selectFrom('report_sessions')
            .selectAll()
            .where('store_id', '=', storeId)
            .where('session_key', 'in', part.map(bin)),
        ).execute();
        for (const row of rows) {
          const state = toSessionState(row);
          out.set(state.sessionKey, state);
        }
      }
      return out;
    },

    async upsertSessions(storeId: number, states: readonly SessionState[], tx: TransactionHandle) {
      if (states.length === 0) return;
      await upsert(
        tx,
        'report_sessions',
        SESSION_COLUMNS,
        ['store_id', 'session_key'],
        { replace: SESSION_COLUMNS.slice(2) },
        states.map((s) => sessionValues(storeId, s)),
      );
    },

    async insertSessions(storeId: number, states: readonly SessionState[], tx: TransactionHandle) {
      if (states.length === 0) return;
      await insertRows(
        tx,
        'report_sessions',
        SESSION_COLUMNS,
        states.map((s) => sessionValues(storeId, s)),
      );
    },

    /** Counted, non-test orders per session (after this batch's orders were written). */
    async countOrdersBySession(
      storeId: number,
      keys: readonly string[],
      tx: TransactionHandle,
    ): Promise<Map<string, number>> {
      const out = new Map<string, number>();
      for (const part of chunks(keys, KEYS_PER_QUERY)) {
        const rows = await shared(
          db(tx)
            .selectFrom('report_orders')
            .select(['session_key', 'order_id'])
            .where('store_id', '=', storeId)
            .where('session_key', 'in', part.map(bin))
            .where('is_counted', '=', 1)
            .where('is_test', '=', 0),
        ).execute();
        for (const row of rows) {
          const key = hex(row.session_key);
          if (key !== null) out.set(key, (out.get(key) ?? 0) + 1);
        }
      }
      return out;
    },

    /** All events of one session (this transaction's included), read current. */
    async loadSessionEvents(
      storeId: number,
      session: { anonymousId: string | null; userId: string | null; sessionId: string },
      tx: TransactionHandle,
    ): Promise<RollupEvent[]> {
      let query = db(tx)
        .selectFrom('events')
        .select([...RAW_EVENT_COLUMNS, sql<string | null>`null`.as('properties')])
        .where('store_id', '=', storeId)
        .where('session_id', '=', session.sessionId);
      if (session.anonymousId !== null && session.anonymousId !== '') {
        query = query.where('anonymous_id', '=', session.anonymousId);
      } else if (session.userId !== null) {
        query = query
          .where('user_id', '=', session.userId)
          .where((eb) => eb.or([eb('anonymous_id', 'is', null), eb('anonymous_id', '=', '')]));
      } else {
        return [];
      }
      const rows = await shared(query).execute();
      return rows.map((row) => rawToRollupEvent(row as RawEventRow));
    },

    /**
     * Raw events in a time window, for rebuilds. Properties are read only for the events rollups parse
     * (product and order events); page views make up most rows and their JSON is never needed.
     */
    async loadEventsBetween(
      storeId: number,
      fromMs: number,
      toMs: number,
      tx: TransactionHandle,
    ): Promise<RollupEvent[]> {
      const rows = await shared(
        db(tx)
          .selectFrom('events')
          .select([
            ...RAW_EVENT_COLUMNS,
            sql<string | null>`case when ${sql.ref('type')} = 'track' then ${sql.ref('properties')} end`.as(
              'properties',
            ),
          ])
          .where('store_id', '=', storeId)
          .where('timestamp_ms', '>=', fromMs)
          .where('timestamp_ms', '<', toMs),
      ).execute();
      return rows.map((row) => rawToRollupEvent(row as RawEventRow));
    },

    /** Order Completed events in a window, for the facts only they carry (test flag, coupon, rate). */
    async loadOrderCompletedBetween(
      storeId: number,
      fromMs: number,
      toMs: number,
      tx: TransactionHandle,
    ): Promise<RollupEvent[]> {
      const rows = await db(tx)
        .selectFrom('events')
        .select([...RAW_EVENT_COLUMNS, 'properties'])
        .where('store_id', '=', storeId)
        .where('event', '=', 'Order Completed')
        .where('timestamp_ms', '>=', fromMs)
        .where('timestamp_ms', '<', toMs)
        .orderBy('timestamp_ms')
        .orderBy('message_hash')
        .execute();
      return rows.map((row) => rawToRollupEvent(row as RawEventRow));
    },

    async loadSourceOrders(
      storeId: number,
      orderIds: readonly string[],
      tx: TransactionHandle,
    ): Promise<SourceOrder[]> {
      const out: SourceOrder[] = [];
      for (const part of chunks(orderIds, KEYS_PER_QUERY)) {
        const rows = await db(tx)
          .selectFrom('orders')
          .selectAll()
          .where('store_id', '=', storeId)
          .where('order_id', 'in', part)
          .execute();
        out.push(...rows.map(toSourceOrder));
      }
      return out;
    },

    async loadSourceOrdersPlaced(
      storeId: number,
      fromMs: number,
      toMs: number,
      tx: TransactionHandle,
    ): Promise<SourceOrder[]> {
      const rows = await shared(
        db(tx)
          .selectFrom('orders')
          .selectAll()
          .where('store_id', '=', storeId)
          .where('placed_at_ms', '>=', fromMs)
          .where('placed_at_ms', '<', toMs),
      ).execute();
      return rows.map(toSourceOrder);
    },

    async loadReportOrders(
      storeId: number,
      orderIds: readonly string[],
      tx: TransactionHandle,
    ): Promise<Map<string, OrderRollup>> {
      const out = new Map<string, OrderRollup>();
      for (const part of chunks(orderIds, KEYS_PER_QUERY)) {
        const rows = await latest(
          db(tx)
            .selectFrom('report_orders')
            .selectAll()
            .where('store_id', '=', storeId)
            .where('order_id', 'in', part),
        ).execute();
        for (const row of rows) out.set(row.order_id, toOrderRollup(row));
      }
      return out;
    },

    async loadReportOrdersPlaced(
      storeId: number,
      fromMs: number,
      toMs: number,
      tx: TransactionHandle,
    ): Promise<OrderRollup[]> {
      const rows = await latest(
        db(tx)
          .selectFrom('report_orders')
          .selectAll()
          .where('store_id', '=', storeId)
          .where('placed_at_ms', '>=', fromMs)
          .where('placed_at_ms', '<', toMs),
      ).execute();
      return rows.map(toOrderRollup);
    },

    async loadOrdersOfCustomers(
      storeId: number,
      customerKeys: readonly string[],
      tx: TransactionHandle,
    ): Promise<OrderRollup[]> {
      const out: OrderRollup[] = [];
      for (const part of chunks(customerKeys, KEYS_PER_QUERY)) {
        const rows = await latest(
          db(tx)
            .selectFrom('report_orders')
            .selectAll()
            .where('store_id', '=', storeId)
            .where('customer_key', 'in', part.map(bin)),
        ).execute();
        out.push(...rows.map(toOrderRollup));
      }
      return out;
    },

    async upsertOrders(storeId: number, orders: readonly OrderRollup[], tx: TransactionHandle) {
      if (orders.length === 0) return;
      await upsert(
        tx,
        'report_orders',
        ORDER_COLUMNS,
        ['store_id', 'order_id'],
        { replace: ORDER_COLUMNS.slice(2) },
        orders.map((o) => orderValues(storeId, o)),
      );
    },

    async deleteOrders(storeId: number, orderIds: readonly string[], tx: TransactionHandle) {
      for (const part of chunks(orderIds, KEYS_PER_QUERY)) {
        await db(tx)
          .deleteFrom('report_orders')
          .where('store_id', '=', storeId)
          .where('order_id', 'in', part)
          .execute();
      }
    },

    /** Writes the customer-chain fields (returning flag, previous and next order) of these orders. */
    async setReturning(storeId: number, orders: readonly OrderRollup[], tx: TransactionHandle) {
      // Orders outside the batch whose chain changed: one or two per new order, so one statement each.
      for (const o of orders) {
        await db(tx)
          .updateTable('report_orders')
          .set({
            is_returning: o.isReturning ? 1 : 0,
            prev_order_ms: o.prevOrderMs,
            next_order_ms: o.nextOrderMs,
          })
          .where('store_id', '=', storeId)
          .where('order_id', '=', o.orderId)
          .execute();
      }
    },

    /** After a bulk load: linkCustomerOrders, then refreshOrderDays and refreshOrderTouches of the store. */
    async finishBulkLoad(storeId: number) {
      await linkCustomerOrders(database.typed<unknown>(), database.dialect, storeId);
      await refreshOrderDays(database.typed<unknown>(), storeId, null);
      await refreshOrderTouches(database.typed<unknown>(), database.dialect, storeId, null);
    },

    /** See refreshOrderTouches. */
    refreshOrderTouches: (
      storeId: number,
      target: { visitorKeys: Iterable<string>; orderIds: Iterable<string> },
      tx: TransactionHandle,
    ) =>
      refreshOrderTouches(database.typed<unknown>(tx), database.dialect, storeId, {
        visitorKeys: [...new Set(target.visitorKeys)],
        orderIds: [...new Set(target.orderIds)],
      }),

    /** See refreshOrderDays. */
    refreshOrderDays: (storeId: number, days: Iterable<number>, tx: TransactionHandle) =>
      refreshOrderDays(database.typed<unknown>(tx), storeId, [...days]),

    /** Each visitor's active days with their session counts. */
    async loadVisitorDays(
      storeId: number,
      visitorKeys: readonly string[],
      tx: TransactionHandle,
    ): Promise<Map<string, Map<number, number>>> {
      const out = new Map<string, Map<number, number>>();
      for (const part of chunks(visitorKeys, KEYS_PER_QUERY)) {
        const rows = await latest(
          db(tx)
            .selectFrom('report_visitor_days')
            .select(['visitor_key', 'day', 'sessions'])
            .where('store_id', '=', storeId)
            .where('visitor_key', 'in', part.map(bin)),
        ).execute();
        for (const row of rows) {
          const key = row.visitor_key.toString('hex');
          let days = out.get(key);
          if (!days) {
            days = new Map();
            out.set(key, days);
          }
          days.set(Number(row.day), Number(row.sessions));
        }
      }
      return out;
    },

    /** Visitors with sessions on one day (range rebuilds). */
    async listVisitorsOfDay(storeId: number, day: number, tx: TransactionHandle): Promise<string[]> {
      const rows = await latest(
        db(tx)
          .selectFrom('report_visitor_days')
          .select('visitor_key')
          .where('store_id', '=', storeId)
          .where('day', '=', day),
      ).execute();
      return rows.map((row) => row.visitor_key.toString('hex'));
    },

    async writeVisitorDays(
      storeId: number,
      rows: readonly { visitorKey: string; day: number; sessions: number }[],
      tx: TransactionHandle,
    ): Promise<void> {
      const live = rows.filter((row) => row.sessions > 0);
      const gone = rows.filter((row) => row.sessions <= 0);
      await upsert(
        tx,
        'report_visitor_days',
        ['store_id', 'visitor_key', 'day', 'sessions'],
        ['store_id', 'visitor_key', 'day'],
        { replace: ['sessions'] },
        live.map((row) => [storeId, bin(row.visitorKey), row.day, row.sessions]),
      );
      for (const row of gone) {
        await db(tx)
          .deleteFrom('report_visitor_days')
          .where('store_id', '=', storeId)
          .where('visitor_key', '=', bin(row.visitorKey))
          .where('day', '=', row.day)
          .execute();
      }
    },

    /** Adds sessions to visitors' active days (bulk loads of new traffic). */
    async addVisitorDays(
      storeId: number,
      rows: readonly { visitorKey: string; day: number; sessions: number }[],
      tx: TransactionHandle,
    ): Promise<void> {
      await upsert(
        tx,
        'report_visitor_days',
        ['store_id', 'visitor_key', 'day', 'sessions'],
        ['store_id', 'visitor_key', 'day'],
        { add: ['sessions'] },
        rows.map((row) => [storeId, bin(row.visitorKey), row.day, row.sessions]),
      );
    },

    /** Adds rows to the funnel index; a row already there (same event) is left as it is. */
    async insertFunnelRows(
      storeId: number,
      rows: readonly FunnelRow[],
      tx: TransactionHandle,
    ): Promise<void> {
      if (rows.length === 0) return;
      const columns = [
        'store_id',
        'event',
        'timestamp_ms',
        'event_hash',
        'visitor_key',
        'session_key',
        'cart_key',
      ];
      const values = rows.map((r) => [
        storeId,
        r.event,
        r.timestampMs,
        bin(r.hash),
        bin(r.visitorKey),
        binOrNull(r.sessionKey),
        binOrNull(r.cartKey),
      ]);
      const columnList = columns.map(quote).join(', ');
      await (isMysql
        ? runRows(tx, `insert ignore into report_funnel_events (${columnList}) values `, values)
        : runRows(
            tx,
            `insert into report_funnel_events (${columnList}) values `,
            values,
            ' on conflict do nothing',
          ));
    },

    /** Removes a span of the funnel index, name by name so each delete is a key range. */
    async deleteFunnelRows(
      storeId: number,
      fromMs: number,
      toMs: number,
      tx: TransactionHandle,
    ): Promise<void> {
      const names = await db(tx)
        .selectFrom('report_funnel_events')
        .select('event')
        .distinct()
        .where('store_id', '=', storeId)
        .execute();
      for (const { event } of names) {
        await deleteWhere(
          'report_funnel_events',
          sql`store_id = ${storeId} and event = ${event} and timestamp_ms >= ${fromMs} and timestamp_ms < ${toMs}`,
          tx,
        );
      }
    },

    /** Adds the deltas to the summed rollup tables; all-zero rows are skipped. */
    async applyDeltas(storeId: number, deltas: RollupDeltas, tx: TransactionHandle): Promise<void> {
      // Rows go in key order in every statement: concurrent writers (the seed's chunks) then lock shared
      // rows in the same order and wait for each other instead of deadlocking.
      const byKey = <T>(rows: T[], key: (row: T) => string | number) =>
        rows.sort((a, b) => {
          const x = key(a);
          const y = key(b);
          return x < y ? -1 : x > y ? 1 : 0;
        });
      const hourly = [...deltas.hourly.values()].filter(
        (d) =>
          d.sessions !== 0 ||
          d.bounces !== 0 ||
          d.pageViews !== 0 ||
          d.durationMs !== 0 ||
          d.convertedSessions !== 0 ||
          d.orders !== 0 ||
          d.revenueE4 !== 0 ||
          d.grossE4 !== 0 ||
          d.refundsE4 !== 0 ||
          d.unconvertedOrders !== 0,
      );
      byKey(hourly, (d) => d.hourMs * 2 + (d.isTest ? 1 : 0));
      const hourlyAdd = [
        'sessions',
        'bounces',
        'page_views',
        'duration_ms',
        'converted_sessions',
        'orders',
        'revenue_e4',
        'gross_e4',
        'refunds_e4',
        'unconverted_orders',
      ];
      await upsert(
        tx,
        'report_hourly',
        ['store_id', 'hour_ms', 'is_test', ...hourlyAdd],
        ['store_id', 'hour_ms', 'is_test'],
        { add: hourlyAdd },
        hourly.map((d) => [
          storeId,
          d.hourMs,
          d.isTest ? 1 : 0,
          d.sessions,
          d.bounces,
          d.pageViews,
          d.durationMs,
          d.convertedSessions,
          d.orders,
          d.revenueE4,
          d.grossE4,
          d.refundsE4,
          d.unconvertedOrders,
        ]),
      );

      const dims = [...deltas.dims.values()].filter(
        (d) =>
          d.sessions !== 0 ||
          d.bounces !== 0 ||
          d.pageViews !== 0 ||
          d.durationMs !== 0 ||
          d.convertedSessions !== 0,
      );
      byKey(dims, (d) => `${String(d.dim).padStart(3, '0')}|${String(d.day).padStart(8, '0')}|${d.value}`);
      const dimsAdd = ['sessions', 'bounces', 'page_views', 'duration_ms', 'converted_sessions'];
      await upsert(
        tx,
        'report_daily_dims',
        ['store_id', 'day', 'dim', 'value', ...dimsAdd],
        ['store_id', 'dim', 'day', 'value'],
        { add: dimsAdd },
        dims.map((d) => [
          storeId,
          d.day,
          d.dim,
          d.value,
          d.sessions,
          d.bounces,
          d.pageViews,
          d.durationMs,
          d.convertedSessions,
        ]),
      );

      const pages = [...deltas.pages.values()].filter(
        (d) => d.pageViews !== 0 || d.entrances !== 0 || d.bounces !== 0,
      );
      byKey(pages, (d) => `${String(d.day).padStart(8, '0')}|${hash8(d.path)}`);
      await upsert(
        tx,
        'report_daily_pages',
        ['store_id', 'day', 'path_hash', 'path', 'page_views', 'entrances', 'bounces'],
        ['store_id', 'day', 'path_hash'],
        { add: ['page_views', 'entrances', 'bounces'] },
        pages.map((d) => [storeId, d.day, bin(hash8(d.path)), d.path, d.pageViews, d.entrances, d.bounces]),
      );

      const products = [...deltas.products.values()].filter(
        (d) =>
          d.views !== 0 ||
          d.adds !== 0 ||
          d.removals !== 0 ||
          d.checkouts !== 0 ||
          d.purchases !== 0 ||
          d.units !== 0 ||
          d.revenueE4 !== 0,
      );
      byKey(products, (d) => `${String(d.day).padStart(8, '0')}|${d.productId}|${d.isTest ? 1 : 0}`);
      const productsAdd = ['views', 'adds', 'removals', 'checkouts', 'purchases', 'units', 'revenue_e4'];
      // The name is a label, not a count: the first non-empty one stays.
      await upsert(
        tx,
        'report_daily_products',
        ['store_id', 'day', 'product_id', 'is_test', 'name', ...productsAdd],
        ['store_id', 'day', 'product_id', 'is_test'],
        { add: productsAdd, keepFirst: ['name'] },
        products.map((d) => [
          storeId,
          d.day,
          d.productId,
          d.isTest ? 1 : 0,
          d.name.slice(0, 255),
          d.views,
          d.adds,
          d.removals,
          d.checkouts,
          d.purchases,
          d.units,
          d.revenueE4,
        ]),
      );

      const pairs = byKey(
        [...deltas.pairs.values()].filter((d) => d.visitors !== 0),
        (d) => d.day * 100_000 + d.prevDay,
      );
      await upsert(
        tx,
        'report_visitor_pairs',
        ['store_id', 'day', 'prev_day', 'visitors'],
        ['store_id', 'day', 'prev_day'],
        { add: ['visitors'] },
        pairs.map((d) => [storeId, d.day, d.prevDay, d.visitors]),
      );
    },

    /** Removes the summed rollups of whole local days (range rebuilds); hours are given as a UTC span. */
    async deleteDays(
      storeId: number,
      span: { fromDay: number; toDay: number; fromMs: number; toMs: number },
      tx: TransactionHandle,
    ): Promise<void> {
      await deleteWhere(
        'report_hourly',
        sql`store_id = ${storeId} and hour_ms >= ${span.fromMs} and hour_ms < ${span.toMs}`,
        tx,
      );
      for (const table of ['report_daily_dims', 'report_daily_pages', 'report_daily_products'] as const) {
        await deleteWhere(
          table,
          sql`store_id = ${storeId} and day >= ${span.fromDay} and day <= ${span.toDay}`,
          tx,
        );
      }
    },

    async deleteSessionsStarted(storeId: number, fromMs: number, toMs: number, tx: TransactionHandle) {
      await deleteWhere(
        'report_sessions',
        sql`store_id = ${storeId} and started_at_ms >= ${fromMs} and started_at_ms < ${toMs}`,
        tx,
      );
    },

    async deleteOrdersPlaced(storeId: number, fromMs: number, toMs: number, tx: TransactionHandle) {
      await deleteWhere(
        'report_orders',
        sql`store_id = ${storeId} and placed_at_ms >= ${fromMs} and placed_at_ms < ${toMs}`,
        tx,
      );
    },

    /** Every rollup row of a store (a full rebuild, e.g. after its time zone changed), in bounded chunks. */
    async deleteAllOfStore(storeId: number, tx: TransactionHandle, maxRows: number): Promise<number> {
      let deleted = 0;
      for (const table of [
        'report_sessions',
        'report_hourly',
        'report_daily_dims',
        'report_daily_pages',
        'report_daily_products',
        'report_orders',
        'report_daily_orders',
        'report_daily_customers',
        'report_visitor_days',
        'report_visitor_pairs',
        'report_funnel_events',
      ] as const) {
        const limit = maxRows - deleted;
        if (limit <= 0) break;
        const result = isMysql
          ? await sql`delete from ${sql.table(table)} where store_id = ${storeId} limit ${sql.lit(limit)}`.execute(
              db(tx),
            )
          : await sql`delete from ${sql.table(table)} where rowid in (select rowid from ${sql.table(table)} where store_id = ${storeId} limit ${sql.lit(limit)})`.execute(
              db(tx),
            );
        deleted += Number(result.numAffectedRows ?? 0n);
      }
      return deleted;
    },

    /** The store's earliest event time, where a full rebuild starts. */
    async firstEventMs(storeId: number): Promise<number | null> {
      const row = await db()
        .selectFrom('events')
        .select((eb) => eb.fn.min('timestamp_ms').as('first'))
        .where('store_id', '=', storeId)
        .executeTakeFirst();
      return row?.first === null || row?.first === undefined ? null : Number(row.first);
    },

    async listRates(storeId: number, tx?: TransactionHandle): Promise<CurrencyRate[]> {
      const rows = await db(tx)
        .selectFrom('report_currency_rates')
        .select(['currency', 'valid_from_ms', 'rate'])
        .where('store_id', '=', storeId)
        .orderBy('currency')
        .orderBy('valid_from_ms')
        .execute();
      return rows.map((row) => ({
        currency: row.currency,
        validFromMs: Number(row.valid_from_ms),
        rate: Number(row.rate),
      }));
    },

    async putRates(storeId: number, rates: readonly CurrencyRate[], nowMs: number): Promise<void> {
      await database.transaction(async (tx) => {
        await upsert(
          tx,
          'report_currency_rates',
          ['store_id', 'currency', 'valid_from_ms', 'rate', 'updated_at'],
          ['store_id', 'currency', 'valid_from_ms'],
          { replace: ['rate', 'updated_at'] },
          rates.map((r) => [storeId, r.currency, r.validFromMs, r.rate, nowMs]),
        );
      });
    },
  };
}

function toSourceOrder(row: {
  order_id: string;
  status: string;
  currency: string | null;
  revenue: number | string;
  refunded_total: number | string;
  net_revenue: number | string;
  line_items: string | null;
  is_completed: number;
  anonymous_id: string | null;
  user_id: string | null;
  session_id: string | null;
  placed_at_ms: number;
}): SourceOrder {
  let lineItems: unknown = null;
  if (row.line_items) {
    try {
      lineItems = JSON.parse(row.line_items);
    } catch {
      lineItems = null;
    }
  }
  return {
    orderId: row.order_id,
    status: row.status,
    currency: row.currency,
    revenue: money(row.revenue),
    refundedTotal: money(row.refunded_total),
    netRevenue: money(row.net_revenue),
    lineItems,
    isCompleted: Boolean(row.is_completed),
    anonymousId: row.anonymous_id,
    userId: row.user_id,
    sessionId: row.session_id,
    placedAtMs: Number(row.placed_at_ms),
  };
}
