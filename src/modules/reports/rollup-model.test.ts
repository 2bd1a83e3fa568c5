import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cartAbandonment, computeFunnel, type FunnelEvent, matchesStep, median } from './funnel.js';
import { allocate, mergeSession, orderItemsOf, productRefsOf, type RollupEvent } from './rollup-model.js';

function event(fields: Partial<RollupEvent> & { timestampMs: number; hash: string }): RollupEvent {
  return {
    type: 'page',
    event: null,
    anonymousId: 'a',
    userId: null,
    sessionId: 's',
    path: '/',
    referrerHost: null,
    channel: 'direct',
    utmSource: null,
    utmMedium: null,
    utmCampaign: null,
    deviceType: 'desktop',
    browser: null,
    os: null,
    country: null,
    isBot: false,
    orderId: null,
    properties: null,
    ...fields,
  };
}

describe('rollup model', () => {
  it('splits an amount over weights exactly, in proportion', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000_000 }),
        fc.array(fc.integer({ min: 0, max: 5_000_000 }), { minLength: 1, maxLength: 12 }),
        (total, weights) => {
          const shares = allocate(total, weights);
          expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
          const sum = weights.reduce((a, b) => a + b, 0);
          shares.forEach((share, i) => {
            const exact = sum === 0 ? total / weights.length : (total * (weights[i] ?? 0)) / sum;
            expect(Math.abs(share - exact)).toBeLessThan(1);
          });
        },
      ),
    );
  });

  it('folds a session the same whatever order its events arrive in', () => {
    const events = [
      event({ timestampMs: 3000, hash: 'cc', path: '/c' }),
      event({ timestampMs: 1000, hash: 'bb', path: '/landing', channel: 'search' }),
      event({ timestampMs: 1000, hash: 'aa', path: '/tie', channel: 'email' }),
      event({ timestampMs: 2000, hash: 'dd', type: 'track', event: 'Product Viewed' }),
    ];
    fc.assert(
      fc.property(
        fc.shuffledSubarray(events, { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 1, max: 3 }),
        (order, cut) => {
          const first = mergeSession(null, 'k', 'v', order.slice(0, cut), 'UTC');
          const state = mergeSession(first, 'k', 'v', order.slice(cut), 'UTC');
          expect(state).toMatchObject({
            startedAtMs: 1000,
            endedAtMs: 3000,
            pageViews: 3,
            events: 4,
            landingHash: 'aa',
          });
          expect(state.dims).toMatchObject({ landingPath: '/tie', channel: 'email' });
        },
      ),
    );
  });

  it('reads products from product_id, sku or the products list, once each', () => {
    expect(productRefsOf({ product_id: 42, name: 'A' })).toEqual([{ productId: '42', name: 'A' }]);
    expect(productRefsOf({ sku: ' S-1 ' })).toEqual([{ productId: 'S-1', name: '' }]);
    expect(
      productRefsOf({ products: [{ product_id: 'p' }, { sku: 'q' }, { product_id: 'p' }, 'junk'] }),
    ).toEqual([
      { productId: 'p', name: '' },
      { productId: 'q', name: '' },
    ]);
    expect(
      orderItemsOf([
        { product_id: 'p', price: 10, quantity: 2 },
        { product_id: 'p', price: 5 },
      ]).items,
    ).toEqual([['p', 3, 250_000, '']]);
  });
});

function funnelEvent(
  visitor: string,
  session: string,
  name: string,
  at: number,
  properties = {},
): FunnelEvent {
  return {
    timestampMs: at,
    hash: `${visitor}${at}`,
    type: 'track',
    event: name,
    path: null,
    visitorKey: visitor,
    sessionKey: session,
    properties: () => properties,
  };
}

describe('funnels', () => {
  const steps = [{ event: 'A' }, { event: 'B' }, { event: 'C' }];

  it('follows each entry within the window and keeps the deepest attempt', () => {
    const events = [
      funnelEvent('v1', 's1', 'A', 0),
      funnelEvent('v1', 's1', 'A', 10_000),
      funnelEvent('v1', 's2', 'B', 65_000),
      funnelEvent('v1', 's2', 'C', 66_000),
      funnelEvent('v2', 's3', 'B', 0),
      funnelEvent('v2', 's3', 'A', 1_000),
      funnelEvent('v3', 's4', 'A', 0),
      funnelEvent('v3', 's4', 'B', 100_000),
    ];
    const byVisitor = computeFunnel({
      steps,
      events,
      by: 'visitor',
      windowMs: 60_000,
      fromMs: 0,
      toMs: 50_000,
    });
    // v1: the entry at 10 s reaches C within 60 s; v2 never sees B after A; v3's B is outside the window.
    expect(byVisitor.total.entities).toEqual([3, 1, 1]);
    expect(byVisitor.total.convertTimesMs).toEqual([56_000]);
    const bySession = computeFunnel({
      steps,
      events,
      by: 'session',
      windowMs: 60_000,
      fromMs: 0,
      toMs: 50_000,
    });
    expect(bySession.total.entities).toEqual([3, 0, 0]);
  });

  it('matches property filters on the event or on any of its products', () => {
    const viewed = funnelEvent('v', 's', 'Product Viewed', 0, { product_id: 7 });
    const ordered = funnelEvent('v', 's', 'Order Completed', 0, {
      products: [{ product_id: 'x' }, { product_id: '7' }],
    });
    expect(matchesStep({ event: 'Product Viewed', properties: { product_id: '7' } }, viewed)).toBe(true);
    expect(matchesStep({ event: 'Order Completed', properties: { product_id: '7' } }, ordered)).toBe(true);
    expect(matchesStep({ event: 'Order Completed', properties: { product_id: '8' } }, ordered)).toBe(false);
  });

  it('counts an abandoned cart once, however many adds it had', () => {
    const adds = [
      funnelEvent('v1', 's1', 'Product Added', 0, { cart_id: 'c1' }),
      funnelEvent('v1', 's1', 'Product Added', 1_000, { cart_id: 'c1' }),
      funnelEvent('v1', 's2', 'Product Added', 2_000, { cart_id: 'c1' }),
      funnelEvent('v2', 's3', 'Product Added', 0),
      funnelEvent('v2', 's3', 'Product Added', 5_000),
    ];
    const orders = [funnelEvent('v2', 's3', 'Order Completed', 9_000)];
    expect(cartAbandonment({ adds, orders, windowMs: 60_000, fromMs: 0, toMs: 10_000 })).toEqual({
      carts: 2,
      abandoned: 1,
    });
    expect(median([5, 1, 3])).toBe(3);
    expect(median([1, 2, 3, 4])).toBe(3);
    expect(median([])).toBeNull();
  });
});
