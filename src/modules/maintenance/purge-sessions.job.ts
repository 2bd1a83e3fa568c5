import { type JobDefinition, MAX_ROWS_PER_STATEMENT } from '../cron/index.js';
import { runChunks } from './fenced-chunks.js';
import type { MaintenanceDeps } from './maintenance.types.js';

/**
 * `purge-sessions`: sessions past expiry (or revoked) and login-throttling records past their window. CSRF
 * tokens are signatures over the session id, so they go with their session.
 */
export function createPurgeSessionsJob(
  deps: MaintenanceDeps,
): JobDefinition<{ sessions: number; loginFailures: number }> {
  const limit = MAX_ROWS_PER_STATEMENT;
  return {
    name: 'purge-sessions',
    schedule: deps.options?.schedules?.['purge-sessions'] ?? '5 * * * *',
    description:
      'Deletes expired sessions (with their CSRF tokens) and login-throttling records past their window',
    async handler(ctx) {
      const result = { sessions: 0, loginFailures: 0 };
      await runChunks(ctx, async (tx) => {
        const r = await deps.accounts.purgeExpired(limit, tx);
        result.sessions += r.sessions;
        result.loginFailures += r.loginFailures;
        return {
          rows: r.sessions + r.loginFailures,
          hasMore: r.sessions === limit || r.loginFailures === limit,
        };
      });
      return result;
    },
  };
}
