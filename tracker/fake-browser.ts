// A small in-process browser for the tracker's Node tests: the globals footfall.js touches, with
// storage, history and a programmable collector behind fetch/sendBeacon. Real browsers come later
// (Playwright against the running server); this keeps delivery logic fast to test and easy to reason about.
import { webcrypto } from 'node:crypto';
import { vi } from 'vitest';

export class FakeStorage implements Storage {
  readonly items = new Map<string, string>();
  writes = 0;
  /** Throw on setItem, like a full quota. */
  isFull = false;
  get length(): number {
    return this.items.size;
  }
  clear(): void {
    this.items.clear();
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  setItem(key: string, value: string): void {
    if (this.isFull) throw new DOMException('quota exceeded', 'QuotaExceededError');
    this.writes++;
    this.items.set(key, String(value));
  }
  json<T>(key: string): T | undefined {
    const value = this.items.get(key);
    return value === undefined ? undefined : (JSON.parse(value) as T);
  }
}

export interface SentEvent {
  type: string;
  messageId: string;
  event?: string;
  name?: string;
  userId?: string;
  anonymousId: string;
  timestamp: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  context: {
    library: { name: string; version: string; dropped?: number };
    page: { path: string; url: string; referrer: string; title: string; search: string };
    sessionId: string;
    campaign?: Record<string, string>;
    clickIds?: Record<string, string>;
    referrer?: { url: string };
    [key: string]: unknown;
  };
}

export interface SentRequest {
  via: 'fetch' | 'beacon';
  url: string;
  bodyBytes: number;
  keepalive?: boolean;
  headers?: HeadersInit;
  body: { batch: SentEvent[]; sentAt: string };
}

type Reply = { status: number; headers?: Record<string, string> } | 'network-error';

export interface FakeBrowserOptions {
  url?: string;
  referrer?: string;
  title?: string;
  navigator?: { doNotTrack?: string; globalPrivacyControl?: boolean };
  /** Storages to reuse, to simulate the next page load of the same browser. */
  localStorage?: FakeStorage;
  sessionStorage?: FakeStorage;
  hasRandomUUID?: boolean;
}

export type FakeBrowser = ReturnType<typeof installFakeBrowser>;

/** Installs the browser globals; undo with `vi.unstubAllGlobals()`. Use with `vi.useFakeTimers()`. */
export function installFakeBrowser(options: FakeBrowserOptions = {}) {
  let url = new URL(options.url ?? 'https://shop.test/');
  const localStore = options.localStorage ?? new FakeStorage();
  const sessionStore = options.sessionStorage ?? new FakeStorage();
  const requests: SentRequest[] = [];
  const replies: Reply[] = [];
  const windowListeners = new Map<string, Array<() => void>>();
  const documentListeners = new Map<string, Array<() => void>>();
  const listen = (map: Map<string, Array<() => void>>) => (type: string, fn: () => void) => {
    map.set(type, [...(map.get(type) ?? []), fn]);
  };
  const document = {
    referrer: options.referrer ?? '',
    title: options.title ?? 'Home',
    visibilityState: 'visible' as DocumentVisibilityState,
    currentScript: null as unknown,
    addEventListener: listen(documentListeners),
    querySelector: () => null,
  };
  const location = {
    get href() {
      return url.href;
    },
    get pathname() {
      return url.pathname;
    },
    get search() {
      return url.search;
    },
    get origin() {
      return url.origin;
    },
  };
  const navigate = (to: string) => {
    url = new URL(to, url);
  };
  const history = {
    pushState: (_state: unknown, _unused: string, to?: string | URL | null) =>
      to != null && navigate(`${to}`),
    replaceState: (_state: unknown, _unused: string, to?: string | URL | null) =>
      to != null && navigate(`${to}`),
  };
  const record = (via: SentRequest['via'], target: string, body: string, init?: RequestInit) => {
    requests.push({
      via,
      url: target,
      bodyBytes: Buffer.byteLength(body),
      keepalive: init?.keepalive,
      headers: init?.headers,
      body: JSON.parse(body),
    });
  };
  const fetch = vi.fn(async (target: string, init: RequestInit) => {
    record('fetch', target, init.body as string, init);
    const reply = replies.shift() ?? { status: 200 };
    if (reply === 'network-error') throw new TypeError('Failed to fetch');
    return new Response('{}', { status: reply.status, headers: reply.headers });
  });
  const navigator = {
    userAgent: 'FakeBrowser/1.0',
    language: 'en-US',
    doNotTrack: options.navigator?.doNotTrack ?? null,
    globalPrivacyControl: options.navigator?.globalPrivacyControl,
    sendBeacon: vi.fn((target: string, body: string) => {
      record('beacon', target, body);
      return true;
    }),
  };
  const crypto: Pick<Crypto, 'getRandomValues'> & { randomUUID?: () => string } = {
    getRandomValues: ((array: Uint8Array) => webcrypto.getRandomValues(array)) as Crypto['getRandomValues'],
  };
  if (options.hasRandomUUID !== false) crypto.randomUUID = () => webcrypto.randomUUID();

  vi.stubGlobal('__FOOTFALL_VERSION__', '0.0.0-test');
  vi.stubGlobal('window', globalThis);
  vi.stubGlobal('document', document);
  vi.stubGlobal('location', location);
  vi.stubGlobal('history', history);
  vi.stubGlobal('navigator', navigator);
  vi.stubGlobal('screen', { width: 1440, height: 900 });
  vi.stubGlobal('localStorage', localStore);
  vi.stubGlobal('sessionStorage', sessionStore);
  vi.stubGlobal('fetch', fetch);
  vi.stubGlobal('crypto', crypto);
  vi.stubGlobal('addEventListener', listen(windowListeners));

  const dispatch = (map: Map<string, Array<() => void>>, type: string) => {
    for (const fn of map.get(type) ?? []) fn();
  };
  return {
    document,
    history,
    navigator,
    localStorage: localStore,
    sessionStorage: sessionStore,
    fetch,
    /** Every request that reached the collector, oldest first. */
    requests,
    /** Events of all requests, in order. */
    events: () => requests.flatMap((r) => r.body.batch),
    /** Replies for the next fetches, in order; after them the collector answers 200. */
    reply: (...next: Reply[]) => replies.push(...next),
    /** A user click on a link in the same document (no history API): changes the URL only. */
    navigate,
    hide() {
      document.visibilityState = 'hidden';
      dispatch(documentListeners, 'visibilitychange');
    },
    show() {
      document.visibilityState = 'visible';
      dispatch(documentListeners, 'visibilitychange');
    },
    pagehide: () => dispatch(windowListeners, 'pagehide'),
    popstate: (to: string) => {
      navigate(to);
      dispatch(windowListeners, 'popstate');
    },
  };
}
