import {
  createIndex,
  createTable,
  entityTable,
  type ModuleMigration,
  types,
  withId,
} from '../../platform/db/schema.js';

export const accountsMigrations: ModuleMigration[] = [
  {
    name: '202611250100_accounts_init',
    async up(ctx) {
      const t = types(ctx.dialect);
      await entityTable(ctx, 'organizations')
        .addColumn('name', t.string(120), (c) => c.notNull())
        .execute();

      await entityTable(ctx, 'users')
        .addColumn('email', t.string(254), (c) => c.notNull())
        .addColumn('name', t.string(120), (c) => c.notNull())
        .addColumn('password_hash', t.string(255), (c) => c.notNull())
        .addColumn('last_login_at', t.timeMs)
        .execute();
      await createIndex(ctx, 'users', 'users_email_alive', ['email', 'alive'], { unique: true });

      await entityTable(ctx, 'memberships')
        .addColumn('organization_id', t.ref, (c) => c.notNull())
        .addColumn('user_id', t.ref, (c) => c.notNull())
        .addColumn('role', t.string(16), (c) => c.notNull())
        .execute();
      await createIndex(
        ctx,
        'memberships',
        'memberships_org_user_alive',
        ['organization_id', 'user_id', 'alive'],
        {
          unique: true,
        },
      );
      await createIndex(ctx, 'memberships', 'memberships_user', ['user_id']);

      await withId(ctx, createTable(ctx, 'sessions'))
        .addColumn('uid', t.uid, (c) => c.notNull().unique())
        .addColumn('user_id', t.ref, (c) => c.notNull())
        .addColumn('token_hash', t.bytes32, (c) => c.notNull().unique())
        .addColumn('created_at', t.timeMs, (c) => c.notNull())
        .addColumn('expires_at', t.timeMs, (c) => c.notNull())
        .addColumn('last_seen_at', t.timeMs, (c) => c.notNull())
        .addColumn('revoked_at', t.timeMs)
        .addColumn('user_agent', t.string(255))
        .execute();
      await createIndex(ctx, 'sessions', 'sessions_user', ['user_id']);
      await createIndex(ctx, 'sessions', 'sessions_expires', ['expires_at']);

      await withId(ctx, createTable(ctx, 'login_failures'))
        .addColumn('email_hash', t.bytes32, (c) => c.notNull())
        .addColumn('ip_hash', t.bytes32, (c) => c.notNull())
        .addColumn('at_ms', t.timeMs, (c) => c.notNull())
        .execute();
      await createIndex(ctx, 'login_failures', 'login_failures_email', ['email_hash', 'at_ms']);
      await createIndex(ctx, 'login_failures', 'login_failures_ip', ['ip_hash', 'at_ms']);
      await createIndex(ctx, 'login_failures', 'login_failures_at', ['at_ms']);
    },
  },
];
