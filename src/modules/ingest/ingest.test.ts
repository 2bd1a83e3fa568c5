import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asKey,
  createTenant,
  createTestApp,
  findIntegerIds,
  type Tenant,
  type TestApp,
  waitFor,
} from '../../../test/harness/app.js';
import type { Dialect } from '../../platform/db/database.js';
import { MAX_EVENTS_PER_REQUEST } from './ingest.service.js';

// Every tracking-API behaviour on both deployments: SQLite with the in-process buffer (embedded), MariaDB with
// the Redis stream (production). Storage is asynchronous, so tests poll the events API for it.
const SETUPS: { dialect: Dialect; redis: boolean; label: string }[] = [
  { dialect: 'sqlite', redis: false, label: 'sqlite + in-process buffer' },
  { dialect: 'mysql', redis: true, label: 'mysql + redis stream' },
];

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
const CHROME_UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe.each(SETUPS)('tracking API on $label', ({ dialect, redis }) => {
  let t: TestApp;
  let tenant: Tenant;
  const at = (offsetMs = 0) => new Date(t.clock.nowMs() + offsetMs).toISOString();
  const track = (fields: Record<string, unknown> = {}) => ({
    type: 'track',
    event: 'Button Clicked',
    messageId: randomUUID(),
    anonymousId: `anon-${randomUUID()}`,
    timestamp: at(),
    ...fields,
  });

  const send = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', ...headers },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });

  const listEvents = async (query: Record<string, string>, who: Tenant = tenant) => {
    const response = await t.app.inject({
      method: 'GET',
      url: `/api/v1/stores/${who.storeId}/events`,
      query,
      headers: asKey(who.secretKey),
    });
    expect(response.statusCode).toBe(200);
    return response.json() as { items: Record<string, unknown>[]; nextCursor: string | null };
  };

  const waitForEvents = (query: Record<string, string>, count: number, who: Tenant = tenant) =>
    waitFor(
      async () => (await listEvents(query, who)).items,
      (items) => items.length >= count,
      { what: `${count} stored events matching ${JSON.stringify(query)}` },
    );

  /** Waits until an event sent after the ones under test is stored: the buffer is FIFO per worker. */
  const drain = async () => {
    const marker = randomUUID();
    const response = await send('/v1/track', track({ messageId: marker }), {
      authorization: basic(tenant.writeKey),
    });
    expect(response.statusCode).toBe(200);
    await waitForEvents({ messageId: marker }, 1);
  };

  beforeAll(async () => {
    t = await createTestApp(dialect, { redis });
    tenant = await createTenant(t, `ingest${dialect}`);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('accepts a Segment track call with the write key as Basic user name and stores it enriched', async () => {
    const messageId = randomUUID();
    const response = await send(
      '/v1/track',
      {
        event: 'Product Viewed',
        messageId,
        anonymousId: 'visitor-1',
        timestamp: at(),
        properties: { product_id: 'sku-1', price: 19.99, currency: 'eur' },
        context: {
          page: {
            url: 'https://shop.example/products/sku-1?utm_source=newsletter&utm_medium=email&utm_campaign=winter',
            path: '/products/sku-1',
            title: 'Socks',
            referrer: 'https://www.google.com/',
          },
          locale: 'de-DE',
          location: { country: 'de' },
        },
      },
      { authorization: basic(tenant.writeKey), 'user-agent': CHROME_UA },
    );
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });

    const [stored] = await waitForEvents({ messageId }, 1);
    expect(stored).toMatchObject({
      messageId,
      type: 'track',
      event: 'Product Viewed',
      anonymousId: 'visitor-1',
      userId: null,
      properties: { product_id: 'sku-1', price: 19.99, currency: 'EUR' },
      enrichment: {
        path: '/products/sku-1',
        pageHost: 'shop.example',
        title: 'Socks',
        referrerHost: 'google.com',
        utmSource: 'newsletter',
        utmMedium: 'email',
        utmCampaign: 'winter',
        deviceType: 'desktop',
        browser: 'Chrome',
        os: 'Mac OS',
        country: 'DE',
        isBot: false,
      },
    });
    expect(stored?.id).toMatch(/^evt_[0-9a-z]{26}$/);
    expect(typeof stored?.sessionId).toBe('string');
    expect(stored?.receivedAt).toBe(new Date(t.clock.nowMs()).toISOString());
    // The request IP (inject's 127.0.0.1) is truncated before storage.
    expect((stored?.context as { ip?: string } | undefined)?.ip).toBe('127.0.0.0');
    expect(findIntegerIds(stored)).toEqual([]);
  });

  it.each(['track', 'page', 'screen', 'identify', 'group', 'alias'])('accepts POST /v1/%s', async (type) => {
    const messageId = randomUUID();
    const body: Record<string, unknown> = {
      messageId,
      userId: `user-${type}`,
      timestamp: at(),
      ...(type === 'track' ? { event: 'Signed Up' } : {}),
      ...(type === 'page' || type === 'screen' ? { name: 'Home' } : {}),
      ...(type === 'identify' ? { traits: { plan: 'pro' } } : {}),
      ...(type === 'group' ? { groupId: 'company-1' } : {}),
      ...(type === 'alias' ? { previousId: 'anon-before-login' } : {}),
    };
    const response = await send(`/v1/${type}`, body, { authorization: basic(tenant.writeKey) });
    expect(response.statusCode).toBe(200);
    expect(response.json().accepted).toBe(1);
    const [stored] = await waitForEvents({ messageId }, 1);
    expect(stored).toMatchObject({ type, userId: `user-${type}` });
    if (type === 'identify') expect(stored?.traits).toEqual({ plan: 'pro' });
    if (type === 'group') expect(stored?.groupId).toBe('company-1');
    if (type === 'alias') expect(stored?.previousId).toBe('anon-before-login');
  });

  it('takes the write key from the body, and from ?writeKey= with a text/plain body (sendBeacon)', async () => {
    const inBody = track();
    const byBody = await send('/v1/batch', { writeKey: tenant.writeKey, batch: [inBody] });
    expect(byBody.statusCode).toBe(200);
    expect(byBody.json().accepted).toBe(1);

    const beacon = track();
    const byQuery = await t.app.inject({
      method: 'POST',
      url: `/v1/batch?writeKey=${encodeURIComponent(tenant.writeKey)}`,
      headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'https://shop.example' },
      payload: JSON.stringify({ batch: [beacon] }),
    });
    expect(byQuery.statusCode).toBe(200);
    expect(byQuery.headers['access-control-allow-origin']).toBe('https://shop.example');
    await waitForEvents({ messageId: inBody.messageId as string }, 1);
    await waitForEvents({ messageId: beacon.messageId as string }, 1);
  });

  it('lets a secret key with events:write send server-side events, as Bearer or Basic user name', async () => {
    const bearer = track({ userId: 'customer-9', anonymousId: undefined });
    const viaBearer = await send('/v1/track', bearer, {
      authorization: `Bearer ${tenant.secretKey}`,
      'user-agent': 'python-requests/2.31',
    });
    expect(viaBearer.statusCode).toBe(200);
    const viaBasic = await send(
      '/v1/batch',
      { batch: [track()] },
      { authorization: basic(tenant.secretKey) },
    );
    expect(viaBasic.statusCode).toBe(200);
    const [stored] = await waitForEvents({ messageId: bearer.messageId as string }, 1);
    // Server-to-server: the request's IP and UA are the shop's backend, not the shopper's.
    expect(stored?.enrichment).toMatchObject({ isBot: false, browser: null });
    expect((stored?.context as { ip?: string } | undefined)?.ip).toBeUndefined();
  });

  it('refuses secret keys without events:write, and secret keys used from a browser', async () => {
    const store = await t.services.stores.findByPublicId(tenant.storeId);
    if (!store) throw new Error('store missing');
    const readOnly = await t.services.keys.create(
      store,
      { type: 'secret', scopes: ['reports:read'] },
      { type: 'system', id: null, label: 'test' },
    );
    const noScope = await send('/v1/track', track(), { authorization: `Bearer ${readOnly.secret}` });
    expect(noScope.statusCode).toBe(403);
    expect(noScope.headers['content-type']).toMatch(/application\/problem\+json/);
    const fromBrowser = await send('/v1/track', track(), {
      authorization: `Bearer ${tenant.secretKey}`,
      origin: 'https://shop.example',
    });
    expect(fromBrowser.statusCode).toBe(403);
  });

  it('answers 401 problem+json for a missing, unknown or revoked key, accepting nothing', async () => {
    const event = track();
    const missing = await send('/v1/track', event);
    expect(missing.statusCode).toBe(401);
    expect(missing.json().code).toBe('unauthenticated');
    const unknown = await send('/v1/track', event, {
      authorization: basic('ff_pub_notarealkeyatall00000000'),
    });
    expect(unknown.statusCode).toBe(401);

    const store = await t.services.stores.findByPublicId(tenant.storeId);
    if (!store) throw new Error('store missing');
    const system = { type: 'system' as const, id: null, label: 'test' };
    const doomed = await t.services.keys.create(store, { type: 'publishable' }, system);
    expect((await send('/v1/track', track(), { authorization: basic(doomed.secret) })).statusCode).toBe(200);
    await t.services.keys.revoke(store, doomed.key, system);
    const revoked = await send('/v1/track', event, { authorization: basic(doomed.secret) });
    expect(revoked.statusCode).toBe(401);
    await drain();
    expect((await listEvents({ messageId: event.messageId as string })).items).toHaveLength(0);
  });

  it('binds a publishable key to its origins: others get 403, allowed ones get CORS headers', async () => {
    const store = await t.services.stores.findByPublicId(tenant.storeId);
    if (!store) throw new Error('store missing');
    const bound = await t.services.keys.create(
      store,
      { type: 'publishable', allowedOrigins: ['https://shop.example'] },
      { type: 'system', id: null, label: 'test' },
    );
    const allowed = await send('/v1/track', track(), {
      authorization: basic(bound.secret),
      origin: 'https://shop.example',
    });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(String(allowed.headers.vary)).toMatch(/Origin/);

    const stranger = await send('/v1/track', track(), {
      authorization: basic(bound.secret),
      origin: 'https://evil.example',
    });
    expect(stranger.statusCode).toBe(403);
    expect(stranger.json().field).toBe('origin');

    // Preflight: allowed for anyone without a key; refused up front when the URL names a bound key.
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/v1/batch',
      headers: {
        origin: 'https://other.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': 'https://other.example',
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-max-age': '600',
    });
    expect(String(preflight.headers['access-control-allow-headers'])).toMatch(/Authorization/);
    const refusedPreflight = await t.app.inject({
      method: 'OPTIONS',
      url: `/v1/batch?writeKey=${encodeURIComponent(bound.secret)}`,
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(refusedPreflight.statusCode).toBe(403);
    expect(refusedPreflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("also enforces the store's allowed origins when it has any", async () => {
    const other = await createTenant(t, `origins${dialect}`);
    const store = await t.services.stores.findByPublicId(other.storeId);
    if (!store) throw new Error('store missing');
    await t.services.stores.update(
      store,
      { allowedOrigins: ['https://store-only.example'] },
      { type: 'system', id: null, label: 'test' },
    );
    const refused = await send('/v1/track', track(), {
      authorization: basic(other.writeKey),
      origin: 'https://shop.example',
    });
    expect(refused.statusCode).toBe(403);
    const ok = await send('/v1/track', track(), {
      authorization: basic(other.writeKey),
      origin: 'https://store-only.example',
    });
    expect(ok.statusCode).toBe(200);
  });

  it('assigns a messageId when there is none, and says so', async () => {
    const anonymousId = `assigned-${randomUUID()}`;
    const response = await send(
      '/v1/batch',
      { batch: [track({ messageId: undefined, anonymousId }), track({ anonymousId })] },
      { authorization: basic(tenant.writeKey) },
    );
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.accepted).toBe(2);
    expect(body.assigned).toEqual([{ index: 0, messageId: expect.any(String) }]);
    await waitForEvents({ messageId: body.assigned[0].messageId }, 1);
  });

  it('accepts the valid events of a batch and reports each invalid one, which is never stored', async () => {
    const good = track({ messageId: `good-${randomUUID()}` });
    const noIdentity = track({ messageId: `noid-${randomUUID()}`, anonymousId: undefined });
    const noOrderId = track({
      messageId: `noorder-${randomUUID()}`,
      event: 'Order Completed',
      properties: { revenue: 10, currency: 'USD' },
    });
    const badCurrency = track({
      messageId: `cur-${randomUUID()}`,
      event: 'Order Completed',
      properties: { order_id: 'o-1', revenue: 10, currency: 'DOLLARS' },
    });
    const stringMoney = track({
      messageId: `money-${randomUUID()}`,
      event: 'Product Added',
      properties: { product_id: 'p', price: '10', currency: 'USD' },
    });
    const notAnObject = 'just a string';
    const response = await send(
      '/v1/batch',
      { batch: [good, noIdentity, noOrderId, badCurrency, stringMoney, notAnObject] },
      { authorization: basic(tenant.writeKey) },
    );
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.accepted).toBe(1);
    expect(body.rejected).toEqual([
      {
        index: 1,
        messageId: noIdentity.messageId,
        reason: expect.stringMatching(/userId or anonymousId/),
        field: 'anonymousId',
      },
      {
        index: 2,
        messageId: noOrderId.messageId,
        reason: expect.stringMatching(/order_id/),
        field: 'properties.order_id',
      },
      {
        index: 3,
        messageId: badCurrency.messageId,
        reason: expect.stringMatching(/ISO 4217/),
        field: 'properties.currency',
      },
      {
        index: 4,
        messageId: stringMoney.messageId,
        reason: expect.stringMatching(/number/),
        field: 'properties.price',
      },
      { index: 5, reason: expect.any(String) },
    ]);
    await waitForEvents({ messageId: good.messageId as string }, 1);
    await drain();
    for (const bad of [noIdentity, noOrderId, badCurrency, stringMoney]) {
      expect((await listEvents({ messageId: bad.messageId as string })).items).toHaveLength(0);
    }
  });

  it('answers a single invalid event with 400 naming the field', async () => {
    const response = await send(
      '/v1/track',
      { event: 'Order Refunded', anonymousId: 'a', properties: {} },
      { authorization: basic(tenant.writeKey) },
    );
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation_failed', field: 'properties.order_id' });
  });

  it('answers 400 and accepts nothing for a body that is not JSON or not the right shape', async () => {
    const auth = { authorization: basic(tenant.writeKey) };
    const notJson = await send('/v1/batch', '{"batch": [', auth);
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().code).toBe('malformed_body');
    const notBatch = await send('/v1/batch', { events: [track()] }, auth);
    expect(notBatch.statusCode).toBe(400);
    const arrayForSingle = await send('/v1/track', [track()], auth);
    expect(arrayForSingle.statusCode).toBe(400);
    const wrongType = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'a=b',
    });
    expect(wrongType.statusCode).toBe(415);
  });

  it('answers 413 naming the limit: 500 KB per request, 2,500 events per request, 32 KB per single event', async () => {
    const auth = { authorization: basic(tenant.writeKey) };
    const padding = 'x'.repeat(400);
    const huge = { batch: Array.from({ length: 1400 }, () => track({ properties: { padding } })) };
    const tooBig = await send('/v1/batch', huge, auth);
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json().detail).toMatch(/500 KB/);

    const tooMany = await send(
      '/v1/batch',
      { batch: Array.from({ length: MAX_EVENTS_PER_REQUEST + 1 }, () => ({ type: 'track' })) },
      auth,
    );
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json().detail).toMatch(/2,500 events/);

    const bigEvent = track({ properties: { blob: 'y'.repeat(33 * 1024) } });
    const single = await send('/v1/track', bigEvent, auth);
    expect(single.statusCode).toBe(413);
    expect(single.json().detail).toMatch(/32 KB/);

    const small = track();
    const inBatch = await send('/v1/batch', { batch: [small, bigEvent] }, auth);
    expect(inBatch.statusCode).toBe(200);
    expect(inBatch.json()).toMatchObject({
      accepted: 1,
      rejected: [{ index: 1, messageId: bigEvent.messageId, reason: expect.stringMatching(/32 KB/) }],
    });
  });

  it('accepts gzip bodies and refuses encodings it cannot read with 415', async () => {
    const event = track();
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: {
        authorization: basic(tenant.writeKey),
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      payload: gzipSync(JSON.stringify({ batch: [event] })),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().accepted).toBe(1);
    await waitForEvents({ messageId: event.messageId as string }, 1);
    const brotli = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: {
        authorization: basic(tenant.writeKey),
        'content-type': 'application/json',
        'content-encoding': 'br',
      },
      payload: 'irrelevant',
    });
    expect(brotli.statusCode).toBe(415);
  });

  it('answers alike on the direct lane (plain bodies) and through Fastify (gzip bodies)', async () => {
    // Plain JSON bodies are served by the node:http lane in front of Fastify; gzip ones by the Fastify routes.
    const answer = async (url: string, payload: unknown, headers: Record<string, string>, gzip: boolean) => {
      const text = JSON.stringify(payload);
      const response = await t.app.inject({
        method: 'POST',
        url,
        headers: {
          'content-type': 'application/json',
          origin: 'https://shop.example',
          'user-agent': CHROME_UA,
          ...headers,
          ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        },
        payload: gzip ? gzipSync(text) : text,
      });
      const { date: _date, 'content-length': _length, connection: _c, ...rest } = response.headers;
      expect(rest['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      const { requestId, ...body } = response.json() as Record<string, unknown>;
      if (response.statusCode >= 400) expect(requestId).toBe(rest['x-request-id']);
      // Ids given to events sent without one differ by nature.
      if (Array.isArray(body.assigned))
        body.assigned = body.assigned.map((item: { index: number }) => ({ ...item, messageId: 'given' }));
      return { status: response.statusCode, headers: { ...rest, 'x-request-id': 'id' }, body };
    };
    const auth = { authorization: basic(tenant.writeKey) };
    const cases: [string, (gzip: boolean) => unknown, Record<string, string>][] = [
      // Accepted, one event and a batch with one invalid event, and without a messageId.
      ['/v1/track', () => track({ messageId: randomUUID() }), auth],
      ['/v1/batch', () => ({ batch: [track(), { type: 'track', event: 'x' }] }), auth],
      ['/v1/page/', () => ({ anonymousId: 'a-1', timestamp: at() }), auth],
      // Refused: invalid event, wrong shape, no key, unknown key, bad scheme.
      ['/v1/track', () => ({ event: 'No ids', timestamp: at() }), auth],
      ['/v1/batch', () => ({ batch: 'nope' }), auth],
      ['/v1/identify', () => track(), {}],
      ['/v1/track', () => track(), { authorization: basic('ff_pub_unknown') }],
      ['/v1/track', () => track(), { authorization: 'Digest x' }],
      ['/v1/alias?writeKey=nope', () => track(), {}],
    ];
    for (const [url, payload, headers] of cases) {
      const direct = await answer(url, payload(false), headers, false);
      const viaFastify = await answer(url, payload(true), headers, true);
      expect({ url, ...direct }).toEqual({ url, ...viaFastify });
    }
  });

  it('stores a messageId once: sent twice, sent in one batch twice, sent concurrently', async () => {
    const auth = { authorization: basic(tenant.writeKey) };
    const event = track();
    expect((await send('/v1/track', event, auth)).json()).toMatchObject({ accepted: 1, duplicates: 0 });
    expect((await send('/v1/track', event, auth)).json()).toMatchObject({ accepted: 0, duplicates: 1 });

    const twice = track();
    expect((await send('/v1/batch', { batch: [twice, twice] }, auth)).json()).toMatchObject({
      accepted: 1,
      duplicates: 1,
    });

    const raced = track();
    const answers = await Promise.all(Array.from({ length: 8 }, () => send('/v1/track', raced, auth)));
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    await drain();
    // Batches commit in parallel, so the drain marker is no barrier: wait for each id, then count exactly one.
    for (const id of [event.messageId, twice.messageId, raced.messageId]) {
      expect(await waitForEvents({ messageId: id as string }, 1)).toHaveLength(1);
    }
  });

  it('derives a session per visitor with the 30-minute inactivity rule, and keeps a client session id', async () => {
    const auth = { authorization: basic(tenant.writeKey) };
    const anonymousId = `sessions-${randomUUID()}`;
    const first = track({ anonymousId, timestamp: at() });
    const second = track({ anonymousId, timestamp: at(10 * 60_000) });
    const later = track({ anonymousId, timestamp: at(50 * 60_000) });
    const own = track({ anonymousId: `own-${randomUUID()}`, context: { sessionId: 'client-session-1' } });
    t.clock.advance(60 * 60_000);
    const response = await send('/v1/batch', { batch: [first, second, later, own] }, auth);
    expect(response.json().accepted).toBe(4);
    const items = await waitForEvents({ anonymousId }, 3);
    const byId = new Map(items.map((item) => [item.messageId, item.sessionId]));
    expect(byId.get(first.messageId)).toBe(byId.get(second.messageId));
    expect(byId.get(later.messageId)).not.toBe(byId.get(first.messageId));
    const [ownStored] = await waitForEvents({ messageId: own.messageId as string }, 1);
    expect(ownStored?.sessionId).toBe('client-session-1');
  });

  it('gives a new visitor one derived session when its first requests arrive concurrently', async () => {
    const auth = { authorization: basic(tenant.writeKey), 'user-agent': CHROME_UA };
    const anonymousId = `concurrent-${randomUUID()}`;
    const server = { authorization: `Bearer ${tenant.secretKey}` };
    const answers = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) =>
        send('/v1/track', track({ anonymousId, timestamp: at(i * 1000) }), auth),
      ),
      send(
        '/v1/batch',
        { batch: [track({ anonymousId }), track({ anonymousId, timestamp: at(500) })] },
        auth,
      ),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual(new Array(13).fill(200));
    const items = await waitForEvents({ anonymousId }, 14);
    const sessions = new Set(items.map((item) => item.sessionId));
    expect(sessions.size).toBe(1);
    expect([...sessions][0]).toEqual(expect.any(String));
    // The store's backend then joins that session rather than starting one.
    const order = track({
      anonymousId,
      event: 'Order Completed',
      properties: { order_id: `o-${randomUUID()}`, total: 5, currency: 'EUR' },
    });
    expect((await send('/v1/track', order, server)).json().accepted).toBe(1);
    const [joined] = await waitForEvents({ messageId: order.messageId as string }, 1);
    expect(joined?.sessionId).toBe([...sessions][0]);
  });

  it('lists events newest first with filters and an opaque cursor, never exposing integer ids', async () => {
    const auth = { authorization: basic(tenant.writeKey) };
    const userId = `lister-${randomUUID()}`;
    const events = Array.from({ length: 5 }, (_, i) =>
      track({ userId, event: i % 2 === 0 ? 'Even' : 'Odd', timestamp: at(-(i + 1) * 1000) }),
    );
    expect((await send('/v1/batch', { batch: events }, auth)).json().accepted).toBe(5);
    await waitForEvents({ userId }, 5);
    const page1 = await listEvents({ userId, limit: '2' });
    expect(page1.items.map((e) => e.messageId)).toEqual([events[0]?.messageId, events[1]?.messageId]);
    expect(page1.nextCursor).toMatch(/^evt_/);
    const page2 = await listEvents({ userId, limit: '2', cursor: page1.nextCursor as string });
    expect(page2.items.map((e) => e.messageId)).toEqual([events[2]?.messageId, events[3]?.messageId]);
    const page3 = await listEvents({ userId, limit: '2', cursor: page2.nextCursor as string });
    expect(page3.items).toHaveLength(1);
    expect(page3.nextCursor).toBeNull();
    expect((await listEvents({ userId, event: 'Even' })).items).toHaveLength(3);
    expect((await listEvents({ userId, type: 'page' })).items).toHaveLength(0);
    const window = await listEvents({ userId, from: at(-3500), to: at(-1500) });
    expect(window.items.map((e) => e.messageId)).toEqual([events[1]?.messageId, events[2]?.messageId]);
    expect(findIntegerIds(page1)).toEqual([]);
    const badCursor = await t.app.inject({
      method: 'GET',
      url: `/api/v1/stores/${tenant.storeId}/events?cursor=12`,
      headers: asKey(tenant.secretKey),
    });
    expect(badCursor.statusCode).toBe(400);
  });

  it("keeps tenants apart: a store's events are invisible to another store's key", async () => {
    const neighbour = await createTenant(t, `neighbour${dialect}`);
    const event = track();
    await send('/v1/track', event, { authorization: basic(tenant.writeKey) });
    await waitForEvents({ messageId: event.messageId as string }, 1);
    expect((await listEvents({ messageId: event.messageId as string }, neighbour)).items).toHaveLength(0);
    const cross = await t.app.inject({
      method: 'GET',
      url: `/api/v1/stores/${tenant.storeId}/events`,
      headers: asKey(neighbour.secretKey),
    });
    expect(cross.statusCode).toBe(404);
  });

  it('counts an order sent by the browser and by the server once, and nets refunds', async () => {
    const orderId = `order-${randomUUID()}`;
    const anonymousId = `buyer-${randomUUID()}`;
    const landing = {
      type: 'page',
      messageId: randomUUID(),
      anonymousId,
      timestamp: at(-60_000),
      context: {
        page: {
          url: 'https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=socks',
          referrer: 'https://www.google.com/',
        },
      },
    };
    const completed = (messageId: string) => ({
      type: 'track',
      event: 'Order Completed',
      messageId,
      anonymousId,
      timestamp: at(),
      properties: {
        order_id: orderId,
        revenue: 120,
        currency: 'EUR',
        products: [{ product_id: 'p1', price: 60, quantity: 2 }],
      },
    });
    const browser = await send(
      '/v1/batch',
      { batch: [landing, completed(randomUUID())] },
      {
        authorization: basic(tenant.writeKey),
        'user-agent': CHROME_UA,
      },
    );
    expect(browser.json().accepted).toBe(2);
    const server = await send(
      '/v1/track',
      { ...completed(randomUUID()), userId: 'customer-1' },
      {
        authorization: `Bearer ${tenant.secretKey}`,
      },
    );
    expect(server.json().accepted).toBe(1);
    const refund = {
      event: 'Order Refunded',
      messageId: randomUUID(),
      userId: 'customer-1',
      timestamp: at(1000),
      properties: { order_id: orderId, total: 45, currency: 'EUR' },
    };
    expect(
      (await send('/v1/track', refund, { authorization: `Bearer ${tenant.secretKey}` })).statusCode,
    ).toBe(200);
    // The same refund delivered again (a retry with the same messageId) does not refund twice.
    await send('/v1/track', refund, { authorization: `Bearer ${tenant.secretKey}` });

    const orders = await waitFor(
      async () => {
        const response = await t.app.inject({
          method: 'GET',
          url: `/api/v1/stores/${tenant.storeId}/orders`,
          query: { orderId },
          headers: asKey(tenant.secretKey),
        });
        return response.json().items as Record<string, unknown>[];
      },
      // Batches commit concurrently, so the server's copy and the refund may land in either order.
      (items) => items.length === 1 && items[0]?.refundedTotal === 45 && items[0]?.revenueSource === 'server',
      { what: 'the refunded order' },
    );
    expect(orders[0]).toMatchObject({
      orderId,
      status: 'partially_refunded',
      currency: 'EUR',
      revenue: 120,
      refundedTotal: 45,
      netRevenue: 75,
      revenueSource: 'server',
      anonymousId,
      userId: 'customer-1',
      campaign: { channel: 'paid', utmSource: 'google', utmMedium: 'cpc', utmCampaign: 'socks' },
      lineItems: [{ product_id: 'p1', price: 60, quantity: 2 }],
    });
    expect(orders[0]?.id).toMatch(/^ord_/);
    expect(findIntegerIds(orders)).toEqual([]);
  });

  it('does not store events of a suppressed subject, at ingest or in the worker', async () => {
    const suppressed = new Set<string>();
    t.services.pipeline.addSuppressionCheck(
      (_storeId, userId, anonymousId) => suppressed.has(userId ?? '') || suppressed.has(anonymousId ?? ''),
    );
    suppressed.add('erased-person');
    const event = track({ userId: 'erased-person' });
    const response = await send(
      '/v1/batch',
      { batch: [event, track()] },
      { authorization: basic(tenant.writeKey) },
    );
    expect(response.json()).toMatchObject({
      accepted: 1,
      rejected: [{ index: 0, messageId: event.messageId, reason: expect.stringMatching(/erased/) }],
    });
    await drain();
    expect((await listEvents({ messageId: event.messageId as string })).items).toHaveLength(0);
  });

  it('answers 503 with Retry-After, accepting nothing, when the buffer cannot take events', async () => {
    const original = t.services.pipeline.buffer.append;
    const { BufferUnavailableError } = await import('../pipeline/index.js');
    t.services.pipeline.buffer.append = async () => {
      throw new BufferUnavailableError('The event buffer (Redis) is unreachable', 5);
    };
    try {
      const response = await send(
        '/v1/batch',
        { batch: [track()] },
        { authorization: basic(tenant.writeKey) },
      );
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json().code).toBe('unavailable');
    } finally {
      t.services.pipeline.buffer.append = original;
    }
  });
});
