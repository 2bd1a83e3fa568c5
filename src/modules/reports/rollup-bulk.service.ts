import type { TransactionHandle } from '../../platform/db/database.js';
import {
  addOrder,
  addPageViews,
  addProductEvent,
  addSession,
  countPageViews,
  type FunnelRow,
  funnelRowOf,
  isProductEvent,
  mergeOrderFacts,
  mergeSession,
  type OrderFacts,
  type OrderRollup,
  RollupDeltas,
  type RollupEvent,
  type SessionState,
  type SourceOrder,
  sessionKeyOf,
  toOrderRollup,
  visitorKeyOf,
} from './rollup-model.js';
import { rateLookupOf } from './rollup-writer.service.js';
import type { CurrencyRate, RollupsRepository } from './rollups.repository.js';

/** A complete visit for bulk loading: every event of its session(s) and the final state of its orders. */
export interface BulkVisit {
  events: readonly RollupEvent[];
  orders: readonly SourceOrder[];
}

export type RollupBulkLoader = ReturnType<typeof createRollupBulkLoader>;

export interface PreparedRollups {
  deltas: RollupDeltas;
  sessions: SessionState[];
  orders: OrderRollup[];
  visitorDays: { visitorKey: string; day: number; sessions: number }[];
  funnelRows: FunnelRow[];
}

/**
 * Computes rollups in the same pass as a bulk load of new traffic (the seed), without reading anything back:
 * each chunk holds whole sessions with their orders, visits arrive in start-day order per visitor, and every
 * visitor and order is new to the store. Summed tables are added to, so chunks and a live worker can mix.
 */
export function createRollupBulkLoader(deps: {
  repository: RollupsRepository;
  storeId: number;
  zone: string;
  currency: string;
  rates: readonly CurrencyRate[];
}) {
  const lastDayOf = new Map<string, number>();
  const lastOrderMsOf = new Map<string, number>();
  const lookupRate = rateLookupOf(deps.rates);

  /**
   * Computes a chunk's rows. Chunks must be prepared in order (visitors' days follow each other), but the
   * prepared rows can be written by concurrent transactions, and written again if one is rolled back.
   */
  function prepare(visits: readonly BulkVisit[]): PreparedRollups {
    const deltas = new RollupDeltas();
    const sessions: SessionState[] = [];
    const orders: OrderRollup[] = [];
    const visitorDays = new Map<string, { visitorKey: string; day: number; sessions: number }>();
    const funnelRows: FunnelRow[] = [];
    for (const visit of visits) {
      const facts = new Map<string, OrderFacts>();
      const bySession = new Map<string, { visitorKey: string; events: RollupEvent[] }>();
      for (const event of visit.events) {
        const funnelRow = funnelRowOf(event);
        if (funnelRow) funnelRows.push(funnelRow);
        if (event.orderId !== null && event.type === 'track') {
          facts.set(event.orderId, mergeOrderFacts(facts.get(event.orderId) ?? null, event));
        }
        if (event.isBot) continue;
        if (isProductEvent(event)) addProductEvent(deltas, event, deps.zone);
        const key = sessionKeyOf(event.anonymousId, event.userId, event.sessionId);
        const visitorKey = visitorKeyOf(event.anonymousId, event.userId);
        if (key === null || visitorKey === null) continue;
        const entry = bySession.get(key);
        if (entry) entry.events.push(event);
        else bySession.set(key, { visitorKey, events: [event] });
      }
      const orderCounts = new Map<string, number>();
      for (const source of [...visit.orders].sort((a, b) => a.placedAtMs - b.placedAtMs)) {
        const order = toOrderRollup({
          source,
          facts: facts.get(source.orderId) ?? null,
          previous: null,
          zone: deps.zone,
          storeCurrency: deps.currency,
          lookupRate,
        });
        if (order.isCounted && !order.isTest && order.customerKey !== null) {
          // The previous order is known here; the next one is linked by finish() once every chunk is in.
          const previousMs = lastOrderMsOf.get(order.customerKey);
          order.isReturning = previousMs !== undefined;
          order.prevOrderMs = previousMs ?? null;
          lastOrderMsOf.set(order.customerKey, order.placedAtMs);
        }
        if (order.isCounted && !order.isTest && order.sessionKey !== null) {
          orderCounts.set(order.sessionKey, (orderCounts.get(order.sessionKey) ?? 0) + 1);
        }
        addOrder(deltas, order, 1);
        orders.push(order);
      }
      for (const [key, entry] of bySession) {
        const state = mergeSession(null, key, entry.visitorKey, entry.events, deps.zone);
        state.orderCount = orderCounts.get(key) ?? 0;
        sessions.push(state);
        addSession(deltas, state, 1);
        addPageViews(deltas, state.startDay, countPageViews(entry.events), 1);
        const dayKey = `${state.visitorKey}|${state.startDay}`;
        const row = visitorDays.get(dayKey);
        if (row) row.sessions += 1;
        else visitorDays.set(dayKey, { visitorKey: state.visitorKey, day: state.startDay, sessions: 1 });
        const last = lastDayOf.get(state.visitorKey);
        if (last === undefined || last < state.startDay) {
          deltas.pair(state.startDay, last ?? 0, 1);
          lastDayOf.set(state.visitorKey, state.startDay);
        } else if (last > state.startDay) {
          throw new Error("bulk rollups need each visitor's sessions in day order");
        }
      }
    }
    return { deltas, sessions, orders, visitorDays: [...visitorDays.values()], funnelRows };
  }

  async function write(tx: TransactionHandle, prepared: PreparedRollups): Promise<void> {
    await deps.repository.insertSessions(deps.storeId, prepared.sessions, tx);
    await deps.repository.upsertOrders(deps.storeId, prepared.orders, tx);
    await deps.repository.addVisitorDays(deps.storeId, prepared.visitorDays, tx);
    await deps.repository.applyDeltas(deps.storeId, prepared.deltas, tx);
    await deps.repository.insertFunnelRows(deps.storeId, prepared.funnelRows, tx);
  }

  return {
    prepare,
    write,
    async load(tx: TransactionHandle, visits: readonly BulkVisit[]): Promise<void> {
      await write(tx, prepare(visits));
    },
    /**
     * After the last chunk is written (chunks commit concurrently, so no chunk can see every order): links each
     * customer's orders, then fills the daily order rollups and the orders' touches for the whole store.
     */
    finish: () => deps.repository.finishBulkLoad(deps.storeId),
  };
}
