import { hash as digest } from 'node:crypto';
import { sql } from 'kysely';
import { insertRows } from '../../platform/db/bulk-insert.js';
import type { Database } from '../../platform/db/database.js';
import type { PipelineTables } from './pipeline.tables.js';

/**
 * The context dictionary. Most of an event's `context` describes the device and the tracker — user agent,
 * library, locale, time zone, screen, OS, app — and repeats unchanged on every event a browser sends: it was a
 * third of an events row (~230 of ~680 bytes). That part is stored once per store in `event_contexts` and the
 * event keeps its id; the rest (IP, page, campaign, session, custom keys) stays in the event's own `context`.
 *
 * Only keys that describe a kind of device, never a person, are shared: `device` (it carries device and
 * advertising ids) and `ip` stay with the event, so erasing a person's events leaves nothing of theirs here.
 *
 * Rows are written outside the batch's transaction (a rolled-back batch must not leave a cached id pointing at
 * nothing) and are never changed, except `last_event_ms`: an upper bound of the time of every event that refers
 * to the row, so retention can delete the rows no kept event can refer to.
 */
export const SHARED_CONTEXT_KEYS: ReadonlySet<string> = new Set([
  'userAgent',
  'userAgentData',
  'library',
  'locale',
  'timezone',
  'screen',
  'os',
  'app',
  'network',
  'channel',
]);

type Json = Record<string, unknown>;

export interface SplitContext {
  /** The shared part as stored (JSON text), or null when the context has none of the shared keys. */
  shared: string | null;
  /** What stays with the event. */
  rest: Json;
}

/** Splits a context into its shared part and the event's own part (in the context's key order). */
export function splitContext(context: Json): SplitContext {
  let shared: Json | null = null;
  const rest: Json = {};
  for (const key in context) {
    if (!SHARED_CONTEXT_KEYS.has(key)) rest[key] = context[key];
    else if (shared === null) shared = { [key]: context[key] };
    else shared[key] = context[key];
  }
  return shared === null ? { shared: null, rest: context } : { shared: JSON.stringify(shared), rest };
}

/** The event's context again: the shared part's keys, then its own. */
export function joinContext(sharedText: string | null, rest: Json): Json {
  if (sharedText === null) return rest;
  return { ...(JSON.parse(sharedText) as Json), ...rest };
}

const DAY_MS = 86_400_000;

/** `last_event_ms` is kept a day or two ahead of the events, so it changes about once a day per row. */
function coverUntil(timestampMs: number): number {
  return (Math.floor(timestampMs / DAY_MS) + 2) * DAY_MS;
}

interface Known {
  id: number;
  coveredUntilMs: number;
}

/** How many (store, context) ids a process remembers; past this the memory starts over. */
const CACHE_LIMIT = 50_000;

export type ContextDictionary = ReturnType<typeof createContextDictionary>;

export function createContextDictionary(database: Database) {
  const db = () => database.typed<PipelineTables>();
  const known = new Map<string, Known>();
  const remember = (key: string, value: Known) => {
    if (known.size >= CACHE_LIMIT) known.clear();
    known.set(key, value);
  };

  /** Inserts the missing rows, then reads every asked row's id and coverage. */
  async function fetch(
    storeId: number,
    wanted: Map<string, { text: string; hash: Buffer; untilMs: number }>,
    resolved: Map<string, number>,
  ): Promise<void> {
    const values = [...wanted.values()].map((item) => ({
      store_id: storeId,
      hash: item.hash,
      body: item.text,
      last_event_ms: item.untilMs,
    }));
    // Autocommit, outside any batch transaction (see above); a row another worker wrote meanwhile is kept.
    await insertRows(
      database,
      undefined,
      'event_contexts',
      ['store_id', 'hash', 'body', 'last_event_ms'],
      values.map((v) => [v.store_id, v.hash, v.body, v.last_event_ms]),
      { skipConflictsOn: ['store_id', 'hash'] },
    );
    const hashes = values.map((v) => v.hash);
    const rows: { id: number; hash: Buffer; last_event_ms: number | string }[] = [];
    for (let i = 0; i < hashes.length; i += 500) {
      rows.push(
        ...(await db()
          .selectFrom('event_contexts')
          .select(['id', 'hash', 'last_event_ms'])
          .where('store_id', '=', storeId)
          .where('hash', 'in', hashes.slice(i, i + 500))
          .execute()),
      );
    }
    for (const row of rows) {
      const key = `${storeId}:${row.hash.toString('hex')}`;
      const item = wanted.get(key);
      if (!item) continue;
      let coveredUntilMs = Number(row.last_event_ms);
      if (coveredUntilMs < item.untilMs) {
        // Gone between the read and now: retention took it. The caller's retry writes it anew.
        if (!(await extend(Number(row.id), item.untilMs)))
          throw new Error('event context was deleted meanwhile');
        coveredUntilMs = item.untilMs;
      }
      remember(key, { id: Number(row.id), coveredUntilMs });
      resolved.set(key, Number(row.id));
    }
  }

  /** Raises a row's coverage; false when the row is gone (retention took it meanwhile). */
  async function extend(id: number, untilMs: number): Promise<boolean> {
    const greatest = database.dialect === 'mysql' ? sql`greatest` : sql`max`;
    const result = await db()
      .updateTable('event_contexts')
      .set({ last_event_ms: sql<number>`${greatest}(last_event_ms, ${untilMs})` })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  return {
    /**
     * The dictionary id of each shared context text (null stays null), for events of the given times: the
     * rows exist and cover those times before this returns. `items[i]` answers `ids[i]`.
     */
    async ids(storeId: number, items: readonly { shared: string | null; timestampMs: number }[]) {
      const ids: (number | null)[] = new Array<number | null>(items.length).fill(null);
      const keys: (string | null)[] = new Array<string | null>(items.length).fill(null);
      const wanted = new Map<string, { text: string; hash: Buffer; untilMs: number }>();
      const stale = new Map<string, { cached: Known; untilMs: number }>();
      const resolved = new Map<string, number>();
      const hashes = new Map<string, Buffer>();
      for (let i = 0; i < items.length; i++) {
        const item = items[i] as { shared: string | null; timestampMs: number };
        if (item.shared === null) continue;
        let hash = hashes.get(item.shared);
        if (!hash) {
          hash = digest('sha256', item.shared, 'buffer').subarray(0, 16);
          hashes.set(item.shared, hash);
        }
        const key = `${storeId}:${hash.toString('hex')}`;
        keys[i] = key;
        const untilMs = coverUntil(item.timestampMs);
        const cached = known.get(key);
        if (cached && cached.coveredUntilMs >= untilMs) {
          resolved.set(key, cached.id);
          continue;
        }
        if (cached) {
          stale.set(key, { cached, untilMs: Math.max(stale.get(key)?.untilMs ?? 0, untilMs) });
        } else {
          const entry = wanted.get(key);
          if (entry) entry.untilMs = Math.max(entry.untilMs, untilMs);
          else wanted.set(key, { text: item.shared, hash, untilMs });
        }
      }
      for (const [key, { cached, untilMs }] of stale) {
        if (await extend(cached.id, untilMs)) {
          cached.coveredUntilMs = untilMs;
          resolved.set(key, cached.id);
        } else {
          known.delete(key);
          const index = keys.indexOf(key);
          const item = items[index] as { shared: string };
          wanted.set(key, { text: item.shared, hash: hashes.get(item.shared) as Buffer, untilMs });
        }
      }
      if (wanted.size > 0) await fetch(storeId, wanted, resolved);
      for (let i = 0; i < items.length; i++) {
        const key = keys[i];
        if (key === null || key === undefined) continue;
        const id = resolved.get(key);
        if (id === undefined) throw new Error('event context was not stored');
        ids[i] = id;
      }
      return ids;
    },
  };
}
