// Funnels over raw events: ordered steps, a conversion window, per-step visitors and sessions, drop-off,
// time to convert, and cart abandonment. Pure: the service reads the events, this counts them.

/** One step: a track event by name or a page view by path, optionally with property values to match. */
export interface FunnelStep {
  event?: string;
  page?: string;
  properties?: Record<string, string | number | boolean>;
}

export interface FunnelEvent {
  timestampMs: number;
  hash: string;
  type: string;
  event: string | null;
  path: string | null;
  visitorKey: string;
  sessionKey: string | null;
  properties: () => Record<string, unknown>;
}

export const CHECKOUT_FUNNEL: readonly FunnelStep[] = [
  { event: 'Product Viewed' },
  { event: 'Product Added' },
  { event: 'Checkout Started' },
  { event: 'Order Completed' },
];

function sameValue(actual: unknown, expected: string | number | boolean): boolean {
  if (actual === expected) return true;
  // Ids arrive as numbers from some shops and strings from others: `42` matches "42".
  return (typeof actual === 'number' || typeof actual === 'string') && String(actual) === String(expected);
}

/** A step's property filter matches a top-level property, or for product keys any item of `products`. */
export function matchesStep(step: FunnelStep, event: FunnelEvent): boolean {
  if (step.page !== undefined) {
    if (event.type !== 'page' || event.path !== step.page) return false;
  } else if (event.type !== 'track' || event.event !== step.event) {
    return false;
  }
  const expected = step.properties;
  if (expected === undefined) return true;
  const properties = event.properties();
  for (const [key, value] of Object.entries(expected)) {
    if (sameValue(properties[key], value)) continue;
    const items = properties.products;
    if (!Array.isArray(items)) return false;
    const inItems = items.some(
      (item) =>
        typeof item === 'object' && item !== null && sameValue((item as Record<string, unknown>)[key], value),
    );
    if (!inItems) return false;
  }
  return true;
}

interface Attempt {
  depth: number;
  times: number[];
  entry: FunnelEvent;
}

/**
 * The furthest one entity (a visitor or a session) gets: each entry into step 1 inside the period is
 * followed greedily (the first matching event of each next step, not before the previous one, within the
 * window from the entry); the deepest attempt wins, the earliest among equals. `members` are positions in
 * `events` (time order), `masks` the steps each event matches, one bit per step.
 */
function bestAttempt(
  events: readonly FunnelEvent[],
  masks: Int32Array,
  members: readonly number[],
  stepCount: number,
  windowMs: number,
  fromMs: number,
  toMs: number,
): Attempt | null {
  let best: Attempt | null = null;
  for (let i = 0; i < members.length; i++) {
    const entryIndex = members[i] as number;
    const entry = events[entryIndex] as FunnelEvent;
    if (((masks[entryIndex] ?? 0) & 1) === 0 || entry.timestampMs < fromMs || entry.timestampMs >= toMs)
      continue;
    const times = [entry.timestampMs];
    let position = i;
    for (let step = 1; step < stepCount; step++) {
      const bit = 1 << step;
      let found = -1;
      for (let j = position + 1; j < members.length; j++) {
        const index = members[j] as number;
        const candidate = events[index] as FunnelEvent;
        if (candidate.timestampMs > entry.timestampMs + windowMs) break;
        if ((masks[index] as number) & bit) {
          found = j;
          break;
        }
      }
      if (found < 0) break;
      position = found;
      times.push((events[members[found] as number] as FunnelEvent).timestampMs);
    }
    if (best === null || times.length > best.depth) best = { depth: times.length, times, entry };
    if (best.depth === stepCount) break;
  }
  return best;
}

export interface FunnelCounts {
  entities: number[];
  /** Per step: time from the previous step, ms, of the entities that reached it (step 0: empty). */
  stepTimesMs: number[][];
  /** Time from step 1 to the last step of entities that completed the funnel. */
  convertTimesMs: number[];
}

export interface FunnelResult {
  total: FunnelCounts;
  breakdown: Map<string, FunnelCounts>;
}

function emptyCounts(stepCount: number): FunnelCounts {
  return {
    entities: new Array<number>(stepCount).fill(0),
    stepTimesMs: Array.from({ length: stepCount }, () => []),
    convertTimesMs: [],
  };
}

function addAttempt(counts: FunnelCounts, attempt: Attempt, stepCount: number): void {
  for (let step = 0; step < attempt.depth; step++) {
    counts.entities[step] = (counts.entities[step] ?? 0) + 1;
    if (step > 0) counts.stepTimesMs[step]?.push((attempt.times[step] ?? 0) - (attempt.times[step - 1] ?? 0));
  }
  if (attempt.depth === stepCount) {
    counts.convertTimesMs.push((attempt.times[stepCount - 1] ?? 0) - (attempt.times[0] ?? 0));
  }
}

/**
 * Counts a funnel by visitor or by session; `breakdownOf` names the group of an entity by its entry event.
 * `events` must be in time order (ties by hash).
 */
export function computeFunnel(input: {
  steps: readonly FunnelStep[];
  events: readonly FunnelEvent[];
  by: 'visitor' | 'session';
  windowMs: number;
  fromMs: number;
  toMs: number;
  breakdownOf?: (entry: FunnelEvent) => string;
}): FunnelResult {
  const stepCount = input.steps.length;
  const masks = stepMasks(input.steps, input.events);
  const groups = new Map<string, number[]>();
  input.events.forEach((event, index) => {
    if (masks[index] === 0) return;
    const key = input.by === 'visitor' ? event.visitorKey : event.sessionKey;
    if (key === null) return;
    const list = groups.get(key);
    if (list) list.push(index);
    else groups.set(key, [index]);
  });
  const total = emptyCounts(stepCount);
  const breakdown = new Map<string, FunnelCounts>();
  for (const members of groups.values()) {
    const attempt = bestAttempt(
      input.events,
      masks,
      members,
      stepCount,
      input.windowMs,
      input.fromMs,
      input.toMs,
    );
    if (attempt === null) continue;
    addAttempt(total, attempt, stepCount);
    if (input.breakdownOf) {
      const value = input.breakdownOf(attempt.entry);
      let counts = breakdown.get(value);
      if (!counts) {
        counts = emptyCounts(stepCount);
        breakdown.set(value, counts);
      }
      addAttempt(counts, attempt, stepCount);
    }
  }
  return { total, breakdown };
}

/** Which steps each event matches, one bit per step; plain event steps are matched by name alone. */
function stepMasks(steps: readonly FunnelStep[], events: readonly FunnelEvent[]): Int32Array {
  const masks = new Int32Array(events.length);
  const plain = steps.every((step) => step.page === undefined && step.properties === undefined);
  if (plain) {
    const byName = new Map<string, number>();
    steps.forEach((step, k) => {
      byName.set(step.event as string, (byName.get(step.event as string) ?? 0) | (1 << k));
    });
    events.forEach((event, index) => {
      masks[index] = event.type === 'track' && event.event !== null ? (byName.get(event.event) ?? 0) : 0;
    });
    return masks;
  }
  events.forEach((event, index) => {
    let mask = 0;
    steps.forEach((step, k) => {
      if (matchesStep(step, event)) mask |= 1 << k;
    });
    masks[index] = mask;
  });
  return masks;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  // A typed array sorts numbers natively, several times faster than a compare callback on a funnel's
  // hundred thousand step times.
  const sorted = Float64Array.from(values).sort();
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : Math.round(((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2);
}

/**
 * Cart abandonment, once per cart: a cart is `properties.cart_id` of a Product Added, else the session it
 * happened in; it starts with its first add inside the period and is abandoned unless the same visitor
 * completes an order within the window after that add.
 */
export function cartAbandonment(input: {
  adds: readonly FunnelEvent[];
  orders: readonly FunnelEvent[];
  windowMs: number;
  fromMs: number;
  toMs: number;
}): { carts: number; abandoned: number } {
  const carts = new Map<string, FunnelEvent>();
  for (const add of input.adds) {
    if (add.timestampMs < input.fromMs || add.timestampMs >= input.toMs) continue;
    const cartId = add.properties().cart_id;
    const key =
      typeof cartId === 'string' || typeof cartId === 'number'
        ? `c:${add.visitorKey}:${String(cartId)}`
        : add.sessionKey !== null
          ? `s:${add.sessionKey}`
          : `v:${add.visitorKey}:${add.hash}`;
    const first = carts.get(key);
    if (!first || add.timestampMs < first.timestampMs) carts.set(key, add);
  }
  const ordersByVisitor = new Map<string, number[]>();
  for (const order of input.orders) {
    const list = ordersByVisitor.get(order.visitorKey);
    if (list) list.push(order.timestampMs);
    else ordersByVisitor.set(order.visitorKey, [order.timestampMs]);
  }
  let abandoned = 0;
  for (const add of carts.values()) {
    const times = ordersByVisitor.get(add.visitorKey) ?? [];
    const converted = times.some((t) => t >= add.timestampMs && t <= add.timestampMs + input.windowMs);
    if (!converted) abandoned += 1;
  }
  return { carts: carts.size, abandoned };
}
