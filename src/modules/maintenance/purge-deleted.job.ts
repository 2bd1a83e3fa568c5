import { type JobDefinition, MAX_ROWS_PER_STATEMENT } from '../cron/index.js';
import { STORE_RESTORE_GRACE_MS } from '../stores/index.js';
import { runChunks } from './fenced-chunks.js';
import type { MaintenanceDeps } from './maintenance.types.js';

export interface PurgedStore {
  store: string;
  deletedAt: string;
  events: number;
  orders: number;
  orderAdjustments: number;
  deadLetters: number;
  derivedRows: number;
  privacyRows: number;
  keys: number;
  /** 1 once the store row itself is gone (the last step: a purge cut short is resumed from the store). */
  stores: number;
}

export interface PurgeResult {
  cutoff: string;
  stores: PurgedStore[];
  memberships: number;
}

/** Stores read per page; each is purged completely before the next. */
const STORES_PER_PAGE = 20;

/**
 * `purge-deleted`: hard-deletes what was soft-deleted longer than the grace period ago. A store goes children
 * first — derived rows, order ledger, orders, events, dead letters, privacy requests and suppressions, keys —
 * and its own row last, so a run cut short leaves the store listed and the next run resumes it.
 */
export function createPurgeDeletedJob(deps: MaintenanceDeps): JobDefinition<PurgeResult> {
  const graceMs = deps.options?.purgeGraceMs ?? STORE_RESTORE_GRACE_MS;
  // A purge inside the restore window would leave a restorable store without its data.
  if (graceMs < STORE_RESTORE_GRACE_MS) {
    throw new Error(`purgeGraceMs must be at least the store restore window (${STORE_RESTORE_GRACE_MS} ms)`);
  }
  const limit = MAX_ROWS_PER_STATEMENT;
  const { pipelineData: data } = deps;

  return {
    name: 'purge-deleted',
    schedule: deps.options?.schedules?.['purge-deleted'] ?? '30 3 * * *',
    description:
      'Hard-deletes stores (with everything they owned) and memberships soft-deleted past the grace period',
    async handler(ctx) {
      const cutoffMs = deps.clock.nowMs() - graceMs;
      const purged: PurgedStore[] = [];
      const seen = new Set<number>();
      for (;;) {
        const page = (await deps.stores.listDeletedBefore(cutoffMs, STORES_PER_PAGE)).filter(
          (s) => !seen.has(s.id),
        );
        // A dry run deletes nothing, so the same stores come back: one page is the whole answer it can give.
        if (page.length === 0) break;
        for (const store of page) {
          seen.add(store.id);
          ctx.signal.throwIfAborted();
          const result: PurgedStore = {
            store: store.publicId,
            deletedAt: new Date(store.deletedAt ?? 0).toISOString(),
            events: 0,
            orders: 0,
            orderAdjustments: 0,
            deadLetters: 0,
            derivedRows: 0,
            privacyRows: 0,
            keys: 0,
            stores: 0,
          };
          for (const cleaner of deps.privacy.derived.list()) {
            result.derivedRows += await runChunks(
              ctx,
              async (tx) => {
                const rows = await cleaner.deleteStore(store.id, tx, { limit, countOnly: false });
                return { rows, hasMore: rows > 0 };
              },
              (tx) => cleaner.deleteStore(store.id, tx, { limit, countOnly: true }),
            );
          }
          await runChunks(
            ctx,
            async (tx) => {
              const r = await data.deleteStoreChunk(store.id, limit, tx);
              result.events += r.events;
              result.orders += r.orders;
              result.orderAdjustments += r.orderAdjustments;
              result.deadLetters += r.deadLetters;
              const rows = r.events + r.orders + r.orderAdjustments + r.deadLetters;
              return { rows, hasMore: rows > 0 };
            },
            async (tx) => {
              const r = await data.countStoreRows(store.id, tx);
              Object.assign(result, r);
              return r.events + r.orders + r.orderAdjustments + r.deadLetters;
            },
          );
          result.privacyRows = await runChunks(
            ctx,
            async (tx) => {
              const rows = await deps.privacy.deleteStoreChunk(store.id, limit, tx);
              return { rows, hasMore: rows > 0 };
            },
            (tx) => deps.privacy.countStoreRows(store.id, tx),
          );
          result.keys = await runChunks(ctx, async (tx) => {
            const rows = await deps.keys.repository.hardDeleteOfStore(store.id, limit, tx);
            return { rows, hasMore: rows === limit };
          });
          result.stores = await runChunks(ctx, async (tx) => ({
            rows: await deps.stores.hardDelete(store.id, tx),
            hasMore: false,
          }));
          purged.push(result);
        }
        if (ctx.dryRun || page.length < STORES_PER_PAGE) break;
      }
      const memberships = await runChunks(ctx, async (tx) => {
        const rows = await deps.accounts.purgeDeletedMemberships(cutoffMs, limit, tx);
        return { rows, hasMore: rows === limit };
      });
      return { cutoff: new Date(cutoffMs).toISOString(), stores: purged.slice(0, 200), memberships };
    },
  };
}
