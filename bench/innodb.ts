// What the benchmarks ask of the local InnoDB server, beyond Footfall's own queries.

/** Runs one statement and gives its rows (a mysql2 pool or a Kysely connection, wrapped by the caller). */
export type QueryRows = (statement: string) => Promise<Record<string, unknown>[]>;

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
