import { createIndex, createTable, type ModuleMigration, types, withId } from '../../platform/db/schema.js';

export const auditMigrations: ModuleMigration[] = [
  {
    name: '202611250090_audit_log',
    async up(ctx) {
      const t = types(ctx.dialect);
      await withId(ctx, createTable(ctx, 'audit_log'))
        .addColumn('uid', t.uid, (c) => c.notNull().unique())
        .addColumn('organization_id', t.ref)
        .addColumn('store_id', t.ref)
        .addColumn('actor_type', t.string(16), (c) => c.notNull())
        .addColumn('actor_id', t.string(40))
        .addColumn('actor_label', t.string(254))
        .addColumn('action', t.string(64), (c) => c.notNull())
        .addColumn('target_id', t.string(40))
        .addColumn('ip', t.string(45))
        .addColumn('details', t.text)
        .addColumn('created_at', t.timeMs, (c) => c.notNull())
        .execute();
      await createIndex(ctx, 'audit_log', 'audit_log_org', ['organization_id', 'id']);
      await createIndex(ctx, 'audit_log', 'audit_log_store', ['store_id', 'id']);
    },
  },
];
