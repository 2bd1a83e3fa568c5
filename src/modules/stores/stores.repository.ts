import { type Selectable, sql } from 'kysely';
import { type Database, insertedId, type TransactionHandle } from '../../platform/db/database.js';
import {
  type ReadOptions,
  restoreWhere,
  selectEntities,
  softDeleteWhere,
} from '../../platform/db/soft-delete.js';
import { type PublicId, toPublicId, type Uid } from '../../platform/ids.js';
import type { IpPolicy, StoreSettings } from './store-settings.js';
import type { StoresTable, StoresTables } from './stores.tables.js';

export interface Store extends StoreSettings {
  id: number;
  publicId: PublicId<'str'>;
  organizationId: number;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
}

const toStore = (row: Selectable<StoresTable>): Store => ({
  id: row.id,
  publicId: toPublicId('str', row.uid),
  organizationId: row.organization_id,
  name: row.name,
  currency: row.currency,
  timeZone: row.time_zone,
  allowedOrigins: JSON.parse(row.allowed_origins) as string[],
  retentionDays: row.retention_days,
  ipPolicy: row.ip_policy as IpPolicy,
  backfillDays: row.backfill_days,
  maxKeyAgeDays: row.max_key_age_days,
  requiresConsent: Boolean(row.requires_consent),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  deletedAt: row.deleted_at,
});

function toColumns(settings: Partial<StoreSettings>) {
  return {
    ...(settings.name !== undefined ? { name: settings.name } : {}),
    ...(settings.currency !== undefined ? { currency: settings.currency } : {}),
    ...(settings.timeZone !== undefined ? { time_zone: settings.timeZone } : {}),
    ...(settings.allowedOrigins !== undefined
      ? { allowed_origins: JSON.stringify(settings.allowedOrigins) }
      : {}),
    ...(settings.retentionDays !== undefined ? { retention_days: settings.retentionDays } : {}),
    ...(settings.ipPolicy !== undefined ? { ip_policy: settings.ipPolicy } : {}),
    ...(settings.backfillDays !== undefined ? { backfill_days: settings.backfillDays } : {}),
    ...(settings.maxKeyAgeDays !== undefined ? { max_key_age_days: settings.maxKeyAgeDays } : {}),
    ...(settings.requiresConsent !== undefined ? { requires_consent: settings.requiresConsent ? 1 : 0 } : {}),
  };
}

export function createStoresRepository(database: Database) {
  const db = (tx?: TransactionHandle) => database.typed<StoresTables>(tx);
  return {
    async insert(row: {
      uid: Uid;
      organizationId: number;
      settings: StoreSettings;
      nowMs: number;
    }): Promise<number> {
      const result = await db()
        .insertInto('stores')
        .values({
          uid: row.uid,
          organization_id: row.organizationId,
          name: row.settings.name,
          currency: row.settings.currency,
          time_zone: row.settings.timeZone,
          allowed_origins: JSON.stringify(row.settings.allowedOrigins),
          retention_days: row.settings.retentionDays,
          ip_policy: row.settings.ipPolicy,
          backfill_days: row.settings.backfillDays,
          max_key_age_days: row.settings.maxKeyAgeDays,
          requires_consent: row.settings.requiresConsent ? 1 : 0,
          created_at: row.nowMs,
          updated_at: row.nowMs,
        })
        .executeTakeFirstOrThrow();
      return insertedId(result);
    },
    async findByUid(uid: Uid, options: ReadOptions = {}): Promise<Store | null> {
      const row = await selectEntities(db(), 'stores', options)
        .selectAll()
        .where('uid', '=', uid)
        .executeTakeFirst();
      return row ? toStore(row) : null;
    },
    async findById(id: number, options: ReadOptions = {}): Promise<Store | null> {
      const row = await selectEntities(db(), 'stores', options)
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toStore(row) : null;
    },
    async listByOrganization(organizationId: number, options: ReadOptions = {}): Promise<Store[]> {
      const rows = await selectEntities(db(), 'stores', options)
        .selectAll()
        .where('organization_id', '=', organizationId)
        .orderBy('id', 'asc')
        .execute();
      return rows.map(toStore);
    },
    async listAll(options: ReadOptions = {}): Promise<Store[]> {
      const rows = await selectEntities(db(), 'stores', options).selectAll().orderBy('id', 'asc').execute();
      return rows.map(toStore);
    },
    async update(id: number, settings: Partial<StoreSettings>, nowMs: number): Promise<void> {
      await db()
        .updateTable('stores')
        .set({ ...toColumns(settings), updated_at: nowMs })
        .where('id', '=', id)
        .execute();
    },
    softDelete: (id: number, nowMs: number, tx?: TransactionHandle) =>
      softDeleteWhere(db(tx), 'stores', sql`id = ${id}`, nowMs),
    restore: (id: number, nowMs: number) => restoreWhere(db(), 'stores', sql`id = ${id}`, nowMs),
    /** Maintenance: stores soft-deleted before `beforeMs`. */
    async listDeletedBefore(beforeMs: number, limit: number): Promise<Store[]> {
      const rows = await db()
        .selectFrom('stores')
        .selectAll()
        .where('deleted_at', '<', beforeMs)
        .orderBy('id', 'asc')
        .limit(limit)
        .execute();
      return rows.map(toStore);
    },
    async hardDelete(id: number, tx?: TransactionHandle): Promise<number> {
      const result = await db(tx)
        .deleteFrom('stores')
        .where('id', '=', id)
        .where('deleted_at', 'is not', null)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
