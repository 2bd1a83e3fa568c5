// The core tracker: event building, identity, session, consent and delivery. It runs in the page, so
// every byte counts (core build ≤ 2.5 KB min+gzip): prefer plain loops and short paths over abstraction,
// and keep the logic worth testing in Node in the pure modules next to this file.
import type { ConsentState, FootfallCore, Properties } from '../footfall.js';
import { backoffMs, parseRetryAfter } from './backoff.js';
import { type Campaign, type ClickIds, readCampaign } from './campaign.js';
import { boundQueue, byteLength, chunkBatch } from './queue.js';
import { uuid } from './uuid.js';

declare const __FOOTFALL_VERSION__: string;

/** The script tag's `data-*` attributes (its `dataset`), with `api` already defaulted by the loader. */
export interface TrackerOptions {
  writeKey?: string;
  /** Origin (optionally with a path prefix) that serves `/v1/batch`, without a trailing slash. */
  api: string;
  /** `granted` (default), `pending` or `denied`. */
  consent?: string;
  /** Present (and not "false"): no persistent id; everything lives in sessionStorage, dying with the tab. */
  cookieless?: string;
  /** Present (and not "false"): GPC or DNT make the tracker behave as `denied`, whatever consent() says. */
  respectDnt?: string;
  /** "false" turns automatic page views off. */
  autoPage?: string;
}

export interface PageContext {
  path: string;
  url: string;
  referrer: string;
  title: string;
  search: string;
}

export interface TrackerEvent {
  type: 'track' | 'page' | 'identify';
  messageId: string;
  timestamp: string;
  event?: string;
  name?: string;
  properties?: Properties;
  traits?: Properties;
  userId?: string;
  anonymousId?: string;
  context: {
    library: { name: string; version: string; dropped?: number };
    page: PageContext;
    userAgent: string;
    locale: string;
    screen: { width: number; height: number };
    timezone: string;
  } & Partial<SessionContext>;
}

/** What a session adds to the context of each of its events. */
interface SessionContext {
  sessionId: string;
  campaign?: Campaign;
  clickIds?: ClickIds;
  /** The session's landing referrer (document.referrer of its first page), when there is one. */
  referrer?: { url: string };
}

/** What is persisted under `ff_s`; one-letter keys because they are also bytes in the bundle. */
interface StoredState {
  /** anonymous id */ a?: string;
  /** user id */ u?: string;
  /** the current session */ s?: SessionContext;
  /** last activity of the session, epoch ms */ t?: number;
  /** no sends before this time (Retry-After), epoch ms */ p?: number;
  /** events dropped by queue bounds and not yet reported */ d?: number;
}

export type Tracker = FootfallCore & { start(): void };

const SESSION_MS = 30 * 60_000;
const FLUSH_DELAY_MS = 1000;
const FLUSH_AT_EVENTS = 10;
const MAX_QUEUE_EVENTS = 1000;
const MAX_QUEUE_CHARS = 500_000;
/** The server refuses events over 32 KB; refusing them here keeps them from blocking the queue. */
const MAX_EVENT_BYTES = 32_000;
/** keepalive fetch and sendBeacon allow 64 KiB in flight per page; stay under it with room to spare. */
const MAX_BODY_BYTES = 60_000;

const isSet = (value?: string) => value != null && value !== 'false';

export function createTracker(options: TrackerOptions): Tracker {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  const isOptedOut = isSet(options.respectDnt) && !!(nav.globalPrivacyControl || nav.doNotTrack === '1');
  let consent = (isOptedOut ? 'denied' : options.consent || 'granted') as ConsentState;
  let state: StoredState = {};
  /** The queue when storage is unusable (quota, Safari private mode…): same logic, no persistence. */
  let memoryQueue: TrackerEvent[] = [];
  /** Events built while consent is pending: memory only, completed with ids once granted. */
  let held: TrackerEvent[] = [];
  /** Ids in flight or already handed to sendBeacon by this page: not sent again by it. */
  let sent: Record<string, 1> = {};
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let busy: Promise<void> | undefined;
  const href = () => location.href.split('#')[0]!; // fragments can hold tokens (OAuth): never sent
  let current = href();
  let referrer = document.referrer;
  let paged: string | undefined;
  const url = `${options.api}/v1/batch?writeKey=${encodeURIComponent(options.writeKey || '')}`;
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  /** Set when storage refused a write (quota): from then on this page keeps its state in memory. */
  let isStorageFull = false;
  // Only touched inside try: reading `localStorage` throws a SecurityError when the browser blocks storage.
  const rawStorage = () => (isSet(options.cookieless) ? sessionStorage : localStorage);
  const storage = () => (consent === 'granted' && !isStorageFull ? rawStorage() : undefined);
  /** Denied consent leaves nothing behind: not even what an earlier visit stored. */
  const erase = () => {
    try {
      for (const key of ['s', 'q']) rawStorage().removeItem(`ff_${key}`);
    } catch {}
    state = {};
    memoryQueue = [];
    sent = {};
  };
  if (consent === 'denied') erase();
  const read = <T>(key: string): T | undefined => {
    try {
      return JSON.parse(storage()?.getItem(`ff_${key}`) as string); // null when absent
    } catch {}
  };
  const write = (key: string, value: unknown) => {
    try {
      storage()?.setItem(`ff_${key}`, JSON.stringify(value));
    } catch {
      isStorageFull = true; // the stored copies are stale now: read the memory ones
    }
  };
  // Storage is the source of truth: other tabs share it, so re-read before every change.
  const sync = () => {
    state = read<StoredState>('s') || state;
  };
  const saveState = () => write('s', state);
  const loadQueue = (): TrackerEvent[] => read('q') || memoryQueue;
  const saveQueue = (queue: TrackerEvent[]) => {
    memoryQueue = queue;
    write('q', queue);
  };
  const isPaused = () => state.p! > Date.now(); // undefined > n is false
  const schedule = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(flush, ms);
  };
  const unsentBatches = () =>
    chunkBatch(
      loadQueue().filter((e) => !sent[e.messageId]),
      MAX_BODY_BYTES,
    );
  const body = (batch: TrackerEvent[]) => JSON.stringify({ batch, sentAt: new Date().toISOString() });

  const pageContext = (): PageContext => {
    const now = href();
    if (now !== current) {
      // SPA navigation: the previous URL is this page's referrer.
      referrer = current;
      current = now;
    }
    return { path: location.pathname, url: now, referrer, title: document.title, search: location.search };
  };

  const send = (type: TrackerEvent['type'], fields: Partial<TrackerEvent>, page = pageContext()) => {
    if (consent === 'denied') return;
    const event: TrackerEvent = {
      type,
      messageId: uuid(),
      timestamp: new Date().toISOString(),
      ...fields,
      context: {
        library: { name: 'footfall.js', version: __FOOTFALL_VERSION__ },
        page,
        userAgent: nav.userAgent,
        locale: nav.language,
        screen: { width: screen.width, height: screen.height },
        timezone,
      },
    };
    if (consent === 'granted') enqueue([event]);
    else held.push(event);
  };

  /** Stamps identity and session on events (now, or when consent arrives) and queues them. */
  const enqueue = (events: TrackerEvent[]) => {
    sync();
    const queue = loadQueue();
    const now = Date.now();
    for (const event of events) {
      const { context } = event;
      if (!state.s || now - state.t! > SESSION_MS) {
        const { referrer, search } = context.page;
        state.s = {
          sessionId: uuid(),
          ...readCampaign(search),
          // Internal when the session starts on an internal navigation; the server tells them apart by host.
          referrer: referrer ? { url: referrer } : undefined,
        };
      }
      state.t = now;
      state.a ||= uuid();
      event.anonymousId = state.a;
      event.userId ||= state.u;
      Object.assign(context, state.s);
      if (byteLength(JSON.stringify(event)) > MAX_EVENT_BYTES) state.d = (state.d! | 0) + 1;
      else queue.push(event);
    }
    state.d = (state.d! | 0) + boundQueue(queue, MAX_QUEUE_EVENTS, MAX_QUEUE_CHARS);
    saveQueue(queue);
    saveState();
    // During a backoff, new events wait for the retry instead of hammering a struggling server.
    if (queue.length >= FLUSH_AT_EVENTS && !attempt) void flush();
    else timer ||= setTimeout(flush, FLUSH_DELAY_MS);
  };

  const deliver = async () => {
    for (;;) {
      if (consent !== 'granted') return;
      sync();
      if (isPaused()) return schedule(state.p! - Date.now());
      const batch = unsentBatches()[0];
      if (!batch) return;
      const ids = batch.map((e) => e.messageId);
      const dropped = state.d! | 0;
      if (dropped) batch[0]!.context.library.dropped = dropped;
      for (const id of ids) sent[id] = 1;
      let retryAfterMs = 0;
      let isDone = false;
      try {
        const res = await fetch(url, { method: 'POST', body: body(batch), keepalive: true });
        const status = res.status;
        // 2xx: stored (duplicates included). Other 4xx are permanent rejections (bad key, malformed):
        // retrying cannot help, so drop them. 408, 429 and 5xx are worth another try.
        isDone = status < 500 && status !== 408 && status !== 429;
        retryAfterMs = parseRetryAfter(res.headers.get('Retry-After'), Date.now());
      } catch {} // network error, CORS failure, keepalive quota: retry
      for (const id of ids) delete sent[id];
      sync();
      if (!isDone) {
        if (retryAfterMs) {
          state.p = Date.now() + retryAfterMs;
          saveState();
        }
        return schedule(Math.max(retryAfterMs, backoffMs(attempt++)));
      }
      attempt = 0;
      state.d = (state.d! | 0) - dropped;
      saveState();
      saveQueue(loadQueue().filter((e) => !ids.includes(e.messageId)));
    }
  };

  // A send in progress picks up newer events when it succeeds, and schedules a retry when it fails, so a
  // pending timer is never needed alongside it.
  function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    busy ||= deliver().finally(() => {
      busy = undefined;
    });
    return busy;
  }

  /** The page is being hidden or unloaded: hand what is left to sendBeacon. Beaconed events stay in the
   * stored queue (the response is unknowable) and are replayed on the next load; messageId dedup on the
   * server makes that safe. */
  const beacon = () => {
    sync();
    if (consent !== 'granted' || isPaused()) return;
    for (const batch of unsentBatches()) {
      if (!nav.sendBeacon?.(url, body(batch))) return;
      for (const e of batch) sent[e.messageId] = 1;
    }
  };

  const page = (name?: string, properties?: Properties) => {
    const context = pageContext();
    paged = context.url;
    send('page', { name, properties: { ...context, ...properties } }, context);
  };

  const autoPage = () =>
    setTimeout(() => {
      // After the router's tick, so document.title is the new page's; only when the URL really changed.
      if (href() !== paged) page();
    });

  const tracker: Tracker = {
    track: (event, properties) => send('track', { event, properties }),
    page,
    identify(userId, traits) {
      if (typeof userId === 'object') {
        traits = userId;
        userId = undefined;
      }
      sync();
      if (userId != null) state.u = `${userId}`;
      saveState();
      send('identify', { userId: state.u, traits });
    },
    reset() {
      state = {};
      saveState();
    },
    consent(next) {
      if (isOptedOut) return;
      consent = next;
      // Ids stored by an earlier visit win over the ones made up while pending (enqueue re-reads them).
      if (next === 'granted') enqueue(held);
      if (next === 'denied') erase();
      if (next !== 'pending') held = [];
    },
    anonymousId() {
      sync();
      if (!state.a) {
        state.a = uuid();
        saveState();
      }
      return state.a;
    },
    flush,
    start() {
      addEventListener('pagehide', beacon);
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'hidden') return beacon();
        // Back from another tab: send the beaconed events once more through fetch, whose answer removes
        // them from the stored queue; otherwise a long-lived page would pile them up until the bound.
        sent = {};
        timer ||= setTimeout(flush, FLUSH_DELAY_MS);
      });
      if (options.autoPage !== 'false') {
        // SPA navigations: routers call pushState/replaceState; back/forward fire popstate.
        for (const method of ['pushState', 'replaceState'] as const) {
          const original = history[method];
          history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
            original.apply(this, args);
            autoPage();
          };
        }
        addEventListener('popstate', autoPage);
        page();
      }
      // Replay what earlier pages left in the stored queue, together with this page's first events.
      timer ||= setTimeout(flush, FLUSH_DELAY_MS);
    },
  };
  return tracker;
}
