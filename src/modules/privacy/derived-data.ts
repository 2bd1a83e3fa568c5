import type { TransactionHandle } from '../../platform/db/database.js';

/** A person as an erasure or export names them: at least one identifier is set. */
export interface PrivacySubject {
  userId: string | null;
  anonymousId: string | null;
}

export interface CleanOptions {
  /** The most rows one statement may touch (the cron module's MAX_ROWS_PER_STATEMENT). */
  limit: number;
  /** Dry run: delete nothing and return how many rows the whole deletion would remove. */
  countOnly: boolean;
}

/**
 * Another module's rows derived from events (rollups, read models), which retention, erasure and store purge
 * must remove with the events. Each method deletes one chunk — at most `limit` rows per statement — inside
 * `tx` and returns how many rows it deleted; the job calls it again, each time in a new fenced transaction,
 * until it returns 0. With `countOnly` it is called once and returns the total it would delete.
 */
export interface DerivedDataCleaner {
  /** Shown in job results, e.g. `reports`. */
  readonly name: string;
  /** Retention: rows derived from the store's events before `beforeMs` (UTC ms, at a store-local midnight). */
  deleteStoreBefore(
    storeId: number,
    beforeMs: number,
    tx: TransactionHandle,
    options: CleanOptions,
  ): Promise<number>;
  /** Erasure: rows about this person in this store only. */
  deleteSubject(
    storeId: number,
    subject: PrivacySubject,
    tx: TransactionHandle,
    options: CleanOptions,
  ): Promise<number>;
  /** Purge: every row of a store that was deleted past its grace period. */
  deleteStore(storeId: number, tx: TransactionHandle, options: CleanOptions): Promise<number>;
}

export interface DerivedDataRegistry {
  add(cleaner: DerivedDataCleaner): void;
  list(): readonly DerivedDataCleaner[];
}

export function createDerivedDataRegistry(): DerivedDataRegistry {
  const cleaners: DerivedDataCleaner[] = [];
  return {
    add(cleaner) {
      if (cleaners.some((c) => c.name === cleaner.name)) {
        throw new Error(`a derived-data cleaner named "${cleaner.name}" is already registered`);
      }
      cleaners.push(cleaner);
    },
    list: () => cleaners,
  };
}
