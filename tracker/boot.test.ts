import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { installFakeBrowser } from './fake-browser.js';
import type { Footfall } from './footfall.js';
import { boot } from './src/boot.js';
import { createEcommerce } from './src/ecommerce.js';

type Global = { footfall?: Footfall | ((...args: unknown[]) => void) };
const g = globalThis as unknown as Global;

function page(dataset: Record<string, string>, src = 'https://cdn.ff.test/footfall.js?v=1a2b3c4d') {
  const browser = installFakeBrowser({ url: 'https://shop.test/' });
  browser.document.currentScript = { src, dataset };
  return browser;
}

/** The documented queue stub, as a store would paste it. */
function installStub() {
  const w = globalThis as unknown as { footfall?: { (...args: unknown[]): void; q?: IArguments[] } };
  w.footfall =
    w.footfall ||
    function () {
      // biome-ignore lint/suspicious/noAssignInExpressions: verbatim from the documented snippet
      // biome-ignore lint/complexity/noArguments: the stub records its arguments object
      (w.footfall!.q = w.footfall!.q || []).push(arguments);
    };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  delete g.footfall;
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('loading from a script tag', () => {
  it('sends to the origin the script came from, with the write key of data-write-key', async () => {
    const browser = page({ writeKey: 'ff_pub_abc' });
    boot();
    await vi.advanceTimersByTimeAsync(1000);
    expect(browser.requests.map((r) => r.url)).toEqual(['https://cdn.ff.test/v1/batch?writeKey=ff_pub_abc']);
    expect(browser.events()[0]?.type).toBe('page');
  });

  it('sends to data-api instead when given', async () => {
    const browser = page({ writeKey: 'ff_pub_abc', api: 'https://collect.shop.test/' });
    boot();
    await vi.advanceTimersByTimeAsync(1000);
    expect(browser.requests[0]?.url).toBe('https://collect.shop.test/v1/batch?writeKey=ff_pub_abc');
  });

  it('reads data-consent, data-auto-page and data-cookieless', async () => {
    const browser = page({ writeKey: 'k', consent: 'pending', autoPage: 'false', cookieless: '' });
    boot();
    g.footfall && (g.footfall as Footfall).track('Held');
    await vi.advanceTimersByTimeAsync(1000);
    expect(browser.requests).toHaveLength(0);
    (g.footfall as Footfall).consent('granted');
    await vi.advanceTimersByTimeAsync(1000);
    expect(browser.events().map((e) => e.event ?? e.type)).toEqual(['Held']);
    expect(browser.localStorage.writes).toBe(0);
  });

  it('replays calls queued by the stub, consent first, and stays callable as footfall("method", …)', async () => {
    const browser = page({ writeKey: 'k' });
    installStub();
    const early = g.footfall as (...args: unknown[]) => void;
    early('track', 'Early Click', { button: 'hero' });
    early('consent', 'pending');
    boot();
    const footfall = g.footfall as Footfall;
    expect(footfall).not.toBe(early);
    footfall('track', 'Called');
    footfall.track('Method');
    footfall('consent', 'granted');
    await vi.advanceTimersByTimeAsync(1000);
    expect(browser.events().map((e) => e.event ?? e.type)).toEqual([
      'Early Click',
      'page',
      'Called',
      'Method',
    ]);
  });

  it('ignores a second copy of the script', () => {
    page({ writeKey: 'k' });
    boot();
    const first = g.footfall;
    boot();
    expect(g.footfall).toBe(first);
  });

  it('adds the eCommerce helpers in the full build', async () => {
    const browser = page({ writeKey: 'k', autoPage: 'false' });
    boot((core) => createEcommerce(core.track));
    (g.footfall as Footfall).orderCompleted({ orderId: 'o1', total: 30, currency: 'USD', products: [] });
    (g.footfall as Footfall)('productViewed', { productId: 'p1', price: '9.50' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(browser.events().map((e) => [e.event, e.properties])).toEqual([
      ['Order Completed', { order_id: 'o1', total: 30, currency: 'USD', products: [] }],
      ['Product Viewed', { product_id: 'p1', price: 9.5 }],
    ]);
  });
});
