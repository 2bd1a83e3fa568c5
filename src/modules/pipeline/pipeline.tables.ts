import type { Generated } from 'kysely';

/**
 * One stored event, shaped for reports: the columns reports filter and group by, and the rest of the Segment
 * payload as JSON text. Append-only; rows leave only through retention and erasure.
 */
export interface EventsTable {
  id: Generated<number>;
  store_id: number;
  /**
   * First 16 bytes of SHA-256(messageId). Unique per store, so every write is idempotent; it is also the
   * public id (`evt_…`), which saves a uid column and a second unique index on the widest table we have.
   */
  message_hash: Buffer;
  message_id: string;
  type: string;
  event: string | null;
  name: string | null;
  user_id: string | null;
  anonymous_id: string | null;
  group_id: string | null;
  previous_id: string | null;
  session_id: string | null;
  timestamp_ms: number;
  sent_at_ms: number | null;
  received_at_ms: number;
  path: string | null;
  page_host: string | null;
  title: string | null;
  referrer_host: string | null;
  channel: string | null;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_term: string | null;
  utm_content: string | null;
  device_type: string | null;
  browser: string | null;
  os: string | null;
  country: string | null;
  is_bot: number;
  revenue: number | string | null;
  currency: string | null;
  order_id: string | null;
  /**
   * JSON objects; NULL when empty, which costs nothing in either engine. `properties` and `context` leave out
   * the values the columns above rebuild exactly; `packed` has a bit for each (event-payload-codec.ts).
   */
  properties: string | null;
  traits: string | null;
  context: string | null;
  packed: Generated<number>;
  /** The shared part of the context (`event_contexts`, event-contexts.ts); NULL when it had none. */
  context_id: number | null;
}

/** The context dictionary: a context's device and tracker part, stored once per store (event-contexts.ts). */
export interface EventContextsTable {
  id: Generated<number>;
  store_id: number;
  /** First 16 bytes of SHA-256(body). */
  hash: Buffer;
  body: string;
  /** No event referring to this row is later than this. */
  last_event_ms: number;
}

/** One row per (store, order_id): what the order is worth now, and the campaign that led to it. */
export interface OrdersTable {
  id: Generated<number>;
  uid: Buffer;
  store_id: number;
  order_id: string;
  status: string;
  currency: string | null;
  /** Order total in its own currency, as the shop reported it. */
  revenue: number | string;
  refunded_total: number | string;
  /** revenue − refunds, 0 once fully refunded or cancelled; maintained on every change. */
  net_revenue: number | string;
  line_items: string | null;
  /** Where the revenue figure came from: a server (secret key) beats a browser. */
  revenue_source: string | null;
  is_completed: number;
  anonymous_id: string | null;
  user_id: string | null;
  session_id: string | null;
  channel: string | null;
  referrer_host: string | null;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_term: string | null;
  utm_content: string | null;
  /** Time of the Order Completed event (or of the first event about the order, until one arrives). */
  placed_at_ms: number;
  created_at: number;
  updated_at: number;
}

/** Ledger of order events applied to `orders`; unique per message, so a redelivered refund is applied once. */
export interface OrderAdjustmentsTable {
  id: Generated<number>;
  store_id: number;
  message_hash: Buffer;
  order_id: string;
  kind: string;
  amount: number | string | null;
  currency: string | null;
  occurred_at_ms: number;
  created_at: number;
}

/** Buffer entries that failed too often to store; an admin can list and replay them. */
export interface DeadLettersTable {
  id: Generated<number>;
  uid: Buffer;
  /** 0 when the entry was too damaged to tell its store. */
  store_id: number;
  message_id: string | null;
  payload: string;
  reason: string;
  attempts: number;
  created_at: number;
  replayed_at: number | null;
}

export interface PipelineTables {
  events: EventsTable;
  event_contexts: EventContextsTable;
  orders: OrdersTable;
  order_adjustments: OrderAdjustmentsTable;
  dead_letters: DeadLettersTable;
}
