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
 * A person's raw rows in one store as they were before the erasure deleted them: what a cleaner needs to find
 * the rows it derived from them (reports: the local days to rebuild, the visitors and orders to count).
 * Events are given once per (anonymous id, user id, session id, hour) — enough to locate them, not a copy.
 */
export interface SubjectFootprint {
  events: {
    timestampMs: number;
    anonymousId: string | null;
    userId: string | null;
    sessionId: string | null;
  }[];
  orders: { orderId: string; placedAtMs: number }[];
}

/**
 * Another module's rows derived from events (rollups, read models), which retention, erasure and store purge
 * must remove with the events. Each delete method works on one chunk — at most `limit` rows per statement —
 * inside `tx` (a fenced transaction of the cron run) and returns how many rows it deleted; the job calls it
 * again, each time in a new fenced transaction, until it returns 0. With `countOnly` it is called once and
 * returns the total it would delete.
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
  /**
   * Erasure, first step, while the person's raw rows still exist: the work `deleteSubject` will do once they
   * are gone, as a string (JSON; at most a few hundred KB). Null: nothing of theirs is derived here. The job
   * stores the plan with the request before it deletes any raw row, so a run that takes the request over
   * resumes from the stored plan.
   */
  planSubject(
    storeId: number,
    subject: PrivacySubject,
    footprint: SubjectFootprint,
    tx: TransactionHandle,
  ): Promise<string | null>;
  /**
   * Erasure, after the person's raw rows are deleted: one chunk of the plan. Returns the rows of the person
   * it deleted and what is left of the plan (null when done); the job stores the rest in the same
   * transaction. With `countOnly`, returns the rows the whole plan would delete (and the plan unchanged).
   */
  deleteSubject(
    storeId: number,
    plan: string,
    tx: TransactionHandle,
    options: CleanOptions,
  ): Promise<{ rows: number; plan: string | null }>;
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
