import { sql } from 'kysely';
import {
  compressPages,
  compressRows,
  createIndex,
  createTable,
  type MigrationContext,
  type ModuleMigration,
  types,
  uncompressRows,
} from '../../platform/db/schema.js';
import { linkCustomerOrders, refreshOrderDays, refreshOrderTouches } from './rollups.repository.js';

/**
 * Dimension values, paths and ids are keys here: `Google` and `google` are two sources on SQLite, so MySQL
 * gets a binary collation for them too, or the same data would group differently per dialect.
 */
function key(ctx: MigrationContext, length: number) {
  return ctx.dialect === 'mysql' ? sql.raw(`varchar(${length}) collate utf8mb4_bin`) : sql.raw('text');
}

function hash8(ctx: MigrationContext) {
  return ctx.dialect === 'mysql' ? sql.raw('binary(8)') : sql.raw('blob');
}

function double(ctx: MigrationContext) {
  return ctx.dialect === 'mysql' ? sql.raw('double') : sql.raw('real');
}

export const reportsMigrations: ModuleMigration[] = [
  {
    name: '202611250500_reports_rollups',
    async up(ctx) {
      const t = types(ctx.dialect);
      await createTable(ctx, 'report_state')
        .addColumn('store_id', t.ref, (c) => c.primaryKey().notNull())
        .addColumn('time_zone', t.string(64), (c) => c.notNull())
        .addColumn('updated_at', t.timeMs, (c) => c.notNull())
        .execute();

      await createTable(ctx, 'report_sessions')
        .addColumn('store_id', t.ref, (c) => c.notNull())
        .addColumn('session_key', hash8(ctx), (c) => c.notNull())
        .addColumn('visitor_key', hash8(ctx), (c) => c.notNull())
        .addColumn('started_at_ms', t.timeMs, (c) => c.notNull())
        .addColumn('ended_at_ms', t.timeMs, (c) => c.notNull())
        .addColumn('landing_hash', hash8(ctx), (c) => c.notNull())
        .addColumn('start_hour_ms', t.timeMs, (c) => c.notNull())
        .addColumn('start_day', t.int, (c) => c.notNull())
        .addColumn('page_views', t.int, (c) => c.notNull())
        .addColumn('events', t.int, (c) => c.notNull())
        .addColumn('order_count', t.int, (c) => c.notNull())
        .addColumn('channel', key(ctx, 16), (c) => c.notNull())
        .addColumn('referrer_host', key(ctx, 255), (c) => c.notNull())
        .addColumn('utm_source', key(ctx, 255), (c) => c.notNull())
        .addColumn('utm_medium', key(ctx, 255), (c) => c.notNull())
        .addColumn('utm_campaign', key(ctx, 255), (c) => c.notNull())
        .addColumn('device_type', key(ctx, 8), (c) => c.notNull())
        .addColumn('browser', key(ctx, 64), (c) => c.notNull())
        .addColumn('os', key(ctx, 64), (c) => c.notNull())
        .addColumn('country', key(ctx, 64), (c) => c.notNull())
        .addColumn('landing_path', key(ctx, 1024), (c) => c.notNull())
        // Clustered by start time on InnoDB: a period's sessions are one contiguous read (filtered reports),
        // and bulk loads append instead of writing to random pages. The session key stays unique by index.
        .addPrimaryKeyConstraint(
          'report_sessions_pk',
          ctx.dialect === 'mysql'
            ? ['store_id', 'started_at_ms', 'session_key']
            : ['store_id', 'session_key'],
        )
        .execute();
      if (ctx.dialect === 'mysql') {
        await createIndex(ctx, 'report_sessions', 'report_sessions_key', ['store_id', 'session_key'], {
          unique: true,
        });
      }
      // Period scans (filtered reports, hourly visitors) read this index alone for visitor counts.
      await createIndex(ctx, 'report_sessions', 'report_sessions_start', [
        'store_id',
        'started_at_ms',
        'visitor_key',
      ]);
      // A visitor's first session: first-touch attribution.
      await createIndex(ctx, 'report_sessions', 'report_sessions_visitor', [
        'store_id',
        'visitor_key',
        'started_at_ms',
      ]);

      await createTable(ctx, 'report_hourly')
        .addColumn('store_id', t.ref, (c) => c.notNull())
        .addColumn('hour_ms', t.timeMs, (c) => c.notNull())
        .addColumn('is_test', t.bool, (c) => c.notNull())
        .addColumn('sessions', t.int, (c) => c.notNull())
        .addColumn('bounces', t.int, (c) => c.notNull())
        .addColumn('page_views', t.int, (c) => c.notNull())
        .addColumn('duration_ms', t.bigint, (c) => c.notNull())
        .addColumn('converted_sessions', t.int, (c) => c.notNull())
        .addColumn('orders', t.int, (c) => c.notNull())
        .addColumn('revenue_e4', t.bigint, (c) => c.notNull())
        .addColumn('gross_e4', t.bigint, (c) => c.notNull())
        .addColumn('refunds_e4', t.bigint, (c) => c.notNull())
        .addColumn('unconverted_orders', t.int, (c) => c.notNull())
        .addPrimaryKeyConstraint('report_hourly_pk', ['store_id', 'hour_ms', 'is_test'])
        .execute();

      await createTable(ctx, 'report_daily_dims')
        .addColumn('store_id', t.ref, (c) => c.notNull())
        .addColumn('day', t.int, (c) => c.notNull())
        .addColumn('dim', t.int, (c) => c.notNull())
        .addColumn('value', key(ctx, 255), (c) => c.notNull())
        .addColumn('sessions', t.int, (c) => c.notNull())
        .addColumn('bounces', t.int, (c) => c.notNull())
        .addColumn('page_views', t.int, (c) => c.notNull())
        .addColumn('duration_ms', t.bigint, (c) => c.notNull())
        .addColumn('converted_sessions', t.int, (c) => c.notNull())
        // A breakdown reads one dimension over a period: (dim, day) first keeps that a contiguous range.
        .addPrimaryKeyConstraint('report_daily_dims_pk', ['store_id', 'dim', 'day', 'value'])
        .execute();

      await createTable(ctx, 'report_daily_pages')
        .addColumn('store_id', t.ref, (c) => c.notNull())
        .addColumn('day', t.int, (c) => c.notNull())
        .addColumn('path_hash', hash8(ctx), (c) => c.notNull())
        .addColumn('path', key(ctx, 1024), (c) => c.notNull())
        .addColumn('page_views', t.int, (c) => c.notNull())
        .addColumn('entrances', t.int, (c) => c.notNull())
        .addColumn('bounces', t.int, (c) => c.notNull())
        .addPrimaryKeyConstraint('report_daily_pages_pk', ['store_id', 'day', 'path_hash'])
        .execute();

      await createTable(ctx, 'report_daily_products')
        .addColumn('store_id', t.ref, (c) => c.notNull())
        .addColumn('day', t.int, (c) => c.notNull())
        .addColumn('product_id', key(ctx, 255), (c) => c.notNull())
        .addColumn('is_test', t.bool, (c) => c.notNull())
        .addColumn('name', t.string(255), (c) => c.notNull())
        .addColumn('views', t.int, (c) => c.notNull())
        .addColumn('adds', t.int, (c) => c.notNull())
        .addColumn('removals', t.int, (c) => c.notNull())
        .addColumn('checkouts', t.int, (c) => c.notNull())
        .addColumn('purchases', t.int, (c) => c.notNull())
        .addColumn('units', t.int, (c) => c.notNull())
        .addColumn('revenue_e4', t.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('report_daily_products_pk', ['store_id', 'day', 'product_id', 'is_test'])
        .execute();

      await createTable(ctx, 'report_orders')
        .addColumn('store_id', t.ref, (c) => c.notNull())
        .addColumn('order_id', key(ctx, 255), (c) => c.notNull())
        .addColumn('placed_at_ms', t.timeMs, (c) => c.notNull())
        .addColumn('hour_ms', t.timeMs, (c) => c.notNull())
        .addColumn('day', t.int, (c) => c.notNull())
        .addColumn('status', t.string(24), (c) => c.notNull())
        .addColumn('is_counted', t.bool, (c) => c.notNull())
        .addColumn('is_test', t.bool, (c) => c.notNull())
        .addColumn('is_returning', t.bool, (c) => c.notNull())
        .addColumn('currency', t.string(3), (c) => c.notNull())
        .addColumn('rate', double(ctx))
        .addColumn('gross_e4', t.bigint, (c) => c.notNull())
        .addColumn('refunded_e4', t.bigint, (c) => c.notNull())
        .addColumn('net_e4', t.bigint, (c) => c.notNull())
        .addColumn('gross_store_e4', t.bigint)
        .addColumn('refunded_store_e4', t.bigint)
        .addColumn('net_store_e4', t.bigint)
        .addColumn('discount_store_e4', t.bigint)
        .addColumn('coupon', key(ctx, 255), (c) => c.notNull())
        .addColumn('units', t.int, (c) => c.notNull())
        .addColumn('items', t.text, (c) => c.notNull())
        .addColumn('session_key', hash8(ctx))
        .addColumn('visitor_key', hash8(ctx))
        .addColumn('customer_key', hash8(ctx))
        // InnoDB stores rows in primary key order: keyed by time, a period's orders are one contiguous read
        // (eCommerce reports scan them), and the order id stays unique through its own index. SQLite keeps
        // rows by rowid either way, so there the order id is the key and time an index.
        .addPrimaryKeyConstraint(
          'report_orders_pk',
          ctx.dialect === 'mysql' ? ['store_id', 'placed_at_ms', 'order_id'] : ['store_id', 'order_id'],
        )
        .execute();
      if (ctx.dialect === 'mysql') {
        await createIndex(ctx, 'report_orders', 'report_orders_order', ['store_id', 'order_id'], {
          unique: true,
        });
      } else {
        await createIndex(ctx, 'report_orders', 'report_orders_placed', ['store_id', 'placed_at_ms']);
      }
      await createIndex(ctx, 'report_orders', 'report_orders_session', ['store_id', 'session_key']);
      await createIndex(ctx, 'report_orders', 'report_orders_customer', [
        'store_id',
        'customer_key',
        'placed_at_ms',
      ]);

      await createTable(ctx, 'report_visitor_days')
        .addColumn('store_id', t.ref, (c) => c.notNull())
        .addColumn('visitor_key', hash8(ctx), (c) => c.notNull())
        .addColumn('day', t.int, (c) => c.notNull())
        .addColumn('sessions', t.int, (c) => c.notNull())
        // By day on InnoDB (appends during loads, a day's visitors together for rebuilds); by visitor elsewhere.
        .addPrimaryKeyConstraint(
          'report_visitor_days_pk',
          ctx.dialect === 'mysql' ? ['store_id', 'day', 'visitor_key'] : ['store_id', 'visitor_key', 'day'],
        )
        .execute();
      if (ctx.dialect === 'mysql') {
        await createIndex(
          ctx,
          'report_visitor_days',
          'report_visitor_days_visitor',
          ['store_id', 'visitor_key', 'day'],
          {
            unique: true,
          },
        );
      } else {
        // Range rebuilds find the visitors active on a day.
        await createIndex(ctx, 'report_visitor_days', 'report_visitor_days_day', ['store_id', 'day']);
      }

      // The funnel index: every human track event with its visitor, session and cart, keyed by name and time,
      // so a funnel reads a step's events in one range without touching the wide events table.
      await createTable(ctx, 'report_funnel_events')
        .addColumn('store_id', t.ref, (c) => c.notNull())
        .addColumn('event', key(ctx, 255), (c) => c.notNull())
        .addColumn('timestamp_ms', t.timeMs, (c) => c.notNull())
        .addColumn('event_hash', hash8(ctx), (c) => c.notNull())
        .addColumn('visitor_key', hash8(ctx), (c) => c.notNull())
        .addColumn('session_key', hash8(ctx))
        .addColumn('cart_key', hash8(ctx))
        .addPrimaryKeyConstraint('report_funnel_events_pk', [
          'store_id',
          'event',
          'timestamp_ms',
          'event_hash',
        ])
        .execute();

      await createTable(ctx, 'report_visitor_pairs')
        .addColumn('store_id', t.ref, (c) => c.notNull())
        .addColumn('day', t.int, (c) => c.notNull())
        .addColumn('prev_day', t.int, (c) => c.notNull())
        .addColumn('visitors', t.int, (c) => c.notNull())
        .addPrimaryKeyConstraint('report_visitor_pairs_pk', ['store_id', 'day', 'prev_day'])
        .execute();
    },
  },
  {
    name: '202611250500_reports_currency_rates',
    async up(ctx) {
      const t = types(ctx.dialect);
      await createTable(ctx, 'report_currency_rates')
        .addColumn('store_id', t.ref, (c) => c.notNull())
        .addColumn('currency', t.string(3), (c) => c.notNull())
        .addColumn('valid_from_ms', t.timeMs, (c) => c.notNull())
        .addColumn('rate', double(ctx), (c) => c.notNull())
        .addColumn('updated_at', t.timeMs, (c) => c.notNull())
        .addPrimaryKeyConstraint('report_currency_rates_pk', ['store_id', 'currency', 'valid_from_ms'])
        .execute();
    },
  },
  {
    // Each order knows its customer's previous and next order, so a period's customers and repeat customers
    // are sums over the period's orders (no count per customer). Filled once here from the orders' rollups.
    name: '202611251900_reports_order_chain',
    async up(ctx) {
      for (const column of ['prev_order_ms', 'next_order_ms']) {
        await ctx.db.schema.alterTable('report_orders').addColumn(column, sql`bigint`).execute();
      }
      await linkCustomerOrders(ctx.db, ctx.dialect, null);
    },
  },
  {
    // The rollups that grow with traffic (a row per session, per visitor and day, per funnel event) in InnoDB's
    // compressed row format: on a million generated events, 132 → 89 bytes per event (schema.ts, compressRows).
    name: '202611280120_reports_compressed',
    async up(ctx) {
      // (report_funnel_events was compressed here too; see 202611290110_reports_funnel_uncompressed.)
      for (const table of ['report_sessions', 'report_visitor_days']) {
        await compressRows(ctx, table);
      }
    },
  },
  {
    // A period's eCommerce totals from a row per day and currency/coupon group, and its customers from a row
    // per day and chain neighbours, instead of grouping every order of the period (refreshOrderDays).
    name: '202611290100_reports_daily_orders',
    async up(ctx) {
      const t = types(ctx.dialect);
      await createTable(ctx, 'report_daily_orders')
        .addColumn('store_id', t.ref, (c) => c.notNull())
        .addColumn('day', t.int, (c) => c.notNull())
        .addColumn('is_test', t.bool, (c) => c.notNull())
        .addColumn('currency', t.string(3), (c) => c.notNull())
        .addColumn('coupon', key(ctx, 255), (c) => c.notNull())
        .addColumn('orders', t.int, (c) => c.notNull())
        .addColumn('net_e4', t.bigint, (c) => c.notNull())
        .addColumn('net_store_e4', t.bigint, (c) => c.notNull())
        .addColumn('unconverted', t.int, (c) => c.notNull())
        .addColumn('returning_orders', t.int, (c) => c.notNull())
        .addColumn('discount_store_e4', t.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('report_daily_orders_pk', [
          'store_id',
          'day',
          'is_test',
          'currency',
          'coupon',
        ])
        .execute();
      await createTable(ctx, 'report_daily_customers')
        .addColumn('store_id', t.ref, (c) => c.notNull())
        .addColumn('day', t.int, (c) => c.notNull())
        .addColumn('prev_order_ms', t.timeMs, (c) => c.notNull())
        .addColumn('next_order_ms', t.timeMs, (c) => c.notNull())
        .addColumn('orders', t.int, (c) => c.notNull())
        .addPrimaryKeyConstraint('report_daily_customers_pk', [
          'store_id',
          'day',
          'prev_order_ms',
          'next_order_ms',
        ])
        .execute();
      await refreshOrderDays(ctx.db, null, null);
    },
  },
  {
    // The funnel index's rows are mostly random hashes: compressed they took 188 MB instead of 289 MB on 10M
    // events, but a funnel read from disk decompressed every page, and a cold 30-day checkout funnel took
    // 1.5–1.8 s instead of 1.15–1.3 s (same run, same data). Reads matter more here than 10 bytes per event.
    name: '202611290110_reports_funnel_uncompressed',
    async up(ctx) {
      await uncompressRows(ctx, 'report_funnel_events');
    },
  },
  {
    // Attribution from the orders alone: each order keeps its first and last touch (refreshOrderTouches),
    // and a visitor's orders are found by visitor when their sessions change.
    name: '202611290120_reports_order_touches',
    async up(ctx) {
      for (const side of ['last', 'first']) {
        for (const [name, length] of [
          ['channel', 16],
          ['source', 255],
          ['medium', 255],
          ['campaign', 255],
        ] as const) {
          await ctx.db.schema
            .alterTable('report_orders')
            .addColumn(`${side}_${name}`, key(ctx, length), (c) => c.notNull().defaultTo(''))
            .execute();
        }
      }
      await createIndex(ctx, 'report_orders', 'report_orders_visitor', ['store_id', 'visitor_key']);
      const stores = await sql<{ store_id: number }>`select distinct store_id from report_orders`.execute(
        ctx.db,
      );
      for (const row of stores.rows) {
        await refreshOrderTouches(ctx.db, ctx.dialect, Number(row.store_id), null);
      }
    },
  },
  {
    // The compressed rollups in MariaDB's page compression, like the events table (schema.ts, compressPages):
    // with 50,000 events over 2,000 sessions, upserting report_sessions took 16 µs of database CPU per event
    // instead of 20 µs.
    name: '202611300110_reports_page_compressed',
    async up(ctx) {
      for (const table of ['report_sessions', 'report_visitor_days']) {
        await compressPages(ctx, table);
      }
    },
  },
];
