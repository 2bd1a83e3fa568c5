// Funnels of plain event steps over the funnel index, in columns: the same counting as `computeFunnel` and
// `cartAbandonment` (funnel.ts), over typed arrays instead of an object per event, so a month of a large
// store's product views (a million rows and more) is counted in tens of milliseconds once it is read.
import type { FunnelCounts } from './funnel.js';

/**
 * One funnel-index row as the repository packs it: event hash, visitor key, session key, cart key (8 bytes
 * each, all zero for none), then the milliseconds since its hour began as 7 ASCII digits.
 */
export const FUNNEL_RECORD_BYTES = 39;
export const FUNNEL_BUCKET_MS = 3_600_000;
const OFFSET_AT = 32;
const OFFSET_DIGITS = 7;

/** Rows of one event name in one hour, packed in (time, event hash) order. */
export interface FunnelChunk {
  bucketMs: number;
  count: number;
  packed: Buffer;
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
      packed.write(String(row.timestampMs - bucketMs).padStart(OFFSET_DIGITS, '0'), at + OFFSET_AT, 'latin1');
    }
    chunks.push({ bucketMs, count: end - start, packed });
    start = end;
  }
  return chunks;
}

/**
 * Dense ids 0, 1, 2, … for 8-byte keys (open addressing over the two 32-bit halves); the all-zero key is
 * "none" (-1). The keys are hashes, so their low bits spread well enough to index the table directly.
 */
export class KeyIds {
  private mask: number;
  private high: Uint32Array;
  private low: Uint32Array;
  private ids: Int32Array;
  size = 0;

  constructor(expected = 1024) {
    let capacity = 1024;
    while (capacity < expected * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.high = new Uint32Array(capacity);
    this.low = new Uint32Array(capacity);
    this.ids = new Int32Array(capacity).fill(-1);
  }

  idOf(buffer: Buffer, at: number): number {
    const high = buffer.readUInt32BE(at);
    const low = buffer.readUInt32BE(at + 4);
    if (high === 0 && low === 0) return -1;
    let slot = (low ^ Math.imul(high, 0x9e3779b1)) & this.mask;
    for (;;) {
      const id = this.ids[slot] as number;
      if (id === -1) break;
      if (this.high[slot] === high && this.low[slot] === low) return id;
      slot = (slot + 1) & this.mask;
    }
    if ((this.size + 1) * 2 > this.mask + 1) {
      this.grow();
      return this.idOf(buffer, at);
    }
    this.high[slot] = high;
    this.low[slot] = low;
    this.ids[slot] = this.size;
    this.size += 1;
    return this.size - 1;
  }

  private grow(): void {
    const { high, low, ids } = this;
    const capacity = (this.mask + 1) * 2;
    this.mask = capacity - 1;
    this.high = new Uint32Array(capacity);
    this.low = new Uint32Array(capacity);
    this.ids = new Int32Array(capacity).fill(-1);
    for (let old = 0; old < ids.length; old++) {
      const id = ids[old] as number;
      if (id === -1) continue;
      let slot = ((low[old] as number) ^ Math.imul(high[old] as number, 0x9e3779b1)) & this.mask;
      while (this.ids[slot] !== -1) slot = (slot + 1) & this.mask;
      this.high[slot] = high[old] as number;
      this.low[slot] = low[old] as number;
      this.ids[slot] = id;
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

function decode(
  chunks: readonly FunnelChunk[],
  keys: { visitor: KeyIds; session: KeyIds; cart: KeyIds },
): Decoded {
  const total = chunks.reduce((sum, chunk) => sum + chunk.count, 0);
  const out: Decoded = {
    timeMs: new Float64Array(total),
    hashHigh: new Uint32Array(total),
    hashLow: new Uint32Array(total),
    visitor: new Int32Array(total),
    session: new Int32Array(total),
    cart: new Int32Array(total),
  };
  let row = 0;
  for (const chunk of chunks) {
    const { packed } = chunk;
    if (packed.length !== chunk.count * FUNNEL_RECORD_BYTES) {
      throw new Error(`funnel chunk of ${chunk.count} rows has ${packed.length} bytes`);
    }
    for (let at = 0; at < packed.length; at += FUNNEL_RECORD_BYTES, row++) {
      let offset = 0;
      for (let d = at + OFFSET_AT; d < at + OFFSET_AT + OFFSET_DIGITS; d++) {
        offset = offset * 10 + ((packed[d] as number) - 48);
      }
      out.timeMs[row] = chunk.bucketMs + offset;
      out.hashHigh[row] = packed.readUInt32BE(at);
      out.hashLow[row] = packed.readUInt32BE(at + 4);
      out.visitor[row] = keys.visitor.idOf(packed, at + 8);
      out.session[row] = keys.session.idOf(packed, at + 16);
      out.cart[row] = keys.cart.idOf(packed, at + 24);
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

/** Decodes each name's chunks (in time order) and merges them into one time order. */
export function funnelColumns(perName: readonly (readonly FunnelChunk[])[]): FunnelColumns {
  const expected = perName.reduce((sum, chunks) => sum + chunks.reduce((s, c) => s + c.count, 0), 0);
  const keys = { visitor: new KeyIds(expected / 2), session: new KeyIds(expected / 2), cart: new KeyIds() };
  const lists = perName.map((chunks) => decode(chunks, keys));
  const length = lists.reduce((sum, list) => sum + list.timeMs.length, 0);
  const columns: FunnelColumns = {
    length,
    timeMs: new Float64Array(length),
    name: new Uint8Array(length),
    visitor: new Int32Array(length),
    session: new Int32Array(length),
    cart: new Int32Array(length),
    visitors: 0,
    sessions: 0,
    carts: 0,
  };
  const next = new Int32Array(lists.length);
  for (let out = 0; out < length; out++) {
    let pick = -1;
    for (let k = 0; k < lists.length; k++) {
      const list = lists[k] as Decoded;
      const at = next[k] as number;
      if (at >= list.timeMs.length) continue;
      if (pick === -1 || before(list, at, lists[pick] as Decoded, next[pick] as number)) pick = k;
    }
    const list = lists[pick] as Decoded;
    const at = next[pick] as number;
    next[pick] = at + 1;
    columns.timeMs[out] = list.timeMs[at] as number;
    columns.name[out] = pick;
    columns.visitor[out] = list.visitor[at] as number;
    columns.session[out] = list.session[at] as number;
    columns.cart[out] = list.cart[at] as number;
  }
  columns.visitors = keys.visitor.size;
  columns.sessions = keys.session.size;
  columns.carts = keys.cart.size;
  return columns;
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

  // Each entity's rows in time order: a counting sort by entity keeps the time order within each.
  const start = new Int32Array(entities + 1);
  for (let i = 0; i < columns.length; i++) {
    const entity = entityOf[i] as number;
    if (entity >= 0 && maskOfName[columns.name[i] as number] !== 0)
      start[entity + 1] = (start[entity + 1] as number) + 1;
  }
  for (let e = 0; e < entities; e++) start[e + 1] = (start[e + 1] as number) + (start[e] as number);
  const fill = start.slice(0, entities);
  const order = new Int32Array(start[entities] as number);
  for (let i = 0; i < columns.length; i++) {
    const entity = entityOf[i] as number;
    if (entity < 0 || maskOfName[columns.name[i] as number] === 0) continue;
    order[fill[entity] as number] = i;
    fill[entity] = (fill[entity] as number) + 1;
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
    if (nextOf.length < stepCount * m) nextOf = new Int32Array(stepCount * m * 2);
    for (let step = 1; step < stepCount; step++) {
      const bit = 1 << step;
      let next = m;
      for (let j = m - 1; j >= 0; j--) {
        nextOf[step * m + j] = next;
        if ((maskOfName[columns.name[order[from + j] as number] as number] as number) & bit) next = j;
      }
    }
    let bestDepth = 0;
    for (let i = 0; i < m; i++) {
      const entry = order[from + i] as number;
      const entryMs = columns.timeMs[entry] as number;
      if (
        ((maskOfName[columns.name[entry] as number] as number) & 1) === 0 ||
        entryMs < fromMs ||
        entryMs >= toMs
      ) {
        continue;
      }
      times[0] = entryMs;
      let depth = 1;
      let position = i;
      for (let step = 1; step < stepCount; step++) {
        const found = nextOf[step * m + position] as number;
        if (found >= m) break;
        const foundMs = columns.timeMs[order[from + found] as number] as number;
        if (foundMs > entryMs + windowMs) break;
        times[depth] = foundMs;
        depth += 1;
        position = found;
      }
      if (depth > bestDepth) {
        bestDepth = depth;
        bestTimes.set(times.subarray(0, depth));
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
  const firstAdd = new Map<number, number>();
  const addVisitor = new Map<number, number>();
  let loose = 0;
  const looseAdds: number[] = [];
  for (let i = 0; i < columns.length; i++) {
    if (columns.name[i] !== addName) continue;
    const at = columns.timeMs[i] as number;
    if (at < fromMs || at >= toMs) continue;
    const cart = columns.cart[i] as number;
    const session = columns.session[i] as number;
    let key: number;
    if (cart >= 0) key = (columns.visitor[i] as number) * (columns.carts + 1) + cart;
    else if (session >= 0) key = -1 - session;
    else {
      loose += 1;
      looseAdds.push(i);
      continue;
    }
    // Rows come in time order: the first seen is the cart's first add.
    if (!firstAdd.has(key)) {
      firstAdd.set(key, at);
      addVisitor.set(key, columns.visitor[i] as number);
    }
  }
  const ordersOf = new Map<number, number[]>();
  for (let i = 0; i < columns.length; i++) {
    if (columns.name[i] !== orderName) continue;
    const visitor = columns.visitor[i] as number;
    const list = ordersOf.get(visitor);
    if (list) list.push(columns.timeMs[i] as number);
    else ordersOf.set(visitor, [columns.timeMs[i] as number]);
  }
  const converted = (visitor: number, at: number) =>
    (ordersOf.get(visitor) ?? []).some((t) => t >= at && t <= at + windowMs);
  let abandoned = 0;
  for (const [key, at] of firstAdd) {
    if (!converted(addVisitor.get(key) as number, at)) abandoned += 1;
  }
  for (const i of looseAdds) {
    if (!converted(columns.visitor[i] as number, columns.timeMs[i] as number)) abandoned += 1;
  }
  return { carts: firstAdd.size + loose, abandoned };
}
