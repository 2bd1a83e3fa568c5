import type { Clock } from '../../platform/clock.js';
import type { TransactionHandle } from '../../platform/db/database.js';
import { type StoredEvent, storedMessageHash } from '../pipeline/index.js';
import {
  addOrder,
  addPageViews,
  addProductEvent,
  addSession,
  addVisitorDays,
  countPageViews,
  type FunnelRow,
  funnelRowOf,
  isProductEvent,
  markReturning,
  mergeOrderFacts,
  mergeSession,
  NOT_IN_A_CHAIN,
  ORDER_EVENTS,
  type OrderFacts,
  type OrderRollup,
  type RateLookup,
  RollupDeltas,
  type RollupEvent,
  type SessionState,
  sessionKeyOf,
  toOrderRollup,
  visitorKeyOf,
} from './rollup-model.js';
import type { CurrencyRate, RollupsRepository } from './rollups.repository.js';

/**
 * The store settings rollups need. Given a transaction, the read must run in it: rollups are written inside
 * the pipeline's batch transaction (and a rebuild's), which on SQLite holds the only connection.
 */
export type StoreSettingsLookup = (
  storeId: number,
  tx?: TransactionHandle,
) => Promise<{ timeZone: string; currency: string } | null>;

/** The pipeline's message hash (SHA-256 of the message id), first 8 bytes: the same tie-breaker as raw rows. */
function hashOf(event: StoredEvent): string {
  return storedMessageHash(event).toString('hex', 0, 8);
}

export function storedToRollupEvent(event: StoredEvent): RollupEvent {
  return {
    hash: hashOf(event),
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
    properties: event.properties,
  };
}

/** Finds the merchant's rate valid at an instant: the latest whose valid_from is not after it. */
export function rateLookupOf(rates: readonly CurrencyRate[]): RateLookup {
  return (currency, atMs) => {
    let found: number | null = null;
    let foundFrom = Number.NEGATIVE_INFINITY;
    for (const rate of rates) {
      if (rate.currency === currency && rate.validFromMs <= atMs && rate.validFromMs >= foundFrom) {
        found = rate.rate;
        foundFrom = rate.validFromMs;
      }
    }
    return found;
  };
}

export type RollupWriter = ReturnType<typeof createRollupWriter>;

/**
 * Keeps the rollups up to date inside each worker batch transaction. The pipeline hands over only the events
 * this batch newly stored, so each event is counted once; a redelivered batch stores nothing and changes
 * nothing here. Every touched session, order and visitor is read (current, under the store's rollup lock),
 * recomputed, and the difference between its new and old contribution is added to the summed tables — which
 * makes the result independent of the order events arrive in.
 */
export function createRollupWriter(deps: {
  repository: RollupsRepository;
  clock: Clock;
  storeSettings: StoreSettingsLookup;
}) {
  const repo = deps.repository;

  async function applyStore(
    tx: TransactionHandle,
    storeId: number,
    events: readonly RollupEvent[],
  ): Promise<void> {
    const store = await deps.storeSettings(storeId, tx);
    if (store === null) return;
    const zone = await repo.lockState(storeId, store.timeZone, deps.clock.nowMs(), tx);
    const deltas = new RollupDeltas();

    const funnelRows: FunnelRow[] = [];
    for (const event of events) {
      const row = funnelRowOf(event);
      if (row) funnelRows.push(row);
    }
    await repo.insertFunnelRows(storeId, funnelRows, tx);

    // Sessions touched by this batch's events (bots are never rolled up).
    const touched = new Map<string, { visitorKey: string; events: RollupEvent[] }>();
    for (const event of events) {
      if (event.isBot) continue;
      if (isProductEvent(event)) addProductEvent(deltas, event, zone);
      const key = sessionKeyOf(event.anonymousId, event.userId, event.sessionId);
      const visitorKey = visitorKeyOf(event.anonymousId, event.userId);
      if (key === null || visitorKey === null) continue;
      const entry = touched.get(key);
      if (entry) entry.events.push(event);
      else touched.set(key, { visitorKey, events: [event] });
    }
    const before = await repo.loadSessions(storeId, [...touched.keys()], tx);
    const after = new Map<string, SessionState>();
    for (const [key, entry] of touched) {
      after.set(key, mergeSession(before.get(key) ?? null, key, entry.visitorKey, entry.events, zone));
    }

    // Orders: the pipeline has already folded this batch's order events into `orders`.
    const facts = new Map<string, OrderFacts>();
    for (const event of events) {
      if (event.type !== 'track' || event.orderId === null || !ORDER_EVENTS.has(event.event ?? '')) continue;
      facts.set(event.orderId, mergeOrderFacts(facts.get(event.orderId) ?? null, event));
    }
    const sessionsToRecount = new Set<string>();
    for (const key of after.keys()) if (!before.has(key)) sessionsToRecount.add(key);
    // Attribution: the visitors whose orders' touches may change, and rewritten orders without a visitor.
    const touchVisitors = new Set<string>();
    const touchOrders: string[] = [];
    if (facts.size > 0) {
      const orderIds = [...facts.keys()];
      const sources = await repo.loadSourceOrders(storeId, orderIds, tx);
      const previous = await repo.loadReportOrders(storeId, orderIds, tx);
      // The merchant's rates are read only when an order is in another currency.
      const isForeign = sources.some(
        (s) => s.currency !== null && s.currency.toUpperCase() !== store.currency,
      );
      const lookupRate = rateLookupOf(isForeign ? await repo.listRates(storeId, tx) : []);
      const next: OrderRollup[] = [];
      for (const source of sources) {
        const old = previous.get(source.orderId) ?? null;
        const order = toOrderRollup({
          source,
          facts: facts.get(source.orderId) ?? null,
          previous: old,
          zone,
          storeCurrency: store.currency,
          lookupRate,
        });
        if (old) addOrder(deltas, old, -1);
        addOrder(deltas, order, 1);
        next.push(order);
        // An order with a visitor is refreshed with its visitor's orders; one without, by its id.
        if (order.visitorKey === null) touchOrders.push(order.orderId);
        for (const key of [old?.visitorKey, order.visitorKey]) if (key) touchVisitors.add(key);
        for (const key of [old?.sessionKey, order.sessionKey]) if (key) sessionsToRecount.add(key);
      }
      // New vs returning: recompute the flags of every order of the customers involved.
      const customers = new Set<string>();
      for (const order of next) if (order.customerKey) customers.add(order.customerKey);
      for (const old of previous.values()) if (old.customerKey) customers.add(old.customerKey);
      const byId = new Map(next.map((order) => [order.orderId, order]));
      const others: OrderRollup[] = [];
      const groups = new Map<string, OrderRollup[]>();
      const group = (order: OrderRollup) => {
        if (order.customerKey === null) return;
        const list = groups.get(order.customerKey);
        if (list) list.push(order);
        else groups.set(order.customerKey, [order]);
      };
      for (const order of next) group(order);
      for (const stored of await repo.loadOrdersOfCustomers(storeId, [...customers], tx)) {
        if (byId.has(stored.orderId)) continue;
        others.push(stored);
        group(stored);
      }
      for (const order of next) if (order.customerKey === null) Object.assign(order, NOT_IN_A_CHAIN);
      const changedOthers = new Set<OrderRollup>();
      for (const list of groups.values()) {
        for (const order of markReturning(list)) if (!byId.has(order.orderId)) changedOthers.add(order);
      }
      await repo.upsertOrders(storeId, next, tx);
      await repo.setReturning(storeId, [...changedOthers], tx);
      // The daily order rollups of every day these rows left, entered or were relinked on.
      const days = new Set<number>();
      for (const order of [...previous.values(), ...next, ...changedOthers]) days.add(order.day);
      await repo.refreshOrderDays(storeId, days, tx);
    }

    // Order counts of new sessions and of sessions whose orders changed.
    if (sessionsToRecount.size > 0) {
      const missing = [...sessionsToRecount].filter((key) => !after.has(key));
      for (const [key, state] of await repo.loadSessions(storeId, missing, tx)) {
        before.set(key, state);
        after.set(key, { ...state, dims: { ...state.dims } });
      }
      const counts = await repo.countOrdersBySession(storeId, [...sessionsToRecount], tx);
      for (const key of sessionsToRecount) {
        const state = after.get(key);
        if (state) state.orderCount = counts.get(key) ?? 0;
      }
    }

    // Session contributions: new minus old.
    const dayChanges = new Map<string, Map<number, number>>();
    const changeDay = (visitorKey: string, day: number, by: number) => {
      let days = dayChanges.get(visitorKey);
      if (!days) {
        days = new Map();
        dayChanges.set(visitorKey, days);
      }
      days.set(day, (days.get(day) ?? 0) + by);
    };
    const changed: SessionState[] = [];
    for (const [key, state] of after) {
      const old = before.get(key) ?? null;
      if (old !== null && sameSession(old, state)) continue;
      changed.push(state);
      // A new session may be its visitor's first; a landing that moved changes its orders' last touch.
      if (old === null || old.startedAtMs !== state.startedAtMs || old.landingHash !== state.landingHash)
        touchVisitors.add(state.visitorKey);
      if (old) addSession(deltas, old, -1);
      addSession(deltas, state, 1);
      const batchEvents = touched.get(key)?.events ?? [];
      const batchViews = countPageViews(batchEvents);
      if (old === null) {
        addPageViews(deltas, state.startDay, batchViews, 1);
        changeDay(state.visitorKey, state.startDay, 1);
      } else if (old.startDay === state.startDay) {
        addPageViews(deltas, state.startDay, batchViews, 1);
      } else {
        // The session now starts on another day (an earlier event arrived late): its page views move with
        // it, and the session row does not keep them per path, so they are read back from the raw events.
        const first = batchEvents[0];
        if (first?.sessionId) {
          const raw = await repo.loadSessionEvents(
            storeId,
            { anonymousId: first.anonymousId, userId: first.userId, sessionId: first.sessionId },
            tx,
          );
          const allViews = countPageViews(raw.filter((event) => !event.isBot));
          const oldViews = new Map(allViews);
          for (const [path, views] of batchViews) oldViews.set(path, (oldViews.get(path) ?? 0) - views);
          addPageViews(deltas, old.startDay, oldViews, -1);
          addPageViews(deltas, state.startDay, allViews, 1);
        }
        changeDay(state.visitorKey, old.startDay, -1);
        changeDay(state.visitorKey, state.startDay, 1);
      }
    }

    // Visitors' active days, and the (day, previous day) pairs that count distinct visitors.
    if (dayChanges.size > 0) {
      const current = await repo.loadVisitorDays(storeId, [...dayChanges.keys()], tx);
      const writes: { visitorKey: string; day: number; sessions: number }[] = [];
      for (const [visitorKey, changes] of dayChanges) {
        const days = current.get(visitorKey) ?? new Map<number, number>();
        const oldDays = activeDays(days);
        for (const [day, by] of changes) {
          if (by === 0) continue;
          const sessions = (days.get(day) ?? 0) + by;
          days.set(day, sessions);
          writes.push({ visitorKey, day, sessions });
        }
        const newDays = activeDays(days);
        if (!sameDays(oldDays, newDays)) {
          addVisitorDays(deltas, oldDays, -1);
          addVisitorDays(deltas, newDays, 1);
        }
      }
      await repo.writeVisitorDays(storeId, writes, tx);
    }

    await repo.upsertSessions(storeId, changed, tx);
    await repo.applyDeltas(storeId, deltas, tx);
    if (touchVisitors.size > 0 || touchOrders.length > 0) {
      await repo.refreshOrderTouches(storeId, { visitorKeys: touchVisitors, orderIds: touchOrders }, tx);
    }
  }

  return {
    /** The pipeline batch hook: `pipeline.worker.addBatchHook(rollups.onBatch)`. */
    async onBatch(tx: TransactionHandle, events: StoredEvent[]): Promise<void> {
      const byStore = new Map<number, RollupEvent[]>();
      for (const event of events) {
        const list = byStore.get(event.storeId);
        const converted = storedToRollupEvent(event);
        if (list) list.push(converted);
        else byStore.set(event.storeId, [converted]);
      }
      // Stores in id order: two batches lock the same stores in the same order, never crosswise.
      for (const storeId of [...byStore.keys()].sort((a, b) => a - b)) {
        await applyStore(tx, storeId, byStore.get(storeId) ?? []);
      }
    },

    /** The same, for callers holding rollup events already (tests, tools). */
    applyStore,
  };
}

function activeDays(days: ReadonlyMap<number, number>): number[] {
  return [...days.entries()]
    .filter(([, sessions]) => sessions > 0)
    .map(([day]) => day)
    .sort((a, b) => a - b);
}

function sameDays(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((day, index) => day === b[index]);
}

function sameSession(a: SessionState, b: SessionState): boolean {
  return (
    a.startedAtMs === b.startedAtMs &&
    a.endedAtMs === b.endedAtMs &&
    a.landingHash === b.landingHash &&
    a.pageViews === b.pageViews &&
    a.events === b.events &&
    a.orderCount === b.orderCount &&
    a.startHourMs === b.startHourMs
  );
}
