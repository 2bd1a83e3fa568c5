import { type JobDefinition, MAX_ROWS_PER_STATEMENT } from '../cron/index.js';
import { runChunks } from './fenced-chunks.js';
import type { MaintenanceDeps } from './maintenance.types.js';
import { retentionCutoffMs } from './retention-cutoff.js';

export interface RetentionCounts {
  events: number;
  orders: number;
  orderAdjustments: number;
  deadLetters: number;
  derivedRows: number;
}

export interface RetentionResult {
  storesChecked: number;
  /** Only stores that lost rows (or, dry run, would), so the result stays small with many stores. */
  stores: ({ store: string; timeZone: string; retentionDays: number; cutoff: string } & RetentionCounts)[];
  totals: RetentionCounts;
}

const zero = (): RetentionCounts => ({
  events: 0,
  orders: 0,
  orderAdjustments: 0,
  deadLetters: 0,
  derivedRows: 0,
});

/**
 * `retention`: each store keeps its last `retentionDays` local days (its time zone); older events go, with
 * the orders placed in that time, their ledger rows, the store's dead letters of that age and every derived
 * row a module registered a cleaner for.
 */
export function createRetentionJob(deps: MaintenanceDeps): JobDefinition<RetentionResult> {
  const { pipelineData: data } = deps;
  const limit = MAX_ROWS_PER_STATEMENT;
  return {
    name: 'retention',
    schedule: deps.options?.schedules?.retention ?? '15 3 * * *',
    description:
      "Deletes events older than each store's retention (store time zone) and the rows derived from them",
    async handler(ctx) {
      const totals = zero();
      const stores: RetentionResult['stores'] = [];
      const all = await deps.stores.listAll();
      for (const store of all) {
        ctx.signal.throwIfAborted();
        const beforeMs = retentionCutoffMs(deps.clock.nowMs(), store.timeZone, store.retentionDays);
        const counts = zero();
        // Orders before events: an order is derived from its events and goes with them.
        const orderCounts = { orders: 0, orderAdjustments: 0 };
        await runChunks(
          ctx,
          async (tx) => {
            const r = await data.deleteOrdersPlacedBefore(store.id, beforeMs, limit, tx);
            orderCounts.orders += r.orders;
            orderCounts.orderAdjustments += r.orderAdjustments;
            return { rows: r.orders + r.orderAdjustments, hasMore: r.orders > 0 };
          },
          async (tx) => {
            const r = await data.countOrdersPlacedBefore(store.id, beforeMs, tx);
            orderCounts.orders = r.orders;
            orderCounts.orderAdjustments = r.orderAdjustments;
            return r.orders + r.orderAdjustments;
          },
        );
        counts.orders = orderCounts.orders;
        counts.orderAdjustments = orderCounts.orderAdjustments;
        counts.events = await runChunks(
          ctx,
          async (tx) => {
            const rows = await data.deleteEventsBefore(store.id, beforeMs, limit, tx);
            return { rows, hasMore: rows === limit };
          },
          (tx) => data.countEventsBefore(store.id, beforeMs, tx),
        );
        // Dead letters hold raw events: they must not outlive the store's retention either.
        counts.deadLetters = await runChunks(
          ctx,
          async (tx) => {
            const rows = await data.deleteDeadLettersBefore(store.id, beforeMs, limit, tx);
            return { rows, hasMore: rows === limit };
          },
          (tx) => data.countDeadLettersBefore(store.id, beforeMs, tx),
        );
        for (const cleaner of deps.privacy.derived.list()) {
          counts.derivedRows += await runChunks(
            ctx,
            async (tx) => {
              const rows = await cleaner.deleteStoreBefore(store.id, beforeMs, tx, {
                limit,
                countOnly: false,
              });
              return { rows, hasMore: rows > 0 };
            },
            (tx) => cleaner.deleteStoreBefore(store.id, beforeMs, tx, { limit, countOnly: true }),
          );
        }
        const storeTotal =
          counts.events + counts.orders + counts.orderAdjustments + counts.deadLetters + counts.derivedRows;
        if (storeTotal > 0) {
          stores.push({
            store: store.publicId,
            timeZone: store.timeZone,
            retentionDays: store.retentionDays,
            cutoff: new Date(beforeMs).toISOString(),
            ...counts,
          });
        }
        for (const key of Object.keys(totals) as (keyof RetentionCounts)[]) totals[key] += counts[key];
      }
      return { storesChecked: all.length, stores: stores.slice(0, 200), totals };
    },
  };
}
