import type { Transaction } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/harness/databases.js';
import type { TransactionHandle } from '../../platform/db/database.js';
import { toPublicId } from '../../platform/ids.js';
import { createLogger } from '../../platform/log.js';
import type { JobContext } from '../cron/index.js';
import { seedRate } from '../seed/index.js';
import { parseDate } from './report-time.js';
import { generatedSessions, shuffled } from './test-kit/events.js';
import { loadTruth, truthDailySeries, truthOverview, truthPages } from './test-kit/raw-truth.js';
import { createReportsTestEnv, type ReportsTestEnv } from './test-kit/reports-test-env.js';

const NOW = Date.parse('2026-03-31T12:00:00Z');
const STORE = { id: 1, timeZone: 'Europe/Berlin', currency: 'USD' };

function jobContext(env: ReportsTestEnv, dryRun = false): JobContext {
  return {
    job: 'rollups',
    slotMs: NOW,
    dryRun,
    runId: toPublicId('run', Buffer.alloc(16, 1)),
    signal: new AbortController().signal,
    log: createLogger({ level: 'silent' }),
    heartbeat: async () => undefined,
    fence: {
      fence: 1,
      commit: async <Tables>(work: (trx: Transaction<Tables>) => Promise<number>) =>
        env.database.transaction((tx: TransactionHandle) => work(tx as unknown as Transaction<Tables>)),
    },
  };
}

describe.each(DIALECTS)('the rollups job on %s', (dialect) => {
  let env: ReportsTestEnv;

  beforeAll(async () => {
    env = await createReportsTestEnv(dialect, { startMs: NOW, stores: [{ ...STORE }], batchSize: 200 });
    await env.reports.putRates(
      STORE.id,
      ['EUR', 'GBP', 'CAD'].map((currency) => ({
        currency,
        validFromMs: 0,
        rate: seedRate(currency, 'USD'),
      })),
    );
    // Six days across Berlin's DST change (2026-03-29).
    const sessions = await generatedSessions({
      events: 3000,
      days: 6,
      endMs: NOW,
      seed: 3,
      timeZone: STORE.timeZone,
      currency: 'USD',
    });
    await env.ingest(
      STORE.id,
      shuffled(
        sessions.flatMap((s) => s.events),
        5,
      ),
    );
  }, 120_000);

  afterAll(async () => {
    await env?.close();
  });

  const compare = async (zone: string) => {
    const truth = await loadTruth(env.database, STORE.id, 'USD');
    const period = {
      zone,
      fromDay: parseDate('2026-03-26') as number,
      toDay: parseDate('2026-03-31') as number,
    };
    const params = { from: '2026-03-26', to: '2026-03-31', limit: 1000 };
    const overview = await env.reports.service.overview(STORE.id, params);
    expect(overview.period.timeZone).toBe(zone);
    expect(Object.fromEntries(Object.entries(overview.metrics).map(([k, v]) => [k, v.value]))).toEqual(
      truthOverview(truth, period),
    );
    expect(overview.series).toEqual(truthDailySeries(truth, period));
    const pages = await env.reports.service.pages(STORE.id, params);
    expect(pages.items.map(({ previousPageViews: _, ...row }) => row)).toEqual(
      truthPages(truth, period, 1000),
    );
  };

  it('rebuilds the recent days to the same numbers', async () => {
    await compare('Europe/Berlin');
    const result = await env.reports.rollupsJob().handler(jobContext(env));
    expect(result).toEqual({ stores: 1, days: 2, fullRebuilds: 0 });
    await compare('Europe/Berlin');
  });

  it('keeps reporting in the old zone until a zone change is rebuilt, then moves every day', async () => {
    (env.stores.get(STORE.id) as { timeZone: string }).timeZone = 'Asia/Kolkata';
    const before = await env.reports.service.overview(STORE.id, { from: '2026-03-26', to: '2026-03-31' });
    expect(before.period.timeZone).toBe('Europe/Berlin');
    const result = await env.reports.rollupsJob().handler(jobContext(env));
    expect(result.fullRebuilds).toBe(1);
    // Half-hour zone: local hours are :30 UTC, and every local day is whole hours of them.
    await compare('Asia/Kolkata');
    const again = await env.reports.rollupsJob().handler(jobContext(env));
    expect(again.fullRebuilds).toBe(0);
    await compare('Asia/Kolkata');
    const hourly = await env.reports.service.overview(STORE.id, {
      from: '2026-03-30',
      to: '2026-03-30',
      granularity: 'hour',
    });
    expect(hourly.series[0]?.bucket).toBe('2026-03-29T18:30:00.000Z');
    expect(hourly.series).toHaveLength(24);
  });
});
