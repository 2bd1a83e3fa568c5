import { describe, expect, it } from 'vitest';
import { createEcommerce, toSegmentProperties } from './src/ecommerce.js';

describe('eCommerce helpers', () => {
  it.each([
    ['productViewed', 'Product Viewed'],
    ['productListViewed', 'Product List Viewed'],
    ['productAdded', 'Product Added'],
    ['productRemoved', 'Product Removed'],
    ['cartViewed', 'Cart Viewed'],
    ['checkoutStarted', 'Checkout Started'],
    ['checkoutStepCompleted', 'Checkout Step Completed'],
    ['orderCompleted', 'Order Completed'],
    ['couponApplied', 'Coupon Applied'],
  ] as const)('%s sends "%s"', (helper, event) => {
    const sent: [string, unknown][] = [];
    const ecommerce = createEcommerce((name, properties) => sent.push([name, properties]));
    ecommerce[helper]({ orderId: 'o1', products: [], step: 1 });
    expect(sent).toEqual([[event, { order_id: 'o1', products: [], step: 1 }]]);
  });

  it('converts camelCase keys to snake_case, through product lists', () => {
    expect(
      toSegmentProperties({
        orderId: 'o-9',
        checkoutId: 'c-1',
        products: [{ productId: 'p1', imageUrl: '/p1.svg', sku: 'MUG-01' }],
        couponName: 'WELCOME10',
      }),
    ).toEqual({
      order_id: 'o-9',
      checkout_id: 'c-1',
      products: [{ product_id: 'p1', image_url: '/p1.svg', sku: 'MUG-01' }],
      coupon_name: 'WELCOME10',
    });
  });

  it('leaves snake_case input as it is', () => {
    const input = { order_id: 'o1', products: [{ product_id: 'p1', price: 2 }] };
    expect(toSegmentProperties(input)).toEqual(input);
  });

  it('turns numeric strings in money and quantity fields into numbers, and nothing else', () => {
    expect(
      toSegmentProperties({
        price: '18.00',
        quantity: '2',
        total: ' 41.5 ',
        tax: '',
        discount: 'ten',
        sku: '0042',
        products: [{ price: '3' }],
      }),
    ).toEqual({
      price: 18,
      quantity: 2,
      total: 41.5,
      tax: '',
      discount: 'ten',
      sku: '0042',
      products: [{ price: 3 }],
    });
  });

  it('passes dates and other non-plain objects through untouched', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    expect(toSegmentProperties({ shippedAt: at })).toEqual({ shipped_at: at });
  });
});
