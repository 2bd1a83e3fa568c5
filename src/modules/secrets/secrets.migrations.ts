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
];
