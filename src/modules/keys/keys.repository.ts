import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import { deleteChunk } from '../../platform/db/chunked-delete.js';
import { type Database, insertedId, type TransactionHandle } from '../../platform/db/database.js';
import { selectEntities } from '../../platform/db/soft-delete.js';
import { type PublicId, toPublicId, type Uid } from '../../platform/ids.js';
import type { KeyType } from './key-codec.js';
import type { ApiKeysTable, KeysTables } from './keys.tables.js';

export interface ApiKey {
  id: number;
  publicId: PublicId<'key'>;
  storeId: number;
  organizationId: number;
  type: KeyType;
  name: string;
  prefix: string;
  last4: string;
  scopes: string[];
  allowedOrigins: string[] | null;
  expiresAt: number | null;
  revokedAt: number | null;
  rotatedAt: number | null;
  replacedBy: PublicId<'key'> | null;
  lastUsedAt: number | null;
  ageWarnedAt: number | null;
  expiredAt: number | null;
  createdAt: number;
  createdBy: string | null;
}

const toApiKey = (row: Selectable<ApiKeysTable>): ApiKey => ({
  id: row.id,
  publicId: toPublicId('key', row.uid),
  storeId: row.store_id,
  organizationId: row.organization_id,
  type: row.type as KeyType,
  name: row.name,
  prefix: row.prefix,
  last4: row.last4,
  scopes: JSON.parse(row.scopes) as string[],
  allowedOrigins: row.allowed_origins ? (JSON.parse(row.allowed_origins) as string[]) : null,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  rotatedAt: row.rotated_at,
  replacedBy: row.replaced_by_uid ? toPublicId('key', row.replaced_by_uid) : null,
  lastUsedAt: row.last_used_at,
  ageWarnedAt: row.age_warned_at,
  expiredAt: row.expired_at,
  createdAt: row.created_at,
  createdBy: row.created_by,
});

export function createKeysRepository(database: Database) {
  const db = (tx?: TransactionHandle) => database.typed<KeysTables>(tx);
  return {
    async insert(
      row: {
        uid: Uid;
        storeId: number;
        organizationId: number;
        type: KeyType;
        name: string;
        prefix: string;
        last4: string;
        keyHash: Buffer;
        scopes: string[];
        allowedOrigins: string[] | null;
        expiresAt: number | null;
        createdBy: string | null;
        nowMs: number;
      },
      tx?: TransactionHandle,
    ): Promise<number> {
      const result = await db(tx)
        .insertInto('api_keys')
        .values({
          uid: row.uid,
          store_id: row.storeId,
          organization_id: row.organizationId,
          type: row.type,
          name: row.name,
          prefix: row.prefix,
          last4: row.last4,
          key_hash: row.keyHash,
          scopes: JSON.stringify(row.scopes),
          allowed_origins: row.allowedOrigins ? JSON.stringify(row.allowedOrigins) : null,
          expires_at: row.expiresAt,
          created_by: row.createdBy,
          created_at: row.nowMs,
          updated_at: row.nowMs,
        })
        .executeTakeFirstOrThrow();
      return insertedId(result);
    },
    async findById(id: number, tx?: TransactionHandle): Promise<ApiKey | null> {
      const row = await selectEntities(db(tx), 'api_keys')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toApiKey(row) : null;
    },
    async findByUid(storeId: number, uid: Uid): Promise<ApiKey | null> {
      const row = await selectEntities(db(), 'api_keys')
        .selectAll()
        .where('store_id', '=', storeId)
        .where('uid', '=', uid)
        .executeTakeFirst();
      return row ? toApiKey(row) : null;
    },
    async findByUidAnyStore(uid: Uid): Promise<ApiKey | null> {
      const row = await selectEntities(db(), 'api_keys')
        .selectAll()
        .where('uid', '=', uid)
        .executeTakeFirst();
      return row ? toApiKey(row) : null;
    },
    async findByHash(hash: Buffer): Promise<ApiKey | null> {
      const row = await selectEntities(db(), 'api_keys')
        .selectAll()
        .where('key_hash', '=', hash)
        .executeTakeFirst();
      return row ? toApiKey(row) : null;
    },
    async listByStore(storeId: number): Promise<ApiKey[]> {
      const rows = await selectEntities(db(), 'api_keys')
        .selectAll()
        .where('store_id', '=', storeId)
        .orderBy('id', 'desc')
        .execute();
      return rows.map(toApiKey);
    },
    async markRotated(
      id: number,
      change: { rotatedAt: number; expiresAt: number | null; revokedAt: number | null; replacedBy: Uid },
      tx?: TransactionHandle,
    ): Promise<void> {
      await db(tx)
        .updateTable('api_keys')
        .set({
          rotated_at: change.rotatedAt,
          expires_at: change.expiresAt,
          revoked_at: change.revokedAt,
          replaced_by_uid: change.replacedBy,
          updated_at: change.rotatedAt,
        })
        .where('id', '=', id)
        .execute();
    },
    async revoke(id: number, nowMs: number, tx?: TransactionHandle): Promise<number> {
      const result = await db(tx)
        .updateTable('api_keys')
        .set({ revoked_at: nowMs, updated_at: nowMs })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async revokeAllOfStore(storeId: number, nowMs: number, tx?: TransactionHandle): Promise<number> {
      const result = await db(tx)
        .updateTable('api_keys')
        .set({ revoked_at: nowMs, updated_at: nowMs })
        .where('store_id', '=', storeId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async touchLastUsed(id: number, nowMs: number): Promise<void> {
      await db().updateTable('api_keys').set({ last_used_at: nowMs }).where('id', '=', id).execute();
    },
    /** Keys whose expiry has passed but that are not yet marked expired (the expire-keys job). */
    async listNewlyExpired(nowMs: number, limit: number): Promise<ApiKey[]> {
      const rows = await selectEntities(db(), 'api_keys')
        .selectAll()
        .where('expires_at', '<=', nowMs)
        .where('expired_at', 'is', null)
        .where('revoked_at', 'is', null)
        .orderBy('id', 'asc')
        .limit(limit)
        .execute();
      return rows.map(toApiKey);
    },
    async markExpired(id: number, nowMs: number, tx?: TransactionHandle): Promise<number> {
      const result = await db(tx)
        .updateTable('api_keys')
        .set({ expired_at: nowMs, updated_at: nowMs })
        .where('id', '=', id)
        .where('expired_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async markAgeWarned(id: number, nowMs: number, tx?: TransactionHandle): Promise<number> {
      const result = await db(tx)
        .updateTable('api_keys')
        .set({ age_warned_at: nowMs })
        .where('id', '=', id)
        .where('age_warned_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async setExpiresAt(id: number, expiresAt: number, tx?: TransactionHandle): Promise<void> {
      await db(tx).updateTable('api_keys').set({ expires_at: expiresAt }).where('id', '=', id).execute();
    },
    async listActiveOfStore(storeId: number): Promise<ApiKey[]> {
      const rows = await selectEntities(db(), 'api_keys')
        .selectAll()
        .where('store_id', '=', storeId)
        .where('revoked_at', 'is', null)
        .where('expired_at', 'is', null)
        .execute();
      return rows.map(toApiKey);
    },
    async hardDeleteOfStore(storeId: number, limit: number, tx?: TransactionHandle): Promise<number> {
      return deleteChunk(db(tx), 'api_keys', sql`store_id = ${storeId}`, limit);
    },
  };
}
