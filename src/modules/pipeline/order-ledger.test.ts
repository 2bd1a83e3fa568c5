import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Attribution,
  applyOrderEvent,
  type OrderEventKind,
  type OrderState,
  orderEventKind,
} from './order-ledger.js';
import type { StoredEvent } from './pipeline-event.js';

const base: StoredEvent = {
  storeId: 1,
  messageId: 'm',
  type: 'track',
  event: 'Order Completed',
  name: null,
  userId: null,
  anonymousId: 'anon-1',
  groupId: null,
  previousId: null,
  sessionId: 'session-1',
  timestampMs: 1_000,
  sentAtMs: null,
  receivedAtMs: 1_000,
  properties: { order_id: 'o-1', revenue: 100, currency: 'EUR', products: [{ product_id: 'p', price: 100 }] },
  traits: {},
  context: {},
  pagePath: '/thanks',
  pageHost: 'shop.example',
  pageTitle: null,
  referrerHost: null,
  channel: 'internal',
  utmSource: null,
  utmMedium: null,
  utmCampaign: null,
  utmTerm: null,
  utmContent: null,
  deviceType: 'desktop',
  browser: 'Chrome',
  os: 'Mac OS',
  country: null,
  isBot: false,
  revenue: 100,
  currency: 'EUR',
  orderId: 'o-1',
  isServer: false,
};

const event = (fields: Partial<StoredEvent>): StoredEvent => ({ ...base, ...fields });
const refund = (amount: number | null, fields: Partial<StoredEvent> = {}) =>
  event({
    event: 'Order Refunded',
    revenue: amount,
    properties: { order_id: 'o-1' },
    timestampMs: 5_000,
    ...fields,
  });
const campaign: Attribution = {
  channel: 'paid',
  referrerHost: 'google.com',
  utmSource: 'google',
  utmMedium: 'cpc',
  utmCampaign: 'socks',
  utmTerm: null,
  utmContent: null,
};

function fold(events: StoredEvent[], attribution: Attribution | null = campaign): OrderState {
  let state: OrderState | null = null;
  for (const e of events) state = applyOrderEvent(state, e, orderEventKind(e) as OrderEventKind, attribution);
  if (!state) throw new Error('no events');
  return state;
}

describe('order ledger', () => {
  it('knows the four order events and nothing else', () => {
    expect(orderEventKind(base)).toBe('completed');
    expect(orderEventKind(event({ event: 'Order Updated' }))).toBe('updated');
    expect(orderEventKind(event({ event: 'Order Refunded' }))).toBe('refunded');
    expect(orderEventKind(event({ event: 'Order Cancelled' }))).toBe('cancelled');
    expect(orderEventKind(event({ event: 'Product Viewed' }))).toBeNull();
    expect(orderEventKind(event({ orderId: null }))).toBeNull();
  });

  it('records a completed order with its figures, visitor, session and campaign', () => {
    expect(fold([base])).toMatchObject({
      status: 'completed',
      revenue: 100,
      netRevenue: 100,
      currency: 'EUR',
      revenueSource: 'browser',
      anonymousId: 'anon-1',
      sessionId: 'session-1',
      channel: 'paid',
      utmCampaign: 'socks',
      placedAtMs: 1_000,
      lineItems: [{ product_id: 'p', price: 100 }],
    });
  });

  it('counts an order once when browser and server both send it; the server figures win', () => {
    const server = event({
      messageId: 'srv',
      isServer: true,
      revenue: 95,
      anonymousId: null,
      userId: 'u-1',
      sessionId: null,
    });
    for (const order of [fold([base, server]), fold([server, base])]) {
      expect(order).toMatchObject({
        revenue: 95,
        netRevenue: 95,
        revenueSource: 'server',
        userId: 'u-1',
        anonymousId: 'anon-1',
      });
    }
    // A browser resend after the server's does not overwrite it.
    expect(fold([server, base, base]).revenue).toBe(95);
  });

  it('nets partial refunds, ends at refunded, and treats a refund without amount as full', () => {
    expect(fold([base, refund(30)])).toMatchObject({
      status: 'partially_refunded',
      refundedTotal: 30,
      netRevenue: 70,
    });
    expect(fold([base, refund(30), refund(70)])).toMatchObject({
      status: 'refunded',
      refundedTotal: 100,
      netRevenue: 0,
    });
    expect(fold([base, refund(null)])).toMatchObject({
      status: 'refunded',
      refundedTotal: 100,
      netRevenue: 0,
    });
    expect(fold([base, refund(-20)])).toMatchObject({ refundedTotal: 20, netRevenue: 80 });
  });

  it('handles a refund that arrives before its order', () => {
    expect(fold([refund(null), base])).toMatchObject({
      status: 'refunded',
      revenue: 100,
      refundedTotal: 100,
      netRevenue: 0,
    });
    expect(fold([refund(40), base])).toMatchObject({ status: 'partially_refunded', netRevenue: 60 });
  });

  it('zeroes net revenue on cancellation and applies updates from the stronger source', () => {
    expect(fold([base, event({ event: 'Order Cancelled' })])).toMatchObject({
      status: 'cancelled',
      netRevenue: 0,
    });
    const update = event({
      event: 'Order Updated',
      properties: { order_id: 'o-1', total: 80, currency: 'EUR' },
    });
    expect(fold([base, update])).toMatchObject({ revenue: 80, netRevenue: 80 });
    const server = event({ isServer: true, revenue: 90 });
    expect(fold([server, update]).revenue).toBe(90);
  });

  it('dates an order from its earliest completion, whatever order its events arrive in', () => {
    const update = event({
      event: 'Order Updated',
      timestampMs: 9_000,
      properties: { order_id: 'o-1', total: 80, currency: 'EUR' },
    });
    const browser = event({ timestampMs: 3_000 });
    const server = event({ messageId: 'srv', isServer: true, timestampMs: 2_000, revenue: 95 });
    expect(fold([update, browser]).placedAtMs).toBe(3_000);
    expect(fold([refund(40, { timestampMs: 8_000 }), browser]).placedAtMs).toBe(3_000);
    for (const events of [
      [browser, server],
      [server, browser],
      [update, browser, server],
      [update, server, browser],
    ]) {
      expect(fold(events)).toMatchObject({ placedAtMs: 2_000, isCompleted: true });
    }
    // A later completion (a resend) never moves it forward.
    expect(fold([browser, event({ messageId: 'again', timestampMs: 7_000 })]).placedAtMs).toBe(3_000);
    // Never completed: dated from its earliest known event.
    expect(fold([update, refund(10, { timestampMs: 4_000 })]).placedAtMs).toBe(4_000);
  });

  it('never reports negative net revenue, whatever the refunds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: null }), { maxLength: 8 }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        (amounts, revenue) => {
          const order = fold([event({ revenue }), ...amounts.map((a) => refund(a))]);
          expect(order.netRevenue).toBeGreaterThanOrEqual(0);
          expect(order.netRevenue).toBeLessThanOrEqual(Math.round(revenue * 1e4) / 1e4);
        },
      ),
    );
  });
});
