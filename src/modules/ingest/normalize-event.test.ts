import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type NormalizeContext, type NormalizedEvent, normalizeEvent } from './normalize-event.js';

const DAY_MS = 24 * 60 * 60_000;
const receivedAtMs = Date.parse('2025-06-15T12:00:00.000Z');
const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

function makeContext(overrides: Partial<NormalizeContext> = {}): NormalizeContext {
  let n = 0;
  return {
    receivedAtMs,
    requestIp: '203.0.113.42',
    requestUserAgent: CHROME_WINDOWS,
    ipPolicy: 'truncate',
    backfillWindowMs: 30 * DAY_MS,
    newMessageId: () => `generated-${++n}`,
    ...overrides,
  };
}

function normalizeOk(raw: unknown, overrides: Partial<NormalizeContext> = {}): NormalizedEvent {
  const res = normalizeEvent(raw, makeContext(overrides));
  if (!res.ok) throw new Error(`expected ok, got: ${res.reason} (${res.field ?? '-'})`);
  return res.event;
}

const orderCompleted = {
  messageId: 'msg-1',
  type: 'track',
  event: 'order completed',
  anonymousId: 'anon-1',
  userId: 42,
  timestamp: '2025-06-15T11:59:50.000Z',
  sentAt: '2025-06-15T12:00:00.000Z',
  properties: {
    order_id: 1001,
    total: 27.5,
    revenue: 25,
    currency: 'usd',
    products: [{ product_id: 'p1', price: 12.5, quantity: 2 }],
  },
  context: {
    ip: '198.51.100.77',
    locale: 'en-US',
    page: {
      url: 'https://shop.example/checkout/thanks?utm_source=google&utm_medium=cpc&gclid=abc',
      referrer: 'https://www.google.com/',
      title: 'Thanks',
    },
    location: { country: 'us' },
    sessionId: 1718452800000,
  },
};

describe('normalizeEvent', () => {
  it('normalises a complete Order Completed', () => {
    const event = normalizeOk(orderCompleted);
    expect(event).toEqual<NormalizedEvent>({
      messageId: 'msg-1',
      messageIdAssigned: false,
      type: 'track',
      event: 'Order Completed',
      name: null,
      userId: '42',
      anonymousId: 'anon-1',
      groupId: null,
      previousId: null,
      timestampMs: receivedAtMs - 10_000,
      sentAtMs: Date.parse('2025-06-15T12:00:00.000Z'),
      receivedAtMs,
      originalTimestampMs: Date.parse('2025-06-15T11:59:50.000Z'),
      sessionId: '1718452800000',
      properties: {
        order_id: '1001',
        total: 27.5,
        revenue: 25,
        currency: 'USD',
        products: [{ product_id: 'p1', price: 12.5, quantity: 2 }],
      },
      traits: {},
      context: { ...orderCompleted.context, ip: '198.51.100.0' },
      ip: '198.51.100.0',
      pageUrl: 'https://shop.example/checkout/thanks?utm_source=google&utm_medium=cpc&gclid=abc',
      pagePath: '/checkout/thanks',
      pageHost: 'shop.example',
      pageTitle: 'Thanks',
      referrer: 'https://www.google.com/',
      referrerHost: 'google.com',
      channel: 'paid',
      utmSource: 'google',
      utmMedium: 'cpc',
      utmCampaign: null,
      utmTerm: null,
      utmContent: null,
      clickIds: { gclid: 'abc' },
      userAgent: CHROME_WINDOWS,
      browser: 'Chrome',
      browserVersion: '126',
      os: 'Windows',
      osVersion: '10',
      deviceType: 'desktop',
      isBot: false,
      locale: 'en-US',
      country: 'US',
      revenue: 25,
      currency: 'USD',
      orderId: '1001',
      isEcommerce: true,
    });
  });

  it('assigns a messageId when the client sent none', () => {
    const event = normalizeOk({ type: 'page', anonymousId: 'a' });
    expect(event).toMatchObject({ messageId: 'generated-1', messageIdAssigned: true });
  });

  it('rejects with the field and the client messageId', () => {
    const res = normalizeEvent(
      { ...orderCompleted, properties: { ...orderCompleted.properties, currency: 'dollars' } },
      makeContext(),
    );
    expect(res).toEqual({
      ok: false,
      reason: 'properties.currency must be an ISO 4217 currency code, like USD',
      field: 'properties.currency',
      messageId: 'msg-1',
    });
  });

  it.each([
    [
      'a missing order_id',
      { event: 'Order Completed', properties: { total: 1, currency: 'EUR' } },
      'properties.order_id',
    ],
    [
      'a string price',
      { event: 'Product Added', properties: { sku: 's', price: '9.99', currency: 'EUR' } },
      'properties.price',
    ],
    [
      'a GA4 purchase without a transaction id',
      { event: 'purchase', properties: { value: 5, currency: 'EUR' } },
      'properties.order_id',
    ],
    ['a future timestamp', { event: 'x', timestamp: '2025-06-17T00:00:00Z' }, 'timestamp'],
    ['an ancient timestamp', { event: 'x', timestamp: '2020-01-01T00:00:00Z' }, 'timestamp'],
    ['a malformed sentAt', { event: 'x', sentAt: 'now' }, 'sentAt'],
  ])('rejects %s', (_label, overrides, field) => {
    const res = normalizeEvent({ type: 'track', anonymousId: 'a', ...overrides }, makeContext());
    expect(res.ok).toBe(false);
    expect(!res.ok && res.field).toBe(field);
  });

  it('stores custom events without eCommerce checks', () => {
    const event = normalizeOk({
      type: 'track',
      anonymousId: 'a',
      event: 'Newsletter Joined',
      properties: { price: 'free' },
    });
    expect(event).toMatchObject({
      event: 'Newsletter Joined',
      isEcommerce: false,
      revenue: null,
      currency: null,
    });
  });

  it('maps a GA4 purchase and keeps the original name in context', () => {
    const event = normalizeOk({
      type: 'track',
      anonymousId: 'a',
      event: 'purchase',
      properties: {
        transaction_id: 'T-9',
        value: 40,
        currency: 'eur',
        items: [{ item_id: 'x', price: 20, quantity: 2 }],
      },
    });
    expect(event).toMatchObject({
      event: 'Order Completed',
      orderId: 'T-9',
      revenue: 40,
      currency: 'EUR',
      isEcommerce: true,
      context: { ga4Event: 'purchase' },
      properties: { order_id: 'T-9', revenue: 40, products: [{ product_id: 'x', price: 20, quantity: 2 }] },
    });
  });

  it('records an Order Refunded as a positive refunded amount', () => {
    const event = normalizeOk({
      type: 'track',
      userId: 'u',
      event: 'Order Refunded',
      properties: { order_id: 'o-1', total: -15, currency: 'GBP' },
    });
    expect(event).toMatchObject({ revenue: 15, orderId: 'o-1', currency: 'GBP' });
  });

  it('merges the batch context under the event context', () => {
    const event = normalizeOk(
      { type: 'track', anonymousId: 'a', event: 'x', context: { library: { name: 'mine' } } },
      { batchContext: { library: { name: 'batch' }, locale: 'de-DE' } },
    );
    expect(event.context).toMatchObject({ library: { name: 'mine' }, locale: 'de-DE' });
    expect(event.locale).toBe('de-DE');
  });

  it('uses the batch sentAt for skew correction', () => {
    const event = normalizeOk(
      { type: 'track', anonymousId: 'a', event: 'x', timestamp: '2025-06-15T08:00:00.000Z' },
      { sentAtMs: Date.parse('2025-06-15T08:00:30.000Z') },
    );
    expect(event.timestampMs).toBe(receivedAtMs - 30_000);
  });

  describe('IP policy', () => {
    it.each([
      ['truncate', '203.0.113.0'],
      ['full', '203.0.113.42'],
      ['none', null],
    ] as const)('%s stores %j and leaves no raw address in context', (ipPolicy, ip) => {
      const event = normalizeOk(
        { type: 'track', anonymousId: 'a', event: 'x', context: { ip: '203.0.113.42' } },
        { ipPolicy },
      );
      expect(event.ip).toBe(ip);
      if (ip === null) expect(Object.hasOwn(event.context, 'ip')).toBe(false);
      else expect(event.context.ip).toBe(ip);
    });

    it('falls back to the request IP when context.ip is not an address', () => {
      const event = normalizeOk({ type: 'track', anonymousId: 'a', event: 'x', context: { ip: 'unknown' } });
      expect(event).toMatchObject({ ip: '203.0.113.0', context: { ip: '203.0.113.0' } });
    });

    it('truncates an IPv4-mapped request address as IPv4', () => {
      const event = normalizeOk({ type: 'page', anonymousId: 'a' }, { requestIp: '::ffff:192.0.2.200' });
      expect(event.ip).toBe('192.0.2.0');
    });

    it('stores no IP when the request had none', () => {
      const event = normalizeOk({ type: 'page', anonymousId: 'a' }, { requestIp: null });
      expect(event.ip).toBeNull();
    });
  });

  describe('user agent', () => {
    it('prefers context.userAgent over the request header', () => {
      const event = normalizeOk(
        { type: 'page', anonymousId: 'a', context: { userAgent: 'Mozilla/5.0 (compatible; bingbot/2.0)' } },
        { requestUserAgent: CHROME_WINDOWS },
      );
      expect(event).toMatchObject({
        isBot: true,
        deviceType: 'bot',
        userAgent: 'Mozilla/5.0 (compatible; bingbot/2.0)',
      });
    });

    it('has no device facts without any user agent', () => {
      const event = normalizeOk({ type: 'identify', userId: 'u' }, { requestUserAgent: null });
      expect(event).toMatchObject({ userAgent: null, browser: null, deviceType: 'other', isBot: false });
    });
  });

  it('reads page calls from their properties', () => {
    const event = normalizeOk({
      type: 'page',
      anonymousId: 'a',
      name: 'Cart',
      properties: {
        url: 'https://shop.example/cart',
        title: 'Your cart',
        referrer: 'https://shop.example/p/1',
      },
    });
    expect(event).toMatchObject({
      name: 'Cart',
      pagePath: '/cart',
      pageTitle: 'Your cart',
      channel: 'internal',
    });
  });

  it('classifies own hosts as internal', () => {
    const event = normalizeOk(
      {
        type: 'page',
        anonymousId: 'a',
        context: { page: { url: 'https://shop.example/', referrer: 'https://pay.example/done' } },
      },
      { ownHosts: ['pay.example'] },
    );
    expect(event.channel).toBe('internal');
  });

  it.each([
    [{ location: { country: 'de' } }, undefined, 'DE'],
    [{ location: { country: 'Germany' } }, 'FR', 'Germany'],
    [{}, 'fr', 'FR'],
    [{}, 'XX', null],
    [{}, null, null],
  ])('reads the country from context %j or header %j', (context, requestCountry, country) => {
    const event = normalizeOk({ type: 'page', anonymousId: 'a', context }, { requestCountry });
    expect(event.country).toBe(country);
  });

  it('strips prototype-pollution keys arriving over the wire', () => {
    const raw: unknown = JSON.parse(
      '{"type":"track","event":"x","anonymousId":"a","properties":{"__proto__":{"admin":true},"ok":1},' +
        '"context":{"constructor":{"prototype":{"admin":true}}},"traits":{"prototype":1}}',
    );
    const event = normalizeOk(raw);
    expect(event.properties).toEqual({ ok: 1 });
    expect(event.traits).toEqual({});
    expect(Object.hasOwn(event.context, 'constructor')).toBe(false);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('truncates enriched columns but keeps the properties whole', () => {
    const longTitle = 't'.repeat(10_000);
    const event = normalizeOk({ type: 'page', anonymousId: 'a', properties: { title: longTitle } });
    expect(event.pageTitle?.length).toBe(8192);
    expect(event.properties.title).toBe(longTitle);
  });
});

describe('normalizeEvent on arbitrary input', () => {
  const FORBIDDEN = ['__proto__', 'constructor', 'prototype'];

  function hasForbiddenOwnKey(root: unknown): boolean {
    const stack: unknown[] = [root];
    while (stack.length > 0) {
      const value = stack.pop();
      if (value === null || typeof value !== 'object') continue;
      if (FORBIDDEN.some((key) => Object.hasOwn(value, key))) return true;
      stack.push(...Object.values(value));
    }
    return false;
  }

  function checkResult(raw: unknown): void {
    const res = normalizeEvent(raw, makeContext());
    if (res.ok) {
      expect(hasForbiddenOwnKey(res.event)).toBe(false);
      expect(Number.isFinite(res.event.timestampMs)).toBe(true);
      expect(res.event.messageId.length).toBeGreaterThan(0);
    } else {
      expect(typeof res.reason).toBe('string');
      expect(res.reason.length).toBeGreaterThan(0);
    }
  }

  it('never throws on any JSON value', () => {
    fc.assert(fc.property(fc.jsonValue(), checkResult), { numRuns: 500 });
  });

  it('never throws on any object', () => {
    fc.assert(fc.property(fc.object(), checkResult), { numRuns: 500 });
  });

  // Mostly-valid events reach deeper into the pipeline than random JSON does.
  const key = fc.oneof(
    fc.constantFrom(...FORBIDDEN, 'price', 'currency', 'order_id', 'products', 'ip', 'page'),
    fc.string(),
  );
  const anyValue = fc.jsonValue({ maxDepth: 3 });
  const eventLike = fc.record(
    {
      type: fc.constantFrom('track', 'page', 'screen', 'identify', 'group', 'alias', 'other'),
      event: fc.oneof(
        fc.constantFrom('Order Completed', 'product added', 'purchase', 'add_to_cart', 'x'),
        anyValue,
      ),
      anonymousId: fc.oneof(fc.string(), fc.integer()),
      userId: fc.oneof(fc.string(), anyValue),
      groupId: fc.string(),
      previousId: fc.string(),
      messageId: fc.oneof(fc.uuid(), anyValue),
      timestamp: fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.constant('2025-06-15T11:00:00Z'),
        anyValue,
      ),
      sentAt: fc.oneof(fc.constant('2025-06-15T11:00:05Z'), anyValue),
      properties: fc.dictionary(key, anyValue),
      context: fc.dictionary(key, anyValue),
      traits: fc.dictionary(key, anyValue),
    },
    { requiredKeys: ['type', 'anonymousId'] },
  );

  it('never throws on event-shaped input and leaves no forbidden key after a JSON round trip', () => {
    fc.assert(
      fc.property(eventLike, (raw) => {
        checkResult(JSON.parse(JSON.stringify(raw)));
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts some event-shaped input (the generator is not vacuous)', () => {
    const results = fc
      .sample(eventLike, 300)
      .map((raw) => normalizeEvent(JSON.parse(JSON.stringify(raw)), makeContext()));
    expect(results.some((res) => res.ok)).toBe(true);
    expect(results.some((res) => !res.ok)).toBe(true);
  });
});
