import type { Selectable } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import { isUniqueViolation } from '../../platform/db/database.js';
import type { SecretsTables, SigningKeysTable } from './secrets.tables.js';

export type SigningKeyRow = Selectable<SigningKeysTable>;

export function createSecretsRepository(database: Database) {
  const db = () => database.typed<SecretsTables>();
  return {
    async listUsable(nowMs: number): Promise<SigningKeyRow[]> {
      return db()
        .selectFrom('signing_keys')
        .selectAll()
        .where((eb) => eb.or([eb('retire_at_ms', 'is', null), eb('retire_at_ms', '>', nowMs)]))
        .orderBy('id', 'asc')
        .execute();
    },
    /** Every stored key, retired ones too (for re-wrapping). */
    async listAll(): Promise<SigningKeyRow[]> {
      return db().selectFrom('signing_keys').selectAll().orderBy('id', 'asc').execute();
    },
    /**
     * Replaces a key's stored form if it still is `expected` (another instance may have re-wrapped it first);
     * returns whether this call did.
     */
    async replaceMaterial(
      kid: string,
      expected: Buffer,
      next: { material: Buffer; is_wrapped: number },
    ): Promise<boolean> {
      const result = await db()
        .updateTable('signing_keys')
        .set(next)
        .where('kid', '=', kid)
        .where('material', '=', expected)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async findByKid(kid: string): Promise<SigningKeyRow | null> {
      const row = await db().selectFrom('signing_keys').selectAll().where('kid', '=', kid).executeTakeFirst();
      return row ?? null;
    },
    /** Inserts a key unless another instance inserted the same kid first; returns whether ours won. */
    async insertIfAbsent(row: Omit<SigningKeyRow, 'id'>): Promise<boolean> {
      try {
        await db().insertInto('signing_keys').values(row).execute();
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },
    /**
     * Schedules the end of every key older than the successor (`successorId`) that has none yet: it signs
     * until `signUntilMs` (when the successor starts signing) and verifies until `retireAtMs`. Only older
     * keys: a late retry of an earlier rotation must not end a newer key. Returns the kids it scheduled.
     */
    async scheduleRetirementBefore(
      successorId: number,
      signUntilMs: number,
      retireAtMs: number,
    ): Promise<string[]> {
      const rows = await db()
        .selectFrom('signing_keys')
        .select('kid')
        .where('id', '<', successorId)
        .where('sign_until_ms', 'is', null)
        .execute();
      if (rows.length === 0) return [];
      await db()
        .updateTable('signing_keys')
        .set({ sign_until_ms: signUntilMs, retire_at_ms: retireAtMs })
        .where(
          'kid',
          'in',
          rows.map((r) => r.kid),
        )
        .where('sign_until_ms', 'is', null)
        .execute();
      return rows.map((r) => r.kid);
    },
    /** Deletes keys that stopped verifying before `beforeMs` (their material has no use left). */
    async deleteRetiredBefore(beforeMs: number): Promise<string[]> {
      const rows = await db()
        .selectFrom('signing_keys')
        .select('kid')
        .where('retire_at_ms', '<=', beforeMs)
        .execute();
      if (rows.length === 0) return [];
      await db().deleteFrom('signing_keys').where('retire_at_ms', '<=', beforeMs).execute();
      return rows.map((r) => r.kid);
    },
  };
}
