import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CompiledQuery, sql } from 'kysely';
import { createPool } from 'mysql2/promise';
import { allMigrations, createServices } from '../src/main/modules.js';
import { pipelineMigrations } from '../src/modules/pipeline/index.js';
import {
  createReportsModule,
  formatDate,
  localDay,
  reportsMigrations,
} from '../src/modules/reports/index.js';
import { renderProgress, seedStore } from '../src/modules/seed/index.js';
import { systemClock } from '../src/platform/clock.js';
import { loadConfig } from '../src/platform/config.js';
import { createDatabase, type Database } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrator.js';
import { type ModuleMigration, tableDiskBytes } from '../src/platform/db/schema.js';
import { createLogger } from '../src/platform/log.js';
import { bufferPoolResizedSinceStart, flushDirtyPages, poolRows, RESIZED_POOL_WARNING } from './innodb.js';

// `npm run bench:reports`: loads (or reuses) a store of 10M generated events in the local MariaDB, then times
// every report over 7, 30 and 90 days, cold (right after a raw scan has pushed everything out of InnoDB's
// buffer pool) and warm, against the plain query over raw events that a dashboard without rollups would run.
// Warm figures are those of a serving process: V8 optimises a function only after it has run many times, so
// each report first runs --jit-warmup times, unrecorded, over the oldest day of the data (rows the 7- and
// 30-day ranges do not read). Writes bench/results/reports.json. Options: --events N --days D --runs N --fresh.

const REPO = resolve(import.meta.dirname, '..');
const MYSQL_SERVER = process.env.FOOTFALL_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const DATABASE_NAME = process.env.FOOTFALL_BENCH_REPORTS_DB ?? 'footfall_bench_reports';
const STORE_NAME = 'bench-reports';
const SECRET = 'bench-secret-that-is-long-enough-0123456789';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    days: { type: 'string', default: '90' },
    runs: { type: 'string', default: '20' },
    fresh: { type: 'boolean', default: false },
    only: { type: 'string' },
    'raw-limit-s': { type: 'string', default: '90' },
    'load-only': { type: 'boolean', default: false },
    'jit-warmup': { type: 'string', default: '200' },
  },
});
const TARGET_EVENTS = Number(args.events);
const DAYS = Number(args.days);
const WARM_RUNS = Number(args.runs);
const JIT_WARMUP_RUNS = Number(args['jit-warmup']);
const RANGES = [7, 30, 90];
/** A raw query still running after this is stopped; its time is then a lower bound (and the ratio an upper one). */
const RAW_LIMIT_S = Number(args['raw-limit-s']);

const log = (line: string) => process.stdout.write(`${line}\n`);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

async function time<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value };
}

/** The queries a dashboard without rollups runs: straight over `events` (and `orders`) for the period. */
function rawQueries(storeId: number, fromMs: number, toMs: number) {
  const inPeriod = sql`store_id = ${storeId} and timestamp_ms >= ${fromMs} and timestamp_ms < ${toMs} and is_bot = 0`;
  return {
    overview: [
      sql`select count(*) as sessions, count(distinct anonymous_id) as visitors, sum(pv) as page_views,
            sum(case when pv = 1 then 1 else 0 end) as bounces, sum(last_ms - first_ms) as duration_ms
          from (select anonymous_id, session_id, sum(case when type = 'page' then 1 else 0 end) as pv,
                  min(timestamp_ms) as first_ms, max(timestamp_ms) as last_ms
                from events where ${inPeriod} and session_id is not null group by anonymous_id, session_id) s`,
      sql`select count(*) as orders, sum(net_revenue) as revenue from orders
          where store_id = ${storeId} and placed_at_ms >= ${fromMs} and placed_at_ms < ${toMs} and status <> 'cancelled'`,
    ],
    pages: [
      sql`select path, count(*) as views from events where ${inPeriod} and type = 'page'
          group by path order by views desc limit 10`,
    ],
    sources: [
      sql`select channel, count(distinct session_id) as sessions from events where ${inPeriod}
          and channel <> 'internal' group by channel order by sessions desc limit 10`,
    ],
    technology: [
      sql`select device_type, count(distinct session_id) as sessions from events where ${inPeriod}
          group by device_type order by sessions desc limit 10`,
    ],
    ecommerce: [
      sql`select event, currency, count(*) as n, sum(revenue) as amount from events
          where ${inPeriod} and event in ('Order Completed', 'Order Refunded') group by event, currency`,
      // What the report shows besides: orders and revenue per day, customers and repeat customers, orders of
      // returning customers (ordered before, at any time) and the top coupons.
      sql`select floor((timestamp_ms - ${fromMs}) / 86400000) as day, count(*) as orders, sum(revenue) as revenue
          from events where ${inPeriod} and event = 'Order Completed' group by day`,
      sql`select count(*) as customers, sum(case when n > 1 then 1 else 0 end) as repeat_customers
          from (select coalesce(user_id, anonymous_id) as customer, count(*) as n from events
                where ${inPeriod} and event = 'Order Completed' group by customer) c`,
      sql`select count(*) as returning_orders from events o
          where o.store_id = ${storeId} and o.timestamp_ms >= ${fromMs} and o.timestamp_ms < ${toMs}
            and o.is_bot = 0 and o.event = 'Order Completed'
            and case when o.user_id is not null
              then exists (select 1 from events p where p.store_id = o.store_id and p.user_id = o.user_id
                             and p.event = 'Order Completed' and p.timestamp_ms < o.timestamp_ms)
              else exists (select 1 from events p where p.store_id = o.store_id and p.user_id is null
                             and p.anonymous_id = o.anonymous_id and p.event = 'Order Completed'
                             and p.timestamp_ms < o.timestamp_ms) end`,
      sql`select json_value(properties, '$.coupon') as coupon, count(*) as orders,
            sum(json_value(properties, '$.discount')) as discounts, sum(revenue) as revenue from events
          where ${inPeriod} and event = 'Order Completed' and json_value(properties, '$.coupon') is not null
          group by coupon order by orders desc limit 10`,
    ],
    products: [
      sql`select json_value(properties, '$.product_id') as product, event, count(*) as n from events
          where ${inPeriod} and event in ('Product Viewed', 'Product Added', 'Product Removed', 'Checkout Started')
          group by product, event`,
    ],
    attribution: [
      sql`select o.channel, (select e.channel from events e where e.store_id = o.store_id
            and e.anonymous_id = o.anonymous_id order by e.timestamp_ms limit 1) as first_channel,
            count(*) as orders, sum(o.net_revenue) as revenue
          from orders o where o.store_id = ${storeId} and o.placed_at_ms >= ${fromMs} and o.placed_at_ms < ${toMs}
          group by o.channel, first_channel`,
    ],
    funnel: [
      sql`select count(v) as viewed, count(a) as added, count(c) as checkout, count(o) as ordered from (
            select anonymous_id,
              min(case when event = 'Product Viewed' then timestamp_ms end) as v,
              min(case when event = 'Product Added' then timestamp_ms end) as a,
              min(case when event = 'Checkout Started' then timestamp_ms end) as c,
              min(case when event = 'Order Completed' then timestamp_ms end) as o
            from events where ${inPeriod} group by anonymous_id) f where v is not null`,
    ],
  };
}

type ReportName = keyof ReturnType<typeof rawQueries>;

interface LoadFigures {
  seconds: number;
  eventsPerSecond: number;
  orders: number;
  indexSeconds: number | null;
  note: string;
}

async function main(): Promise<void> {
  const admin = createPool({ uri: MYSQL_SERVER, connectionLimit: 1 });
  if (args.fresh) await admin.query(`DROP DATABASE IF EXISTS \`${DATABASE_NAME}\``);
  await admin.query(
    `CREATE DATABASE IF NOT EXISTS \`${DATABASE_NAME}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  );
  const [versionRows] = await admin.query(
    'select version() as v, @@innodb_buffer_pool_size as pool, @@innodb_log_file_size as log',
  );
  const server = (versionRows as { v: string; pool: number; log: number }[])[0];
  const poolResized = await bufferPoolResizedSinceStart(poolRows(admin));
  await admin.end();
  log(
    `${server?.v ?? 'database'}: InnoDB buffer pool ${server ? Math.round(Number(server.pool) / 2 ** 20) : '?'} MB, redo log ${server ? Math.round(Number(server.log) / 2 ** 20) : '?'} MB (the server's settings; the bench puts back the two it turns to flush pages)`,
  );
  if (poolResized) log(RESIZED_POOL_WARNING);

  const url = `${MYSQL_SERVER.replace(/\/$/, '')}/${DATABASE_NAME}`;
  const database: Database = createDatabase({ kind: 'mysql', url }, { poolSize: 4 });
  const byName = new Map<string, ModuleMigration>();
  for (const migration of [...allMigrations, ...pipelineMigrations, ...reportsMigrations]) {
    byName.set(migration.name, migration);
  }
  await migrateToLatest(database, [...byName.values()]);
  const logger = createLogger({ level: 'warn', destination: process.stderr });
  const config = loadConfig({
    DATABASE_URL: url,
    FOOTFALL_SECRET: SECRET,
    FOOTFALL_DATA_DIR: `${REPO}/data`,
  });
  const services = await createServices({ config, logger, database, redis: null, clock: systemClock });
  const reports = createReportsModule({ database, clock: systemClock, stores: services.stores });

  const system = { type: 'system' as const, id: null, label: 'bench' };
  let store = (await services.stores.listAll()).find((s) => s.name === STORE_NAME) ?? null;
  if (store === null) {
    const organization = await services.accounts.createOrganization('bench', system);
    store = await services.stores.create(
      organization.id,
      { name: STORE_NAME, timeZone: 'America/New_York', currency: 'USD' },
      system,
    );
  }
  const countEvents = async () =>
    Number(
      (
        await sql<{ n: number }>`select count(*) as n from events where store_id = ${store?.id ?? 0}`.execute(
          database.typed<unknown>(),
        )
      ).rows[0]?.n ?? 0,
    );
  let events = await countEvents();
  const loadFile = resolve(REPO, 'bench/results/reports-load.json');
  let load: LoadFigures | null = null;
  let indexesStartedMs = 0;
  let indexesBuiltMs = 0;
  if (events === 0) {
    log(`seeding ${TARGET_EVENTS.toLocaleString('en')} events over ${DAYS} days into ${DATABASE_NAME} …`);
    const result = await seedStore(
      { database, clock: systemClock, reports, stores: services.stores },
      {
        storeId: store.id,
        events: TARGET_EVENTS,
        days: DAYS,
        seed: 2026,
        deferIndexes: true,
        onProgress: (progress) => process.stderr.write(`\r${renderProgress(progress)}   `),
        onPhase: (phase) => {
          if (phase === 'indexes') {
            indexesStartedMs = Date.now();
            process.stderr.write('\nbuilding the events indexes …\n');
          }
          if (phase === 'done') indexesBuiltMs = Date.now();
        },
      },
    );
    process.stderr.write('\n');
    events = result.events;
    load = {
      seconds: Math.round(result.elapsedMs / 100) / 10,
      eventsPerSecond: Math.round(result.events / (result.elapsedMs / 1000)),
      orders: result.orders,
      indexSeconds: indexesStartedMs > 0 ? Math.round((indexesBuiltMs - indexesStartedMs) / 100) / 10 : null,
      note:
        'Generation, events, orders and rollups in one pass (chunks of 5,000 events, 3 transactions in flight), ' +
        "then the events table's secondary indexes built once; seconds include both.",
    };
    log(`seeded ${events.toLocaleString('en')} events, ${result.orders} orders in ${load.seconds} s`);
    mkdirSync(resolve(REPO, 'bench/results'), { recursive: true });
    writeFileSync(loadFile, `${JSON.stringify({ database: DATABASE_NAME, events, ...load }, null, 2)}\n`);
  } else if (events < TARGET_EVENTS * 0.9) {
    throw new Error(`${DATABASE_NAME} holds ${events} events of a partial load: run with --fresh`);
  } else {
    log(`reusing ${events.toLocaleString('en')} events in ${DATABASE_NAME}`);
    // The figures of the run that loaded them, when it was this database.
    if (existsSync(loadFile)) {
      const saved = JSON.parse(readFileSync(loadFile, 'utf8')) as { database: string } & LoadFigures;
      if (saved.database === DATABASE_NAME) {
        const { database: _, ...figures } = saved;
        load = figures;
      }
    }
  }

  if (args['load-only']) {
    await database.close();
    return;
  }

  // Storage: the bytes on disk once every changed page is written (page-compressed tables are compressed as
  // they are written), with InnoDB's own page accounting after fresh statistics beside them.
  const db = database.typed<unknown>();
  const query = async (statement: string) =>
    (await sql.raw<Record<string, unknown>>(statement).execute(db)).rows;
  const tables = (
    await sql<{ name: string }>`select table_name as name from information_schema.tables
      where table_schema = ${DATABASE_NAME}
        and (table_name in ('events', 'event_contexts', 'orders', 'order_adjustments') or table_name like 'report\\_%')`.execute(
      db,
    )
  ).rows.map((row) => row.name);
  for (const table of tables) await sql`analyze table ${sql.table(table)}`.execute(db);
  await flushDirtyPages(query);
  const diskBytes = await tableDiskBytes(db);
  const sizes = (
    await sql<{ name: string; rows: number; data: number; indexes: number }>`
      select table_name as name, table_rows as ${sql.ref('rows')}, data_length as data, index_length as indexes
      from information_schema.tables where table_schema = ${DATABASE_NAME}
        and table_name in (${sql.join(tables)})`.execute(db)
  ).rows
    .map((row) => ({
      table: row.name,
      rows: Number(row.rows),
      diskBytes: diskBytes.get(row.name) ?? Number.NaN,
      dataBytes: Number(row.data),
      indexBytes: Number(row.indexes),
    }))
    .sort((a, b) => b.diskBytes - a.diskBytes);
  const unmeasured = sizes.filter((t) => Number.isNaN(t.diskBytes)).map((t) => t.table);
  if (unmeasured.length > 0) throw new Error(`no tablespace found for ${unmeasured.join(', ')}`);
  const totalBytes = sizes.reduce((sum, t) => sum + t.diskBytes, 0);
  const rollupBytes = sizes
    .filter((t) => t.table.startsWith('report_'))
    .reduce((sum, t) => sum + t.diskBytes, 0);
  const eventsTable = sizes.find((t) => t.table === 'events');
  const storage = {
    /** Bytes on disk (allocated file blocks) of the events, orders and rollup tables. */
    totalBytes,
    bytesPerEvent: Math.round(totalBytes / events),
    rawEventsBytesPerEvent: eventsTable ? Math.round(eventsTable.diskBytes / events) : null,
    rollupBytesPerEvent: Math.round(rollupBytes / events),
    tables: sizes,
  };
  log(
    `storage: ${storage.bytesPerEvent} B/event (events table ${storage.rawEventsBytesPerEvent} B, rollups ${storage.rollupBytesPerEvent} B)`,
  );

  const zone = (await reports.ensureState(store.id, store.timeZone)) ?? store.timeZone;
  const span = (
    await sql<{
      first: number | null;
      last: number | null;
    }>`select min(timestamp_ms) as first, max(timestamp_ms) as last from events where store_id = ${store.id}`.execute(
      db,
    )
  ).rows[0];
  const lastMs = Number(span?.last ?? Date.now());
  const firstMs = Number(span?.first ?? lastMs);
  const lastDay = localDay(zone, lastMs);
  const service = reports.service;
  const storeId = store.id;
  const runReport: Record<ReportName, (params: { from: string; to: string }) => Promise<unknown>> = {
    overview: (p) => service.overview(storeId, { ...p, granularity: 'day' }),
    pages: (p) => service.pages(storeId, p),
    sources: (p) => service.breakdown(storeId, p, 'channel'),
    technology: (p) => service.breakdown(storeId, p, 'device'),
    ecommerce: (p) => service.ecommerce(storeId, { ...p, granularity: 'day' }),
    products: (p) => service.products(storeId, p),
    attribution: (p) => service.attribution(storeId, p, 'channel'),
    funnel: (p) => service.funnel(storeId, p, { windowMinutes: 24 * 60 }),
  };
  const names = (args.only ? args.only.split(',') : Object.keys(runReport)) as ReportName[];
  const results: {
    report: string;
    rangeDays: number;
    coldMs: number;
    warmP50Ms: number;
    warmP95Ms: number;
    rawMs: number;
    rawTimedOut: boolean;
    ratioP95ToRaw: number;
    /** 1-minute load average when the row was measured: the 2 cores are shared with other work. */
    loadAverage1m: number;
  }[] = [];
  const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
  log(`load average (1, 5, 15 min) before the reports: ${loadAtStart.join(', ')} on ${cpus().length} cores`);
  log('');
  log('report        days    cold ms   warm p50   warm p95     raw ms   p95/raw   load1');
  const oldestDay = { from: formatDate(localDay(zone, firstMs)), to: formatDate(localDay(zone, firstMs)) };
  for (const name of names) {
    // Funnels take a hundred times longer a call: a tenth of the calls is enough to have V8 optimise them.
    const warmups = name === 'funnel' ? Math.ceil(JIT_WARMUP_RUNS / 10) : JIT_WARMUP_RUNS;
    for (let i = 0; i < warmups; i++) await runReport[name](oldestDay);
    for (const days of RANGES) {
      const params = { from: formatDate(lastDay - days + 1), to: formatDate(lastDay) };
      const fromMs = (await service.resolve(storeId, params)).range.fromMs;
      const toMs = (await service.resolve(storeId, params)).range.toMs;
      // The raw scan first: it reads far more than InnoDB's buffer pool holds, so the report after it is cold.
      let rawTimedOut = false;
      const raw = await time(async () => {
        for (const query of rawQueries(storeId, fromMs, toMs)[name]) {
          const compiled = query.compile(db);
          const startedMs = Date.now();
          try {
            await db.executeQuery(
              CompiledQuery.raw(`set statement max_statement_time = ${RAW_LIMIT_S} for ${compiled.sql}`, [
                ...compiled.parameters,
              ]),
            );
          } catch (error) {
            // A statement stopped at the limit while it was dropping an on-disk temporary table reports that
            // failure instead of 1969 (MariaDB 10.11): at the limit, it is the same timeout.
            const atLimit = Date.now() - startedMs >= RAW_LIMIT_S * 1000 * 0.98;
            if ((error as { errno?: number }).errno !== 1969 && !atLimit) throw error;
            rawTimedOut = true;
          }
        }
      });
      const cold = await time(() => runReport[name](params));
      const warm: number[] = [];
      const runs = name === 'funnel' ? Math.max(3, Math.floor(WARM_RUNS / 4)) : WARM_RUNS;
      for (let i = 0; i < runs; i++) warm.push((await time(() => runReport[name](params))).ms);
      warm.sort((a, b) => a - b);
      const row = {
        report: name,
        rangeDays: days,
        coldMs: round(cold.ms),
        warmP50Ms: round(percentile(warm, 50)),
        warmP95Ms: round(percentile(warm, 95)),
        rawMs: round(raw.ms),
        rawTimedOut,
        ratioP95ToRaw: Math.round((percentile(warm, 95) / raw.ms) * 10_000) / 10_000,
        loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
      };
      results.push(row);
      log(
        `${name.padEnd(12)} ${String(days).padStart(5)} ${String(row.coldMs).padStart(10)} ${String(row.warmP50Ms).padStart(10)} ${String(row.warmP95Ms).padStart(10)} ${`${rawTimedOut ? '>' : ''}${row.rawMs}`.padStart(10)} ${String(row.ratioP95ToRaw).padStart(9)} ${String(row.loadAverage1m).padStart(7)}`,
      );
    }
  }

  const fastReports = ['overview', 'pages', 'sources', 'technology', 'ecommerce', 'products'];
  const fast = results.filter((r) => fastReports.includes(r.report));
  const funnel30 = results.find((r) => r.report === 'funnel' && r.rangeDays === 30);
  const targets = {
    warmP95Under100Ms: fast.every((r) => r.warmP95Ms <= 100),
    coldUnder100Ms: fast.every((r) => r.coldMs <= 100),
    ratioUnder005: fast.every((r) => r.ratioP95ToRaw <= 0.05),
    funnel30DaysUnder1500Ms: funnel30 ? funnel30.warmP95Ms <= 1500 && funnel30.coldMs <= 1500 : null,
    storageUnder400BytesPerEvent: storage.bytesPerEvent <= 400,
  };
  const output = {
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? null,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      database: server?.v ?? null,
      innodbBufferPoolMb: server ? Math.round(Number(server.pool) / 2 ** 20) : null,
      innodbLogFileMb: server ? Math.round(Number(server.log) / 2 ** 20) : null,
      /** null: the server's error log could not be read (bench/innodb.ts). */
      bufferPoolResizedSinceStart: poolResized,
    },
    dataset: {
      events,
      days: DAYS,
      timeZone: zone,
      from: formatDate(lastDay - DAYS + 1),
      to: formatDate(lastDay),
    },
    load,
    loadAverage: {
      beforeReports: loadAtStart,
      afterReports: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    storage,
    method:
      `Per report, first ${JIT_WARMUP_RUNS} unrecorded calls (funnel: a tenth) over the oldest day, so the code runs ` +
      'as optimised as in a serving process. Per report and period: the raw-events query once (a full read of the period, far beyond the buffer pool; ' +
      `stopped after ${RAW_LIMIT_S} s, then rawTimedOut and rawMs a lower bound), then the report once (cold: ` +
      'InnoDB reads with O_DIRECT, so pages the raw scan evicted come from disk), then warm runs. p95 is over ' +
      'the warm runs; ratio = warm p95 / raw.',
    jitWarmupRuns: JIT_WARMUP_RUNS,
    warmRuns: WARM_RUNS,
    results,
    targets,
  };
  mkdirSync(resolve(REPO, 'bench/results'), { recursive: true });
  writeFileSync(resolve(REPO, 'bench/results/reports.json'), `${JSON.stringify(output, null, 2)}\n`);
  log('');
  log(`targets: ${JSON.stringify(targets)}`);
  log('wrote bench/results/reports.json');
  await database.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
