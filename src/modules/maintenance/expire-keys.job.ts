import { SYSTEM_ACTOR } from '../audit/index.js';
import type { JobDefinition } from '../cron/index.js';
import { AGE_WARNING_MS, type ApiKey } from '../keys/index.js';
import { handleOf } from './fenced-chunks.js';
import type { MaintenanceDeps } from './maintenance.types.js';

export interface ExpireKeysResult {
  /** Keys whose expiry was brought forward to their store's maximum key age. */
  capped: number;
  /** Keys flagged as nearing the maximum age (audit `key.age_warning`, API `nearingMaxAge`). */
  warned: number;
  /** Keys marked expired (audit `key.expired`). */
  expired: number;
}

/** Keys marked per fenced commit: each carries an audit entry, so a commit stays small. */
const KEYS_PER_COMMIT = 200;
const DAY_MS = 86_400_000;

/**
 * `expire-keys`: applies stores' maximum key age (capping expiry, flagging keys AGE_WARNING_MS before it) and
 * marks keys past their expiry — plain expiry, the end of a rotation's grace window, or the age cap — as
 * expired, with an audit entry each. Authentication already refuses a key past `expiresAt` on its own: this
 * job makes the state visible (status, audit, dashboard) and the cap apply to keys older than the setting.
 */
export function createExpireKeysJob(deps: MaintenanceDeps): JobDefinition<ExpireKeysResult> {
  const { keys, audit, clock } = deps;

  const reasonOf = (key: ApiKey, maxAgeDays: number | null): string => {
    if (key.rotatedAt !== null) return 'rotation grace ended';
    if (maxAgeDays !== null && key.expiresAt === key.createdAt + maxAgeDays * DAY_MS)
      return 'maximum key age';
    return 'expiry';
  };

  return {
    name: 'expire-keys',
    schedule: deps.options?.schedules?.['expire-keys'] ?? '*/15 * * * *',
    description: 'Marks keys past expiry or rotation grace as expired and applies stores’ maximum key age',
    async handler(ctx) {
      const result: ExpireKeysResult = { capped: 0, warned: 0, expired: 0 };
      const maxAgeOf = new Map<number, number | null>();
      for (const store of await deps.stores.listAll()) {
        maxAgeOf.set(store.id, store.maxKeyAgeDays);
        if (store.maxKeyAgeDays === null) continue;
        ctx.signal.throwIfAborted();
        const maxAgeMs = store.maxKeyAgeDays * DAY_MS;
        const nowMs = clock.nowMs();
        const active = await keys.repository.listActiveOfStore(store.id);
        const changed: ApiKey[] = [];
        const counts = { capped: 0, warned: 0 };
        await ctx.fence.commit(async (trx) => {
          const tx = handleOf(trx);
          counts.capped = 0;
          counts.warned = 0;
          for (const key of active) {
            const capAt = key.createdAt + maxAgeMs;
            // Keys created before the setting (or with a later expiry) get the cap as their expiry.
            if (key.expiresAt === null || key.expiresAt > capAt) {
              await keys.repository.setExpiresAt(key.id, capAt, tx);
              counts.capped++;
              changed.push(key);
            }
            if (key.ageWarnedAt === null && nowMs >= capAt - AGE_WARNING_MS && nowMs < capAt) {
              if ((await keys.repository.markAgeWarned(key.id, nowMs, tx)) === 1) {
                counts.warned++;
                changed.push(key);
                await audit.record(
                  {
                    action: 'key.age_warning',
                    actor: SYSTEM_ACTOR,
                    organizationId: key.organizationId,
                    storeId: key.storeId,
                    targetId: key.publicId,
                    details: { expiresAt: new Date(capAt).toISOString(), maxKeyAgeDays: store.maxKeyAgeDays },
                  },
                  tx,
                );
              }
            }
          }
          return counts.capped + counts.warned;
        });
        result.capped += counts.capped;
        result.warned += counts.warned;
        if (!ctx.dryRun) for (const key of changed) keys.forget(key);
      }

      for (;;) {
        ctx.signal.throwIfAborted();
        const nowMs = clock.nowMs();
        const due = await keys.repository.listNewlyExpired(nowMs, KEYS_PER_COMMIT);
        if (due.length === 0) break;
        const expired = await ctx.fence.commit(async (trx) => {
          const tx = handleOf(trx);
          let marked = 0;
          for (const key of due) {
            if ((await keys.repository.markExpired(key.id, nowMs, tx)) !== 1) continue;
            marked++;
            await audit.record(
              {
                action: 'key.expired',
                actor: SYSTEM_ACTOR,
                organizationId: key.organizationId,
                storeId: key.storeId,
                targetId: key.publicId,
                details: {
                  reason: reasonOf(key, maxAgeOf.get(key.storeId) ?? null),
                  expiresAt: key.expiresAt === null ? null : new Date(key.expiresAt).toISOString(),
                },
              },
              tx,
            );
          }
          return marked;
        });
        result.expired += expired;
        if (!ctx.dryRun) for (const key of due) keys.forget(key);
        // A dry run changed nothing, so the same keys would come back: one page is its answer.
        if (ctx.dryRun || due.length < KEYS_PER_COMMIT) break;
      }
      return result;
    },
  };
}
