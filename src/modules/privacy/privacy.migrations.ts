import { sql } from 'kysely';
import {
  createIndex,
  createTable,
  type MigrationContext,
  type ModuleMigration,
  types,
  withId,
} from '../../platform/db/schema.js';

/** Export chunks are up to ~1 MB; MySQL's BLOB stops at 64 KB. */
const blob = (ctx: MigrationContext) => (ctx.dialect === 'mysql' ? sql`mediumblob` : sql`blob`);

export const privacyMigrations: ModuleMigration[] = [
  {
    name: '202611260100_privacy_requests',
    async up(ctx) {
      const t = types(ctx.dialect);
      await withId(ctx, createTable(ctx, 'privacy_requests'))
        .addColumn('uid', t.uid, (c) => c.notNull().unique())
        .addColumn('store_id', t.ref, (c) => c.notNull())
        .addColumn('kind', t.string(8), (c) => c.notNull())
        .addColumn('status', t.string(8), (c) => c.notNull())
        .addColumn('user_id_hash', t.bytes32)
        .addColumn('anonymous_id_hash', t.bytes32)
        .addColumn('pending_user_id', t.string(1024))
        .addColumn('pending_anonymous_id', t.string(1024))
        .addColumn('attempt', t.int, (c) => c.notNull().defaultTo(0))
        .addColumn('lease_until_ms', t.timeMs)
        .addColumn('events_count', t.bigint, (c) => c.notNull().defaultTo(0))
        .addColumn('orders_count', t.bigint, (c) => c.notNull().defaultTo(0))
        .addColumn('order_adjustments_count', t.bigint, (c) => c.notNull().defaultTo(0))
        .addColumn('dead_letters_count', t.bigint, (c) => c.notNull().defaultTo(0))
        .addColumn('derived_count', t.bigint, (c) => c.notNull().defaultTo(0))
        .addColumn('file_attempt', t.int)
        .addColumn('file_bytes', t.bigint)
        .addColumn('file_expires_at', t.timeMs)
        .addColumn('error', t.string(1024))
        .addColumn('requested_by', t.string(64))
        .addColumn('created_at', t.timeMs, (c) => c.notNull())
        .addColumn('updated_at', t.timeMs, (c) => c.notNull())
        .addColumn('started_at', t.timeMs)
        .addColumn('finished_at', t.timeMs)
        .execute();
      await createIndex(ctx, 'privacy_requests', 'privacy_requests_store', ['store_id', 'kind', 'id']);
      await createIndex(ctx, 'privacy_requests', 'privacy_requests_status', ['status', 'id']);
      await createIndex(ctx, 'privacy_requests', 'privacy_requests_file', ['file_expires_at']);
    },
  },
  {
    name: '202611260100_privacy_suppressions',
    async up(ctx) {
      const t = types(ctx.dialect);
      await withId(ctx, createTable(ctx, 'privacy_suppressions'))
        .addColumn('store_id', t.ref, (c) => c.notNull())
        .addColumn('kind', t.string(16), (c) => c.notNull())
        .addColumn('subject_hash', t.bytes32, (c) => c.notNull())
        .addColumn('request_id', t.ref, (c) => c.notNull())
        .addColumn('created_at', t.timeMs, (c) => c.notNull())
        .execute();
      await createIndex(
        ctx,
        'privacy_suppressions',
        'privacy_suppressions_subject',
        ['store_id', 'subject_hash'],
        {
          unique: true,
        },
      );
    },
  },
  {
    name: '202611260100_privacy_export_chunks',
    async up(ctx) {
      const t = types(ctx.dialect);
      await withId(ctx, createTable(ctx, 'privacy_export_chunks'))
        .addColumn('request_id', t.ref, (c) => c.notNull())
        .addColumn('attempt', t.int, (c) => c.notNull())
        .addColumn('seq', t.int, (c) => c.notNull())
        .addColumn('data', blob(ctx), (c) => c.notNull())
        .addColumn('created_at', t.timeMs, (c) => c.notNull())
        .execute();
      await createIndex(
        ctx,
        'privacy_export_chunks',
        'privacy_export_chunks_file',
        ['request_id', 'attempt', 'seq'],
        { unique: true },
      );
    },
  },
  {
    name: '202611260100_privacy_keys',
    async up(ctx) {
      const t = types(ctx.dialect);
      await withId(ctx, createTable(ctx, 'privacy_keys'))
        .addColumn('name', t.string(32), (c) => c.notNull())
        .addColumn('material', t.varbytes(128), (c) => c.notNull())
        .addColumn('is_wrapped', t.bool, (c) => c.notNull())
        .addColumn('created_at', t.timeMs, (c) => c.notNull())
        .execute();
      await createIndex(ctx, 'privacy_keys', 'privacy_keys_name', ['name'], { unique: true });
    },
  },
  {
    name: '202611260100_privacy_ip_policies',
    async up(ctx) {
      const t = types(ctx.dialect);
      await createTable(ctx, 'privacy_ip_policies')
        .addColumn('store_id', t.ref, (c) => c.primaryKey().notNull())
        .addColumn('policy', t.string(16), (c) => c.notNull())
        .addColumn('pending_policy', t.string(16))
        .addColumn('scrub_after_id', t.ref)
        .addColumn('scrub_up_to_id', t.ref)
        .addColumn('updated_at', t.timeMs, (c) => c.notNull())
        .execute();
    },
  },
  {
    // Erasure: what each derived-data cleaner needs to find the person's derived rows once their events are
    // gone (e.g. the local days to rebuild), written before the first raw row is deleted; null when done.
    name: '202611270100_privacy_requests_derived_plan',
    async up(ctx) {
      const t = types(ctx.dialect);
      await ctx.db.schema.alterTable('privacy_requests').addColumn('derived_plan', t.text).execute();
    },
  },
];
