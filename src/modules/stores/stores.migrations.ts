import { createIndex, entityTable, type ModuleMigration, types } from '../../platform/db/schema.js';

export const storesMigrations: ModuleMigration[] = [
  {
    name: '202611250110_stores_init',
    async up(ctx) {
      const t = types(ctx.dialect);
      await entityTable(ctx, 'stores')
        .addColumn('organization_id', t.ref, (c) => c.notNull())
        .addColumn('name', t.string(120), (c) => c.notNull())
        .addColumn('currency', t.string(3), (c) => c.notNull())
        .addColumn('time_zone', t.string(64), (c) => c.notNull())
        .addColumn('allowed_origins', t.text, (c) => c.notNull())
        .addColumn('retention_days', t.int, (c) => c.notNull())
        .addColumn('ip_policy', t.string(16), (c) => c.notNull())
        .addColumn('backfill_days', t.int, (c) => c.notNull())
        .addColumn('max_key_age_days', t.int)
        .addColumn('requires_consent', t.bool, (c) => c.notNull().defaultTo(0))
        .execute();
      await createIndex(ctx, 'stores', 'stores_org_name_alive', ['organization_id', 'name', 'alive'], {
        unique: true,
      });
      await createIndex(ctx, 'stores', 'stores_deleted', ['deleted_at']);
    },
  },
];
