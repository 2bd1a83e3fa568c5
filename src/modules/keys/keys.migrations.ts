import { createIndex, entityTable, type ModuleMigration, types } from '../../platform/db/schema.js';

export const keysMigrations: ModuleMigration[] = [
  {
    name: '202611250120_keys_init',
    async up(ctx) {
      const t = types(ctx.dialect);
      await entityTable(ctx, 'api_keys')
        .addColumn('store_id', t.ref, (c) => c.notNull())
        .addColumn('organization_id', t.ref, (c) => c.notNull())
        .addColumn('type', t.string(16), (c) => c.notNull())
        .addColumn('name', t.string(120), (c) => c.notNull())
        .addColumn('prefix', t.string(24), (c) => c.notNull())
        .addColumn('last4', t.string(4), (c) => c.notNull())
        .addColumn('key_hash', t.bytes32, (c) => c.notNull().unique())
        .addColumn('scopes', t.text, (c) => c.notNull())
        .addColumn('allowed_origins', t.text)
        .addColumn('expires_at', t.timeMs)
        .addColumn('revoked_at', t.timeMs)
        .addColumn('rotated_at', t.timeMs)
        .addColumn('replaced_by_uid', t.uid)
        .addColumn('last_used_at', t.timeMs)
        .addColumn('age_warned_at', t.timeMs)
        .addColumn('expired_at', t.timeMs)
        .addColumn('created_by', t.string(40))
        .execute();
      await createIndex(ctx, 'api_keys', 'api_keys_store', ['store_id', 'id']);
      await createIndex(ctx, 'api_keys', 'api_keys_expires', ['expires_at']);
    },
  },
];
