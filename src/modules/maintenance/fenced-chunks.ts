import type { Transaction } from 'kysely';
import type { TransactionHandle } from '../../platform/db/database.js';
import type { JobContext } from '../cron/index.js';

// A fence transaction is a Kysely transaction; other modules' repositories take the opaque handle of the same
// object (`database.typed(tx)` only re-types it).
export const handleOf = (trx: Transaction<unknown>): TransactionHandle => trx as unknown as TransactionHandle;

/** One chunk of a deletion: at most MAX_ROWS_PER_STATEMENT rows per statement, in the given transaction. */
export type ChunkStep = (tx: TransactionHandle) => Promise<{ rows: number; hasMore: boolean }>;

/**
 * Runs a chunked deletion, each chunk in its own fenced commit, until a chunk says there is no more.
 *
 * A dry run rolls every commit back, so repeating a chunk would find the same rows forever. With `count` the
 * dry run asks it for the total instead (big tables: a COUNT, not a rehearsal). Without it, all chunks run in
 * one transaction, which sees its own deletes and ends, and the rollback undoes them — fine for small tables
 * (keys, sessions, memberships), never used for events.
 */
export async function runChunks(
  ctx: JobContext,
  step: ChunkStep,
  count?: (tx: TransactionHandle) => Promise<number>,
): Promise<number> {
  if (ctx.dryRun) {
    return ctx.fence.commit(async (trx) => {
      const tx = handleOf(trx);
      if (count) return count(tx);
      let rows = 0;
      for (;;) {
        const chunk = await step(tx);
        rows += chunk.rows;
        if (!chunk.hasMore) return rows;
      }
    });
  }
  let rows = 0;
  for (;;) {
    ctx.signal.throwIfAborted();
    const last = { hasMore: false };
    rows += await ctx.fence.commit(async (trx) => {
      const chunk = await step(handleOf(trx));
      last.hasMore = chunk.hasMore;
      return chunk.rows;
    });
    if (!last.hasMore) return rows;
  }
}
