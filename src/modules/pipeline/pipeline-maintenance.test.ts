import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, createTestApp, type Tenant, type TestApp } from '../../../test/harness/app.js';
import { DIALECTS } from '../../../test/harness/databases.js';
import { createPipelineMaintenanceService, deadLetterMentions } from './pipeline-maintenance.service.js';

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

describe('dead letter matching', () => {
  it.each([
    [JSON.stringify({ userId: 'u-1', anonymousId: 'a-9' }), { userId: 'u-1', anonymousId: null }, true],
    [JSON.stringify({ userId: 'u-1', anonymousId: 'a-9' }), { userId: null, anonymousId: 'a-9' }, true],
    [JSON.stringify({ userId: 'u-10', anonymousId: 'a-9' }), { userId: 'u-1', anonymousId: null }, false],
    ['{"userId":"u-1", damaged', { userId: 'u-1', anonymousId: null }, true],
    ['{"userId":"u-10", damaged', { userId: 'u-1', anonymousId: null }, false],
  ])('%s is about %j: %s', (payload, subject, expected) => {
    expect(deadLetterMentions(payload, subject)).toBe(expected);
  });
});

describe.each(DIALECTS)('pipeline maintenance SQL on %s', (dialect) => {
  let t: TestApp;
  let tenant: Tenant;
  let other: Tenant;
  const service = () => createPipelineMaintenanceService({ database: t.db.database });
  const storeId = async (who: Tenant) => (await t.services.stores.findByPublicId(who.storeId))?.id ?? 0;

  beforeAll(async () => {
    t = await createTestApp(dialect, { worker: false });
    tenant = await createTenant(t, `pm${dialect}`);
    other = await createTenant(t, `pmother${dialect}`);
    for (const who of [tenant, other]) {
      const batch = Array.from({ length: 8 }, (_, i) => ({
        type: 'track',
        event: 'Button Clicked',
        messageId: randomUUID(),
        anonymousId: i < 5 ? 'subject' : `visitor-${i}`,
        timestamp: new Date(t.clock.nowMs() - i * 60_000).toISOString(),
      }));
      const response = await t.app.inject({
        method: 'POST',
        url: '/v1/batch',
        headers: { 'content-type': 'application/json', authorization: basic(who.writeKey) },
        payload: JSON.stringify({ batch }),
      });
      expect(response.json().accepted).toBe(8);
    }
    await t.services.pipeline.worker.stop();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('never deletes more than the limit per call, and only the store and rows asked for', async () => {
    const data = service();
    const id = await storeId(tenant);
    const calls: number[] = [];
    for (;;) {
      const deleted = await t.db.database.transaction((tx) =>
        data.deleteSubjectEvents(id, { userId: null, anonymousId: 'subject' }, 2, tx),
      );
      calls.push(deleted);
      if (deleted < 2) break;
    }
    expect(calls).toEqual([2, 2, 1]);
    expect((await data.countStoreRows(id)).events).toBe(3);
    expect((await data.countStoreRows(await storeId(other))).events).toBe(8);
    expect(await data.countSubject(await storeId(other), { userId: null, anonymousId: 'subject' })).toEqual({
      events: 5,
      orders: 0,
      orderAdjustments: 0,
    });
  });

  it('deletes a whole store in limited chunks', async () => {
    const data = service();
    const id = await storeId(other);
    const chunks: number[] = [];
    for (;;) {
      const r = await t.db.database.transaction((tx) => data.deleteStoreChunk(id, 3, tx));
      const rows = r.events + r.orders + r.orderAdjustments + r.deadLetters;
      if (rows === 0) break;
      chunks.push(rows);
    }
    expect(chunks).toEqual([3, 3, 2]);
    expect((await data.countStoreRows(await storeId(tenant))).events).toBe(3);
  });
});
