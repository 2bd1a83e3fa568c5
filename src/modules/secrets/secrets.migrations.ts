import { createIndex, createTable, type ModuleMigration, types, withId } from '../../platform/db/schema.js';

export const secretsMigrations: ModuleMigration[] = [
  {
    name: '202611250050_secrets_signing_keys',
    async up(ctx) {
      const t = types(ctx.dialect);
      await withId(ctx, createTable(ctx, 'signing_keys'))
        .addColumn('kid', t.string(32), (c) => c.notNull())
        .addColumn('material', t.varbytes(128), (c) => c.notNull())
        .addColumn('is_wrapped', t.bool, (c) => c.notNull())
        .addColumn('created_at', t.timeMs, (c) => c.notNull())
        .addColumn('sign_until_ms', t.timeMs)
        .addColumn('retire_at_ms', t.timeMs)
        .execute();
      await createIndex(ctx, 'signing_keys', 'signing_keys_kid', ['kid'], { unique: true });
    },
  },
  {
    // A new key is published verify-only first: it signs from `sign_from_ms`, once every instance's cached
    // key ring has had time to load it (null: signs from creation, as the first key does).
    name: '202611270100_secrets_signing_keys_sign_from',
    async up(ctx) {
      const t = types(ctx.dialect);
      await ctx.db.schema.alterTable('signing_keys').addColumn('sign_from_ms', t.timeMs).execute();
    },
  },
];
