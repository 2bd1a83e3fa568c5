import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/log.js';
import type { PrivacyRepository } from './privacy.repository.js';
import type { SubjectHasher } from './subject-hash.js';

/** How stale an instance's copy of the suppression list may be; the erasure job waits longer than this. */
export const SUPPRESSION_REFRESH_MS = 5_000;
/** After a failed refresh, the next call tries again this much later (and meanwhile uses what it has). */
const RETRY_AFTER_FAILURE_MS = 1_000;
/**
 * Longest a caller waits for a refresh before it goes on with the copy in memory. A hung database (no error,
 * no answer) would otherwise hold every ingest request until it answers — found by the MariaDB SIGSTOP fault
 * test. The refresh itself carries on and lands when the database does.
 */
const REFRESH_WAIT_MS = 1_000;
const LOAD_PAGE = 10_000;

export interface SuppressionList {
  /** Loads the whole list (at start-up, before ingest or worker ask). */
  load(): Promise<void>;
  /**
   * The pipeline's SuppressionCheck: is this event about an erased person of this store? Answers at once
   * (no promise) while the copy in memory is fresh, as it is for all but one call in every refresh period.
   */
  isSuppressed(
    storeId: number,
    userId: string | null,
    anonymousId: string | null,
  ): boolean | Promise<boolean>;
  /** Takes a new entry at once, on the instance that created it (others see it within the refresh). */
  remember(storeId: number, hash: Buffer): void;
}

/**
 * Every instance keeps the suppression list's hashes in memory and reads only the rows added since its last
 * read, at most every SUPPRESSION_REFRESH_MS: ingest asks once per event, so the check must not be a query.
 * A failed refresh keeps the old copy (ingest must keep accepting while the database is away, as the buffer
 * lets it); the worker asks again right before it writes, when the database is back.
 */
export function createSuppressionList(deps: {
  repository: PrivacyRepository;
  hasher: SubjectHasher;
  clock: Clock;
  logger: Logger;
  refreshMs?: number;
}): SuppressionList {
  const refreshMs = deps.refreshMs ?? SUPPRESSION_REFRESH_MS;
  const hashes = new Set<string>();
  // Most stores never erase anyone: their events skip the HMAC altogether.
  const stores = new Set<number>();
  let lastId = 0;
  let nextRefreshMs = Number.NEGATIVE_INFINITY;
  let refreshing: Promise<void> | null = null;
  let refreshStartedMs = 0;

  async function readNew(): Promise<void> {
    const startedMs = deps.clock.nowMs();
    for (;;) {
      const rows = await deps.repository.listSuppressionsAfter(lastId, LOAD_PAGE);
      for (const row of rows) {
        hashes.add(row.hash.toString('base64'));
        stores.add(row.storeId);
      }
      const last = rows[rows.length - 1];
      if (last) lastId = last.id;
      if (rows.length < LOAD_PAGE) break;
    }
    nextRefreshMs = startedMs + refreshMs;
  }

  async function ensureFresh(): Promise<void> {
    const nowMs = deps.clock.nowMs();
    if (nowMs < nextRefreshMs) return;
    if (!refreshing) {
      refreshStartedMs = nowMs;
      refreshing = readNew()
        .catch((error: unknown) => {
          nextRefreshMs = deps.clock.nowMs() + RETRY_AFTER_FAILURE_MS;
          deps.logger.warn(
            { err: error },
            'could not refresh the suppression list; using the copy in memory',
          );
        })
        .finally(() => {
          refreshing = null;
        });
    }
    const waitMs = REFRESH_WAIT_MS - (nowMs - refreshStartedMs);
    if (waitMs <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      refreshing,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, waitMs);
      }),
    ]);
    clearTimeout(timer);
  }

  const has = (hash: Buffer) => hashes.has(hash.toString('base64'));
  const isListed = (storeId: number, userId: string | null, anonymousId: string | null): boolean =>
    stores.has(storeId) &&
    ((userId !== null && has(deps.hasher.hash(storeId, 'user', userId))) ||
      (anonymousId !== null && has(deps.hasher.hash(storeId, 'anonymous', anonymousId))));

  return {
    load: readNew,
    // Not async: ingest asks for every event, and a promise per event (three, through the pipeline's check
    // and ingest's await) cost more than the check itself.
    isSuppressed(storeId, userId, anonymousId) {
      if (userId === null && anonymousId === null) return false;
      if (deps.clock.nowMs() < nextRefreshMs) return isListed(storeId, userId, anonymousId);
      return ensureFresh().then(() => isListed(storeId, userId, anonymousId));
    },
    remember(storeId, hash) {
      hashes.add(hash.toString('base64'));
      stores.add(storeId);
    },
  };
}
