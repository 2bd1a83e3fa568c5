import { type JobDefinition, MAX_ROWS_PER_STATEMENT } from '../cron/index.js';
import { runChunks } from './fenced-chunks.js';
import type { MaintenanceDeps } from './maintenance.types.js';

export const DEFAULT_DEAD_LETTER_RETENTION_MS = 30 * 86_400_000;

/**
 * `dead-letters`: dead letters are kept long enough to inspect and replay (default 30 days), then pruned —
 * they hold raw events. (The retention job also removes a store's dead letters older than its retention.)
 */
export function createDeadLettersJob(
  deps: MaintenanceDeps,
): JobDefinition<{ cutoff: string; deleted: number }> {
  const retentionMs = deps.options?.deadLetterRetentionMs ?? DEFAULT_DEAD_LETTER_RETENTION_MS;
  const limit = MAX_ROWS_PER_STATEMENT;
  return {
    name: 'dead-letters',
    schedule: deps.options?.schedules?.['dead-letters'] ?? '45 3 * * *',
    description: 'Deletes dead letters older than their retention (default 30 days)',
    async handler(ctx) {
      const beforeMs = deps.clock.nowMs() - retentionMs;
      const deleted = await runChunks(
        ctx,
        async (tx) => {
          const rows = await deps.pipelineData.deleteDeadLettersBefore(null, beforeMs, limit, tx);
          return { rows, hasMore: rows === limit };
        },
        (tx) => deps.pipelineData.countDeadLettersBefore(null, beforeMs, tx),
      );
      return { cutoff: new Date(beforeMs).toISOString(), deleted };
    },
  };
}
