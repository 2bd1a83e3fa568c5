import type { Clock } from '../../platform/clock.js';
import type { TransactionHandle } from '../../platform/db/database.js';
import type { JobDefinition } from '../cron/index.js';
import { localDay } from './report-time.js';
import type { Commit, RollupRebuilder } from './rollup-rebuild.service.js';
import type { RollupsRepository } from './rollups.repository.js';

export interface RollupsJobResult {
  stores: number;
  days: number;
  fullRebuilds: number;
}

/**
 * The `rollups` cron job: nightly, it rebuilds each store's last `recentDays` local days from the raw events
 * (a safety net: the worker keeps rollups current in the batch transaction), and rebuilds a store entirely
 * when its time zone changed since its rollups were built. One day per fenced transaction, so a run taken
 * over by another instance commits nothing more, and running it again gives the same rows.
 */
export function createRollupsJob(deps: {
  rebuilder: RollupRebuilder;
  repository: RollupsRepository;
  clock: Clock;
  listStores: () => Promise<readonly { id: number; timeZone: string }[]>;
  recentDays?: number;
  schedule?: string;
}): JobDefinition<RollupsJobResult> {
  const recentDays = deps.recentDays ?? 2;
  return {
    name: 'rollups',
    schedule: deps.schedule ?? '30 3 * * *',
    leaseMs: 15 * 60_000,
    description: `Rebuilds report rollups of the last ${recentDays} days, and whole stores whose time zone changed`,
    async handler(ctx) {
      const commit: Commit = (work) =>
        ctx.fence.commit(async (trx) => work(trx as unknown as TransactionHandle));
      const zones = new Map((await deps.repository.listStates()).map((s) => [s.storeId, s.timeZone]));
      const result: RollupsJobResult = { stores: 0, days: 0, fullRebuilds: 0 };
      for (const store of await deps.listStores()) {
        ctx.signal.throwIfAborted();
        const zone = zones.get(store.id);
        // A store without rollup state has had no events rolled up: nothing to rebuild.
        if (zone === undefined) continue;
        result.stores += 1;
        if (zone !== store.timeZone) {
          const done = await deps.rebuilder.rebuildStore(store.id, store.timeZone, {
            commit,
            signal: ctx.signal,
          });
          result.days += done.days;
          result.fullRebuilds += 1;
        } else {
          const today = localDay(zone, deps.clock.nowMs());
          const done = await deps.rebuilder.rebuildDays(store.id, today - recentDays + 1, today, {
            commit,
            signal: ctx.signal,
          });
          result.days += done.days;
        }
        await ctx.heartbeat();
      }
      return result;
    },
  };
}
