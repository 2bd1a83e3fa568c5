import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import { insertRows } from '../../platform/db/bulk-insert.js';
import type { Database, TransactionHandle } from '../../platform/db/database.js';
import { createContextDictionary, joinContext, type SplitContext, splitContext } from './event-contexts.js';
import { packPayload, unpackPayload } from './event-payload-codec.js';
import type { EventsTable, PipelineTables } from './pipeline.tables.js';
import { messageHash, type StoredEvent, storedMessageHash } from './pipeline-event.js';

/** A stored event as the read API sees it. */
export interface EventRecord {
  /** The 16-byte message hash: the public `evt_…` id. */
  hash: Buffer;
  messageId: string;
  type: string;
  event: string | null;
  name: string | null;
  userId: string | null;
  anonymousId: string | null;
  groupId: string | null;
  previousId: string | null;
  sessionId: string | null;
  timestampMs: number;
  sentAtMs: number | null;
  receivedAtMs: number;
  path: string | null;
  pageHost: string | null;
  title: string | null;
  referrerHost: string | null;
  channel: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
  deviceType: string | null;
  browser: string | null;
  os: string | null;
  country: string | null;
  isBot: boolean;
  revenue: number | null;
  currency: string | null;
  orderId: string | null;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  context: Record<string, unknown>;
}

export interface EventFilters {
  messageHash?: Buffer;
  userId?: string;
  anonymousId?: string;
  event?: string;
  type?: string;
  fromMs?: number;
  toMs?: number;
}

/** Position of the last row of a page: the next page starts strictly after it. */
export interface EventPosition {
  timestampMs: number;
  id: number;
}

/** Cuts a string to a column's width (characters); enrichment is already bounded, this is the last guard. */
function clip(value: string | null, length: number): string | null {
  if (value === null) return null;
  return value.length <= length ? value : value.slice(0, length);
}

export type EventRow = Insertable<EventsTable>;

const MAX_TIME_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
const MAX_AMOUNT = 1e17; // DECIMAL(22,4)

function checkTime(value: number | null, field: string): void {
  if (value !== null && !(Number.isInteger(value) && value >= 0 && value <= MAX_TIME_MS)) {
    throw new RangeError(`${field} ${value} is outside the storable range`);
  }
}

/**
 * The row for an event. Values are range-checked here because MySQL's INSERT IGNORE (our duplicate skip)
 * would otherwise turn an out-of-range value into a clamped one with a warning: an event is stored as sent
 * or not at all (then it fails, and after its retries lands in the dead letters with this reason).
 */
export function toEventRow(
  event: StoredEvent,
  hash: Buffer = messageHash(event.messageId),
  context: { id: number | null; rest: Record<string, unknown> } = { id: null, rest: event.context },
): EventRow {
  checkTime(event.timestampMs, 'timestampMs');
  checkTime(event.receivedAtMs, 'receivedAtMs');
  checkTime(event.sentAtMs, 'sentAtMs');
  if (event.revenue !== null && !(Number.isFinite(event.revenue) && Math.abs(event.revenue) < MAX_AMOUNT)) {
    throw new RangeError(`revenue ${event.revenue} is outside the storable range`);
  }
  const row = {
    store_id: event.storeId,
    message_hash: hash,
    message_id: clip(event.messageId, 255) as string,
    type: event.type,
    event: clip(event.event, 255),
    name: clip(event.name, 255),
    user_id: clip(event.userId, 255),
    anonymous_id: clip(event.anonymousId, 255),
    group_id: clip(event.groupId, 255),
    previous_id: clip(event.previousId, 255),
    session_id: clip(event.sessionId, 255),
    timestamp_ms: event.timestampMs,
    sent_at_ms: event.sentAtMs,
    received_at_ms: event.receivedAtMs,
    path: clip(event.pagePath, 1024),
    page_host: clip(event.pageHost, 255),
    title: clip(event.pageTitle, 512),
    referrer_host: clip(event.referrerHost, 255),
    channel: clip(event.channel, 16),
    utm_source: clip(event.utmSource, 255),
    utm_medium: clip(event.utmMedium, 255),
    utm_campaign: clip(event.utmCampaign, 255),
    utm_term: clip(event.utmTerm, 255),
    utm_content: clip(event.utmContent, 255),
    device_type: clip(event.deviceType, 8),
    browser: clip(event.browser, 64),
    os: clip(event.os, 64),
    country: clip(event.country, 64),
    is_bot: event.isBot ? 1 : 0,
    revenue: event.revenue,
    currency: clip(event.currency, 3),
    order_id: clip(event.orderId, 255),
    traits: json(event.traits),
    context_id: context.id,
    properties: null as string | null,
    context: null as string | null,
    packed: 0,
  };
  // Values the columns already hold are not stored again in the JSON (event-payload-codec.ts). Set on the row
  // rather than spread into a copy: copying a 37-field object cost more than building it.
  const payload = packPayload(row, event.properties, context.rest);
  row.properties = payload.properties;
  row.context = payload.context;
  row.packed = payload.packed;
  return row;
}

/**
 * Rows for events, with the shared part of each context in the dictionary (written and committed before this
 * returns, so the rows may go into any later transaction). `hashes[i]`, when given, is `events[i]`'s
 * message hash. The worker and the seed write every row through this.
 */
export function createEventRowBuilder(database: Database) {
  const contexts = createContextDictionary(database);
  return async (events: readonly StoredEvent[], hashes?: readonly Buffer[]): Promise<EventRow[]> => {
    const splits = events.map((event) => splitContext(event.context));
    const contextIds = new Array<number | null>(events.length).fill(null);
    const positionsByStore = new Map<number, number[]>();
    events.forEach((event, index) => {
      if (splits[index]?.shared === null) return;
      const positions = positionsByStore.get(event.storeId);
      if (positions) positions.push(index);
      else positionsByStore.set(event.storeId, [index]);
    });
    for (const [storeId, positions] of positionsByStore) {
      const ids = await contexts.ids(
        storeId,
        positions.map((index) => ({
          shared: (splits[index] as SplitContext).shared,
          timestampMs: (events[index] as StoredEvent).timestampMs,
        })),
      );
      positions.forEach((index, k) => {
        contextIds[index] = ids[k] ?? null;
      });
    }
    return events.map((event, index) =>
      toEventRow(event, hashes?.[index] ?? storedMessageHash(event), {
        id: contextIds[index] ?? null,
        rest: (splits[index] as SplitContext).rest,
      }),
    );
  };
}

function json(value: Record<string, unknown>): string | null {
  for (const _ in value) return JSON.stringify(value);
  return null;
}

/** The columns an event row writes, in the order `eventRowValues` lists their values. */
export const EVENT_COLUMNS = [
  'store_id',
  'message_hash',
  'message_id',
  'type',
  'event',
  'name',
  'user_id',
  'anonymous_id',
  'group_id',
  'previous_id',
  'session_id',
  'timestamp_ms',
  'sent_at_ms',
  'received_at_ms',
  'path',
  'page_host',
  'title',
  'referrer_host',
  'channel',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'device_type',
  'browser',
  'os',
  'country',
  'is_bot',
  'revenue',
  'currency',
  'order_id',
  'properties',
  'traits',
  'context',
  'packed',
  'context_id',
] as const satisfies readonly (keyof EventRow)[];

/** The columns every row writes: NOT NULL, without a default. */
const REQUIRED_COLUMNS: ReadonlySet<string> = new Set([
  'store_id',
  'message_hash',
  'message_id',
  'type',
  'timestamp_ms',
  'received_at_ms',
]);

/**
 * Every other column's default (0 for the two NOT NULL flags, NULL for the nullable rest): an insert leaves
 * out those all its rows leave at their default. A test holds this to the schema.
 */
export const EVENT_COLUMN_DEFAULTS: ReadonlyMap<string, null | number> = new Map(
  EVENT_COLUMNS.filter((column) => !REQUIRED_COLUMNS.has(column)).map((column) => [
    column,
    column === 'is_bot' || column === 'packed' ? 0 : null,
  ]),
);

export const eventRowValues = (row: EventRow): unknown[] =>
  EVENT_COLUMNS.map((column) => row[column] ?? null);

/** Rough bytes a row adds to an INSERT statement. */
export function rowBytes(row: EventRow): number {
  return 400 + (row.properties?.length ?? 0) + (row.traits?.length ?? 0) + (row.context?.length ?? 0);
}

/** An events row as read, with its dictionary context's text (`sharedContextColumn`). */
export type EventReadRow = Selectable<EventsTable> & { shared_context: string | null };

/** Row → record; the read API and the access export both map events through this one function. */
export const toEventRecord = (row: EventReadRow): EventRecord => {
  const payload = unpackPayload(row, row.properties, row.context, Number(row.packed));
  return { ...payload, context: joinContext(row.shared_context, payload.context), ...recordColumns(row) };
};

const recordColumns = (row: Selectable<EventsTable>) => ({
  traits: row.traits ? (JSON.parse(row.traits) as Record<string, unknown>) : {},
  hash: row.message_hash,
  messageId: row.message_id,
  type: row.type,
  event: row.event,
  name: row.name,
  userId: row.user_id,
  anonymousId: row.anonymous_id,
  groupId: row.group_id,
  previousId: row.previous_id,
  sessionId: row.session_id,
  timestampMs: Number(row.timestamp_ms),
  sentAtMs: row.sent_at_ms === null ? null : Number(row.sent_at_ms),
  receivedAtMs: Number(row.received_at_ms),
  path: row.path,
  pageHost: row.page_host,
  title: row.title,
  referrerHost: row.referrer_host,
  channel: row.channel,
  utmSource: row.utm_source,
  utmMedium: row.utm_medium,
  utmCampaign: row.utm_campaign,
  utmTerm: row.utm_term,
  utmContent: row.utm_content,
  deviceType: row.device_type,
  browser: row.browser,
  os: row.os,
  country: row.country,
  isBot: Boolean(row.is_bot),
  revenue: row.revenue === null ? null : Number(row.revenue),
  currency: row.currency,
  orderId: row.order_id,
});

/**
 * Every column of `events` and the text of its dictionary context: `db.selectFrom('events')` joined with this
 * gives the rows `toEventRecord` reads.
 */
export function selectEventsWithContext<DB extends PipelineTables>(db: Kysely<DB>) {
  const pipelineDb = db as unknown as Kysely<PipelineTables>;
  return pipelineDb
    .selectFrom('events')
    .leftJoin('event_contexts', 'event_contexts.id', 'events.context_id')
    .selectAll('events')
    .select('event_contexts.body as shared_context');
}

export function createEventsRepository(database: Database) {
  const db = (tx?: TransactionHandle) => database.typed<PipelineTables>(tx);
  return {
    /** Which of these message hashes the store already has (hex). */
    async findStoredHashes(storeId: number, hashes: Buffer[], tx?: TransactionHandle): Promise<Set<string>> {
      if (hashes.length === 0) return new Set();
      const rows = await db(tx)
        .selectFrom('events')
        .select('message_hash')
        .where('store_id', '=', storeId)
        .where('message_hash', 'in', hashes)
        .execute();
      return new Set(rows.map((row) => row.message_hash.toString('hex')));
    },

    /**
     * Multi-row insert that skips rows whose (store_id, message_hash) exists: INSERT IGNORE on MySQL, ON
     * CONFLICT DO NOTHING on SQLite (which, unlike INSERT OR IGNORE, still fails on any other constraint).
     * Returns how many rows were inserted.
     */
    async insertIgnoringDuplicates(rows: readonly EventRow[], tx: TransactionHandle): Promise<number> {
      return insertRows(database, tx, 'events', EVENT_COLUMNS, rows.map(eventRowValues), {
        skipConflictsOn: ['store_id', 'message_hash'],
        omitWhenDefault: EVENT_COLUMN_DEFAULTS,
      });
    },

    /**
     * Inserts all the rows when none of them is stored yet and answers true; otherwise changes nothing and
     * answers false (a savepoint undoes the partial insert). The usual batch holds only new events, and then
     * this is the whole write: no read of the unique index before or after.
     */
    async insertIfAllNew(rows: EventRow[], tx: TransactionHandle): Promise<boolean> {
      if (rows.length === 0) return true;
      await sql`SAVEPOINT events_chunk`.execute(db(tx));
      if ((await this.insertIgnoringDuplicates(rows, tx)) === rows.length) return true;
      await sql`ROLLBACK TO SAVEPOINT events_chunk`.execute(db(tx));
      return false;
    },

    async findPosition(storeId: number, hash: Buffer): Promise<EventPosition | null> {
      const row = await db()
        .selectFrom('events')
        .select(['id', 'timestamp_ms'])
        .where('store_id', '=', storeId)
        .where('message_hash', '=', hash)
        .executeTakeFirst();
      return row ? { id: row.id, timestampMs: Number(row.timestamp_ms) } : null;
    },

    /** Newest first (event time, then arrival order), strictly after `after` when given. */
    async list(
      storeId: number,
      filters: EventFilters,
      page: { limit: number; after: EventPosition | null },
    ): Promise<{ records: EventRecord[]; last: EventPosition | null; hasMore: boolean }> {
      let query = selectEventsWithContext(db()).where('events.store_id', '=', storeId);
      if (filters.messageHash) query = query.where('message_hash', '=', filters.messageHash);
      if (filters.userId !== undefined) query = query.where('user_id', '=', filters.userId);
      if (filters.anonymousId !== undefined) query = query.where('anonymous_id', '=', filters.anonymousId);
      if (filters.event !== undefined) query = query.where('event', '=', filters.event);
      if (filters.type !== undefined) query = query.where('type', '=', filters.type);
      if (filters.fromMs !== undefined) query = query.where('timestamp_ms', '>=', filters.fromMs);
      if (filters.toMs !== undefined) query = query.where('timestamp_ms', '<', filters.toMs);
      const after = page.after;
      if (after) {
        query = query.where((eb) =>
          eb.or([
            eb('timestamp_ms', '<', after.timestampMs),
            eb.and([eb('timestamp_ms', '=', after.timestampMs), eb('events.id', '<', after.id)]),
          ]),
        );
      }
      const rows = await query
        .orderBy('timestamp_ms', 'desc')
        .orderBy('events.id', 'desc')
        .limit(page.limit + 1)
        .execute();
      const pageRows = rows.slice(0, page.limit);
      const lastRow = pageRows[pageRows.length - 1];
      return {
        records: pageRows.map(toEventRecord),
        last: lastRow ? { id: lastRow.id, timestampMs: Number(lastRow.timestamp_ms) } : null,
        hasMore: rows.length > page.limit,
      };
    },

    async countByStore(storeId: number): Promise<number> {
      const row = await db()
        .selectFrom('events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('store_id', '=', storeId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

export type EventsRepository = ReturnType<typeof createEventsRepository>;
