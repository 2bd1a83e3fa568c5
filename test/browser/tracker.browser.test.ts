// footfall.js in a real browser (Debian's Chromium through playwright-core, not jsdom) against a real Footfall
// started in-process on SQLite: the demo shop walked from product list to thank-you page, then delivery under
// failure (server unreachable, navigation mid-batch, 503 + Retry-After), consent, and SPA page views. Every
// assertion reads what the server stored, through the events API.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  label,
  queuedEvents,
  recordTrackingRequests,
  type SeenRequest,
  type ShopServer,
  type StoredEvent,
  startShopServer,
  storedAnonymousId,
  tally,
  trackerStorage,
} from './shop-harness.js';

/** Debian's Chromium; elsewhere (a GitHub runner's Chrome) FOOTFALL_TEST_CHROMIUM names the browser. */
const CHROMIUM = process.env.FOOTFALL_TEST_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');
const POLL = { timeout: 15_000, interval: 100 };

interface Shopper {
  context: BrowserContext;
  page: Page;
  requests: SeenRequest[];
  problems: string[];
}

// No Chromium is a failure, never a skip: .ci/run installs Debian's chromium when it is missing.
describe('footfall.js and the demo shop in a browser', () => {
  it('has Chromium to drive', () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  });

  let server: ShopServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    server = await startShopServer();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
  });

  /** A new visitor: a fresh context (empty storage, no cookies) recording its tracking requests and errors. */
  async function newShopper(): Promise<Shopper> {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
    });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      // Aborted or refused tracking requests are logged by the browser; script errors and CSP violations are not
      // expected.
      if (message.type() === 'error' && !/^Failed to load resource/.test(message.text())) {
        problems.push(`console: ${message.text()}`);
      }
    });
    return { context, page, requests: recordTrackingRequests(context), problems };
  }

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SCREENSHOTS, `shop-${name}.png`), fullPage: true });

  /** Waits until the page's stored queue is empty: everything it tracked was accepted by the server. */
  const drained = (page: Page) => expect.poll(async () => (await queuedEvents(page)).length, POLL).toBe(0);

  /** Events of the store whose message ids are not in `before` (the test's own), oldest first. */
  const newEvents = async (before: Set<string>) =>
    (await server.events()).filter((e) => !before.has(e.messageId)).reverse();

  const messageIds = async () => new Set((await server.events()).map((e) => e.messageId));

  const byEvent = (events: StoredEvent[], name: string) => events.filter((e) => e.event === name);

  it('walks list → product → cart → checkout → thank-you; every event arrives once, in one session', async () => {
    const before = await messageIds();
    const { page, requests, problems } = await newShopper();

    await page.goto(`${server.url}/demo/`);
    await page.locator('[data-product-list] .product-card').first().waitFor();
    await shot(page, 'index');

    await page.locator('.product-card__title a[href="product.html?id=mug"]').click();
    await page.getByRole('heading', { name: 'Stoneware Mug' }).waitFor();
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.locator('[data-added]').waitFor();
    await shot(page, 'product');

    await page.getByRole('link', { name: 'View cart →' }).click();
    await page.locator('.cart-line').waitFor();
    await page.getByLabel('Coupon code').fill('welcome10');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('Welcome, 10% off applied.').waitFor();
    await shot(page, 'cart');

    await page.locator('[data-checkout-link]').click();
    await page.waitForURL(/checkout\.html$/);
    await page.getByLabel('Full name').fill('Ada Lovelace');
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Address').fill('12 Analytical Row');
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await page.getByRole('button', { name: 'Place order' }).waitFor({ state: 'visible' });
    await shot(page, 'checkout');
    await page.getByRole('button', { name: 'Place order' }).click();

    await page.waitForURL(/thank-you\.html\?order=/);
    await page.getByRole('heading', { name: /Thank you, Ada/ }).waitFor();
    const orderId = new URL(page.url()).searchParams.get('order');
    expect(orderId).toMatch(/^FSC-/);
    await shot(page, 'thank-you');
    await drained(page);
    // Reloading the thank-you page is a page view, not a second order.
    await page.reload();
    await page.getByRole('heading', { name: /Thank you, Ada/ }).waitFor();
    await drained(page);

    const anonymousId = await storedAnonymousId(page);
    expect(anonymousId).toMatch(/^[0-9a-f-]{36}$/);
    // The checkout form carried the same id, for server-confirmed orders.
    expect(await page.locator('.dev-note pre').textContent()).toContain(
      `footfall_anonymous_id=${anonymousId}`,
    );

    const expected = {
      'page /demo/': 1,
      'track Product List Viewed': 1,
      'page /demo/product.html': 1,
      'track Product Viewed': 1,
      'track Product Added': 1,
      'page /demo/cart.html': 1,
      'track Cart Viewed': 1,
      'track Coupon Applied': 1,
      'page /demo/checkout.html': 1,
      'track Checkout Started': 1,
      'track Checkout Step Completed': 2,
      'page /demo/thank-you.html': 2,
      'track Order Completed': 1,
    };
    await expect.poll(async () => tally((await newEvents(before)).map(label)), POLL).toEqual(expected);
    const events = await newEvents(before);
    expect(events).toHaveLength(15);
    expect(new Set(events.map((e) => e.messageId)).size).toBe(events.length);
    // One visitor, one session, all of it.
    expect(new Set(events.map((e) => e.anonymousId))).toEqual(new Set([anonymousId]));
    const sessionIds = new Set(events.map((e) => e.sessionId));
    expect(sessionIds.size).toBe(1);
    expect([...sessionIds][0]).toBeTruthy();
    expect(new Set(events.map((e) => (e.context as { sessionId?: string }).sessionId))).toEqual(sessionIds);

    const mug = { product_id: 'mug', sku: 'FSC-MUG-01', name: 'Stoneware Mug', price: 18, currency: 'USD' };
    const [list] = byEvent(events, 'Product List Viewed');
    expect(list?.properties).toMatchObject({ list_id: 'all-products', category: 'All products' });
    expect(list?.properties.products).toHaveLength(6);
    expect((list?.properties.products as unknown[] | undefined)?.[0]).toMatchObject({ ...mug, position: 1 });
    expect(byEvent(events, 'Product Viewed')[0]?.properties).toMatchObject({ ...mug, quantity: 1 });
    const added = byEvent(events, 'Product Added')[0];
    expect(added?.properties).toMatchObject({ ...mug, quantity: 1 });
    const cartId = added?.properties.cart_id;
    expect(cartId).toMatch(/^cart_/);
    const cart = byEvent(events, 'Cart Viewed')[0];
    expect(cart?.properties).toMatchObject({
      cart_id: cartId,
      products: [{ ...mug, quantity: 1, position: 1 }],
    });

    expect(byEvent(events, 'Coupon Applied')[0]?.properties).toEqual({
      cart_id: cartId,
      coupon_id: 'WELCOME10',
      coupon_name: 'Welcome, 10% off',
      discount: 1.8,
      currency: 'USD',
    });

    // 18 − 10 % = 16.20, + 5 standard shipping (under the free threshold) + 8 % tax on 16.20.
    const money = {
      subtotal: 18,
      discount: 1.8,
      coupon: 'WELCOME10',
      revenue: 16.2,
      shipping: 5,
      tax: 1.3,
      total: 22.5,
      currency: 'USD',
    };
    const started = byEvent(events, 'Checkout Started')[0];
    expect(started?.properties).toMatchObject({ ...money, products: [{ ...mug, quantity: 1 }] });
    const checkoutId = started?.properties.checkout_id;
    expect(checkoutId).toMatch(/^chk_/);
    const steps = byEvent(events, 'Checkout Step Completed').map((e) => e.properties);
    expect(steps).toEqual(
      expect.arrayContaining([
        { checkout_id: checkoutId, step: 1, shipping_method: 'Standard' },
        { checkout_id: checkoutId, step: 2, payment_method: 'Card' },
      ]),
    );
    const order = byEvent(events, 'Order Completed');
    expect(order).toHaveLength(1);
    expect(order[0]?.properties).toMatchObject({
      ...money,
      order_id: orderId,
      checkout_id: checkoutId,
      products: [{ ...mug, quantity: 1, position: 1 }],
    });

    // Page views carry their page; the reload kept the session.
    const thanks = events.filter((e) => label(e) === 'page /demo/thank-you.html');
    for (const view of thanks) expect(view.context.page?.url).toContain(`order=${orderId}`);
    expect(requests.every((r) => r.method === 'POST' && r.url.includes('/v1/batch?writeKey=ff_pub_'))).toBe(
      true,
    );
    expect(problems).toEqual([]);
  }, 90_000);

  it('queues events while the server is unreachable and delivers them once it is back', async () => {
    const { page, problems } = await newShopper();
    const firstRequest = server.requests.length;
    // Down for tracking: fetches and beacons (on each navigation) alike lose their connection.
    server.setTrackingDown(true);
    try {
      await page.goto(`${server.url}/demo/`);
      await page.locator('[data-product-list] .product-card').first().waitFor();
      await page.goto(`${server.url}/demo/product.html?id=tote`);
      await page.getByRole('heading', { name: 'Canvas Tote' }).waitFor();
      // Both pages' events wait in localStorage, and attempts to send them (fetch and beacon) failed.
      await expect
        .poll(async () => (await queuedEvents(page)).map((e) => e.event ?? e.type).sort(), POLL)
        .toEqual(['Product List Viewed', 'Product Viewed', 'page', 'page']);
      await expect
        .poll(() => new Set(server.requests.slice(firstRequest).map((r) => r.mode)), POLL)
        .toEqual(new Set(['cors', 'no-cors']));
    } finally {
      server.setTrackingDown(false);
    }
    const queued = await queuedEvents(page);
    const anonymousId = String(await storedAnonymousId(page));
    expect(await server.events({ anonymousId })).toEqual([]);

    // Back up: the next page replays the stored queue along with its own events.
    await page.goto(`${server.url}/demo/cart.html`);
    await page.locator('[data-cart-lines]').waitFor();
    await drained(page);
    await expect
      .poll(async () => tally((await server.events({ anonymousId })).map(label)), POLL)
      .toEqual({
        'page /demo/': 1,
        'track Product List Viewed': 1,
        'page /demo/product.html': 1,
        'track Product Viewed': 1,
        'page /demo/cart.html': 1,
        'track Cart Viewed': 1,
      });
    const stored = await server.events({ anonymousId });
    expect(stored.map((e) => e.messageId)).toEqual(expect.arrayContaining(queued.map((e) => e.messageId)));
    expect(new Set(stored.map((e) => e.messageId)).size).toBe(stored.length);
    expect(new Set(stored.map((e) => e.sessionId)).size).toBe(1);
    expect(problems).toEqual([]);
  }, 60_000);

  it('hands an event tracked just before leaving the page to sendBeacon', async () => {
    const { page, problems } = await newShopper();
    await page.goto(`${server.url}/demo/product.html?id=notebook`);
    await page.getByRole('heading', { name: 'Dot-Grid Notebook' }).waitFor();
    await drained(page); // nothing else in flight or queued: the next event can only leave by beacon
    const anonymousId = String(await storedAnonymousId(page));
    const firstRequest = server.requests.length;

    // Tracked and gone well within the 1 s flush delay, to a page of no origin (whose storage cannot replay it).
    await page.evaluate(() => window.footfall?.track('Wishlist Added', { product_id: 'notebook' }));
    await page.goto('about:blank');

    await expect
      .poll(async () => (await server.events({ anonymousId, event: 'Wishlist Added' })).length, POLL)
      .toBe(1);
    // One request carried it, a beacon (Sec-Fetch-Mode no-cors), not the tracker's fetch (cors).
    expect(server.requests.slice(firstRequest).map((r) => `${r.path} ${r.mode}`)).toEqual([
      '/v1/batch no-cors',
    ]);
    const [stored] = await server.events({ anonymousId, event: 'Wishlist Added' });
    expect(stored?.properties).toEqual({ product_id: 'notebook' });
    expect(stored?.context.page?.path).toBe('/demo/product.html');
    expect(problems).toEqual([]);
  }, 60_000);

  it('with analytics turned off in the shop, sends nothing and stores nothing', async () => {
    const before = await messageIds();
    const { context, page, requests, problems } = await newShopper();
    const firstRequest = server.requests.length;
    // The visitor turned analytics off on an earlier visit (the shop's footer switch remembers it).
    await context.addInitScript(() => {
      if (localStorage.getItem('shop:analytics') === null) localStorage.setItem('shop:analytics', '"off"');
    });

    await page.goto(`${server.url}/demo/`);
    await page.locator('[data-product-list] .product-card').first().waitFor();
    await expect(page.locator('[data-consent-state]').textContent()).resolves.toBe('off');
    await page.locator('.product-card__title a[href="product.html?id=beanie"]').click();
    await page.getByRole('heading', { name: 'Merino Beanie' }).waitFor();
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByRole('link', { name: 'View cart →' }).click();
    await page.locator('.cart-line').waitFor();
    await page.locator('[data-checkout-link]').click();
    await page.waitForURL(/checkout\.html$/);
    expect(await page.locator('[data-anonymous-id]').inputValue()).toBe('');
    // Calls made directly are dropped too.
    await page.evaluate(() => window.footfall?.track('Should Not Arrive'));
    // Let a flush delay and a navigation (pagehide → beacon) pass, then check nothing left the browser.
    await page.goto(`${server.url}/demo/cart.html`);
    await page.locator('.cart-line').waitFor();
    await expect
      .poll(() => page.evaluate(() => window.footfall?.flush().then(() => 'flushed')), POLL)
      .toBe('flushed');

    expect(requests).toEqual([]);
    expect(server.requests.slice(firstRequest)).toEqual([]); // beacons included
    expect(await trackerStorage(page)).toEqual({ local: {}, session: {} });
    expect(await context.cookies()).toEqual([]);
    expect(await newEvents(before)).toEqual([]);
    expect(problems).toEqual([]);
  }, 60_000);

  it('with analytics turned off from the footer, erases what the tracker stored and stops sending', async () => {
    const { context, page, requests, problems } = await newShopper();
    await page.goto(`${server.url}/demo/`);
    await page.locator('[data-product-list] .product-card').first().waitFor();
    await drained(page);
    const anonymousId = String(await storedAnonymousId(page));
    expect(Object.keys((await trackerStorage(page)).local).sort()).toEqual(['ff_q', 'ff_s']);
    const sent = requests.length;
    const firstRequest = server.requests.length;

    await page.getByRole('button', { name: 'Turn off' }).click();
    await expect(page.locator('[data-consent-state]').textContent()).resolves.toBe('off');
    expect(await trackerStorage(page)).toEqual({ local: {}, session: {} });
    await page.locator('[data-add="socks"]').click();
    await page.goto(`${server.url}/demo/cart.html`);
    await page.locator('.cart-line').waitFor();
    await page.evaluate(() => window.footfall?.flush());

    expect(requests.length).toBe(sent);
    expect(server.requests.slice(firstRequest)).toEqual([]); // beacons included
    expect(await trackerStorage(page)).toEqual({ local: {}, session: {} });
    expect(await context.cookies()).toEqual([]);
    expect(tally((await server.events({ anonymousId })).map(label))).toEqual({
      'page /demo/': 1,
      'track Product List Viewed': 1,
    });
    expect(problems).toEqual([]);
  }, 60_000);

  /** Serves a page of our own on the server's origin (fulfilled by the browser, not the server). */
  async function ownPage(page: Page, path: string, head: string, body = ''): Promise<string> {
    const url = `${server.url}${path}`;
    await page.route(
      (candidate) => candidate.origin === server.url && candidate.pathname === path,
      (route) =>
        route.fulfill({
          contentType: 'text/html; charset=utf-8',
          body: `<!doctype html><html><head><meta charset="utf-8"><title>Test page</title>${head}</head><body>${body}</body></html>`,
        }),
    );
    return url;
  }

  it('with data-consent="denied" on the script tag, sends and stores nothing', async () => {
    const { context, page, requests, problems } = await newShopper();
    const firstRequest = server.requests.length;
    const url = await ownPage(
      page,
      '/consent-test.html',
      `<script src="/footfall.js" data-write-key="${server.writeKey}" data-consent="denied"></script>`,
      '<h1>Denied</h1>',
    );
    await page.goto(url);
    await page.waitForFunction(() => typeof window.footfall?.track === 'function');
    await page.evaluate(() => {
      window.footfall?.track('Should Not Arrive');
      window.footfall?.page('Manual');
      window.footfall?.identify('u_1', { plan: 'pro' });
    });
    await page.evaluate(() => window.footfall?.flush());
    await page.goto('about:blank'); // pagehide: no beacon either
    await page.goto(url);
    await page.waitForFunction(() => typeof window.footfall?.track === 'function');
    await page.evaluate(() => window.footfall?.flush());

    expect(requests).toEqual([]);
    expect(server.requests.slice(firstRequest)).toEqual([]); // beacons included
    expect(await trackerStorage(page)).toEqual({ local: {}, session: {} });
    expect(await context.cookies()).toEqual([]);
    expect(problems).toEqual([]);
  }, 60_000);

  it('sends a page view for each SPA navigation (pushState), with the new path and the old URL as referrer', async () => {
    const { page, problems } = await newShopper();
    const url = await ownPage(
      page,
      '/spa-test.html',
      `<script src="/footfall.js" data-write-key="${server.writeKey}"></script>`,
      '<h1 id="title">Home</h1>',
    );
    await page.goto(`${url}?utm_source=spa`);
    await page.waitForFunction(() => typeof window.footfall?.track === 'function');
    await page.evaluate(() => {
      history.pushState({}, '', '/spa/products?sort=price#top');
      document.title = 'Products';
    });
    await expect.poll(async () => (await queuedEvents(page)).length, POLL).toBeGreaterThanOrEqual(2);
    await page.evaluate(() => {
      history.pushState({}, '', '/spa/cart');
      document.title = 'Cart';
    });
    // A hash change is not a new page.
    await page.evaluate(() => history.replaceState({}, '', '/spa/cart#summary'));
    await drained(page);
    const anonymousId = String(await storedAnonymousId(page));

    await expect
      .poll(
        async () => (await server.events({ anonymousId })).map((e) => `${e.type} ${e.context.page?.path}`),
        POLL,
      )
      .toEqual(['page /spa/cart', 'page /spa/products', 'page /spa-test.html']);
    const [cart, products, first] = await server.events({ anonymousId });
    expect(first?.context.page?.url).toBe(`${url}?utm_source=spa`);
    expect(products?.context.page).toMatchObject({
      url: `${server.url}/spa/products?sort=price`,
      referrer: `${url}?utm_source=spa`,
      search: '?sort=price',
    });
    expect(products?.properties).toMatchObject({ path: '/spa/products', title: 'Products' });
    expect(cart?.context.page).toMatchObject({
      url: `${server.url}/spa/cart`,
      referrer: `${server.url}/spa/products?sort=price`,
    });
    expect(cart?.properties).toMatchObject({ path: '/spa/cart', title: 'Cart' });
    // One session, its campaign from the landing page.
    expect(new Set([cart, products, first].map((e) => e?.sessionId)).size).toBe(1);
    expect(cart?.context).toMatchObject({ campaign: { source: 'spa' } });
    expect(problems).toEqual([]);
  }, 60_000);

  it('honours 503 + Retry-After: waits before trying again, then delivers', async () => {
    const { page, problems } = await newShopper();
    const attempts: Array<{ at: number; answer: number }> = [];
    await page.route('**/v1/batch**', async (route) => {
      if (attempts.length === 0) {
        attempts.push({ at: Date.now(), answer: 503 });
        return route.fulfill({
          status: 503,
          headers: { 'Retry-After': '2', 'Access-Control-Expose-Headers': 'Retry-After' },
          contentType: 'application/json',
          body: '{"error":"busy"}',
        });
      }
      attempts.push({ at: Date.now(), answer: 0 });
      return route.continue();
    });

    await page.goto(`${server.url}/demo/`);
    await page.locator('[data-product-list] .product-card').first().waitFor();
    await expect.poll(() => attempts.length, POLL).toBeGreaterThanOrEqual(1);
    // The pause is shared through storage with every page of the site.
    await expect
      .poll(async () => JSON.parse((await trackerStorage(page)).local.ff_s ?? '{}').p ?? 0, POLL)
      .toBeGreaterThan(attempts[0]?.at ?? 0);
    await drained(page);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    const wait = (attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0);
    expect(wait).toBeGreaterThanOrEqual(1900); // backoff alone would have retried within 1 s
    expect(wait).toBeLessThan(6000);

    const anonymousId = String(await storedAnonymousId(page));
    await expect
      .poll(async () => tally((await server.events({ anonymousId })).map(label)), POLL)
      .toEqual({ 'page /demo/': 1, 'track Product List Viewed': 1 });
    expect(problems).toEqual([]);
  }, 60_000);
});
