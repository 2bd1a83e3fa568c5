// Funnels of plain event steps over the funnel index, in columns: the same counting as `computeFunnel` and
// `cartAbandonment` (funnel.ts), over typed arrays instead of an object per event, so a month of a large
// store's product views (a million rows and more) is counted in tens of milliseconds once it is read.
import type { FunnelCounts } from './funnel.js';

/**
 * One funnel-index row as the repository packs it: event hash, visitor key, session key, cart key (8 bytes
 * each, all zero for none), then the milliseconds since its chunk's base time, 5 bytes big-endian.
 */
export const FUNNEL_RECORD_BYTES = 37;
export const FUNNEL_BUCKET_MS = 3_600_000;
const OFFSET_AT = 32;

/**
 * Rows of one event name in (time, event hash) order, times as offsets from `bucketMs`: `count` records
 * packed into `packed`, one buffer or several (a database row each) laid end to end.
 */
export interface FunnelChunk {
  bucketMs: number;
  count: number;
  packed: Buffer | readonly Buffer[];
}

/** Packs rows the way the MySQL query does, for the dialects that read them one by one (SQLite). */
export function packFunnelRows(
  rows: readonly {
    timestampMs: number;
    hash: Buffer;
    visitorKey: Buffer;
    sessionKey: Buffer | null;
    cartKey: Buffer | null;
  }[],
): FunnelChunk[] {
  const chunks: FunnelChunk[] = [];
  let start = 0;
  while (start < rows.length) {
    const bucketMs = Math.floor((rows[start]?.timestampMs ?? 0) / FUNNEL_BUCKET_MS) * FUNNEL_BUCKET_MS;
    let end = start;
    while (end < rows.length && (rows[end]?.timestampMs ?? 0) < bucketMs + FUNNEL_BUCKET_MS) end++;
    const packed = Buffer.alloc((end - start) * FUNNEL_RECORD_BYTES);
    for (let i = start; i < end; i++) {
      const row = rows[i] as (typeof rows)[number];
      const at = (i - start) * FUNNEL_RECORD_BYTES;
      row.hash.copy(packed, at, 0, 8);
      row.visitorKey.copy(packed, at + 8, 0, 8);
      row.sessionKey?.copy(packed, at + 16, 0, 8);
      row.cartKey?.copy(packed, at + 24, 0, 8);
      packed.writeUIntBE(row.timestampMs - bucketMs, at + OFFSET_AT, 5);
    }
    chunks.push({ bucketMs, count: end - start, packed });
    start = end;
  }
  return chunks;
}

/**
 * The 32-bit big-endian word at `at`, as a signed integer (`>>> 0` makes it unsigned). By hand rather than
 * `readInt32BE`: it runs three times a row over a million rows, and the bounds-checked call showed in profiles.
 */
function word(buffer: Buffer, at: number): number {
  return (
    ((buffer[at] as number) << 24) |
    ((buffer[at + 1] as number) << 16) |
    ((buffer[at + 2] as number) << 8) |
    (buffer[at + 3] as number)
  );
}

/**
 * Rows grouped by a dense key, each group in row order (a counting sort): group k's rows are
 * `rows[start[k]]` up to `rows[start[k + 1]]`. Rows whose key is negative, or that `take` refuses, are left out.
 */
function groupRows(
  keyOf: Int32Array,
  keys: number,
  length: number,
  take: (row: number) => boolean,
): { start: Int32Array; rows: Int32Array } {
  const start = new Int32Array(keys + 1);
  for (let i = 0; i < length; i++) {
    const key = keyOf[i] as number;
    if (key >= 0 && take(i)) start[key + 1] = (start[key + 1] as number) + 1;
  }
  for (let k = 0; k < keys; k++) start[k + 1] = (start[k + 1] as number) + (start[k] as number);
  const fill = start.slice(0, keys);
  const rows = new Int32Array(start[keys] as number);
  for (let i = 0; i < length; i++) {
    const key = keyOf[i] as number;
    if (key < 0 || !take(i)) continue;
    rows[fill[key] as number] = i;
    fill[key] = (fill[key] as number) + 1;
  }
  return { start, rows };
}

/**
 * Dense ids 0, 1, 2, … for 8-byte keys (open addressing; a slot holds both 32-bit halves and the id side by
 * side, so a lookup touches one cache line); the all-zero key is "none" (-1). The keys are hashes, so their
 * low bits spread well enough to index the table directly.
 */
export class KeyIds {
  private mask: number;
  /** Per slot: high half, low half, id + 1 (0: empty). */
  private table: Int32Array;
  size = 0;

  constructor(expected = 1024) {
    let capacity = 1024;
    while (capacity < expected * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.table = new Int32Array(capacity * 3);
  }

  idOf(buffer: Buffer, at: number): number {
    const high = word(buffer, at);
    const low = word(buffer, at + 4);
    if (high === 0 && low === 0) return -1;
    const table = this.table;
    let slot = this.slotOf(high, low);
    for (;;) {
      const base = slot * 3;
      const stored = table[base + 2] as number;
      if (stored === 0) break;
      if (table[base] === high && table[base + 1] === low) return stored - 1;
      slot = (slot + 1) & this.mask;
    }
    if ((this.size + 1) * 2 > this.mask + 1) {
      this.grow();
      return this.idOf(buffer, at);
    }
    const base = slot * 3;
    table[base] = high;
    table[base + 1] = low;
    this.size += 1;
    table[base + 2] = this.size;
    return this.size - 1;
  }

  private slotOf(high: number, low: number): number {
    return (low ^ Math.imul(high, 0x9e3779b1)) & this.mask;
  }

  private grow(): void {
    const old = this.table;
    // Four times larger: a month of a large store's visitors is a few rehashes from a small start.
    const capacity = (this.mask + 1) * 4;
    this.mask = capacity - 1;
    this.table = new Int32Array(capacity * 3);
    for (let base = 0; base < old.length; base += 3) {
      if (old[base + 2] === 0) continue;
      const high = old[base] as number;
      const low = old[base + 1] as number;
      let slot = this.slotOf(high, low);
      while (this.table[slot * 3 + 2] !== 0) slot = (slot + 1) & this.mask;
      this.table[slot * 3] = high;
      this.table[slot * 3 + 1] = low;
      this.table[slot * 3 + 2] = old[base + 2] as number;
    }
  }
}

/** The funnel-index rows of several event names, merged into one time order (ties by event hash). */
export interface FunnelColumns {
  length: number;
  timeMs: Float64Array;
  /** Position of the row's event name in the list the columns were built from. */
  name: Uint8Array;
  visitor: Int32Array;
  /** -1: no session. */
  session: Int32Array;
  /** -1: no cart id. */
  cart: Int32Array;
  visitors: number;
  sessions: number;
  carts: number;
}

interface Decoded {
  timeMs: Float64Array;
  hashHigh: Uint32Array;
  hashLow: Uint32Array;
  visitor: Int32Array;
  session: Int32Array;
  cart: Int32Array;
}

function emptyDecoded(total: number): Decoded {
  return {
    timeMs: new Float64Array(total),
    hashHigh: new Uint32Array(total),
    hashLow: new Uint32Array(total),
    visitor: new Int32Array(total),
    session: new Int32Array(total),
    cart: new Int32Array(total),
  };
}

function decode(
  chunks: readonly FunnelChunk[],
  keys: { visitor: KeyIds; session: KeyIds; cart: KeyIds },
): Decoded {
  const total = chunks.reduce((sum, chunk) => sum + chunk.count, 0);
  const out = emptyDecoded(total);
  let row = 0;
  for (const chunk of chunks) {
    const buffers = Buffer.isBuffer(chunk.packed) ? [chunk.packed] : chunk.packed;
    const bytes = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
    if (
      bytes !== chunk.count * FUNNEL_RECORD_BYTES ||
      buffers.some((b) => b.length % FUNNEL_RECORD_BYTES !== 0)
    ) {
      throw new Error(`funnel chunk of ${chunk.count} rows has ${bytes} bytes`);
    }
    for (const packed of buffers) {
      for (let at = 0; at < packed.length; at += FUNNEL_RECORD_BYTES, row++) {
        const t = at + OFFSET_AT;
        out.timeMs[row] =
          chunk.bucketMs + (packed[t] as number) * 4_294_967_296 + (word(packed, t + 1) >>> 0);
        // Stored unsigned: the hashes compare as their bytes do.
        out.hashHigh[row] = word(packed, at);
        out.hashLow[row] = word(packed, at + 4);
        out.visitor[row] = keys.visitor.idOf(packed, at + 8);
        out.session[row] = keys.session.idOf(packed, at + 16);
        out.cart[row] = keys.cart.idOf(packed, at + 24);
      }
    }
  }
  return out;
}

/** `a` before `b`: earlier, or at the same millisecond with the smaller event hash. */
function before(a: Decoded, i: number, b: Decoded, j: number): boolean {
  const ta = a.timeMs[i] as number;
  const tb = b.timeMs[j] as number;
  if (ta !== tb) return ta < tb;
  const ha = a.hashHigh[i] as number;
  const hb = b.hashHigh[j] as number;
  if (ha !== hb) return ha < hb;
  return (a.hashLow[i] as number) < (b.hashLow[j] as number);
}

/**
 * Builds funnel columns as the reads arrive: `decode` a read's chunks as soon as it is back (ids are shared
 * by all reads), then `build` from each name's decoded parts, in time order.
 */
export class FunnelColumnsBuilder {
  private keys = { visitor: new KeyIds(1 << 16), session: new KeyIds(1 << 16), cart: new KeyIds() };

  decode(chunks: readonly FunnelChunk[]): DecodedPart {
    return decode(chunks, this.keys);
  }

  /** `perName[k]`: name k's decoded parts, in time order. */
  build(perName: readonly (readonly DecodedPart[])[]): FunnelColumns {
    const lists = perName.map(concatParts);
    const length = lists.reduce((sum, list) => sum + list.timeMs.length, 0);
    const columns: FunnelColumns = {
      length,
      timeMs: new Float64Array(length),
      name: new Uint8Array(length),
      visitor: new Int32Array(length),
      session: new Int32Array(length),
      cart: new Int32Array(length),
      visitors: this.keys.visitor.size,
      sessions: this.keys.session.size,
      carts: this.keys.cart.size,
    };
    const next = new Int32Array(lists.length);
    // Each list's next time (Infinity when done): the pick compares times and only looks at hashes on ties.
    const heads = new Float64Array(lists.length);
    lists.forEach((list, k) => {
      heads[k] = list.timeMs.length > 0 ? (list.timeMs[0] as number) : Number.POSITIVE_INFINITY;
    });
    for (let out = 0; out < length; out++) {
      let pick = 0;
      for (let k = 1; k < lists.length; k++) {
        const head = heads[k] as number;
        const best = heads[pick] as number;
        if (
          head < best ||
          (head === best &&
            head !== Number.POSITIVE_INFINITY &&
            before(lists[k] as Decoded, next[k] as number, lists[pick] as Decoded, next[pick] as number))
        ) {
          pick = k;
        }
      }
      const list = lists[pick] as Decoded;
      const at = next[pick] as number;
      next[pick] = at + 1;
      heads[pick] = at + 1 < list.timeMs.length ? (list.timeMs[at + 1] as number) : Number.POSITIVE_INFINITY;
      columns.timeMs[out] = list.timeMs[at] as number;
      columns.name[out] = pick;
      columns.visitor[out] = list.visitor[at] as number;
      columns.session[out] = list.session[at] as number;
      columns.cart[out] = list.cart[at] as number;
    }
    return columns;
  }
}

/** One read's rows, decoded (an opaque part for `FunnelColumnsBuilder.build`). */
export type DecodedPart = Decoded;

function concatParts(parts: readonly Decoded[]): Decoded {
  if (parts.length === 1) return parts[0] as Decoded;
  const total = parts.reduce((sum, part) => sum + part.timeMs.length, 0);
  const out = emptyDecoded(total);
  let at = 0;
  for (const part of parts) {
    out.timeMs.set(part.timeMs, at);
    out.hashHigh.set(part.hashHigh, at);
    out.hashLow.set(part.hashLow, at);
    out.visitor.set(part.visitor, at);
    out.session.set(part.session, at);
    out.cart.set(part.cart, at);
    at += part.timeMs.length;
  }
  return out;
}

/** Decodes each name's chunks (in time order) and merges them into one time order. */
export function funnelColumns(perName: readonly (readonly FunnelChunk[])[]): FunnelColumns {
  const builder = new FunnelColumnsBuilder();
  return builder.build(perName.map((chunks) => [builder.decode(chunks)]));
}

/**
 * `computeFunnel` (funnel.ts) over columns, for steps that each name one event: `stepNames[k]` is the
 * position of step k's event name in the columns' name list. Each entity's (visitor's or session's) entries
 * into step 1 inside the period are followed greedily within the window; its deepest attempt counts, the
 * earliest among equals.
 */
export function countFunnelColumns(input: {
  columns: FunnelColumns;
  stepNames: readonly number[];
  by: 'visitor' | 'session';
  windowMs: number;
  fromMs: number;
  toMs: number;
}): FunnelCounts {
  const { columns, stepNames, windowMs, fromMs, toMs } = input;
  const stepCount = stepNames.length;
  const maskOfName = new Int32Array(256);
  stepNames.forEach((name, step) => {
    maskOfName[name] = (maskOfName[name] as number) | (1 << step);
  });
  const entityOf = input.by === 'visitor' ? columns.visitor : columns.session;
  const entities = input.by === 'visitor' ? columns.visitors : columns.sessions;
  const maskOf = new Int32Array(columns.length);
  for (let i = 0; i < columns.length; i++) maskOf[i] = maskOfName[columns.name[i] as number] as number;

  // Each entity's rows in time order (grouping keeps the order within each), their times and step masks
  // side by side.
  const { start, rows } = groupRows(entityOf, entities, columns.length, (i) => maskOf[i] !== 0);
  const memberMs = new Float64Array(rows.length);
  const memberMask = new Int32Array(rows.length);
  for (let j = 0; j < rows.length; j++) {
    const i = rows[j] as number;
    memberMs[j] = columns.timeMs[i] as number;
    memberMask[j] = maskOf[i] as number;
  }

  const counts: FunnelCounts = {
    entities: new Array<number>(stepCount).fill(0),
    stepTimesMs: Array.from({ length: stepCount }, () => []),
    convertTimesMs: [],
  };
  // nextOf[step * m + j]: the first member after member j that matches the step (m when none), per entity.
  let nextOf = new Int32Array(1024);
  const times = new Float64Array(stepCount);
  const bestTimes = new Float64Array(stepCount);
  for (let e = 0; e < entities; e++) {
    const from = start[e] as number;
    const m = (start[e + 1] as number) - from;
    if (m === 0) continue;
    let union = 0;
    let enters = false;
    for (let j = from; j < from + m; j++) {
      const mask = memberMask[j] as number;
      union |= mask;
      if (mask & 1) {
        const at = memberMs[j] as number;
        if (at >= fromMs && at < toMs) enters = true;
      }
    }
    if (!enters) continue;
    if ((union & ~1) === 0) {
      // Step 1 only (most entities): it entered, and went no further.
      counts.entities[0] = (counts.entities[0] as number) + 1;
      if (stepCount === 1) counts.convertTimesMs.push(0);
      continue;
    }
    if (nextOf.length < stepCount * m) nextOf = new Int32Array(stepCount * m * 2);
    for (let step = 1; step < stepCount; step++) {
      const bit = 1 << step;
      let next = m;
      for (let j = m - 1; j >= 0; j--) {
        nextOf[step * m + j] = next;
        if ((memberMask[from + j] as number) & bit) next = j;
      }
    }
    let bestDepth = 0;
    for (let i = 0; i < m; i++) {
      const entryMs = memberMs[from + i] as number;
      if (((memberMask[from + i] as number) & 1) === 0 || entryMs < fromMs || entryMs >= toMs) continue;
      times[0] = entryMs;
      let depth = 1;
      let position = i;
      for (let step = 1; step < stepCount; step++) {
        const found = nextOf[step * m + position] as number;
        if (found >= m) break;
        const foundMs = memberMs[from + found] as number;
        if (foundMs > entryMs + windowMs) break;
        times[depth] = foundMs;
        depth += 1;
        position = found;
      }
      if (depth > bestDepth) {
        bestDepth = depth;
        for (let k = 0; k < depth; k++) bestTimes[k] = times[k] as number;
      }
      if (bestDepth === stepCount) break;
    }
    for (let step = 0; step < bestDepth; step++) {
      counts.entities[step] = (counts.entities[step] as number) + 1;
      if (step > 0)
        counts.stepTimesMs[step]?.push((bestTimes[step] as number) - (bestTimes[step - 1] as number));
    }
    if (bestDepth === stepCount) {
      counts.convertTimesMs.push((bestTimes[stepCount - 1] as number) - (bestTimes[0] as number));
    }
  }
  return counts;
}

/**
 * `cartAbandonment` (funnel.ts) over columns: a cart is a visitor's cart id, else the session, else the add
 * itself; it starts with its first add inside the period and is abandoned unless the same visitor completes
 * an order within the window after that add.
 */
export function cartAbandonmentColumns(input: {
  columns: FunnelColumns;
  addName: number;
  orderName: number;
  windowMs: number;
  fromMs: number;
  toMs: number;
}): { carts: number; abandoned: number } {
  const { columns, addName, orderName, windowMs, fromMs, toMs } = input;
  // Each visitor's orders, in time order.
  const orders = groupRows(
    columns.visitor,
    columns.visitors,
    columns.length,
    (i) => columns.name[i] === orderName,
  );
  const converted = (visitor: number, at: number) => {
    for (let k = orders.start[visitor] as number; k < (orders.start[visitor + 1] as number); k++) {
      const t = columns.timeMs[orders.rows[k] as number] as number;
      if (t >= at && t <= at + windowMs) return true;
    }
    return false;
  };
  // A cart is a visitor's cart id, else the session, else the add itself. Rows come in time order, so the
  // first add of a cart seen is its first add.
  const cartSeen = new Set<number>();
  const sessionSeen = new Uint8Array(columns.sessions);
  let carts = 0;
  let abandoned = 0;
  for (let i = 0; i < columns.length; i++) {
    if (columns.name[i] !== addName) continue;
    const at = columns.timeMs[i] as number;
    if (at < fromMs || at >= toMs) continue;
    const visitor = columns.visitor[i] as number;
    const cart = columns.cart[i] as number;
    const session = columns.session[i] as number;
    if (cart >= 0) {
      const key = visitor * (columns.carts + 1) + cart;
      if (cartSeen.has(key)) continue;
      cartSeen.add(key);
    } else if (session >= 0) {
      if (sessionSeen[session] === 1) continue;
      sessionSeen[session] = 1;
    }
    carts += 1;
    if (!converted(visitor, at)) abandoned += 1;
  }
  return { carts, abandoned };
}
