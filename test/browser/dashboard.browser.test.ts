// The dashboard in a real browser (Debian's Chromium through playwright-core) against a real Footfall started
// in-process on SQLite, behind the app's real CSP. Endpoints that do not exist yet (reports, events) are served
// from fixtures with page.route() in the tests that need them; everything else goes to the server.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../dashboard/build.js';
import type { FunnelRequest } from '../../dashboard/src/api/types.js';
import { buildHttpApp } from '../../src/main/http.js';
import { registerDashboardRoutes } from '../../src/modules/dashboard/index.js';
import type { HttpApp } from '../../src/platform/http/app.js';
import { createTestApp, PASSWORD, type TestApp } from '../harness/app.js';
import * as fixtures from './report-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');
const OWNER = { email: 'owner@acme.test', name: 'Olivia Owner' };
const XSS = fixtures.XSS;

interface Running {
  t: TestApp;
  app: HttpApp;
  url: string;
}

/**
 * Footfall on a free port with the dashboard served at `/`. Until src/main/http.ts registers the dashboard, the
 * harness's app (already `ready`, so closed to new routes) is rebuilt on the same services with the routes added.
 */
async function startFootfall(): Promise<Running> {
  const t = await createTestApp('sqlite', { startMs: Date.now() });
  let app = t.app;
  if (!t.routes.some((r) => r.method === 'GET' && r.url === '/')) {
    const built = await buildHttpApp(t.services, { role: 'all' });
    registerDashboardRoutes(built.app, { assets: (await buildDashboard()).files });
    await built.app.ready();
    app = built.app;
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { t, app, url: `http://127.0.0.1:${port}` };
}

const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 10_000 });

const selectedText = (select: Locator) =>
  select.evaluate((element) => (element as HTMLSelectElement).selectedOptions[0]?.textContent ?? '');

// No Chromium is a failure, never a skip: .ci/run installs Debian's chromium when it is missing.
describe('dashboard in a browser', () => {
  it('has Chromium to drive', () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  });

  let running: Running;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const dialogs: string[] = [];
  const problems: string[] = [];
  const foreignRequests: string[] = [];
  let storeId = '';
  let viewerPassword = '';
  let writeKey = '';

  /** Sends one event the way a store's backend would: Segment-style, the write key as Basic user name. */
  async function track(event: Record<string, unknown>): Promise<void> {
    const response = await fetch(`${running.url}/v1/${String(event.type ?? 'track')}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ anonymousId: 'anon-browser-test', messageId: randomUUID(), ...event }),
    });
    expect(response.status, await response.text()).toBeLessThan(300);
  }

  /**
   * Saves a screenshot. Full-page shots grow the viewport to the page's height first, so the sticky sidebar and
   * bars render as a user on a tall screen would see them (a stitched capture leaves them at 900 px).
   */
  async function shot(name: string, options: { fullPage?: boolean } = {}): Promise<void> {
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
    running = await startFootfall();
    const { accounts } = running.t.services;
    const system = { type: 'system' as const, id: null, label: 'test' };
    const user = await accounts.createUser({ email: OWNER.email, name: OWNER.name, password: PASSWORD });
    const org = await accounts.createOrganization('Acme Outdoor', system);
    await accounts.addMember(org, { userId: user.id, role: 'owner' }, system);

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
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('dialog', async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      // Refused requests (401 before sign-in, 400 for a bad field, 404 for endpoints not built yet) are logged by
      // the browser as errors; they are expected. Script errors and CSP violations are not.
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
  });

  it('creates a write key in the guide and shows the snippet with it', async () => {
    await page.getByRole('button', { name: 'Create write key' }).click();
    const snippet = page.locator('#install-snippet');
    await eventually(async () => (await snippet.textContent()) ?? '').toContain('data-write-key="ff_pub_');
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
    await shot('10-store-settings');
    // A field the API refuses is highlighted with its detail.
    await page.getByLabel('Allowed origins').fill('shop.example.com');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page
      .locator('.field.invalid')
      .getByText(/not an origin/)
      .waitFor();
    await shot('11-store-settings-error');
    await page.getByRole('button', { name: 'Discard' }).click();
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
    await shot('12-members');
  });

  it('shows the audit log', async () => {
    await go(`#/stores/${storeId}/settings/audit`);
    await page.getByRole('table', { name: 'Audit log' }).waitFor();
    const log = await page.getByRole('table', { name: 'Audit log' }).textContent();
    for (const action of ['store.created', 'store.updated', 'key.created', 'member.added', 'auth.login']) {
      expect(log).toContain(action);
    }
    await shot('13-audit-log');
  });

  it('shows the overview, or says the report is not available while the server lacks it', async () => {
    await go(`#/stores/${storeId}/overview`);
    const served = running.app.hasRoute({ method: 'GET', url: '/api/v1/stores/:storeId/reports/overview' });
    if (served) {
      await page
        .getByRole('region', { name: 'Key figures' })
        .or(page.getByText('No visitors in this period yet'))
        .waitFor();
      await shot('14-overview-real');
    } else {
      await page.getByText("The overview report isn't available on this server yet").waitFor();
      await shot('14-overview-not-available');
    }
  });

  describe('with report, privacy, job and dead-letter answers served from fixtures', () => {
    beforeAll(async () => {
      await page.route(/\/api\/v1\/stores\/[^/]+\/reports\/[a-z]+(\?|$)/, async (route) => {
        const url = new URL(route.request().url());
        const name = url.pathname.split('/').pop();
        const q = (key: string, fallback: string) => url.searchParams.get(key) ?? fallback;
        const from = q('from', '2026-11-01');
        const to = q('to', '2026-11-30');
        const limit = Number(q('limit', '100'));
        const body =
          name === 'overview'
            ? fixtures.overview(from, to)
            : name === 'sources'
              ? fixtures.breakdown(q('dimension', 'channel'), from, to, limit)
              : name === 'technology'
                ? fixtures.breakdown(q('dimension', 'device'), from, to, limit)
                : name === 'pages'
                  ? fixtures.pages(from, to, limit)
                  : name === 'ecommerce'
                    ? fixtures.ecommerce(from, to)
                    : name === 'products'
                      ? fixtures.products(from, to)
                      : name === 'funnel'
                        ? fixtures.funnel(route.request().postDataJSON() as FunnelRequest, from, to)
                        : name === 'attribution'
                          ? fixtures.attribution(q('dimension', 'channel'), from, to)
                          : fixtures.live(Date.now());
        return route.fulfill({ json: body });
      });
      await page.route(/\/api\/v1\/stores\/[^/]+\/privacy\/(erasures|exports)$/, (route) =>
        route.fulfill({
          json: fixtures.privacyRequests(
            route.request().url().endsWith('/exports') ? 'export' : 'erasure',
            Date.now(),
          ),
        }),
      );
      await page.route(/\/api\/v1\/orgs\/[^/]+\/cron\/jobs$/, (route) =>
        route.fulfill({ json: fixtures.cronJobs(Date.now()) }),
      );
      await page.route(/\/api\/v1\/orgs\/[^/]+\/cron\/runs\?/, (route) =>
        route.fulfill({ json: fixtures.cronRuns(Date.now()) }),
      );
      await page.route(/\/api\/v1\/stores\/[^/]+\/dead-letters\?/, (route) =>
        route.fulfill({ json: fixtures.deadLetters(Date.now()) }),
      );
    });

    afterAll(async () => {
      await page.unrouteAll({ behavior: 'wait' });
    });

    it('overview: KPI tiles with deltas, a chart with a table view, top lists', async () => {
      await go(`#/stores/${storeId}/overview`);
      await page.reload(); // the previous test left this very page showing its "not available" state
      await page.getByRole('region', { name: 'Key figures' }).waitFor();
      await page.locator('.chart canvas').waitFor();
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
      // Filtering by a channel puts it in the URL and on a chip.
      await page.getByRole('button', { name: 'email', exact: true }).click();
      await page.getByRole('list', { name: 'Active filters' }).getByText('email').waitFor();
      expect(page.url()).toContain('filter=channel%3Aemail');
    });

    it('acquisition, pages, technology, eCommerce, products', async () => {
      await go(`#/stores/${storeId}/acquisition?view=referrerHost`);
      await page.getByRole('table', { name: 'Referrers' }).waitFor();
      expect(await page.getByRole('table', { name: 'Referrers' }).textContent()).toContain(XSS);
      await shot('21-acquisition');
      await go(`#/stores/${storeId}/pages`);
      await page.getByRole('table', { name: 'Pages' }).waitFor();
      await shot('22-pages');
      await go(`#/stores/${storeId}/technology`);
      await page.getByRole('table', { name: 'Devices' }).waitFor();
      await shot('23-technology');
      await go(`#/stores/${storeId}/ecommerce`);
      await page.locator('.chart canvas').waitFor();
      await shot('24-ecommerce');
      await go(`#/stores/${storeId}/products`);
      await page.getByRole('table', { name: 'Products' }).waitFor();
      await page.getByRole('button', { name: 'View → purchase' }).click();
      await shot('25-products');
      expect(await page.locator('img[src="x"]').count()).toBe(0);
    });

    it('funnels: the checkout preset with drop-off and time to convert', async () => {
      await go(`#/stores/${storeId}/funnels`);
      await page.getByRole('list', { name: 'Funnel steps' }).waitFor();
      await page.getByLabel('Break down by').selectOption('channel');
      await page.getByRole('button', { name: 'Calculate' }).click();
      await page.getByRole('table', { name: 'Funnel breakdown' }).waitFor();
      expect(await page.getByRole('list', { name: 'Funnel steps' }).textContent()).toContain('dropped off');
      await shot('26-funnels');
    });

    it('attribution', async () => {
      await go(`#/stores/${storeId}/attribution`);
      await page.getByRole('table', { name: 'Last touch attribution' }).waitFor();
      await shot('27-attribution');
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
      await page.getByRole('button', { name: 'Product Viewed' }).click({ timeout: 20_000 });
      const details = page.getByRole('region', { name: 'Details of Product Viewed' });
      await eventually(async () => (await details.textContent()) ?? '').toContain(XSS);
      expect(await page.locator('img[src="x"]').count()).toBe(0);
      expect(dialogs).toEqual([]);
      await shot('28-live');
    });

    it('privacy requests, scheduled jobs and dead letters', async () => {
      await go(`#/stores/${storeId}/settings/privacy`);
      await page.getByRole('table', { name: 'Erasure requests' }).waitFor();
      await shot('33-privacy');
      await go(`#/stores/${storeId}/settings/jobs`);
      await page.getByRole('table', { name: 'Jobs' }).waitFor();
      await shot('34-jobs');
      await go(`#/stores/${storeId}/settings/dead-letters`);
      await page.getByRole('table', { name: 'Dead letters' }).waitFor();
      await page.getByRole('button', { name: 'Order Completed' }).click();
      const dialog = page.getByRole('dialog', { name: 'Order Completed' });
      await eventually(async () => (await dialog.textContent()) ?? '').toContain(XSS);
      expect(await page.locator('img[src="x"]').count()).toBe(0);
      await shot('35-dead-letter', { fullPage: false });
      await dialog.getByRole('button', { name: 'Close' }).first().click();
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
  });

  it('stayed on its own origin, with no CSP violation, script error or dialog', () => {
    expect(foreignRequests).toEqual([]);
    expect(problems).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});
