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
    async scheduleRetirement(kid: string, signUntilMs: number, retireAtMs: number): Promise<void> {
      await db()
        .updateTable('signing_keys')
        .set({ sign_until_ms: signUntilMs, retire_at_ms: retireAtMs })
        .where('kid', '=', kid)
        .where('sign_until_ms', 'is', null)
        .execute();
    },
  };
}
