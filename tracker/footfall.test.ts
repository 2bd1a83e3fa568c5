import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FakeBrowserOptions, type FakeStorage, installFakeBrowser } from './fake-browser.js';
import { createTracker, type TrackerOptions } from './src/footfall.js';

const API = 'https://ff.test';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function load(options: Partial<TrackerOptions> = {}, browser: FakeBrowserOptions = {}) {
  const page = installFakeBrowser(browser);
  const tracker = createTracker({ api: API, writeKey: 'ff_pub_test', autoPage: 'false', ...options });
  tracker.start();
  return { ...page, tracker };
}

/** The same browser opening another page: storage survives, memory does not. */
function reload(previous: { localStorage: FakeStorage; sessionStorage: FakeStorage }, url?: string) {
  // The old page's timers die with it (clearAllTimers also resets the fake clock, hence the restore).
  const now = Date.now();
  vi.clearAllTimers();
  vi.setSystemTime(now);
  return load({}, { localStorage: previous.localStorage, sessionStorage: previous.sessionStorage, url });
}

const stored = (page: { localStorage: FakeStorage }) => page.localStorage.json<unknown[]>('ff_q') ?? [];

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-03-02T10:00:00.000Z'));
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('delivery', () => {
  it('batches events for a second, then POSTs them as text/plain JSON to /v1/batch', async () => {
    const page = load();
    page.tracker.track('Signed Up', { plan: 'pro' });
    page.tracker.track('Newsletter Joined');
    await vi.advanceTimersByTimeAsync(999);
    expect(page.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);

    expect(page.requests).toHaveLength(1);
    const [request] = page.requests;
    expect(request?.url).toBe(`${API}/v1/batch?writeKey=ff_pub_test`);
    expect(request?.keepalive).toBe(true);
    // No Content-Type header: a string body goes out as text/plain, a CORS "simple request" (no preflight).
    expect(request?.headers).toBeUndefined();
    expect(request?.body.sentAt).toBe('2026-03-02T10:00:01.000Z');
    const [first, second] = request?.body.batch ?? [];
    expect(first).toMatchObject({
      type: 'track',
      event: 'Signed Up',
      properties: { plan: 'pro' },
      timestamp: '2026-03-02T10:00:00.000Z',
      context: {
        library: { name: 'footfall.js', version: '0.0.0-test' },
        page: { path: '/', url: 'https://shop.test/', referrer: '', title: 'Home', search: '' },
        userAgent: 'FakeBrowser/1.0',
        locale: 'en-US',
        screen: { width: 1440, height: 900 },
      },
    });
    expect(first?.context.timezone).toEqual(expect.any(String));
    expect(first?.messageId).toMatch(UUID);
    expect(first?.anonymousId).toMatch(UUID);
    expect(first?.context.sessionId).toMatch(UUID);
    expect(second?.messageId).not.toBe(first?.messageId);
    expect(second?.anonymousId).toBe(first?.anonymousId);
    expect(second?.context.sessionId).toBe(first?.context.sessionId);
    expect(stored(page)).toEqual([]);
  });

  it('sends at once when ten events are waiting', async () => {
    const page = load();
    for (let i = 0; i < 10; i++) page.tracker.track(`Event ${i}`);
    await vi.advanceTimersByTimeAsync(0);
    expect(page.requests).toHaveLength(1);
    expect(page.requests[0]?.body.batch).toHaveLength(10);
  });

  it('keeps events through 5xx and network errors, retrying with growing delays', async () => {
    const page = load();
    page.reply({ status: 500 }, 'network-error', { status: 503 });
    page.tracker.track('Checkout Started');
    await vi.advanceTimersByTimeAsync(1000);
    expect(page.requests).toHaveLength(1);
    expect(stored(page)).toHaveLength(1);

    // Retry 1 after 0.5–1 s, retry 2 after 1–2 s, retry 3 after 2–4 s.
    await vi.advanceTimersByTimeAsync(1000);
    expect(page.requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(page.requests).toHaveLength(3);
    expect(stored(page)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(4000);
    expect(page.requests).toHaveLength(4);
    expect(stored(page)).toEqual([]);

    const ids = page.requests.map((r) => r.body.batch[0]?.messageId);
    expect(new Set(ids).size).toBe(1); // same messageId on every retry: the server dedups
  });

  it.each([400, 401, 403, 413])('drops a batch rejected for good with %i', async (status) => {
    const page = load();
    page.reply({ status });
    page.tracker.track('Bad');
    await vi.advanceTimersByTimeAsync(1000);
    expect(stored(page)).toEqual([]);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(page.requests).toHaveLength(1);
  });

  it.each([408, 429])('retries a batch answered with %i', async (status) => {
    const page = load();
    page.reply({ status });
    page.tracker.track('Later');
    await vi.advanceTimersByTimeAsync(1000);
    expect(stored(page)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(page.requests).toHaveLength(2);
    expect(stored(page)).toEqual([]);
  });

  it.each([
    ['seconds', '120'],
    ['an HTTP date', 'Mon, 02 Mar 2026 10:02:01 GMT'],
  ])('pauses every send, also on the next page, until Retry-After given as %s', async (_, retryAfter) => {
    const page = load();
    page.reply({ status: 429, headers: { 'Retry-After': retryAfter } });
    page.tracker.track('Busy');
    await vi.advanceTimersByTimeAsync(1000); // now 10:00:01, paused until 10:02:01
    page.tracker.track('More');
    await page.tracker.flush();
    page.pagehide();
    expect(page.requests).toHaveLength(1);

    const next = reload(page);
    next.tracker.track('Next page');
    await vi.advanceTimersByTimeAsync(118_000);
    expect(next.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(2000);
    expect(next.requests).toHaveLength(1);
    expect(next.events().map((e) => e.event)).toEqual(['Busy', 'More', 'Next page']);
  });

  it('replays events stored by an earlier page before they were delivered', async () => {
    const page = load();
    page.reply('network-error');
    page.tracker.track('Product Added');
    await vi.advanceTimersByTimeAsync(1000);
    expect(stored(page)).toHaveLength(1);

    const next = reload(page);
    await vi.advanceTimersByTimeAsync(1000);
    expect(next.events().map((e) => e.event)).toEqual(['Product Added']);
    expect(next.events()[0]?.messageId).toBe(page.events()[0]?.messageId);
    expect(stored(next)).toEqual([]);
  });

  it('splits a large backlog into bodies under the 64 KB keepalive limit', async () => {
    const page = load();
    page.reply('network-error');
    const padding = 'x'.repeat(10_000);
    for (let i = 0; i < 9; i++) page.tracker.track(`Big ${i}`, { padding });
    await vi.advanceTimersByTimeAsync(1000);
    await page.tracker.flush();
    await vi.advanceTimersByTimeAsync(2000);

    const delivered = page.requests.slice(1);
    expect(delivered.length).toBeGreaterThan(1);
    for (const request of delivered) expect(request.bodyBytes).toBeLessThanOrEqual(64 * 1024);
    expect(delivered.flatMap((r) => r.body.batch.map((e) => e.event))).toEqual(
      Array.from({ length: 9 }, (_, i) => `Big ${i}`),
    );
  });

  it('refuses an event over 32 KB instead of letting it block the queue', async () => {
    const page = load();
    page.tracker.track('Huge', { blob: 'x'.repeat(40_000) });
    page.tracker.track('Fine');
    await vi.advanceTimersByTimeAsync(1000);
    expect(page.events().map((e) => e.event)).toEqual(['Fine']);
    expect(page.events()[0]?.context.library.dropped).toBe(1);
  });

  it('bounds the stored queue at 1,000 events, dropping the oldest, and reports the loss once', async () => {
    // A backlog left by earlier pages while the collector was unreachable.
    const earlier = load();
    earlier.reply('network-error');
    for (let i = 0; i < 999; i++) earlier.tracker.track(`E${i}`);
    await vi.advanceTimersByTimeAsync(0); // the first send fails; the page closes before the retry

    const page = reload(earlier);
    page.reply('network-error');
    for (let i = 999; i < 1003; i++) page.tracker.track(`E${i}`);
    expect(stored(page)).toHaveLength(1000);
    await vi.advanceTimersByTimeAsync(1000); // the 10-event trigger holds off until then: backlog

    await page.tracker.flush();
    const delivered = page.requests[1]?.body.batch ?? [];
    expect(delivered[0]?.event).toBe('E3');
    expect(delivered[0]?.context.library.dropped).toBe(3);
    expect(delivered.slice(1).every((e) => e.context.library.dropped === undefined)).toBe(true);

    await vi.advanceTimersByTimeAsync(60_000);
    const later = page.requests.slice(2).flatMap((r) => r.body.batch);
    expect(later.length).toBeGreaterThan(0);
    expect(later.some((e) => e.context.library.dropped)).toBe(false);
    expect(stored(page)).toEqual([]);
    const deliveredAll = page.requests.slice(1).flatMap((r) => r.body.batch.map((e) => e.event));
    expect(deliveredAll).toEqual(Array.from({ length: 1000 }, (_, i) => `E${i + 3}`));
  });

  it('keeps working in memory when storage is full', async () => {
    const page = load();
    page.localStorage.isFull = true;
    page.tracker.track('Still counted');
    await vi.advanceTimersByTimeAsync(1000);
    expect(page.events().map((e) => e.event)).toEqual(['Still counted']);
  });

  it('hands unsent events to sendBeacon when the page is hidden, and keeps them for the next load', async () => {
    const page = load();
    page.tracker.track('Last click');
    page.hide();
    expect(page.requests).toMatchObject([{ via: 'beacon', url: `${API}/v1/batch?writeKey=ff_pub_test` }]);
    expect(page.requests[0]?.body.batch.map((e) => e.event)).toEqual(['Last click']);

    // The same page does not send them twice; the next load replays them (the server dedups).
    page.pagehide();
    await vi.advanceTimersByTimeAsync(1000);
    expect(page.requests).toHaveLength(1);
    const next = reload(page);
    await vi.advanceTimersByTimeAsync(1000);
    expect(next.events()[0]?.messageId).toBe(page.events()[0]?.messageId);
  });

  it('sends beaconed events again through fetch when the tab comes back, so they leave the stored queue', async () => {
    const page = load();
    page.tracker.track('Before switching tabs');
    page.hide();
    expect(stored(page)).toHaveLength(1);
    page.show();
    await vi.advanceTimersByTimeAsync(1000);
    expect(page.requests.map((r) => r.via)).toEqual(['beacon', 'fetch']);
    expect(page.requests[1]?.body.batch[0]?.messageId).toBe(page.requests[0]?.body.batch[0]?.messageId);
    expect(stored(page)).toEqual([]);
  });

  it('sends nothing by beacon while the server asked to wait', async () => {
    const page = load();
    page.reply({ status: 503, headers: { 'Retry-After': '60' } });
    page.tracker.track('Waiting');
    await vi.advanceTimersByTimeAsync(1000);
    page.hide();
    page.pagehide();
    expect(page.requests.map((r) => r.via)).toEqual(['fetch']);
  });
});

describe('identity and session', () => {
  it('keeps the anonymous id across loads, and adds the user id after identify until reset', async () => {
    const page = load();
    const anonymousId = page.tracker.anonymousId();
    page.tracker.identify('u_42', { plan: 'pro' });
    page.tracker.track('Logged In');
    await vi.advanceTimersByTimeAsync(1000);
    const next = reload(page);
    expect(next.tracker.anonymousId()).toBe(anonymousId);
    next.tracker.track('Browsed');
    next.tracker.reset();
    next.tracker.track('Logged Out');
    await vi.advanceTimersByTimeAsync(1000);

    const [identify, loggedIn] = page.events();
    expect(identify).toMatchObject({
      type: 'identify',
      userId: 'u_42',
      traits: { plan: 'pro' },
      anonymousId,
    });
    expect(loggedIn).toMatchObject({ userId: 'u_42', anonymousId });
    const [browsed, loggedOut] = next.events();
    expect(browsed).toMatchObject({ userId: 'u_42', anonymousId });
    expect(loggedOut?.userId).toBeUndefined();
    expect(loggedOut?.anonymousId).not.toBe(anonymousId);
    expect(loggedOut?.context.sessionId).not.toBe(browsed?.context.sessionId);
  });

  it('falls back to getRandomValues for ids where crypto.randomUUID is missing (plain http)', async () => {
    const page = load({}, { hasRandomUUID: false });
    page.tracker.track('Insecure context');
    await vi.advanceTimersByTimeAsync(1000);
    expect(page.events()[0]?.messageId).toMatch(UUID);
    expect(page.events()[0]?.anonymousId).toMatch(UUID);
  });

  it('keeps a session through activity and starts a new one after 30 minutes without events', async () => {
    const page = load();
    page.tracker.track('A');
    await vi.advanceTimersByTimeAsync(29 * 60_000);
    page.tracker.track('B');
    await vi.advanceTimersByTimeAsync(30 * 60_000 + 1);
    page.tracker.track('C');
    await vi.advanceTimersByTimeAsync(1000);
    const [a, b, c] = page.events().map((e) => e.context.sessionId);
    expect(b).toBe(a);
    expect(c).not.toBe(b);
  });

  it('attaches the landing page campaign, click ids and referrer to every event of the session', async () => {
    const page = load(
      {},
      {
        url: 'https://shop.test/sale?utm_source=news&utm_medium=email&utm_campaign=spring&gclid=G1&x=1',
        referrer: 'https://mail.example/',
      },
    );
    page.tracker.track('Landed');
    page.navigate('/product?id=7');
    page.tracker.track('Product Viewed');
    await vi.advanceTimersByTimeAsync(1000);
    for (const event of page.events()) {
      expect(event.context.campaign).toEqual({ source: 'news', medium: 'email', name: 'spring' });
      expect(event.context.clickIds).toEqual({ gclid: 'G1' });
      expect(event.context.referrer).toEqual({ url: 'https://mail.example/' });
    }
    expect(page.events()[1]?.context.page).toMatchObject({
      path: '/product',
      search: '?id=7',
      referrer: 'https://shop.test/sale?utm_source=news&utm_medium=email&utm_campaign=spring&gclid=G1&x=1',
    });
  });

  it('leaves campaign fields out when the landing page has none', async () => {
    const page = load();
    page.tracker.track('Direct');
    await vi.advanceTimersByTimeAsync(1000);
    const { context } = page.events()[0]!;
    expect('campaign' in context || 'clickIds' in context || 'referrer' in context).toBe(false);
  });

  it('never sends the URL fragment', async () => {
    const page = load({}, { url: 'https://shop.test/callback#access_token=secret' });
    page.tracker.track('Callback');
    await vi.advanceTimersByTimeAsync(1000);
    expect(JSON.stringify(page.requests)).not.toContain('secret');
  });
});

describe('page views', () => {
  it('sends one on load with the page in its properties', async () => {
    const page = load(
      { autoPage: undefined },
      { url: 'https://shop.test/a?b=1', title: 'A', referrer: 'https://r.test/' },
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(page.events()).toMatchObject([
      {
        type: 'page',
        properties: {
          path: '/a',
          url: 'https://shop.test/a?b=1',
          referrer: 'https://r.test/',
          title: 'A',
          search: '?b=1',
        },
      },
    ]);
  });

  it('follows SPA navigations once per URL, with the previous URL as referrer', async () => {
    const page = load({ autoPage: undefined });
    page.history.pushState({}, '', '/products');
    page.history.replaceState({}, '', '/products'); // same URL: no second view
    page.history.pushState({}, '', '/products#reviews'); // fragment only: no view
    await vi.advanceTimersByTimeAsync(0);
    page.document.title = 'Cart';
    page.history.pushState({}, '', '/cart');
    await vi.advanceTimersByTimeAsync(0);
    page.popstate('/products');
    await vi.advanceTimersByTimeAsync(1000);

    expect(page.events().map((e) => [e.properties?.path, e.properties?.referrer])).toEqual([
      ['/', ''],
      ['/products', 'https://shop.test/'],
      ['/cart', 'https://shop.test/products'],
      ['/products', 'https://shop.test/cart'],
    ]);
    expect(page.events()[2]?.properties?.title).toBe('Cart');
  });

  it('sends none by itself with data-auto-page="false"', async () => {
    const page = load({ autoPage: 'false' });
    page.history.pushState({}, '', '/next');
    await vi.advanceTimersByTimeAsync(1000);
    expect(page.requests).toHaveLength(0);
  });
});

describe('privacy', () => {
  it('stores and sends nothing while consent is pending, then sends held events once granted', async () => {
    const page = load({ consent: 'pending', autoPage: undefined });
    page.tracker.track('Before consent');
    await vi.advanceTimersByTimeAsync(5000);
    page.pagehide();
    expect(page.requests).toHaveLength(0);
    expect(page.localStorage.writes + page.sessionStorage.writes).toBe(0);

    page.tracker.consent('granted');
    await vi.advanceTimersByTimeAsync(1000);
    expect(page.events().map((e) => e.type)).toEqual(['page', 'track']);
    expect(page.events()[1]?.anonymousId).toMatch(UUID);
    expect(page.localStorage.json<{ a: string }>('ff_s')?.a).toBe(page.events()[1]?.anonymousId);
  });

  it('reuses the anonymous id an earlier visit stored when consent arrives', async () => {
    const first = load();
    const anonymousId = first.tracker.anonymousId();
    const page = load({ consent: 'pending' }, { localStorage: first.localStorage });
    page.tracker.track('Held');
    page.tracker.consent('granted');
    await vi.advanceTimersByTimeAsync(1000);
    expect(page.events()[0]?.anonymousId).toBe(anonymousId);
  });

  it('drops held events on denied, erases what it stored, and ignores later calls', async () => {
    const page = load();
    page.reply('network-error');
    page.tracker.track('Queued');
    await vi.advanceTimersByTimeAsync(1000);
    expect(page.localStorage.length).toBeGreaterThan(0);
    page.tracker.consent('pending');
    page.tracker.track('Held');
    page.tracker.consent('denied');
    expect(page.localStorage.length).toBe(0);
    page.tracker.track('Ignored');
    await vi.advanceTimersByTimeAsync(600_000);
    expect(page.requests).toHaveLength(1);
    expect(page.localStorage.length).toBe(0);
  });

  it('erases what an earlier visit stored when a page loads with consent denied, or with GPC respected', async () => {
    const first = load();
    first.reply('network-error');
    first.tracker.track('Queued');
    await vi.advanceTimersByTimeAsync(1000);
    expect(first.localStorage.length).toBeGreaterThan(0);
    vi.clearAllTimers();
    const denied = load({ consent: 'denied' }, { localStorage: first.localStorage });
    expect(denied.localStorage.length).toBe(0);

    const second = load();
    second.reply('network-error');
    second.tracker.track('Queued again');
    await vi.advanceTimersByTimeAsync(1000);
    expect(second.localStorage.length).toBeGreaterThan(0);
    vi.clearAllTimers();
    const optedOut = load(
      { respectDnt: '' },
      { localStorage: second.localStorage, navigator: { globalPrivacyControl: true } },
    );
    expect(optedOut.localStorage.length).toBe(0);
  });

  it.each([
    ['Global Privacy Control', { globalPrivacyControl: true }],
    ['Do Not Track', { doNotTrack: '1' }],
  ])('with data-respect-dnt, %s works as denied even after consent("granted")', async (_, signal) => {
    const page = load({ respectDnt: '', autoPage: undefined }, { navigator: signal });
    page.tracker.consent('granted');
    page.tracker.track('Nope');
    await vi.advanceTimersByTimeAsync(5000);
    expect(page.requests).toHaveLength(0);
    expect(page.localStorage.writes).toBe(0);
  });

  it('ignores GPC and DNT without data-respect-dnt', async () => {
    const page = load({}, { navigator: { globalPrivacyControl: true, doNotTrack: '1' } });
    page.tracker.track('Counted');
    await vi.advanceTimersByTimeAsync(1000);
    expect(page.requests).toHaveLength(1);
  });

  it('in cookieless mode keeps ids and queue in sessionStorage only', async () => {
    const page = load({ cookieless: '' });
    page.tracker.track('No cookie');
    await vi.advanceTimersByTimeAsync(1000);
    expect(page.events()).toHaveLength(1);
    expect(page.localStorage.writes).toBe(0);
    expect(page.sessionStorage.writes).toBeGreaterThan(0);

    // A new tab (fresh sessionStorage) is a new visitor.
    const otherTab = load({ cookieless: '' }, { localStorage: page.localStorage });
    expect(otherTab.tracker.anonymousId()).not.toBe(page.events()[0]?.anonymousId);
  });
});
