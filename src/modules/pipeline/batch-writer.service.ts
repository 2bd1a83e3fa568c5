import type { Clock } from '../../platform/clock.js';
import type { Database, TransactionHandle } from '../../platform/db/database.js';
import type { Ids } from '../../platform/ids.js';
import {
  createEventRowBuilder,
  createEventsRepository,
  type EventRow,
  rowBytes,
} from './events.repository.js';
import { type Attribution, applyOrderEvent, isAttributed, orderEventKind } from './order-ledger.js';
import { createOrdersRepository } from './orders.repository.js';
import { type StoredEvent, storedMessageHash } from './pipeline-event.js';

/**
 * Work another module does inside the batch transaction, with the events this batch newly stored (never a
 * redelivered one), so rollups count each event once. A throw rolls the batch back.
 */
export type BatchHook = (tx: TransactionHandle, events: StoredEvent[]) => Promise<void>;

/**
 * True when events about this subject must not be stored (GDPR erasure); consulted by ingest and worker. A
 * check that can answer from memory answers without a promise: ingest asks for every event.
 */
export type SuppressionCheck = (
  storeId: number,
  userId: string | null,
  anonymousId: string | null,
) => Promise<boolean> | boolean;

export interface WriteResult {
  stored: number;
  duplicates: number;
  suppressed: number;
}

/** PlanetScale's limits: at most 1,000 rows and about 1 MB per statement. */
export const MAX_ROWS_PER_STATEMENT = 1000;
export const MAX_BYTES_PER_STATEMENT = 1_000_000;

export type BatchWriter = ReturnType<typeof createBatchWriter>;

/**
 * Stores a batch of events in one transaction: multi-row inserts that skip known messageIds, the orders the
 * batch's order events change, and every registered batch hook. At-least-once delivery in, exactly-once
 * storage out: writing the same batch twice changes nothing the second time.
 */
export function createBatchWriter(deps: { database: Database; clock: Clock; ids: Ids }) {
  const events = createEventsRepository(deps.database);
  const orders = createOrdersRepository(deps.database);
  const buildRows = createEventRowBuilder(deps.database);
  const hooks: BatchHook[] = [];
  const suppressionChecks: SuppressionCheck[] = [];

  /** Any check's yes; without a promise when every check answers at once (see SuppressionCheck). */
  function isSuppressed(
    storeId: number,
    userId: string | null,
    anonymousId: string | null,
    from = 0,
  ): boolean | Promise<boolean> {
    for (let index = from; index < suppressionChecks.length; index++) {
      const verdict = (suppressionChecks[index] as SuppressionCheck)(storeId, userId, anonymousId);
      if (verdict === true) return true;
      if (verdict !== false) {
        return verdict.then((yes) => yes || isSuppressed(storeId, userId, anonymousId, index + 1));
      }
    }
    return false;
  }

  /** Chunks of one store's rows within the per-statement limits. */
  function chunk(rows: { row: EventRow; event: StoredEvent }[]) {
    const chunks: { row: EventRow; event: StoredEvent }[][] = [];
    let current: { row: EventRow; event: StoredEvent }[] = [];
    let bytes = 0;
    for (const item of rows) {
      const size = rowBytes(item.row);
      if (
        current.length > 0 &&
        (current.length >= MAX_ROWS_PER_STATEMENT || bytes + size > MAX_BYTES_PER_STATEMENT)
      ) {
        chunks.push(current);
        current = [];
        bytes = 0;
      }
      current.push(item);
      bytes += size;
    }
    if (current.length > 0) chunks.push(current);
    return chunks;
  }

  /**
   * The rows of this chunk that this transaction inserted. Usually all of them, which one insert proves (the
   * unique index is read by the insert itself). When some already exist (a redelivery, a client's late
   * retry), that insert is undone and the chunk is written the careful way: the first read of the transaction
   * fixes its snapshot (REPEATABLE READ, the MySQL/MariaDB default), so a row another worker commits
   * meanwhile stays invisible here, while our own inserts are visible: reading after an incomplete insert
   * tells exactly which rows are ours. SQLite has one writer at a time, so its count is always exact.
   */
  async function insertChunk(
    storeId: number,
    items: { row: EventRow; event: StoredEvent }[],
    tx: TransactionHandle,
  ): Promise<StoredEvent[]> {
    if (
      await events.insertIfAllNew(
        items.map((item) => item.row),
        tx,
      )
    ) {
      return items.map((item) => item.event);
    }
    const known = await events.findStoredHashes(
      storeId,
      items.map((item) => item.row.message_hash),
      tx,
    );
    const fresh = items.filter((item) => !known.has(item.row.message_hash.toString('hex')));
    const inserted = await events.insertIgnoringDuplicates(
      fresh.map((item) => item.row),
      tx,
    );
    if (inserted === fresh.length) return fresh.map((item) => item.event);
    const visible = await events.findStoredHashes(
      storeId,
      fresh.map((item) => item.row.message_hash),
      tx,
    );
    return fresh
      .filter((item) => visible.has(item.row.message_hash.toString('hex')))
      .map((item) => item.event);
  }

  async function applyOrder(event: StoredEvent, tx: TransactionHandle): Promise<void> {
    const kind = orderEventKind(event);
    if (kind === null || event.orderId === null) return;
    const nowMs = deps.clock.nowMs();
    const isFirstTime = await orders.recordAdjustment(
      {
        storeId: event.storeId,
        messageHash: storedMessageHash(event),
        orderId: event.orderId,
        kind,
        amount: event.revenue,
        currency: event.currency,
        occurredAtMs: event.timestampMs,
        nowMs,
      },
      tx,
    );
    if (!isFirstTime) return;
    const current = await orders.findForUpdate(event.storeId, event.orderId, tx);
    let attribution: Attribution | null = null;
    if (current === null || !isAttributed(current)) {
      if (event.sessionId !== null) {
        attribution = await orders.findSessionLanding(event.storeId, event, event.sessionId, tx);
      }
      // Without a known session, the order page's own campaign — unless it was a step inside the shop.
      if (attribution === null && !event.isServer && event.channel !== 'internal') {
        attribution = {
          channel: event.channel,
          referrerHost: event.referrerHost,
          utmSource: event.utmSource,
          utmMedium: event.utmMedium,
          utmCampaign: event.utmCampaign,
          utmTerm: event.utmTerm,
          utmContent: event.utmContent,
        };
      }
    }
    const next = applyOrderEvent(current, event, kind, attribution);
    if (current) await orders.update(current.id, next, nowMs, tx);
    else await orders.insert({ uid: deps.ids.newUid(), storeId: event.storeId, state: next, nowMs }, tx);
  }

  return {
    addBatchHook(hook: BatchHook): void {
      hooks.push(hook);
    },
    addSuppressionCheck(check: SuppressionCheck): void {
      suppressionChecks.push(check);
    },
    hasSuppressionChecks: () => suppressionChecks.length > 0,
    isSuppressed,

    /**
     * Writes the batch. `alsoInTransaction` commits extra work with it (a dead letter marked replayed).
     * Throws on any failure, having changed nothing.
     */
    async write(
      batch: readonly StoredEvent[],
      options: { alsoInTransaction?: (tx: TransactionHandle) => Promise<void> } = {},
    ): Promise<WriteResult> {
      let suppressed = 0;
      let kept: readonly StoredEvent[] = batch;
      if (suppressionChecks.length > 0) {
        const verdicts = await Promise.all(
          batch.map((event) => isSuppressed(event.storeId, event.userId, event.anonymousId)),
        );
        kept = batch.filter((_, index) => !verdicts[index]);
        suppressed = batch.length - kept.length;
      }

      // The contexts' shared parts go into the dictionary (committed on their own) before the batch is written.
      const eventRows = await buildRows(kept);

      // One row per (store, messageId) even if the batch carries the same event twice.
      const byStore = new Map<number, Map<string, { row: EventRow; event: StoredEvent }>>();
      for (let index = 0; index < kept.length; index++) {
        const event = kept[index] as StoredEvent;
        const row = eventRows[index] as EventRow;
        let rows = byStore.get(event.storeId);
        if (!rows) {
          rows = new Map();
          byStore.set(event.storeId, rows);
        }
        const key = row.message_hash.toString('hex');
        if (!rows.has(key)) rows.set(key, { row, event });
      }

      const stored = await deps.database.transaction(async (tx) => {
        const fresh: StoredEvent[] = [];
        for (const [storeId, rows] of byStore) {
          for (const items of chunk([...rows.values()]))
            fresh.push(...(await insertChunk(storeId, items, tx)));
        }
        const orderEvents = fresh
          .filter((event) => orderEventKind(event) !== null)
          .sort((a, b) => a.timestampMs - b.timestampMs);
        for (const event of orderEvents) await applyOrder(event, tx);
        if (fresh.length > 0) for (const hook of hooks) await hook(tx, fresh);
        if (options.alsoInTransaction) await options.alsoInTransaction(tx);
        return fresh.length;
      });
      return { stored, duplicates: kept.length - stored, suppressed };
    },
  };
}
