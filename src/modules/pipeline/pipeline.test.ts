import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asKey,
  asUser,
  createTenant,
  createTestApp,
  deleteRedisKeys,
  type Tenant,
  type TestApp,
  waitFor,
} from '../../../test/harness/app.js';
import type { Database, Dialect } from '../../platform/db/database.js';
import { BufferUnavailableError } from './event-buffer.js';
import { createPipelineModule, type PipelineModule } from './pipeline.module.js';
import type { PipelineEvent, StoredEvent } from './pipeline-event.js';
import { streamKeys } from './redis-event-buffer.js';

const SETUPS: { dialect: Dialect; redis: boolean; label: string }[] = [
  { dialect: 'sqlite', redis: false, label: 'sqlite + in-process buffer' },
  { dialect: 'mysql', redis: true, label: 'mysql + redis stream' },
];

/** Test tuning: fast retries, and a worker is declared dead after 1.5 s without a heartbeat. */
const FAST = { retryBaseDelayMs: 20, heartbeatTtlMs: 1500 };

/** A database that refuses connections while `isDown` (an outage as the worker sees it). */
function flakyDatabase(real: Database): Database & { isDown: boolean; refusals: number } {
  const flaky = {
    isDown: false,
    refusals: 0,
    dialect: real.dialect,
    typed: real.typed,
    ping: real.ping,
    close: real.close,
    transaction<R>(work: Parameters<Database['transaction']>[0]): Promise<R> {
      if (flaky.isDown) {
        flaky.refusals += 1;
        return Promise.reject(
          Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' }),
        );
      }
      return real.transaction(work) as Promise<R>;
    },
  };
  return flaky;
}

describe.each(SETUPS)('pipeline on $label', ({ dialect, redis }) => {
  // Stream-only behaviour exists only where there is a stream: defined for Redis setups, not skipped elsewhere.
  const itWithStream = redis ? it : (_name: string, _test: () => Promise<void>) => undefined;
  let t: TestApp;
  let tenant: Tenant;
  let storeId: number;
  /** messageIds the batch hook saw, once per time it saw them. */
  const hooked: string[] = [];
  let isPoisonActive = true;
  const extraModules: { module: PipelineModule; prefix: string | null }[] = [];

  const pipelineEvent = (fields: Partial<PipelineEvent> = {}): PipelineEvent => ({
    messageId: randomUUID(),
    type: 'track',
    event: 'Thing Happened',
    name: null,
    userId: null,
    anonymousId: `anon-${randomUUID()}`,
    groupId: null,
    previousId: null,
    sessionId: null,
    timestampMs: t.clock.nowMs(),
    sentAtMs: null,
    receivedAtMs: t.clock.nowMs(),
    properties: {},
    traits: {},
    context: {},
    pagePath: null,
    pageHost: null,
    pageTitle: null,
    referrerHost: null,
    channel: 'direct',
    utmSource: null,
    utmMedium: null,
    utmCampaign: null,
    utmTerm: null,
    utmContent: null,
    deviceType: 'desktop',
    browser: null,
    os: null,
    country: null,
    isBot: false,
    revenue: null,
    currency: null,
    orderId: null,
    isServer: false,
    ...fields,
  });

  const stored = async (messageId: string) =>
    (await t.services.pipeline.events.list(storeId, { limit: 10, messageId })).items.length;
  const waitStored = (messageId: string, count = 1) =>
    waitFor(
      () => stored(messageId),
      (n) => n >= count,
      { what: `${messageId} stored` },
    );

  /** A second pipeline on the same database (and, with Redis, its own or a shared stream prefix). */
  function extraPipeline(
    options: { database?: Database; prefix?: string | null; maxLength?: number; memoryMax?: number } = {},
  ) {
    const prefix =
      options.prefix === undefined
        ? t.redisKeyPrefix
          ? `${t.redisKeyPrefix}:x${extraModules.length}`
          : null
        : options.prefix;
    const module = createPipelineModule({
      database: options.database ?? t.db.database,
      redis: t.redis,
      clock: t.clock,
      ids: t.services.ids,
      logger: t.services.logger,
      config: { streamMaxLength: options.maxLength ?? 1_000_000 },
      options: {
        ...FAST,
        ...(prefix ? { redisKeyPrefix: prefix } : {}),
        memoryBufferMaxEvents: options.memoryMax ?? 100_000,
      },
    });
    extraModules.push({ module, prefix });
    return module;
  }

  beforeAll(async () => {
    t = await createTestApp(dialect, { redis, pipelineOptions: FAST });
    tenant = await createTenant(t, `pipeline${dialect}`);
    const store = await t.services.stores.findByPublicId(tenant.storeId);
    if (!store) throw new Error('store missing');
    storeId = store.id;
    t.services.pipeline.worker.addBatchHook(async (_tx, events: StoredEvent[]) => {
      for (const event of events) {
        if (isPoisonActive && event.messageId.startsWith('poison')) {
          throw new Error(`rollup bug: cannot handle ${event.messageId}`);
        }
      }
      hooked.push(...events.map((e) => e.messageId));
    });
  });
  afterAll(async () => {
    for (const { module, prefix } of extraModules) {
      await module.worker.stop();
      if (prefix && t.redis && !prefix.startsWith(t.redisKeyPrefix ?? '\u0000'))
        await deleteRedisKeys(t.redis, prefix);
    }
    await t?.close();
  });

  it('stores appended events and hands batch hooks each newly stored event once', async () => {
    const events = [pipelineEvent(), pipelineEvent(), pipelineEvent()];
    expect(await t.services.pipeline.buffer.append(storeId, events)).toEqual({ duplicates: [] });
    for (const event of events) await waitStored(event.messageId);
    for (const event of events) expect(hooked.filter((id) => id === event.messageId)).toHaveLength(1);
  });

  it('stores every value exactly as sent, whatever characters it holds', async () => {
    const awkward = `it's "quoted" \\ back\\slash ? ?? :name $1 \u0000 nul \n\r\t\u001a 🧦 ünï ' OR 1=1 -- `;
    const event = pipelineEvent({
      event: awkward.slice(0, 200),
      userId: awkward.slice(0, 100),
      pagePath: `/search?q=${awkward}`,
      properties: { text: awkward, nested: { list: [awkward, 1.5, null, true] } },
      context: { page: { title: awkward } },
      revenue: 12.3456,
      currency: 'EUR',
    });
    await t.services.pipeline.buffer.append(storeId, [event]);
    await waitStored(event.messageId);
    const [record] = (
      await t.services.pipeline.events.list(storeId, { limit: 1, messageId: event.messageId })
    ).items;
    expect(record).toMatchObject({
      event: event.event,
      userId: event.userId,
      properties: event.properties,
      context: event.context,
      revenue: 12.3456,
    });
    expect(record?.path).toBe(event.pagePath);
  });

  it('stores only the new events of a batch that repeats stored ones, and hooks see each once', async () => {
    const old = [pipelineEvent(), pipelineEvent()];
    await t.services.pipeline.buffer.append(storeId, old);
    for (const event of old) await waitStored(event.messageId);
    // A second pipeline with its own buffer (no ingest-side memory of the first's messageIds), so the
    // repeats reach the database, in one batch with new events around them.
    const module = extraPipeline();
    const seen: string[] = [];
    module.worker.addBatchHook(async (_tx, events) => {
      seen.push(...events.map((e) => e.messageId));
    });
    const fresh = [pipelineEvent(), pipelineEvent(), pipelineEvent()];
    await module.buffer.append(storeId, [fresh[0], old[0], fresh[1], old[1], fresh[2]] as PipelineEvent[]);
    module.worker.start();
    for (const event of fresh) await waitStored(event.messageId);
    await waitFor(
      async () => seen.length,
      (n) => n >= fresh.length,
      { what: 'the hook to see the new events' },
    );
    expect(seen.sort()).toEqual(fresh.map((e) => e.messageId).sort());
    for (const event of [...old, ...fresh]) expect(await stored(event.messageId)).toBe(1);
    expect(hooked.filter((id) => old.some((e) => e.messageId === id))).toHaveLength(2);
  });

  it('reads a page view back with the payload it was sent, storing the page fields only in columns', async () => {
    const page = {
      path: '/products/shirt',
      url: 'https://shop.example/products/shirt',
      referrer: 'https://google.com/',
      title: 'Shirt',
      search: '',
    };
    const event = pipelineEvent({
      type: 'page',
      event: null,
      name: 'Shirt',
      sessionId: 'sess-1',
      pagePath: page.path,
      pageHost: 'shop.example',
      pageTitle: page.title,
      referrerHost: 'google.com',
      properties: { path: page.path, url: page.url, title: page.title },
      context: { page, userAgent: 'Mozilla/5.0', sessionId: 'sess-1', ip: '203.0.113.0' },
    });
    await t.services.pipeline.buffer.append(storeId, [event]);
    await waitStored(event.messageId);
    const [read] = (await t.services.pipeline.events.list(storeId, { limit: 1, messageId: event.messageId }))
      .items;
    expect(read).toMatchObject({ properties: event.properties, context: event.context, traits: {} });
    const row = await t.db.database
      .typed<{ events: { message_id: string; properties: string | null; context: string | null } }>()
      .selectFrom('events')
      .select(['properties', 'context'])
      .where('message_id', '=', event.messageId)
      .executeTakeFirstOrThrow();
    expect(row.properties).toBeNull();
    // The user agent is in the context dictionary; the event keeps what is its own.
    expect(JSON.parse(row.context ?? '{}')).toEqual({ ip: '203.0.113.0' });
  });

  it("stores a browser's device context once, however many events carry it, and reads every event back whole", async () => {
    const device = {
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0',
      library: { name: 'analytics.js', version: '5.2.0' },
      locale: 'de-DE',
      timezone: 'Europe/Berlin',
      screen: { width: 1920, height: 1080 },
    };
    const events = [0, 1, 2].map((i) =>
      pipelineEvent({
        timestampMs: pipelineEvent().timestampMs + i * 1000,
        context: {
          ...device,
          ip: `198.51.100.${i}`,
          device: { id: `device-${i}`, advertisingId: `ad-${i}` },
          custom: { n: i },
        },
      }),
    );
    const other = pipelineEvent({ context: { ...device, locale: 'fr-FR' } });
    await t.services.pipeline.buffer.append(storeId, [...events, other]);
    for (const event of [...events, other]) await waitStored(event.messageId);
    for (const event of [...events, other]) {
      const [read] = (
        await t.services.pipeline.events.list(storeId, { limit: 1, messageId: event.messageId })
      ).items;
      expect(read?.context).toEqual(event.context);
    }
    const db = t.db.database.typed<{
      events: { message_id: string; context: string | null; context_id: number | null };
      event_contexts: { id: number; store_id: number; body: string };
    }>();
    const rows = await db
      .selectFrom('events')
      .select(['context', 'context_id'])
      .where(
        'message_id',
        'in',
        events.map((e) => e.messageId),
      )
      .execute();
    expect(new Set(rows.map((r) => r.context_id)).size).toBe(1);
    for (const row of rows) {
      // What identifies a device or a person stays with the event, never in the shared row.
      const own = JSON.parse(row.context ?? '{}') as Record<string, unknown>;
      expect(Object.keys(own).sort()).toEqual(['custom', 'device', 'ip']);
    }
    const shared = await db
      .selectFrom('event_contexts')
      .select('body')
      .where('id', '=', Number(rows[0]?.context_id))
      .executeTakeFirstOrThrow();
    expect(JSON.parse(shared.body)).toEqual(device);
    const otherRow = await db
      .selectFrom('events')
      .select('context_id')
      .where('message_id', '=', other.messageId)
      .executeTakeFirstOrThrow();
    expect(otherRow.context_id).not.toBe(rows[0]?.context_id);
  });

  it('moves a poison event to the dead letters after 5 failed deliveries while the rest keep flowing', async () => {
    const before = pipelineEvent();
    const poison = pipelineEvent({ messageId: `poison-${randomUUID()}` });
    const after = pipelineEvent();
    await t.services.pipeline.buffer.append(storeId, [before, poison, after]);
    await waitStored(before.messageId);
    await waitStored(after.messageId);
    const letters = await waitFor(
      async () => (await t.services.pipeline.deadLetters.list(storeId, { limit: 10 })).items,
      (items) => items.some((item) => item.messageId === poison.messageId),
      { what: 'the dead letter' },
    );
    const letter = letters.find((item) => item.messageId === poison.messageId);
    expect(letter).toMatchObject({ attempts: 5, reason: expect.stringMatching(/rollup bug/) });
    expect(await stored(poison.messageId)).toBe(0);
    const later = pipelineEvent();
    await t.services.pipeline.buffer.append(storeId, [later]);
    await waitStored(later.messageId);

    // The admin API: listed for deadletters:read, replayed with deadletters:write, audited.
    const list = await t.app.inject({
      method: 'GET',
      url: `/api/v1/stores/${tenant.storeId}/dead-letters`,
      headers: asUser(tenant.members.admin),
    });
    expect(list.statusCode).toBe(200);
    const item = (list.json().items as { id: string; messageId: string; payload: string }[]).find(
      (i) => i.messageId === poison.messageId,
    );
    expect(item?.id).toMatch(/^dlq_/);
    expect(JSON.parse(item?.payload ?? '{}').messageId).toBe(poison.messageId);
    const analyst = await t.app.inject({
      method: 'GET',
      url: `/api/v1/stores/${tenant.storeId}/dead-letters`,
      headers: asUser(tenant.members.analyst),
    });
    expect(analyst.statusCode).toBe(403);

    const replayUrl = `/api/v1/stores/${tenant.storeId}/dead-letters/${item?.id}/replay`;
    const stillBroken = await t.app.inject({
      method: 'POST',
      url: replayUrl,
      headers: asKey(tenant.secretKey),
    });
    expect(stillBroken.statusCode).toBe(409);
    expect(stillBroken.json().detail).toMatch(/rollup bug/);
    isPoisonActive = false;
    const replayed = await t.app.inject({ method: 'POST', url: replayUrl, headers: asKey(tenant.secretKey) });
    expect(replayed.statusCode).toBe(200);
    expect(replayed.json()).toMatchObject({
      outcome: 'stored',
      deadLetter: { replayedAt: expect.any(String) },
    });
    expect(await stored(poison.messageId)).toBe(1);
    const again = await t.app.inject({ method: 'POST', url: replayUrl, headers: asKey(tenant.secretKey) });
    expect(again.statusCode).toBe(409);
    const remaining = await t.app.inject({
      method: 'GET',
      url: `/api/v1/stores/${tenant.storeId}/dead-letters`,
      headers: asKey(tenant.secretKey),
    });
    expect(remaining.json().items.some((i: { messageId: string }) => i.messageId === poison.messageId)).toBe(
      false,
    );
  });

  it('keeps events through a database outage, uncounted, and stores them when it returns', async () => {
    const flaky = flakyDatabase(t.db.database);
    const module = extraPipeline({ database: flaky });
    flaky.isDown = true;
    module.worker.start();
    const events = [pipelineEvent(), pipelineEvent()];
    await module.buffer.append(storeId, events);
    await waitFor(
      async () => flaky.refusals,
      (n) => n >= 3,
      { what: 'the worker retrying the outage' },
    );
    expect(await stored(events[0]?.messageId as string)).toBe(0);
    flaky.isDown = false;
    for (const event of events) await waitStored(event.messageId);
    const letters = await module.deadLetters.list(storeId, { limit: 50 });
    expect(letters.items.filter((l) => events.some((e) => e.messageId === l.messageId))).toEqual([]);
  });

  it('drops events of a suppressed subject in the worker, even when they were already buffered', async () => {
    const module = extraPipeline();
    const erased = pipelineEvent({ userId: 'erased-in-worker' });
    const kept = pipelineEvent({ userId: 'kept-in-worker' });
    await module.buffer.append(storeId, [erased, kept]);
    module.addSuppressionCheck((_s, userId) => userId === 'erased-in-worker');
    module.worker.start();
    await waitStored(kept.messageId);
    expect(await stored(erased.messageId)).toBe(0);
  });

  it('answers BufferUnavailableError, taking nothing, when the buffer is full', async () => {
    const module = extraPipeline({ maxLength: 2, memoryMax: 2 });
    await expect(
      module.buffer.append(storeId, [pipelineEvent(), pipelineEvent(), pipelineEvent()]),
    ).rejects.toBeInstanceOf(BufferUnavailableError);
    await expect(module.buffer.append(storeId, [pipelineEvent(), pipelineEvent()])).resolves.toEqual({
      duplicates: [],
    });
  });

  it('keeps taking events after Redis forgets its scripts (a restart, SCRIPT FLUSH)', async () => {
    await t.redis?.script('FLUSH');
    const event = pipelineEvent();
    expect(await t.services.pipeline.buffer.append(storeId, [event])).toEqual({ duplicates: [] });
    await waitStored(event.messageId);
  });

  it('judges appends made at the same moment one after another, each with its own answer', async () => {
    // With Redis these go out in one script call; the answers must be those of three calls in a row.
    const module = extraPipeline({ maxLength: 4, memoryMax: 4 });
    const [first, second, third] = [pipelineEvent(), pipelineEvent(), pipelineEvent()] as PipelineEvent[];
    const results = await Promise.allSettled([
      module.buffer.append(storeId, [first as PipelineEvent, second as PipelineEvent]),
      module.buffer.append(storeId, [{ ...(second as PipelineEvent) }, third as PipelineEvent]),
      module.buffer.append(storeId, [pipelineEvent(), pipelineEvent()]),
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: { duplicates: [] } });
    // The repeated messageId is a duplicate in the later request only.
    expect(results[1]).toEqual({ status: 'fulfilled', value: { duplicates: [0] } });
    // Three events are buffered; two more would pass the cap of four: the last request alone is refused.
    expect(results[2]).toMatchObject({ status: 'rejected', reason: expect.any(BufferUnavailableError) });
    module.worker.start();
    await waitStored((third as PipelineEvent).messageId);
    expect(await stored((second as PipelineEvent).messageId)).toBe(1);
  });

  it('judges appends in the order they were made while earlier ones are still being written', async () => {
    // With Redis, the appends of one event-loop turn go out as one call, and a turn's call can still be with
    // Redis when the next is sent. Each request repeats the previous request's event: judged in order, that
    // one is the duplicate every time.
    const module = extraPipeline({ maxLength: 10_000, memoryMax: 10_000 });
    const events = Array.from({ length: 120 }, () => pipelineEvent());
    const appends: Promise<{ duplicates: number[] }>[] = [];
    for (let i = 0; i < events.length; i++) {
      const repeated = { ...(events[Math.max(0, i - 1)] as PipelineEvent) };
      appends.push(module.buffer.append(storeId, [events[i] as PipelineEvent, repeated]));
      // Spread over event-loop turns, so later requests arrive while earlier calls are in flight.
      if (i % 5 === 4) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(appends)).toEqual(events.map(() => ({ duplicates: [1] })));
    module.worker.start();
    await waitStored((events.at(-1) as PipelineEvent).messageId);
    expect(await stored((events[0] as PipelineEvent).messageId)).toBe(1);
  });

  it('takes many full-size requests made at the same moment, each answered on its own', async () => {
    // Thirty requests of 2,500 events: with Redis, 150,000 arguments, more than one function call can take.
    const module = extraPipeline({ maxLength: 100_000, memoryMax: 100_000 });
    const requests = Array.from({ length: 30 }, () => Array.from({ length: 2500 }, () => pipelineEvent()));
    const repeated = { ...(requests[0]?.[0] as PipelineEvent) };
    (requests[29] as PipelineEvent[])[2499] = repeated;
    const results = await Promise.all(requests.map((events) => module.buffer.append(storeId, events)));
    expect(results.slice(0, 29)).toEqual(Array.from({ length: 29 }, () => ({ duplicates: [] })));
    expect(results[29]).toEqual({ duplicates: [2499] });
  });

  it('dates an order from its earliest Order Completed when its events arrive out of order', async () => {
    const orderId = `late-${randomUUID()}`;
    const anonymousId = `buyer-${randomUUID()}`;
    const completedAtMs = t.clock.nowMs() - 60_000;
    const order = (fields: Partial<PipelineEvent>) =>
      pipelineEvent({
        anonymousId,
        orderId,
        currency: 'EUR',
        properties: { order_id: orderId, total: 50, currency: 'EUR' },
        ...fields,
      });
    // Each in its own batch, in this arrival order: the update, the browser's completion, the server's copy
    // (stamped earlier than the browser's: the shop's backend knew the order first).
    const arrivals = [
      order({ event: 'Order Updated', timestampMs: completedAtMs + 30_000 }),
      order({ event: 'Order Completed', timestampMs: completedAtMs + 5_000, revenue: 50 }),
      order({ event: 'Order Completed', timestampMs: completedAtMs, revenue: 55, isServer: true }),
    ];
    for (const event of arrivals) {
      await t.services.pipeline.buffer.append(storeId, [event]);
      await waitStored(event.messageId);
    }
    const { items } = await t.services.pipeline.orders.list(storeId, { limit: 10, orderId });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ placedAtMs: completedAtMs, revenue: 55, isCompleted: true });
  });

  it("credits an order to its session's landing page even when the server's copy is stored first", async () => {
    const orderId = `race-${randomUUID()}`;
    const anonymousId = `buyer-${randomUUID()}`;
    const sessionId = `session-${randomUUID()}`;
    const startMs = t.clock.nowMs() - 120_000;
    const completed = (fields: Partial<PipelineEvent>) =>
      pipelineEvent({
        event: 'Order Completed',
        anonymousId,
        sessionId,
        orderId,
        revenue: 50,
        currency: 'EUR',
        timestampMs: startMs + 60_000,
        properties: { order_id: orderId, total: 50, currency: 'EUR' },
        ...fields,
      });
    // The shop's backend joins the browser's session (ingest does so for server events) and its batch can
    // commit before the browser's: it has no page, so it says nothing about how the visitor came.
    const server = completed({ isServer: true });
    await t.services.pipeline.buffer.append(storeId, [server]);
    await waitStored(server.messageId);
    const landing = pipelineEvent({
      type: 'page',
      event: null,
      anonymousId,
      sessionId,
      timestampMs: startMs,
      pagePath: '/',
      pageHost: 'shop.example',
      channel: 'paid',
      referrerHost: 'www.google.com',
      utmSource: 'google',
      utmMedium: 'cpc',
      utmCampaign: 'socks',
    });
    const browser = completed({ pagePath: '/checkout/done', pageHost: 'shop.example', channel: 'internal' });
    await t.services.pipeline.buffer.append(storeId, [landing, browser]);
    await waitStored(browser.messageId);
    const { items } = await t.services.pipeline.orders.list(storeId, { limit: 10, orderId });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      channel: 'paid',
      utmSource: 'google',
      utmMedium: 'cpc',
      utmCampaign: 'socks',
      referrerHost: 'www.google.com',
    });
  });

  itWithStream('stores a redelivered or concurrently consumed entry once, hooks included', async () => {
    if (!t.redis || !t.redisKeyPrefix) throw new Error('redis setup');
    const keys = streamKeys(t.redisKeyPrefix);
    const event = pipelineEvent();
    const payload = JSON.stringify(event);
    // A second worker on the same stream, with the same hook: two consumers racing over copies of one event.
    const second = extraPipeline({ prefix: t.redisKeyPrefix });
    second.worker.addBatchHook(async (_tx, events) => {
      hooked.push(...events.map((e) => e.messageId));
    });
    second.worker.start();
    const adds = t.redis.pipeline();
    for (let i = 0; i < 40; i++) adds.xadd(keys.stream, '*', 's', String(storeId), 'n', '1', 'e', payload);
    adds.incrby(keys.backlog, 40); // as ingest counts what it appends
    await adds.exec();
    await waitStored(event.messageId);
    const marker = pipelineEvent();
    await t.services.pipeline.buffer.append(storeId, [marker]);
    await waitStored(marker.messageId);
    await waitFor(
      async () => t.redis?.xlen(keys.stream),
      (n) => n === 0,
      { what: 'the stream to drain' },
    );
    expect(await stored(event.messageId)).toBe(1);
    expect(hooked.filter((id) => id === event.messageId)).toHaveLength(1);
  });

  itWithStream('dead-letters a damaged event at once and keeps going', async () => {
    if (!t.redis || !t.redisKeyPrefix) throw new Error('redis setup');
    const keys = streamKeys(t.redisKeyPrefix);
    await t.redis.xadd(keys.stream, '*', 's', String(storeId), 'n', '1', 'e', '{not json');
    await t.redis.xadd(keys.stream, '*', 's', String(storeId), 'n', '0');
    await t.redis.incrby(keys.backlog, 1); // as ingest counts what it appends
    const next = pipelineEvent();
    await t.services.pipeline.buffer.append(storeId, [next]);
    await waitStored(next.messageId);
    const letters = await waitFor(
      async () => (await t.services.pipeline.deadLetters.list(storeId, { limit: 50 })).items,
      (items) =>
        items.some((item) => item.payload === '{not json') &&
        items.some((item) => /entry has no events/.test(item.reason)),
      { what: 'the damaged event and entry dead-lettered' },
    );
    expect(letters.find((item) => item.payload === '{not json')).toMatchObject({
      attempts: 1,
      reason: expect.stringMatching(/damaged event: payload is not JSON/),
    });
    await waitFor(
      async () => t.redis?.get(keys.backlog),
      (n) => n === '0',
      { what: 'the backlog to empty' },
    );
  });

  itWithStream('claims what a dead worker left pending and stores it', async () => {
    if (!t.redis) throw new Error('redis setup');
    const module = extraPipeline();
    const prefix = extraModules[extraModules.length - 1]?.prefix as string;
    const keys = streamKeys(prefix);
    const events = Array.from({ length: 5 }, () => pipelineEvent());
    await module.buffer.append(storeId, events);
    // A worker that read the entries and died: they sit in its pending list, and it has no heartbeat.
    await t.redis.xgroup('CREATE', keys.stream, keys.group, '0');
    const taken = await t.redis.xreadgroup(
      'GROUP',
      keys.group,
      'ghost',
      'COUNT',
      10,
      'STREAMS',
      keys.stream,
      '>',
    );
    expect(taken).not.toBeNull();
    module.worker.start();
    for (const event of events) await waitStored(event.messageId);
    const failures = await t.redis.hlen(keys.failures);
    expect(failures).toBe(0);
    await waitFor(
      async () => t.redis?.xlen(keys.stream),
      (n) => n === 0,
      { what: 'the stream to drain' },
    );
  });
});
