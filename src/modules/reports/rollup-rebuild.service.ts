import type { Clock } from '../../platform/clock.js';
import type { Database, TransactionHandle } from '../../platform/db/database.js';
import type { DerivedDataCleaner } from '../privacy/index.js';
import { DAY_MS, dayStartMs, localDay } from './report-time.js';
import {
  addOrder,
  addPageViews,
  addProductEvent,
  addSession,
  addVisitorDays,
  countPageViews,
  funnelRowOf,
  isProductEvent,
  markReturning,
  mergeOrderFacts,
  mergeSession,
  NOT_IN_A_CHAIN,
  type OrderFacts,
  type OrderRollup,
  RollupDeltas,
  type RollupEvent,
  type SessionState,
  sessionKeyOf,
  toOrderRollup,
  visitorKeyOf,
} from './rollup-model.js';
import { rateLookupOf, type StoreSettingsLookup } from './rollup-writer.service.js';
import type { RollupsRepository } from './rollups.repository.js';
import type { RollupsCleanupRepository } from './rollups-cleanup.repository.js';

/**
 * Runs one unit of work in its own transaction and returns the rows it changed: `database.transaction`
 * from the CLI, `ctx.fence.commit` inside a cron run (so a run that lost its fence commits nothing).
 */
export type Commit = (work: (tx: TransactionHandle) => Promise<number>) => Promise<number>;

/** How far around a day its sessions are looked for: sessions are assumed to last less than this. */
const SESSION_REACH_MS = DAY_MS;

const DELETE_CHUNK_ROWS = 10_000;

export type RollupRebuilder = ReturnType<typeof createRollupRebuilder>;

/**
 * Recomputes rollups from the raw events and orders, one local day per transaction: everything attributed
 * to that day (sessions that started in it, its hours, its dimension, page and product rows, orders placed
 * in it) is deleted and written again; visitors' active days and the pairs that count distinct visitors
 * are corrected by difference, so neighbouring days stay right. Holding the store's rollup lock, a day's
 * rebuild and the worker's increments never interleave. Re-running a day gives the same rows.
 */
export function createRollupRebuilder(deps: {
  database: Database;
  repository: RollupsRepository;
  clock: Clock;
  storeSettings: StoreSettingsLookup;
}) {
  const repo = deps.repository;

  async function rebuildDay(storeId: number, day: number, tx: TransactionHandle): Promise<number> {
    const store = await deps.storeSettings(storeId, tx);
    if (store === null) return 0;
    const zone = await repo.lockState(storeId, store.timeZone, deps.clock.nowMs(), tx);
    const fromMs = dayStartMs(zone, day);
    const toMs = dayStartMs(zone, day + 1);
    const deltas = new RollupDeltas();

    // Orders placed this day. The rate recorded when an order was first rolled up is kept.
    const previous = new Map(
      (await repo.loadReportOrdersPlaced(storeId, fromMs, toMs, tx)).map((o) => [o.orderId, o]),
    );
    const sources = await repo.loadSourceOrdersPlaced(storeId, fromMs, toMs, tx);
    const facts = new Map<string, OrderFacts>();
    for (const event of await repo.loadOrderCompletedBetween(
      storeId,
      fromMs - SESSION_REACH_MS,
      toMs + SESSION_REACH_MS,
      tx,
    )) {
      if (event.orderId !== null)
        facts.set(event.orderId, mergeOrderFacts(facts.get(event.orderId) ?? null, event));
    }
    const lookupRate = rateLookupOf(await repo.listRates(storeId, tx));
    const orders = sources.map((source) =>
      toOrderRollup({
        source,
        facts: facts.get(source.orderId) ?? null,
        previous: previous.get(source.orderId) ?? null,
        zone,
        storeCurrency: store.currency,
        lookupRate,
      }),
    );
    await repo.deleteOrdersPlaced(storeId, fromMs, toMs, tx);
    const customers = new Set<string>();
    for (const order of [...orders, ...previous.values()])
      if (order.customerKey) customers.add(order.customerKey);
    const groups = new Map<string, OrderRollup[]>();
    const byId = new Map(orders.map((o) => [o.orderId, o]));
    const others: OrderRollup[] = [];
    for (const order of [...orders, ...(await repo.loadOrdersOfCustomers(storeId, [...customers], tx))]) {
      if (order.customerKey === null) continue;
      if (byId.has(order.orderId) && byId.get(order.orderId) !== order) continue;
      if (!byId.has(order.orderId)) others.push(order);
      const list = groups.get(order.customerKey);
      if (list) list.push(order);
      else groups.set(order.customerKey, [order]);
    }
    const changedOthers = new Set<OrderRollup>();
    for (const list of groups.values()) {
      for (const order of markReturning(list)) if (!byId.has(order.orderId)) changedOthers.add(order);
    }
    for (const order of orders) {
      if (order.customerKey === null) Object.assign(order, NOT_IN_A_CHAIN);
      addOrder(deltas, order, 1);
    }
    await repo.upsertOrders(storeId, orders, tx);
    await repo.setReturning(storeId, [...changedOthers], tx);
    // This day (the rows it held may carry another zone's day number) and the days of relinked orders.
    const orderDays = new Set<number>([day]);
    for (const order of [...previous.values(), ...orders, ...changedOthers]) orderDays.add(order.day);
    await repo.refreshOrderDays(storeId, orderDays, tx);

    // Sessions that started this day, from the raw events around it; and this day's product events.
    const events = await repo.loadEventsBetween(
      storeId,
      fromMs - SESSION_REACH_MS,
      toMs + SESSION_REACH_MS,
      tx,
    );
    const bySession = new Map<string, { visitorKey: string; events: RollupEvent[] }>();
    for (const event of events) {
      if (event.isBot) continue;
      if (event.timestampMs >= fromMs && event.timestampMs < toMs && isProductEvent(event)) {
        addProductEvent(deltas, event, zone);
      }
      const key = sessionKeyOf(event.anonymousId, event.userId, event.sessionId);
      const visitorKey = visitorKeyOf(event.anonymousId, event.userId);
      if (key === null || visitorKey === null) continue;
      const entry = bySession.get(key);
      if (entry) entry.events.push(event);
      else bySession.set(key, { visitorKey, events: [event] });
    }
    const sessions: SessionState[] = [];
    const pageViews = new Map<string, Map<string, number>>();
    for (const [key, entry] of bySession) {
      const state = mergeSession(null, key, entry.visitorKey, entry.events, zone);
      if (state.startedAtMs < fromMs || state.startedAtMs >= toMs) continue;
      sessions.push(state);
      pageViews.set(key, countPageViews(entry.events));
    }
    const counts = await repo.countOrdersBySession(
      storeId,
      sessions.map((s) => s.sessionKey),
      tx,
    );
    for (const state of sessions) {
      state.orderCount = counts.get(state.sessionKey) ?? 0;
      addSession(deltas, state, 1);
      addPageViews(deltas, state.startDay, pageViews.get(state.sessionKey) ?? new Map(), 1);
    }

    // Visitors active this day: replace the day in each one's active days, correct the pairs by difference.
    const todayCounts = new Map<string, number>();
    for (const state of sessions)
      todayCounts.set(state.visitorKey, (todayCounts.get(state.visitorKey) ?? 0) + 1);
    const visitors = new Set([...todayCounts.keys(), ...(await repo.listVisitorsOfDay(storeId, day, tx))]);
    const current = await repo.loadVisitorDays(storeId, [...visitors], tx);
    const writes: { visitorKey: string; day: number; sessions: number }[] = [];
    for (const visitorKey of visitors) {
      const days = current.get(visitorKey) ?? new Map<number, number>();
      const before = [...days.keys()].filter((d) => (days.get(d) ?? 0) > 0).sort((a, b) => a - b);
      const sessionsToday = todayCounts.get(visitorKey) ?? 0;
      if ((days.get(day) ?? 0) === sessionsToday) continue;
      days.set(day, sessionsToday);
      writes.push({ visitorKey, day, sessions: sessionsToday });
      const after = [...days.keys()].filter((d) => (days.get(d) ?? 0) > 0).sort((a, b) => a - b);
      addVisitorDays(deltas, before, -1);
      addVisitorDays(deltas, after, 1);
    }
    await repo.writeVisitorDays(storeId, writes, tx);

    await repo.deleteFunnelRows(storeId, fromMs, toMs, tx);
    await repo.insertFunnelRows(
      storeId,
      events
        .filter((e) => e.timestampMs >= fromMs && e.timestampMs < toMs)
        .flatMap((e) => funnelRowOf(e) ?? []),
      tx,
    );
    await repo.deleteDays(storeId, { fromDay: day, toDay: day, fromMs, toMs }, tx);
    await repo.deleteSessionsStarted(storeId, fromMs, toMs, tx);
    await repo.upsertSessions(storeId, sessions, tx);
    await repo.applyDeltas(storeId, deltas, tx);
    // Attribution of the orders of everyone whose sessions of this day were replaced, and of this day's orders
    // (by visitor; an order without one, by its id).
    const touchVisitors = new Set(visitors);
    for (const order of [...orders, ...previous.values()])
      if (order.visitorKey) touchVisitors.add(order.visitorKey);
    const orderIds = orders.filter((o) => o.visitorKey === null).map((o) => o.orderId);
    await repo.refreshOrderTouches(storeId, { visitorKeys: touchVisitors, orderIds }, tx);
    return sessions.length + orders.length + deltas.hourly.size + deltas.dims.size + deltas.pages.size;
  }

  const transaction: Commit = (work) => deps.database.transaction(work);

  /** Rebuilds local days `fromDay`..`toDay` of a store, one transaction each (oldest first). */
  async function rebuildDays(
    storeId: number,
    fromDay: number,
    toDay: number,
    options: { commit?: Commit; signal?: AbortSignal } = {},
  ): Promise<{ days: number; rows: number }> {
    const commit = options.commit ?? transaction;
    let rows = 0;
    let days = 0;
    for (let day = fromDay; day <= toDay; day++) {
      options.signal?.throwIfAborted();
      rows += await commit((tx) => rebuildDay(storeId, day, tx));
      days += 1;
    }
    return { days, rows };
  }

  return {
    rebuildDay,
    rebuildDays,

    /**
     * Deletes a store's rollups and rebuilds them from its first event to today in `zone` (a time zone
     * change moves every local day, so nothing of the old rollups can be kept).
     */
    async rebuildStore(
      storeId: number,
      zone: string,
      options: { commit?: Commit; signal?: AbortSignal } = {},
    ): Promise<{ days: number; rows: number }> {
      const commit = options.commit ?? transaction;
      let deleted = 0;
      for (;;) {
        options.signal?.throwIfAborted();
        const n = await commit(async (tx) => {
          await repo.lockState(storeId, zone, deps.clock.nowMs(), tx);
          return repo.deleteAllOfStore(storeId, tx, DELETE_CHUNK_ROWS);
        });
        deleted += n;
        if (n < DELETE_CHUNK_ROWS) break;
      }
      await commit(async (tx) => {
        await repo.lockState(storeId, zone, deps.clock.nowMs(), tx);
        await repo.setZone(storeId, zone, deps.clock.nowMs(), tx);
        return 1;
      });
      const first = await repo.firstEventMs(storeId);
      if (first === null) return { days: 0, rows: deleted };
      const result = await rebuildDays(
        storeId,
        localDay(zone, first),
        localDay(zone, deps.clock.nowMs()),
        options,
      );
      return { days: result.days, rows: result.rows + deleted };
    },
  };
}

/** What an erasure leaves the rollups cleaner to do once the person's raw rows are gone. */
interface ErasurePlan {
  /** The zone `days` are local days of (the rollups' zone when planned). */
  zone: string;
  /** Local days to rebuild, ascending: the person's event and order days and their sessions' start days. */
  days: number[];
  /** Hex keys of the person's visitors, and their order ids: to count the rows of theirs a rebuild removed. */
  visitorKeys: string[];
  orderIds: string[];
  /** True once the person's order rows are deleted (the first step, before any day is rebuilt). */
  ordersDeleted?: boolean;
}

/** The local days of `zone` that overlap local day `day` of `from` (one or two; after a zone change). */
function daysInZone(from: string, day: number, zone: string): number[] {
  if (from === zone) return [day];
  const first = localDay(zone, dayStartMs(from, day));
  const last = localDay(zone, dayStartMs(from, day + 1) - 1);
  const days: number[] = [];
  for (let d = first; d <= last; d++) days.push(d);
  return days;
}

/**
 * The reports module's derived-data cleaner (privacy registers it): rollups follow the raw data out.
 *
 * - Retention: rollup rows of hours and local days before the cutoff, at most `limit` rows per statement.
 * - Purge: every report row of the store, its rollup state and currency rates included.
 * - Erasure: the plan (made while the person's events still exist) lists the local days their events,
 *   orders and sessions touched. The first chunks delete the person's order rows (a session counts the
 *   orders that point at it when its day is rebuilt, and its order may be placed on a later day); then
 *   each chunk rebuilds one of the days from the raw rows that remain — so
 *   every aggregate (hourly, dimensions, pages, products, visitor pairs) stops counting the person, and
 *   their sessions, orders, active days and funnel rows of that day are gone — under the store's rollup
 *   lock, in the job's fenced transaction. Rebuilding a day twice gives the same rows, so a takeover that
 *   repeats a day is harmless.
 */
export function createRollupsCleaner(deps: {
  rebuilder: RollupRebuilder;
  repository: RollupsCleanupRepository;
}): DerivedDataCleaner {
  const repo = deps.repository;
  return {
    name: 'reports',

    async deleteStoreBefore(storeId, beforeMs, tx, options) {
      const zone = await repo.findState(storeId, { lock: !options.countOnly }, tx);
      if (zone === null) return 0;
      // The cutoff is a local midnight of the store's zone; the rollups may still be in an older zone.
      const beforeDay = localDay(zone, beforeMs);
      const cutoff = { beforeDay, beforeMs: dayStartMs(zone, beforeDay) };
      return options.countOnly
        ? repo.countBefore(storeId, cutoff, tx)
        : repo.deleteBefore(storeId, cutoff, options.limit, tx);
    },

    async planSubject(storeId, _subject, footprint, tx) {
      const zone = await repo.findState(storeId, { lock: false }, tx);
      if (zone === null) return null;
      const days = new Set<number>();
      const visitorKeys = new Set<string>();
      const sessionKeys = new Set<string>();
      for (const event of footprint.events) {
        days.add(localDay(zone, event.timestampMs));
        const visitorKey = visitorKeyOf(event.anonymousId, event.userId);
        if (visitorKey !== null) visitorKeys.add(visitorKey);
        const sessionKey = sessionKeyOf(event.anonymousId, event.userId, event.sessionId);
        if (sessionKey !== null) sessionKeys.add(sessionKey);
      }
      for (const order of footprint.orders) days.add(localDay(zone, order.placedAtMs));
      // A session counts on the day it started, possibly the day before the person's first event in it.
      for (const day of await repo.listSessionStartDays(storeId, [...sessionKeys], tx)) days.add(day);
      if (days.size === 0) return null;
      const plan: ErasurePlan = {
        zone,
        days: [...days].sort((a, b) => a - b),
        visitorKeys: [...visitorKeys],
        orderIds: footprint.orders.map((o) => o.orderId),
      };
      return JSON.stringify(plan);
    },

    async deleteSubject(storeId, planJson, tx, options) {
      const stored = JSON.parse(planJson) as ErasurePlan;
      const zone = await repo.findState(storeId, { lock: !options.countOnly }, tx);
      // No rollups left (the store was purged meanwhile): nothing derived remains.
      if (zone === null) return { rows: 0, plan: null };
      const days = [...new Set(stored.days.flatMap((d) => daysInZone(stored.zone, d, zone)))].sort(
        (a, b) => a - b,
      );
      const plan: ErasurePlan = { ...stored, zone, days };
      const keys = { visitorKeys: plan.visitorKeys, orderIds: plan.orderIds };
      const spanOf = (day: number) => ({
        day,
        fromMs: dayStartMs(zone, day),
        toMs: dayStartMs(zone, day + 1),
      });
      if (options.countOnly) {
        let rows = 0;
        for (const day of days) rows += await repo.countSubjectRowsOfDay(storeId, keys, spanOf(day), tx);
        return { rows, plan: planJson };
      }
      if (!plan.ordersDeleted) {
        const rows = await repo.deleteOrders(storeId, plan.orderIds, options.limit, tx);
        // Called again until a call finds none left: each statement stays within the limit.
        return { rows, plan: JSON.stringify({ ...plan, ordersDeleted: rows === 0 }) };
      }
      const [day, ...rest] = days;
      if (day === undefined) return { rows: 0, plan: null };
      const before = await repo.countSubjectRowsOfDay(storeId, keys, spanOf(day), tx);
      await deps.rebuilder.rebuildDay(storeId, day, tx);
      const after = await repo.countSubjectRowsOfDay(storeId, keys, spanOf(day), tx);
      return {
        rows: Math.max(0, before - after),
        plan: rest.length > 0 ? JSON.stringify({ ...plan, days: rest }) : null,
      };
    },

    async deleteStore(storeId, tx, options) {
      return options.countOnly ? repo.countStore(storeId, tx) : repo.deleteStore(storeId, options.limit, tx);
    },
  };
}
