// What the benchmarks ask of the local InnoDB server, beyond Footfall's own queries.
import { readFileSync } from 'node:fs';
import type { Pool } from 'mysql2/promise';

/** Runs one statement and gives its rows (a mysql2 pool or a Kysely connection, wrapped by the caller). */
export type QueryRows = (statement: string) => Promise<Record<string, unknown>[]>;

/** QueryRows over a mysql2 pool. */
export const poolRows =
  (pool: Pool): QueryRows =>
  async (statement) =>
    (await pool.query(statement))[0] as Record<string, unknown>[];

/**
 * Makes InnoDB write out every changed page now and waits until it has (at most two minutes), putting the
 * server's two flushing settings back as they were. A page-compressed table compresses its pages only as they
 * are written, so a figure that leaves them in memory leaves out part of the cost and part of the bytes.
 * Returns how long it took.
 */
export async function flushDirtyPages(query: QueryRows): Promise<number> {
  const startedMs = Date.now();
  const [settings] = await query(
    'select @@innodb_max_dirty_pages_pct as pct, @@innodb_max_dirty_pages_pct_lwm as lwm',
  );
  const pct = Number(settings?.pct ?? 90);
  const lwm = Number(settings?.lwm ?? 0);
  try {
    await query('SET GLOBAL innodb_max_dirty_pages_pct_lwm = 0.001');
    await query('SET GLOBAL innodb_max_dirty_pages_pct = 0');
    for (;;) {
      const [row] = await query("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'");
      // A few pages stay dirty from the server's own background work.
      if (Number(row?.Value ?? 0) < 50 || Date.now() - startedMs > 120_000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await query(`SET GLOBAL innodb_max_dirty_pages_pct = ${pct}`);
    await query(`SET GLOBAL innodb_max_dirty_pages_pct_lwm = ${lwm}`);
  }
  return Date.now() - startedMs;
}

/**
 * Whether the server's buffer pool was resized since it started (`SET GLOBAL innodb_buffer_pool_size`), read
 * from its error log, which the benches can read because the server is local; null when the log cannot be
 * read. MariaDB 10.11 keeps the page hash table it sized for the pool it started with: after growing a 128 MB
 * pool to 4 GB at runtime, a fifth of the server's CPU in the ingest bench went to walking that table's chains
 * (measured with perf), and every figure the database takes part in was off. A bench prints a warning.
 */
export async function bufferPoolResizedSinceStart(query: QueryRows): Promise<boolean | null> {
  const [row] = await query('select @@log_error as path');
  const path = String(row?.path ?? '');
  if (path === '') return null;
  let log: string;
  try {
    log = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const started = log.lastIndexOf('ready for connections');
  if (started === -1) return null;
  return /innodb_buffer_pool_size=\S+ \([0-9]+ pages\) resized from|Completed to resize buffer pool/.test(
    log.slice(started),
  );
}

/** The warning a bench prints when `bufferPoolResizedSinceStart` is true. */
export const RESIZED_POOL_WARNING =
  'warning: the InnoDB buffer pool was resized while the server ran; MariaDB keeps the page hash sized for the ' +
  'pool it started with, which slows every page lookup. Set innodb_buffer_pool_size in the server configuration ' +
  'and restart it before measuring.';
