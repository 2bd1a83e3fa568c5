// The dashboard in a real browser (Debian's Chromium through playwright-core) against a real Footfall, behind the
// app's real CSP, in both ways Footfall runs: embedded (SQLite, in-process buffer) and production-like (MariaDB,
// Redis stream buffer and its worker). Nothing is served from fixtures: the store gets a month of traffic from
// the seed service plus events sent through the ingest API, and every page reads the real API.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../dashboard/build.js';
import type { FunnelReport, FunnelRequest, OverviewReport } from '../../dashboard/src/api/types.js';
import { buildHttpApp } from '../../src/main/http.js';
import type { StoredEvent } from '../../src/modules/pipeline/index.js';
import { seedStore } from '../../src/modules/seed/index.js';
import type { Dialect } from '../../src/platform/db/database.js';
import type { HttpApp } from '../../src/platform/http/app.js';
import { createTestApp, PASSWORD, type TestApp, waitFor } from '../harness/app.js';

/** Debian's Chromium; elsewhere (a GitHub runner's Chrome) FOOTFALL_TEST_CHROMIUM names the browser. */
const CHROMIUM = process.env.FOOTFALL_TEST_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');
const OWNER = { email: 'owner@acme.test', name: 'Olivia Owner' };
const XSS = '<img src=x onerror=alert(1)>';
const SHOPPER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SYSTEM = { type: 'system' as const, id: null, label: 'browser test' };

interface Mode {
  name: string;
  dialect: Dialect;
  redis: boolean;
  /** Both modes show the same pages; one set of screenshots (the embedded run's) is kept. */
  screenshots: boolean;
}

const MODES: Mode[] = [
  { name: 'embedded (SQLite, in-process buffer)', dialect: 'sqlite', redis: false, screenshots: true },
  {
    name: 'production-like (MariaDB, Redis stream, worker)',
    dialect: 'mysql',
    redis: true,
    screenshots: false,
  },
];

interface Running {
  t: TestApp;
  app: HttpApp;
  url: string;
}

/**
 * Footfall on a free port with the dashboard served at `/` from a fresh in-memory build of the sources (a
 * dist/dashboard left by an earlier `npm run build` may be stale).
 */
async function startFootfall(mode: Mode): Promise<Running> {
  const t = await createTestApp(mode.dialect, {
    startMs: Date.now(),
    redis: mode.redis,
    // Dead letters after 5 deliveries: retried quickly here, so the test does not wait out the backoff.
    pipelineOptions: { retryBaseDelayMs: 20 },
  });
  const { app } = await buildHttpApp(t.services, {
    role: 'all',
    dashboardAssets: (await buildDashboard()).files,
  });
  await app.ready();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { t, app, url: `http://127.0.0.1:${port}` };
}

const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 15_000 });

const selectedText = (select: Locator) =>
  select.evaluate((element) => (element as HTMLSelectElement).selectedOptions[0]?.textContent ?? '');

/** The cells (row header included) of every body row of a table, as the user reads them. */
const tableRows = (table: Locator) =>
  table.evaluate((element) =>
    [...element.querySelectorAll('tbody tr')].map((row) =>
      [...row.querySelectorAll('th, td')].map((cell) => (cell.textContent ?? '').trim()),
    ),
  );

// The browser runs in en-US; the dashboard formats with the browser's locale.
const integer = (value: number) => new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(value);
const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;

// No Chromium is a failure, never a skip: .ci/run installs Debian's chromium when it is missing.
it('has Chromium to drive', () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
});

describe.each(MODES)('dashboard in a browser, $name', (mode) => {
  let running: Running;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const dialogs: string[] = [];
  const problems: string[] = [];
  const foreignRequests: string[] = [];
  let storeId = '';
  let storeDbId = 0;
  let viewerPassword = '';
  let writeKey = '';
  /** A secret key with the read scopes: the test's own view of the API, to compare the pages against. */
  let apiKey = '';
  /** While set, the worker's batch hook fails on `poison-…` messages: a real bug as the pipeline sees one. */
  let isPoisonActive = false;

  /** Sends one event the way a store's backend would: Segment-style, the write key as Basic user name. */
  async function track(event: Record<string, unknown>): Promise<string> {
    const body = { anonymousId: 'anon-browser-test', messageId: randomUUID(), ...event };
    const response = await fetch(`${running.url}/v1/${String(event.type ?? 'track')}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
        'content-type': 'application/json',
        // A shopper's browser, so the events count as people (Node's own agent is classified as a bot).
        'user-agent': SHOPPER_AGENT,
      },
      body: JSON.stringify(body),
    });
    expect(response.status, await response.text()).toBeLessThan(300);
    return body.messageId;
  }

  async function isStored(messageId: string): Promise<boolean> {
    const { events } = running.t.services.pipeline;
    return (await events.list(storeDbId, { limit: 1, messageId })).items.length === 1;
  }

  /** The public API as a script would call it, with the test's secret key. */
  async function callApi<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${running.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    expect(response.status, text).toBe(200);
    return JSON.parse(text) as T;
  }

  /**
   * Saves a screenshot (in the mode that keeps them). Full-page shots grow the viewport to the page's height
   * first, so the sticky sidebar and bars render as a user on a tall screen would see them.
   */
  async function shot(name: string, options: { fullPage?: boolean } = {}): Promise<void> {
    if (!mode.screenshots) return;
    const viewport = page.viewportSize() ?? { width: 1440, height: 900 };
    if (options.fullPage ?? true) {
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      await page.setViewportSize({
        width: viewport.width,
        height: Math.min(Math.max(height, viewport.height), 4000),
      });
    }
    await page.waitForTimeout(200); // let transitions, the chart's resize and toasts settle
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
    await page.setViewportSize(viewport);
  }

  async function go(hash: string): Promise<void> {
    await page.evaluate((h) => {
      window.location.hash = h;
    }, hash);
  }

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    running = await startFootfall(mode);
    const { accounts, pipeline } = running.t.services;
    const user = await accounts.createUser({ email: OWNER.email, name: OWNER.name, password: PASSWORD });
    const org = await accounts.createOrganization('Acme Outdoor', SYSTEM);
    await accounts.addMember(org, { userId: user.id, role: 'owner' }, SYSTEM);
    pipeline.worker.addBatchHook(async (_tx, events: StoredEvent[]) => {
      const poison = events.find((e) => e.messageId.startsWith('poison-'));
      if (isPoisonActive && poison) throw new Error(`rollup bug: cannot handle ${poison.messageId}`);
    });

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
    context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      deviceScaleFactor: 1,
      locale: 'en-US',
    });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('dialog', async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      // Refused requests (401 before sign-in, 400 for a bad field, 409 for a replay that fails again) are
      // logged by the browser as errors; they are expected. Script errors and CSP violations are not.
      if (message.type() === 'error' && !/^Failed to load resource/.test(message.text()))
        problems.push(message.text());
    });
    page.on('response', (response) => {
      if (response.status() >= 500) problems.push(`${response.status()} ${response.url()}`);
    });
    // The dashboard must not reach anything but its own server.
    await context.route(
      (url) => url.hostname !== '127.0.0.1',
      (route) => {
        foreignRequests.push(route.request().url());
        return route.abort();
      },
    );
  }, 120_000);

  // A failed step leaves a picture of what the user saw, next to the screenshots.
  afterEach(async (context) => {
    if (context.task.result?.state !== 'fail' || !page) return;
    const name = `FAILED-${mode.dialect}-${context.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`;
    await page.screenshot({ path: join(SCREENSHOTS, '..', `${name}.png`) }).catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await running?.app.close();
    await running?.t.close();
  });

  it('serves the dashboard with a strict CSP and no inline script', async () => {
    const response = await page.goto(running.url);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await response?.text();
    expect(html).not.toMatch(/<script>(?!<\/script>)|<style|style="/);
  });

  it('signs in', async () => {
    await page.getByLabel('Email').waitFor();
    await shot('01-sign-in');
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Password').fill('wrong password!');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /password|credentials/i })
      .waitFor();
    await shot('02-sign-in-error');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Acme Outdoor has no stores yet' }).waitFor();
    await shot('03-no-stores');
  });

  it('creates a store and lands on the install guide', async () => {
    await page.getByRole('link', { name: 'Create your first store' }).click();
    await page.getByLabel('Store name').fill('Acme Outdoor — EU shop');
    await page.getByLabel('Reporting currency').selectOption('EUR');
    await page.getByLabel('Time zone').selectOption('Europe/Berlin');
    await shot('04-create-store');
    await page.getByRole('button', { name: 'Create store' }).click();
    await page.getByRole('heading', { name: /Install Footfall on Acme Outdoor/ }).waitFor();
    storeId = /#\/stores\/(str_[^/]+)\/setup/.exec(page.url())?.[1] ?? '';
    expect(storeId).toMatch(/^str_/);
    await eventually(() => selectedText(page.locator('#store-switcher'))).toBe('Acme Outdoor — EU shop');
    const { stores, keys } = running.t.services;
    const store = await stores.findByPublicId(storeId);
    if (!store) throw new Error('the store the dashboard created is missing');
    storeDbId = store.id;
    const scopes = ['reports:read', 'events:read', 'privacy:read', 'deadletters:read'] as const;
    apiKey = (
      await keys.create(store, { type: 'secret', name: 'Reporting script', scopes: [...scopes] }, SYSTEM)
    ).secret;
  });

  it('creates a write key in the guide and shows the snippet with it', async () => {
    await page.getByRole('button', { name: 'Create write key' }).click();
    const snippet = page.locator('#install-snippet');
    // Until the key exists the snippet shows a placeholder (ff_pub_YOUR_WRITE_KEY).
    await eventually(async () => (await snippet.textContent()) ?? '').toMatch(
      /data-write-key="ff_pub_(?!YOUR)/,
    );
    expect(await snippet.textContent()).toContain(`src="${running.url}/footfall.js"`);
    await shot('05-setup-guide');
  });

  it('turns the guide green when the first event arrives through the ingest API', async () => {
    writeKey =
      /data-write-key="(ff_pub_[^"]+)"/.exec(
        (await page.locator('#install-snippet').textContent()) ?? '',
      )?.[1] ?? '';
    expect(writeKey).toMatch(/^ff_pub_/);
    await track({ type: 'page', name: 'Home', properties: { path: '/', url: 'https://shop.example.com/' } });
    await page.getByText('It works.').waitFor({ timeout: 20_000 });
    await eventually(() => page.locator('.step.done').count()).toBe(3);
    await shot('06-setup-guide-done');
  });

  it('gets a month of shop traffic: orders, refunds, coupons, currencies, campaigns', async () => {
    const { services, clock } = running.t;
    const seeded = await seedStore(
      { database: services.database, clock, reports: services.reports, stores: services.stores },
      // 60 days: the last 30 have a previous period to compare with.
      { storeId: storeDbId, events: 9000, days: 60, seed: 7 },
    );
    expect(seeded.events).toBeGreaterThan(8000);
    expect(seeded.orders).toBeGreaterThan(20);
    // And orders from abroad through the ingest API, in the shoppers' currencies (the seed set their rates).
    const abroad = [
      await track({
        event: 'Order Completed',
        userId: 'customer-uk',
        properties: {
          order_id: 'FF-UK-1',
          revenue: 84.5,
          currency: 'GBP',
          coupon: 'WELCOME10',
          products: [{ product_id: 'prod_3', price: 42.25, quantity: 2 }],
        },
      }),
      await track({
        event: 'Order Completed',
        userId: 'customer-us',
        properties: { order_id: 'FF-US-1', revenue: 129, currency: 'USD' },
      }),
    ];
    for (const id of abroad) await waitFor(() => isStored(id), Boolean, { what: `order event ${id}` });
  }, 60_000);

  it('creates a secret key: the secret is shown once, then only its prefix', async () => {
    await go(`#/stores/${storeId}/settings/keys`);
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByRole('button', { name: 'Create key' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create an API key' });
    await dialog.getByLabel('Name').fill('Nightly export');
    await dialog.getByRole('checkbox', { name: /events:read/ }).check();
    await shot('07-create-key');
    await dialog.getByRole('button', { name: 'Create key' }).click();
    const reveal = page.getByRole('dialog', { name: 'Your new key' });
    const secret = ((await reveal.locator('#new-secret').textContent()) ?? '').trim();
    expect(secret).toMatch(/^ff_sk_/);
    await shot('08-key-secret-once', { fullPage: false });
    expect(await reveal.getByRole('button', { name: 'Done' }).isDisabled()).toBe(true);
    await reveal.getByRole('checkbox', { name: /stored the key/ }).check();
    await reveal.getByRole('button', { name: 'Done' }).click();
    const row = page.getByRole('row', { name: /Nightly export/ });
    await row.waitFor();
    expect(await row.textContent()).toContain(`…${secret.slice(-4)}`);
    expect(await page.content()).not.toContain(secret);
    await shot('09-api-keys');
  });

  it('renders a store name with markup as text', async () => {
    await go(`#/stores/${storeId}/settings/store`);
    await page.getByLabel('Name', { exact: true }).fill(XSS);
    await page.getByLabel('Keep events for (days)').fill('400');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Settings saved').waitFor();
    await eventually(() => selectedText(page.locator('#store-switcher'))).toBe(XSS);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(dialogs).toEqual([]);
    // A field the API refuses is highlighted with its detail.
    await page.getByLabel('Allowed origins').fill('shop.example.com');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page
      .locator('.field.invalid')
      .getByText(/not an origin/)
      .waitFor();
    await shot('11-store-settings-error');
    await page.getByRole('button', { name: 'Discard' }).click();
    // Back to a name a merchant would choose, for the screenshots that follow.
    await page.getByLabel('Name', { exact: true }).fill('Acme Outdoor — EU shop');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await eventually(() => selectedText(page.locator('#store-switcher'))).toBe('Acme Outdoor — EU shop');
    await shot('10-store-settings');
  });

  it('renames the organization; the switcher shows the new name', async () => {
    await go(`#/stores/${storeId}/settings/organization`);
    const name = page.getByLabel('Organization name');
    await name.waitFor();
    expect(await name.inputValue()).toBe('Acme Outdoor');
    await name.fill('Acme Outdoor Group');
    await page.getByRole('button', { name: 'Rename organization' }).click();
    await page.getByText('Renamed to Acme Outdoor Group').waitFor();
    await eventually(() => selectedText(page.locator('#org-switcher'))).toBe('Acme Outdoor Group');
    await shot('12-organization');
    await page.reload();
    await eventually(() => selectedText(page.locator('#org-switcher'))).toBe('Acme Outdoor Group');
  });

  it('adds a viewer; the one-time password is shown once', async () => {
    await go(`#/stores/${storeId}/settings/members`);
    await page.getByRole('button', { name: 'Add member' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Add a member' });
    await dialog.getByLabel('Email').fill('vera@acme.test');
    await dialog.getByLabel('Name').fill('Vera Viewer');
    await dialog.getByRole('radio', { name: /Viewer/ }).check();
    await dialog.getByRole('button', { name: 'Add member' }).click();
    viewerPassword = ((await page.locator('#temp-password').textContent()) ?? '').trim();
    expect(viewerPassword.length).toBeGreaterThan(10);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('row', { name: /Vera Viewer/ }).waitFor();
    await shot('13-members');
  });

  it('overview: the KPI tiles show what the API computes, with a chart and its table view', async () => {
    const request = page.waitForRequest((r) => r.url().includes('/reports/overview?'));
    await go(`#/stores/${storeId}/overview`);
    const query = new URL((await request).url()).search;
    await page.getByRole('region', { name: 'Key figures' }).waitFor();
    await page.locator('.chart canvas').waitFor();
    const report = await callApi<OverviewReport>('GET', `/api/v1/stores/${storeId}/reports/overview${query}`);
    expect(report.metrics.visitors.value).toBeGreaterThan(100);
    expect(report.metrics.orders.value).toBeGreaterThan(10);
    for (const [label, metric] of [
      ['Visitors', report.metrics.visitors],
      ['Sessions', report.metrics.sessions],
      ['Orders', report.metrics.orders],
    ] as const) {
      const tile = page.getByRole('button', { name: new RegExp(`^${label}`) }).first();
      expect(await tile.locator('.kpi-value').textContent(), label).toBe(integer(metric.value));
    }
    expect(
      await page
        .getByRole('button', { name: /Visitors/ })
        .first()
        .getAttribute('aria-pressed'),
    ).toBe('true');
    await shot('20-overview');
    await page
      .getByRole('button', { name: /^Revenue/ })
      .first()
      .click();
    await page.getByRole('button', { name: 'Table' }).first().click();
    await page.getByRole('table', { name: 'Revenue' }).waitFor();
    await page.getByRole('button', { name: 'Chart' }).first().click();
  });

  it('acquisition (channels, referrers, UTM), pages, technology, eCommerce, products, attribution', async () => {
    await go(`#/stores/${storeId}/acquisition`);
    const channels = page.getByRole('table', { name: 'Channels' });
    await channels.waitFor();
    expect((await tableRows(channels)).length).toBeGreaterThan(3);
    await shot('21-acquisition');
    await go(`#/stores/${storeId}/acquisition?view=utmCampaign`);
    const campaigns = page.getByRole('table', { name: 'UTM campaign' });
    await campaigns.waitFor();
    expect((await tableRows(campaigns)).length).toBeGreaterThan(1);
    await shot('21b-acquisition-utm');
    await go(`#/stores/${storeId}/pages`);
    const pages = page.getByRole('table', { name: 'Pages' });
    await pages.waitFor();
    // The top 25 first; the rest one click away (and all of them in the CSV).
    expect(await tableRows(pages)).toHaveLength(25);
    expect(await pages.textContent()).toContain('/collections/');
    await page.getByRole('button', { name: /^Show all \d+$/ }).waitFor();
    await shot('22-pages');
    await go(`#/stores/${storeId}/technology`);
    await page.getByRole('table', { name: 'Devices' }).waitFor();
    await shot('23-technology');
    await go(`#/stores/${storeId}/ecommerce`);
    await page.locator('.chart canvas').waitFor();
    const currencies = page.getByRole('table', { name: 'Revenue by currency' });
    await currencies.waitFor();
    expect((await tableRows(currencies)).length).toBeGreaterThan(1);
    expect((await tableRows(page.getByRole('table', { name: 'Coupons' }))).length).toBeGreaterThan(0);
    await shot('24-ecommerce');
    await go(`#/stores/${storeId}/products`);
    const products = page.getByRole('table', { name: 'Products' });
    await products.waitFor();
    expect((await tableRows(products)).length).toBeGreaterThan(5);
    await page.getByRole('button', { name: 'View → purchase' }).click();
    await shot('25-products');
    await go(`#/stores/${storeId}/attribution`);
    const attribution = page.getByRole('table', { name: 'Last touch attribution' });
    await attribution.waitFor();
    expect((await tableRows(attribution)).length).toBeGreaterThan(1);
    await shot('27-attribution');
  });

  it('funnels: a funnel built in the builder shows the numbers the API computes for it', async () => {
    await go(`#/stores/${storeId}/funnels`);
    await page.getByRole('list', { name: 'Funnel steps' }).waitFor();
    // From the checkout preset: drop "Order Completed" and "Product Added", add "Order Completed" back as
    // paid in EUR, convert within a day, break down by channel.
    await page.getByRole('button', { name: 'Remove step 4' }).click();
    await page.getByRole('button', { name: 'Remove step 2' }).click();
    await page.getByRole('button', { name: 'Add step' }).click();
    await page.getByLabel('Step 3 event name', { exact: true }).fill('Order Completed');
    await page.getByRole('button', { name: 'Add a property filter to step 3' }).click();
    await page.getByLabel('Step 3 property', { exact: true }).fill('currency');
    await page.getByLabel('Step 3 property value').fill('EUR');
    await page.getByLabel('Convert within').selectOption('1440');
    await page.getByLabel('Break down by').selectOption('channel');
    const definition: FunnelRequest = {
      steps: [
        { event: 'Product Viewed' },
        { event: 'Checkout Started' },
        { event: 'Order Completed', properties: { currency: 'EUR' } },
      ],
      windowMinutes: 1440,
      breakdown: 'channel',
    };
    const sent = page.waitForRequest((r) => r.url().includes('/reports/funnel') && r.method() === 'POST');
    await page.getByRole('button', { name: 'Calculate' }).click();
    const request = await sent;
    expect(request.postDataJSON()).toEqual(definition);
    const query = new URL(request.url()).search;
    await page.getByRole('table', { name: 'Funnel breakdown' }).waitFor();
    const steps = page.getByRole('list', { name: 'Funnel steps' });
    await eventually(async () => (await steps.textContent()) ?? '').toContain(
      'Order Completed (currency = EUR)',
    );

    const truth = await callApi<FunnelReport>(
      'POST',
      `/api/v1/stores/${storeId}/reports/funnel${query}`,
      definition,
    );
    expect(truth.steps[0]?.visitors).toBeGreaterThan(50);
    expect(truth.steps[2]?.visitors).toBeGreaterThan(0);
    const labels = ['Product Viewed', 'Checkout Started', 'Order Completed (currency = EUR)'];
    await page.getByText('Table view').click();
    const shown = await tableRows(page.getByRole('table', { name: 'Funnel steps' }));
    expect(shown.map((cells) => cells.slice(0, 6))).toEqual(
      truth.steps.map((s, i) => [
        `${i + 1}. ${labels[i]}`,
        integer(s.visitors),
        integer(s.sessions),
        percent(s.overallConversionRate),
        percent(s.conversionRate),
        integer(s.dropOff),
      ]),
    );
    // The bars say the same: each step's visitors and share of the first, and the drop-off before it.
    const bars = await steps.locator('li').allInnerTexts();
    truth.steps.forEach((s, i) => {
      expect(bars[i]).toContain(integer(s.visitors));
      expect(bars[i]).toContain(percent(s.overallConversionRate));
      if (i > 0) expect(bars[i]).toContain(`−${integer(s.dropOff)} (${percent(1 - s.conversionRate)})`);
    });
    const groups = truth.breakdown?.groups ?? [];
    expect(groups.length).toBeGreaterThan(2);
    const byChannel = await tableRows(page.getByRole('table', { name: 'Funnel breakdown' }));
    expect(byChannel).toHaveLength(groups.length);
    for (const group of groups) {
      const row = byChannel.find((cells) => cells[0] === (group.value ?? '(none)'));
      expect(row, String(group.value)).toBeDefined();
      expect(row?.slice(1, 5)).toEqual([
        ...group.steps.map((s) => integer(s.visitors)),
        percent(group.steps[group.steps.length - 1]?.overallConversionRate ?? 0),
      ]);
    }
    await shot('26-funnels');
    // The definition lives in the URL: a shared link shows the same funnel.
    expect(decodeURIComponent(page.url())).toContain('where=3:currency=EUR');
  });

  it('live: events sent through the ingest API stream in; a hostile property renders as text', async () => {
    await go(`#/stores/${storeId}/live`);
    await page.getByRole('table', { name: 'Latest events' }).waitFor();
    await track({
      event: 'Product Viewed',
      properties: { product_id: 'p-xss', name: XSS, price: 12.5, currency: 'EUR' },
      context: { page: { path: '/products/xss', url: 'https://shop.example.com/products/xss' } },
    });
    await track({
      event: 'Order Completed',
      userId: 'customer-42',
      properties: { order_id: 'FF-1', revenue: 59.9, currency: 'EUR' },
    });
    // The seeded shop is busy too: pick our event by its page.
    await page
      .getByRole('row', { name: /\/products\/xss/ })
      .getByRole('button', { name: 'Product Viewed' })
      .click({ timeout: 20_000 });
    const details = page.getByRole('region', { name: 'Details of Product Viewed' });
    await eventually(async () => (await details.textContent()) ?? '').toContain(XSS);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await shot('28-live');
  });

  it('privacy: a real erasure and export run through the scheduled job and show their receipts', async () => {
    const exported = [
      await track({ event: 'Signed Up', userId: 'customer-export', properties: { plan: 'pro' } }),
      await track({ event: 'Product Viewed', userId: 'customer-export', properties: { product_id: 'p1' } }),
    ];
    for (const id of exported) await waitFor(() => isStored(id), Boolean, { what: `event ${id}` });
    await waitFor(
      async () => (await running.t.services.pipeline.orders.list(storeDbId, { limit: 50 })).items,
      (items) => items.some((o) => o.orderId === 'FF-1'),
      { what: 'order FF-1' },
    );

    await go(`#/stores/${storeId}/settings/privacy`);
    await page.getByLabel('User id').fill('customer-42');
    await page.getByRole('button', { name: 'Erase data…' }).click();
    await page.getByRole('button', { name: 'Erase permanently' }).click();
    const erasures = page.getByRole('table', { name: 'Erasure requests' });
    await erasures.getByText('pending').waitFor();
    await go(`#/stores/${storeId}/settings/privacy?kind=export`);
    await page.getByLabel('User id').fill('customer-export');
    await page.getByRole('button', { name: 'Export data' }).click();
    const exports = page.getByRole('table', { name: 'Export requests' });
    await exports.getByText('pending').waitFor();

    // An erasure waits 60 s (longer than any instance's suppression cache); then the scheduler's call runs it.
    running.t.clock.advance(61_000);
    const token = await running.t.services.cron.createToken({ name: 'browser test scheduler' });
    if (!token.ok) throw new Error('no cron token');
    const run = await fetch(`${running.url}/api/cron/privacy`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.value.token}` },
    });
    expect(run.status, await run.clone().text()).toBe(200);
    expect(await run.json()).toMatchObject({ job: 'privacy', status: 'ran', error: null });

    // The page follows running requests on its own until they finish.
    await exports.getByText('done').waitFor();
    const download = exports.getByRole('link', { name: /Download/ });
    const file = await page.request.get((await download.getAttribute('href')) ?? '');
    expect(file.status()).toBe(200);
    expect((await file.body()).length).toBeGreaterThan(100);
    await shot('33b-privacy-exports');
    await go(`#/stores/${storeId}/settings/privacy`);
    await erasures.getByText('done').waitFor();
    expect(await erasures.textContent()).toMatch(/[1-9]\d* events? · [1-9]\d* order rows?/);
    expect(await erasures.textContent()).toContain(OWNER.name); // who asked, by name
    await shot('33-privacy');
    expect(await isStored(exported[0] ?? '')).toBe(true);
  });

  it('scheduled jobs: the run shows in the history with its result', async () => {
    await go(`#/stores/${storeId}/settings/jobs`);
    const jobs = page.getByRole('table', { name: 'Jobs' });
    await jobs.waitFor();
    await jobs
      .getByRole('row', { name: /privacy/ })
      .getByText('succeeded')
      .waitFor();
    const history = page.getByRole('table', { name: 'Run history' });
    expect(await history.getByRole('row', { name: /privacy/ }).count()).toBe(1);
    // The result in words (the erasure and the export it carried out), not raw JSON.
    expect(await history.getByRole('row', { name: /privacy/ }).textContent()).toContain('2 requests');
    await shot('34-jobs');
  });

  it('dead letters: a real one is inspected as text and replayed once the bug is fixed', async () => {
    isPoisonActive = true;
    const poison = await track({
      event: 'Order Completed',
      messageId: `poison-${randomUUID()}`,
      userId: 'customer-7',
      properties: { order_id: 'FF-7', revenue: 20, currency: 'EUR', note: XSS },
    });
    await waitFor(
      async () => (await running.t.services.pipeline.deadLetters.list(storeDbId, { limit: 10 })).items,
      (items) => items.some((d) => d.messageId === poison),
      { what: 'the dead letter' },
    );
    await go(`#/stores/${storeId}/settings/dead-letters`);
    await page.getByRole('table', { name: 'Dead letters' }).waitFor();
    await page.getByRole('button', { name: 'Order Completed' }).click();
    const dialog = page.getByRole('dialog', { name: 'Order Completed' });
    await eventually(async () => (await dialog.textContent()) ?? '').toContain(XSS);
    expect(await dialog.textContent()).toContain('rollup bug');
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await shot('35-dead-letter', { fullPage: false });
    isPoisonActive = false; // the bug is fixed
    await dialog.getByRole('button', { name: 'Replay' }).click();
    await page.getByText('Event stored').waitFor();
    await page.getByText('No dead letters').waitFor();
    expect(await isStored(poison)).toBe(true);
    await shot('36-dead-letters-empty');
  });

  it('shows the audit log of what was done', async () => {
    await go(`#/stores/${storeId}/settings/audit`);
    const table = page.getByRole('table', { name: 'Audit log' });
    await table.waitFor();
    const log = await table.textContent();
    for (const action of ['store.created', 'store.updated', 'key.created', 'member.added', 'org.updated']) {
      expect(log).toContain(action);
    }
    await shot('37-audit-log');
  });

  it('is readable on a phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await go(`#/stores/${storeId}/overview`);
    await page.locator('.chart canvas').waitFor();
    await shot('29-phone-overview');
    await page.getByRole('button', { name: 'Open menu' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await shot('30-phone-menu', { fullPage: false });
    await page.getByRole('button', { name: 'Close menu' }).click();
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('a viewer is not offered Settings → Keys and cannot reach it', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have signed out.').waitFor();
    await page.getByLabel('Email').fill('vera@acme.test');
    await page.getByLabel('Password').fill(viewerPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Overview' }).waitFor();
    for (const hidden of ['API keys', 'Members', 'Privacy requests', 'Audit log', 'Install']) {
      expect(await nav.getByRole('link', { name: hidden, exact: true }).count()).toBe(0);
    }
    await go(`#/stores/${storeId}/settings/keys`);
    await page.getByRole('heading', { name: "You don't have access to API keys" }).waitFor();
    await shot('31-viewer-no-access');
    await go(`#/stores/${storeId}/settings/store`);
    await page.getByLabel('Name', { exact: true }).waitFor();
    expect(await page.getByLabel('Name', { exact: true }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Save changes' }).count()).toBe(0);
    await shot('32-viewer-store-settings');
    // The organization's name is shown to a viewer, but not offered for renaming.
    await go(`#/stores/${storeId}/settings/organization`);
    expect(await page.getByLabel('Organization name').inputValue()).toBe('Acme Outdoor Group');
    expect(await page.getByLabel('Organization name').isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Rename organization' }).count()).toBe(0);
  });

  it('stayed on its own origin, with no CSP violation, script error or dialog', () => {
    expect(foreignRequests).toEqual([]);
    expect(problems).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});
