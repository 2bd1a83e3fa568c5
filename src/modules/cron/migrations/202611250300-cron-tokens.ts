import { createIndex, entityTable, type ModuleMigration, types } from '../../../platform/db/schema.js';

export const cronTokensMigration: ModuleMigration = {
  name: '202611250300_cron_tokens',
  async up(ctx) {
    const t = types(ctx.dialect);
    await entityTable(ctx, 'cron_tokens')
      .addColumn('name', t.string(100), (c) => c.notNull())
      .addColumn('token_hash', t.bytes32, (c) => c.notNull())
      .addColumn('prefix', t.string(24), (c) => c.notNull())
      .addColumn('expires_at', t.timeMs)
      .addColumn('revoked_at', t.timeMs)
      .addColumn('last_used_at', t.timeMs)
      .addColumn('replaced_by_id', t.ref)
      .execute();
    await createIndex(ctx, 'cron_tokens', 'cron_tokens_hash', ['token_hash'], { unique: true });
  },
};
