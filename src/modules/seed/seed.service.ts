import { createHash } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import { type Database, isUniqueViolation } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import { newUid } from '../../platform/ids.js';
import {
  createEventRowBuilder,
  type EventRow,
  type PipelineEvent,
  type StoredEvent,
} from '../pipeline/index.js';
import type {
  BulkVisit,
  PreparedRollups,
  ReportsModule,
  RollupEvent,
  SourceOrder,
} from '../reports/index.js';
import { type AdjustmentRowValues, createSeedRepository, type OrderRowValues } from './seed.repository.js';
import {
  type GeneratedOrder,
  type GeneratedSession,
  generateTraffic,
  SEED_CURRENCIES,
  seedRate,
} from './seed-generator.js';

export interface SeedProgress {
  events: number;
  target: number;
  orders: number;
  elapsedMs: number;
}

export interface SeedOptions {
  storeId: number;
  /** Roughly how many events to write. */
  events: number;
  days: number;
  /** Same seed, same traffic (a second run with the same seed on one store is refused: the ids repeat). */
  seed?: number;
  onProgress?: (progress: SeedProgress) => void;
  /** Events per transaction; default 5,000. */
  chunkEvents?: number;
  /**
   * Chunk transactions in flight at once (MySQL; SQLite has one connection). Loading is bound by random
   * index reads, which a server serves better several at a time; default 3.
   */
  concurrency?: number;
  /**
   * Into a fresh MySQL database (empty `events`): drop the events table's secondary indexes for the load and
   * build them in one pass at the end. For benchmarks; a live database is never touched this way.
   */
  deferIndexes?: boolean;
  /** Named steps besides the progress: `indexes` while deferred indexes are built. */
  onPhase?: (phase: 'events' | 'indexes' | 'done') => void;
}

export interface SeedResult {
  events: number;
  orders: number;
  elapsedMs: number;
}

export interface SeedDeps {
  database: Database;
  clock: Clock;
  reports: ReportsModule;
  stores: { getCached(id: number): Promise<{ timeZone: string; currency: string } | null> };
}

/** `[#####-----] 45% 4.5M/10M events 180k/s` */
export function renderProgress(progress: SeedProgress, width = 30): string {
  const share = progress.target === 0 ? 1 : Math.min(1, progress.events / progress.target);
  const filled = Math.round(share * width);
  const rate = progress.elapsedMs === 0 ? 0 : (progress.events / progress.elapsedMs) * 1000;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(share * 100)}% ${compact(progress.events)}/${compact(progress.target)} events ${compact(rate)}/s`;
}

function compact(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(value >= 1e7 ? 0 : 1)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(value >= 1e4 ? 0 : 1)}k`;
  return String(Math.round(value));
}

function toRows(
  storeId: number,
  event: PipelineEvent,
): { stored: StoredEvent; hash: Buffer; rollup: RollupEvent } {
  const hash = createHash('sha256').update(event.messageId).digest().subarray(0, 16);
  return {
    stored: { ...event, storeId },
    hash,
    rollup: {
      hash: hash.subarray(0, 8).toString('hex'),
      type: event.type,
      event: event.event,
      timestampMs: event.timestampMs,
      anonymousId: event.anonymousId,
      userId: event.userId,
      sessionId: event.sessionId,
      path: event.pagePath,
      referrerHost: event.referrerHost,
      channel: event.channel,
      utmSource: event.utmSource,
      utmMedium: event.utmMedium,
      utmCampaign: event.utmCampaign,
      deviceType: event.deviceType,
      browser: event.browser,
      os: event.os,
      country: event.country,
      isBot: event.isBot,
      orderId: event.orderId,
      properties: event.type === 'track' ? event.properties : null,
    },
  };
}

interface PreparedChunk {
  events: EventRow[];
  orders: OrderRowValues[];
  adjustments: AdjustmentRowValues[];
  rollups: PreparedRollups;
}

/** Lock contention between the seed's own concurrent chunks: the chunk is written again. */
function isContention(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT';
}

function toSourceOrder(order: GeneratedOrder): SourceOrder {
  return {
    orderId: order.orderId,
    status: order.status,
    currency: order.currency,
    revenue: order.revenue,
    refundedTotal: order.refundedTotal,
    netRevenue: order.netRevenue,
    lineItems: order.lineItems,
    isCompleted: true,
    anonymousId: order.anonymousId,
    userId: order.userId,
    sessionId: order.sessionId,
    placedAtMs: order.placedAtMs,
  };
}

/**
 * Generates realistic traffic for a store and writes it in bulk: events, orders (one row each, in their final
 * state, as the pipeline would have folded them) and the orders' ledger, with the rollups computed in the
 * same pass — one transaction per chunk of about 5,000 events, so an interrupted seed leaves whole sessions.
 */
export async function seedStore(deps: SeedDeps, options: SeedOptions): Promise<SeedResult> {
  const store = await deps.stores.getCached(options.storeId);
  if (store === null) throw notFound('Store');
  const repo = createSeedRepository(deps.database);
  const buildRows = createEventRowBuilder(deps.database);
  const startedMs = Date.now();
  const zone = await deps.reports.ensureState(options.storeId, store.timeZone);
  // Shoppers abroad pay in their currency; the merchant's table has a rate for each from the start.
  const existing = new Set((await deps.reports.listRates(options.storeId)).map((r) => r.currency));
  const missing = SEED_CURRENCIES.filter((c) => c !== store.currency && !existing.has(c));
  if (missing.length > 0) {
    await deps.reports.putRates(
      options.storeId,
      missing.map((currency) => ({ currency, validFromMs: 0, rate: seedRate(currency, store.currency) })),
    );
  }
  const loader = await deps.reports.bulkLoader({ storeId: options.storeId, zone, currency: store.currency });
  const chunkEvents = options.chunkEvents ?? 5000;
  const seed = options.seed ?? 1;
  let written = 0;
  let orders = 0;
  let pending: GeneratedSession[] = [];
  let pendingEvents = 0;

  const concurrency = deps.database.dialect === 'mysql' ? Math.max(1, options.concurrency ?? 3) : 1;
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;

  /** One chunk's transaction, retried whole when it lost a deadlock to a concurrent one. */
  const writeChunk = async (chunk: PreparedChunk) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await deps.database.transaction(async (tx) => {
          await repo.insertEvents(chunk.events, tx);
          await repo.insertOrders(chunk.orders, tx);
          await repo.insertAdjustments(chunk.adjustments, tx);
          await loader.write(tx, chunk.rollups);
        });
        break;
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new AppError(
            'conflict',
            `This store was already seeded with seed ${seed}; pass another --seed`,
          );
        }
        if (!isContention(error) || attempt >= 8) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
    written += chunk.events.length;
    orders += chunk.orders.length;
    options.onProgress?.({
      events: written,
      target: options.events,
      orders,
      elapsedMs: Date.now() - startedMs,
    });
  };

  const flush = async () => {
    if (pending.length === 0) return;
    const chunk = await prepareChunk(pending);
    pending = [];
    pendingEvents = 0;
    // Generating the next chunk overlaps with writing this one (and with up to `concurrency` others).
    const job = writeChunk(chunk).catch((error: unknown) => {
      failure ??= error;
    });
    inFlight.add(job);
    void job.finally(() => inFlight.delete(job));
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (failure !== null) throw failure;
  };

  const prepareChunk = async (sessions: GeneratedSession[]): Promise<PreparedChunk> => {
    const nowMs = deps.clock.nowMs();
    const stored: StoredEvent[] = [];
    const hashes: Buffer[] = [];
    const orderRows: OrderRowValues[] = [];
    const adjustments: AdjustmentRowValues[] = [];
    const visits: BulkVisit[] = [];
    for (const session of sessions) {
      const rollups: RollupEvent[] = [];
      for (const event of session.events) {
        const rows = toRows(options.storeId, event);
        stored.push(rows.stored);
        hashes.push(rows.hash);
        rollups.push(rows.rollup);
      }
      const sources: SourceOrder[] = [];
      const order = session.order;
      if (order) {
        sources.push(toSourceOrder(order));
        orderRows.push({
          uid: newUid(order.placedAtMs),
          storeId: options.storeId,
          orderId: order.orderId,
          status: order.status,
          currency: order.currency,
          revenue: order.revenue,
          refundedTotal: order.refundedTotal,
          netRevenue: order.netRevenue,
          lineItems: JSON.stringify(order.lineItems),
          revenueSource: order.revenueSource,
          anonymousId: order.anonymousId,
          userId: order.userId,
          sessionId: order.sessionId,
          ...order.landing,
          placedAtMs: order.placedAtMs,
          nowMs,
        });
        for (const adjustment of order.adjustments) {
          adjustments.push({
            storeId: options.storeId,
            messageHash: createHash('sha256').update(adjustment.messageId).digest().subarray(0, 16),
            orderId: order.orderId,
            kind: adjustment.kind,
            amount: adjustment.amount,
            currency: order.currency,
            occurredAtMs: adjustment.atMs,
            nowMs,
          });
        }
      }
      visits.push({ events: rollups, orders: sources });
    }
    // The pipeline's own mapping: seeded rows are stored exactly as ingested ones would be.
    const events = await buildRows(stored, hashes);
    return { events, orders: orderRows, adjustments, rollups: loader.prepare(visits) };
  };

  const restoreIndexes = options.deferIndexes ? await repo.deferEventIndexes() : async () => undefined;
  options.onPhase?.('events');
  try {
    await generateTraffic(
      {
        events: options.events,
        days: options.days,
        endMs: deps.clock.nowMs(),
        seed,
        timeZone: zone,
        currency: store.currency,
        orderPrefix: `S${seed}-`,
      },
      async (day) => {
        for (const session of day.sessions) {
          pending.push(session);
          pendingEvents += session.events.length;
          if (pendingEvents >= chunkEvents) await flush();
        }
      },
    );
    await flush();
    await Promise.all(inFlight);
    if (failure !== null) throw failure;
    await loader.finish();
  } finally {
    await Promise.allSettled(inFlight);
    options.onPhase?.('indexes');
    await restoreIndexes();
    options.onPhase?.('done');
  }
  return { events: written, orders, elapsedMs: Date.now() - startedMs };
}
