import {
  createIndex,
  createTable,
  type ModuleMigration,
  types,
  withId,
} from '../../../platform/db/schema.js';

export const cronRunsMigration: ModuleMigration = {
  name: '202611250300_cron_runs',
  async up(ctx) {
    const t = types(ctx.dialect);
    await withId(ctx, createTable(ctx, 'cron_runs'))
      .addColumn('uid', t.uid, (c) => c.notNull().unique())
      .addColumn('job', t.string(64), (c) => c.notNull())
      .addColumn('slot_ms', t.timeMs, (c) => c.notNull())
      .addColumn('claim', t.bool)
      .addColumn('status', t.string(16), (c) => c.notNull())
      .addColumn('fence', t.int, (c) => c.notNull())
      .addColumn('lease_until_ms', t.timeMs, (c) => c.notNull())
      .addColumn('started_at', t.timeMs, (c) => c.notNull())
      .addColumn('finished_at', t.timeMs)
      .addColumn('heartbeat_at', t.timeMs, (c) => c.notNull())
      .addColumn('instance', t.string(128), (c) => c.notNull())
      .addColumn('attempts', t.int, (c) => c.notNull())
      .addColumn('rows_affected', t.bigint, (c) => c.notNull().defaultTo(0))
      .addColumn('result', t.text)
      .addColumn('error', t.text)
      .addColumn('dry_run', t.bool, (c) => c.notNull())
      .execute();
    // The exactly-once claim: a second INSERT for the same real (job, slot) fails with a duplicate key.
    await createIndex(ctx, 'cron_runs', 'cron_runs_claim', ['job', 'slot_ms', 'claim'], { unique: true });
    await createIndex(ctx, 'cron_runs', 'cron_runs_job_history', ['job', 'id']);
    await createIndex(ctx, 'cron_runs', 'cron_runs_status_history', ['status', 'id']);
  },
};
