import type { StoredEvent } from './pipeline-event.js';

// Orders as records: the pure rules that fold Order Completed / Updated / Refunded / Cancelled events into one
// row per (store, order_id). Redelivery is handled by the caller (a ledger row per message); this decides what
// an event that is applied for the first time does.

export type OrderStatus = 'completed' | 'partially_refunded' | 'refunded' | 'cancelled';
export type OrderEventKind = 'completed' | 'updated' | 'refunded' | 'cancelled';

const KINDS: ReadonlyMap<string, OrderEventKind> = new Map([
  ['Order Completed', 'completed'],
  ['Order Updated', 'updated'],
  ['Order Refunded', 'refunded'],
  ['Order Cancelled', 'cancelled'],
]);

/** The order event an event is, by its (already canonical) Segment eCommerce v2 name; null for others. */
export function orderEventKind(event: StoredEvent): OrderEventKind | null {
  if (event.type !== 'track' || event.event === null || event.orderId === null) return null;
  return KINDS.get(event.event) ?? null;
}

/** The campaign that led to an order: the landing of its session, else the order event's own page. */
export interface Attribution {
  channel: string | null;
  referrerHost: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
}

export interface OrderState extends Attribution {
  orderId: string;
  status: OrderStatus;
  currency: string | null;
  /** Order total in its currency. */
  revenue: number;
  refundedTotal: number;
  netRevenue: number;
  lineItems: unknown[] | null;
  revenueSource: 'browser' | 'server' | null;
  isCompleted: boolean;
  anonymousId: string | null;
  userId: string | null;
  sessionId: string | null;
  placedAtMs: number;
}

const roundMoney = (amount: number): number => Math.round(amount * 1e4) / 1e4;

function amountOf(properties: Record<string, unknown>, ...keys: string[]): number | null {
  for (const key of keys) {
    const value = properties[key];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return null;
}

function productsOf(properties: Record<string, unknown>): unknown[] | null {
  return Array.isArray(properties.products) ? properties.products : null;
}

export function isAttributed(state: Attribution): boolean {
  return state.channel !== null;
}

/** Net revenue: nothing once fully refunded or cancelled, otherwise total minus refunds (never negative). */
function withNet(state: OrderState): OrderState {
  const net =
    state.status === 'refunded' || state.status === 'cancelled'
      ? 0
      : Math.max(0, roundMoney(state.revenue - state.refundedTotal));
  return { ...state, netRevenue: net };
}

function emptyOrder(event: StoredEvent): OrderState {
  return {
    orderId: event.orderId as string,
    status: 'completed',
    currency: null,
    revenue: 0,
    refundedTotal: 0,
    netRevenue: 0,
    lineItems: null,
    revenueSource: null,
    isCompleted: false,
    anonymousId: null,
    userId: null,
    sessionId: null,
    channel: null,
    referrerHost: null,
    utmSource: null,
    utmMedium: null,
    utmCampaign: null,
    utmTerm: null,
    utmContent: null,
    placedAtMs: event.timestampMs,
  };
}

/**
 * Folds one order event into the order. The same order may arrive from the browser and from the store's
 * server: it stays one order, the server's figures win over the browser's, and the first known visitor,
 * session and campaign are kept (a server event knows none of them).
 */
export function applyOrderEvent(
  current: OrderState | null,
  event: StoredEvent,
  kind: OrderEventKind,
  attribution: Attribution | null,
): OrderState {
  let next: OrderState = { ...(current ?? emptyOrder(event)) };
  const source = event.isServer ? 'server' : 'browser';
  // A figure from the server replaces the browser's; one from the browser never replaces the server's.
  const mayReplaceFigures = event.isServer || next.revenueSource !== 'server';

  next.anonymousId ??= event.anonymousId;
  next.userId ??= event.userId;
  next.sessionId ??= event.sessionId;
  if (!isAttributed(next) && attribution !== null && isAttributed(attribution)) {
    next = { ...next, ...attribution };
  }

  // Until a completion is known, the order dates from its earliest event.
  if (kind !== 'completed' && !next.isCompleted) {
    next.placedAtMs = Math.min(next.placedAtMs, event.timestampMs);
  }

  switch (kind) {
    case 'completed': {
      // A second Order Completed (the server confirming what the browser sent, or a resend) counts once.
      if (!next.isCompleted || (event.isServer && next.revenueSource !== 'server')) {
        next.revenue = roundMoney(event.revenue ?? 0);
        next.currency = event.currency ?? next.currency;
        next.lineItems = productsOf(event.properties) ?? next.lineItems;
        next.revenueSource = source;
      }
      // Placed when it was completed, and at the earliest completion: an Order Updated or Refunded seen first
      // (or a server copy stamped earlier than the browser's) must not move the order's place in time.
      next.placedAtMs = next.isCompleted ? Math.min(next.placedAtMs, event.timestampMs) : event.timestampMs;
      next.isCompleted = true;
      if (next.status === 'refunded') next.refundedTotal = next.revenue;
      else if (next.status === 'partially_refunded' && next.refundedTotal >= next.revenue) {
        next.status = 'refunded';
      }
      break;
    }
    case 'updated': {
      if (mayReplaceFigures) {
        const revenue = amountOf(event.properties, 'revenue', 'total');
        if (revenue !== null) {
          next.revenue = roundMoney(revenue);
          next.revenueSource = source;
        }
        next.currency = event.currency ?? next.currency;
        next.lineItems = productsOf(event.properties) ?? next.lineItems;
      }
      break;
    }
    case 'refunded': {
      // No amount means the whole order was refunded (Segment spec).
      if (event.revenue === null) {
        next.status = 'refunded';
        next.refundedTotal = next.revenue;
      } else {
        next.refundedTotal = roundMoney(next.refundedTotal + Math.abs(event.revenue));
        if (next.status === 'completed' || next.status === 'partially_refunded') {
          next.status =
            next.isCompleted && next.refundedTotal >= next.revenue ? 'refunded' : 'partially_refunded';
        }
      }
      break;
    }
    case 'cancelled':
      next.status = 'cancelled';
      break;
  }
  return withNet(next);
}
