import { describe, expect, it } from 'vitest';
import {
  applyEcommerceRules,
  CURRENCY_CODES,
  canonicalEcommerceEvent,
  ECOMMERCE_EVENTS,
  type EcommerceEvent,
  isValidCurrency,
  MONEY_FIELDS,
} from './ecommerce-rules.js';

describe('canonicalEcommerceEvent', () => {
  it.each([
    ['order completed', 'Order Completed'],
    ['ORDER COMPLETED', 'Order Completed'],
    ['  Product   added to  WISHLIST ', 'Product Added to Wishlist'],
    ['products searched', 'Products Searched'],
  ])('maps %j to %j', (input, expected) => {
    expect(canonicalEcommerceEvent(input)).toBe(expected);
  });

  it.each([['Order Complete'], ['Signed Up'], ['order_completed']])('does not match %j', (input) => {
    expect(canonicalEcommerceEvent(input)).toBeNull();
  });

  it('knows every spec event by its own name', () => {
    for (const name of ECOMMERCE_EVENTS) expect(canonicalEcommerceEvent(name)).toBe(name);
    expect(ECOMMERCE_EVENTS).toHaveLength(27);
  });
});

describe('currency codes', () => {
  it.each([['USD'], ['eur'], [' gbp '], ['JPY'], ['XOF'], ['ZWG'], ['XCG']])('accepts %j', (code) => {
    expect(isValidCurrency(code)).toBe(true);
  });

  it.each([['US$'], ['EURO'], ['ABC'], ['HRK'], ['XXX'], ['XAU'], ['XTS'], ['']])('rejects %j', (code) => {
    expect(isValidCurrency(code)).toBe(false);
  });

  it('holds only three-letter upper-case codes', () => {
    for (const code of CURRENCY_CODES) expect(code).toMatch(/^[A-Z]{3}$/);
    expect(CURRENCY_CODES.size).toBeGreaterThan(150);
  });
});

type Case = [
  label: string,
  event: EcommerceEvent,
  properties: Record<string, unknown>,
  reason: string,
  field: string,
];

describe('applyEcommerceRules rejects', () => {
  it.each<Case>([
    [
      'a price as a string',
      'Product Viewed',
      { product_id: 'p1', price: '19.99', currency: 'USD' },
      'properties.price must be a number, not a string',
      'properties.price',
    ],
    [
      'a negative total',
      'Order Completed',
      { order_id: 'o1', total: -5, currency: 'USD' },
      'properties.total must not be negative',
      'properties.total',
    ],
    [
      'a boolean tax',
      'Order Completed',
      { order_id: 'o1', tax: true, currency: 'USD' },
      'properties.tax must be a number',
      'properties.tax',
    ],
    [
      'an absurd revenue',
      'Order Completed',
      { order_id: 'o1', revenue: 1e300, currency: 'USD' },
      'properties.revenue is too large',
      'properties.revenue',
    ],
    [
      'an unknown currency',
      'Order Completed',
      { order_id: 'o1', total: 5, currency: 'DOLLARS' },
      'properties.currency must be an ISO 4217 currency code, like USD',
      'properties.currency',
    ],
    [
      'a numeric currency',
      'Product Added',
      { sku: 's', currency: 840 },
      'properties.currency must be an ISO 4217 currency code, like USD',
      'properties.currency',
    ],
    [
      'amounts without currency',
      'Order Completed',
      { order_id: 'o1', total: 10 },
      'properties.currency is required when the event has amounts',
      'properties.currency',
    ],
    [
      'product prices without currency',
      'Cart Viewed',
      { products: [{ product_id: 'p', price: 3 }] },
      'properties.currency is required when the event has amounts',
      'properties.currency',
    ],
    [
      'a discount without currency',
      'Coupon Applied',
      { coupon_id: 'c', discount: 2 },
      'properties.currency is required when the event has amounts',
      'properties.currency',
    ],
    [
      'an order without order_id',
      'Order Completed',
      { total: 10, currency: 'USD' },
      'properties.order_id is required for Order Completed',
      'properties.order_id',
    ],
    [
      'a refund without order_id',
      'Order Refunded',
      {},
      'properties.order_id is required for Order Refunded',
      'properties.order_id',
    ],
    [
      'an update with an empty order_id',
      'Order Updated',
      { order_id: '  ' },
      'properties.order_id must be a non-empty string or a number',
      'properties.order_id',
    ],
    [
      'a cancel with an object order_id',
      'Order Cancelled',
      { order_id: { id: 1 } },
      'properties.order_id must be a non-empty string or a number',
      'properties.order_id',
    ],
    [
      'a product view without product_id or sku',
      'Product Viewed',
      { name: 'Shoe' },
      'properties.product_id or properties.sku is required for Product Viewed',
      'properties.product_id',
    ],
    [
      'a review without product_id',
      'Product Reviewed',
      { rating: 5 },
      'properties.product_id or properties.sku is required for Product Reviewed',
      'properties.product_id',
    ],
    [
      'a wishlist removal without product_id',
      'Product Removed from Wishlist',
      { wishlist_id: 'w' },
      'properties.product_id or properties.sku is required for Product Removed from Wishlist',
      'properties.product_id',
    ],
    [
      'products that are not a list',
      'Cart Viewed',
      { products: { product_id: 'p' } },
      'properties.products must be an array',
      'properties.products',
    ],
    [
      'a product that is not an object',
      'Cart Viewed',
      { products: ['p1'] },
      'properties.products[0] must be an object',
      'properties.products[0]',
    ],
    [
      'a product without product_id or sku',
      'Checkout Started',
      { products: [{ product_id: 'a' }, { name: 'b' }] },
      'properties.products[1] needs a product_id or sku',
      'properties.products[1].product_id',
    ],
    [
      'a zero quantity',
      'Cart Viewed',
      { products: [{ sku: 'a', quantity: 0 }] },
      'properties.products[0].quantity must be a positive whole number',
      'properties.products[0].quantity',
    ],
    [
      'a fractional quantity',
      'Cart Viewed',
      { products: [{ sku: 'a', quantity: 1.5 }] },
      'properties.products[0].quantity must be a positive whole number',
      'properties.products[0].quantity',
    ],
    [
      'a string quantity',
      'Product Added',
      { sku: 'a', quantity: '2' },
      'properties.quantity must be a positive whole number',
      'properties.quantity',
    ],
    [
      'a product price as a string',
      'Order Completed',
      { order_id: 'o', currency: 'USD', products: [{ sku: 'a', price: '1' }] },
      'properties.products[0].price must be a number, not a string',
      'properties.products[0].price',
    ],
    [
      'a priced product without a currency of its own, beside one with',
      'Product List Viewed',
      {
        products: [
          { product_id: 'a', price: 3, currency: 'EUR' },
          { product_id: 'b', price: 4 },
        ],
      },
      'properties.currency is required when the event has amounts',
      'properties.currency',
    ],
    [
      'a top-level amount with only product currencies',
      'Cart Viewed',
      { value: 7, products: [{ product_id: 'a', price: 7, currency: 'EUR' }] },
      'properties.currency is required when the event has amounts',
      'properties.currency',
    ],
    [
      'an unknown product currency',
      'Cart Viewed',
      { products: [{ product_id: 'a', price: 3, currency: 'EURO' }] },
      'properties.products[0].currency must be an ISO 4217 currency code, like USD',
      'properties.products[0].currency',
    ],
    [
      'an order summed over products priced in several currencies',
      'Order Completed',
      {
        order_id: 'o',
        products: [
          { sku: 'a', price: 3, currency: 'EUR' },
          { sku: 'b', price: 4, currency: 'USD' },
        ],
      },
      'properties.products are priced in several currencies; send the total with properties.currency',
      'properties.currency',
    ],
    [
      'a negative product price',
      'Product List Viewed',
      { currency: 'USD', products: [{ sku: 'a', price: -1 }] },
      'properties.products[0].price must not be negative',
      'properties.products[0].price',
    ],
  ])('%s', (_label, event, properties, reason, field) => {
    expect(applyEcommerceRules(event, properties)).toEqual({ ok: false, reason, field });
  });
});

describe('applyEcommerceRules accepts', () => {
  it.each<[string, EcommerceEvent, Record<string, unknown>]>([
    ['a product view by sku', 'Product Viewed', { sku: 'SKU-1' }],
    [
      'a product view by numeric product_id',
      'Product Viewed',
      { product_id: 123, price: 0, currency: 'usd' },
    ],
    ['a search with no amounts', 'Products Searched', { query: 'shoes' }],
    ['a cancel with a numeric order_id', 'Order Cancelled', { order_id: 98765 }],
    ['a promotion without products', 'Promotion Clicked', { promotion_id: 'promo' }],
    [
      'a multi-item add without top-level product_id',
      'Product Added',
      { products: [{ sku: 'a' }, { sku: 'b' }] },
    ],
    ['null amounts, which mean absent', 'Checkout Started', { revenue: null, discount: null }],
    ['a cart share', 'Cart Shared', { share_via: 'email', products: [{ product_id: 'p' }] }],
    [
      'a priced product list with a currency on each product',
      'Product List Viewed',
      {
        list_id: 'shoes',
        products: [
          { product_id: 'a', price: 30, currency: 'EUR' },
          { product_id: 'b', price: 40, currency: 'eur' },
        ],
      },
    ],
    [
      'a cart priced in several currencies, each product naming its own',
      'Cart Viewed',
      {
        products: [
          { product_id: 'a', price: 30, currency: 'EUR' },
          { product_id: 'b', price: 40, currency: 'GBP' },
        ],
      },
    ],
    [
      'a product currency that overrides the event currency',
      'Cart Viewed',
      {
        currency: 'USD',
        products: [
          { product_id: 'a', price: 30, currency: 'EUR' },
          { sku: 'b', price: 1 },
        ],
      },
    ],
  ])('%s', (_label, event, properties) => {
    expect(applyEcommerceRules(event, properties).ok).toBe(true);
  });

  it('checks every money field', () => {
    for (const key of MONEY_FIELDS) {
      const res = applyEcommerceRules('Checkout Started', { [key]: '1', currency: 'USD' });
      expect(!res.ok && res.field).toBe(`properties.${key}`);
    }
  });
});

describe('applyEcommerceRules facts', () => {
  it.each<[string, EcommerceEvent, Record<string, unknown>, number | null]>([
    [
      'Order Completed takes revenue first',
      'Order Completed',
      { order_id: 'o', revenue: 90, total: 100, currency: 'EUR' },
      90,
    ],
    [
      'Order Completed falls back to total',
      'Order Completed',
      { order_id: 'o', total: 100, currency: 'EUR' },
      100,
    ],
    [
      'Order Completed falls back to Σ price × quantity',
      'Order Completed',
      {
        order_id: 'o',
        currency: 'EUR',
        products: [
          { sku: 'a', price: 0.1, quantity: 3 },
          { sku: 'b', price: 0.2 },
        ],
      },
      0.5,
    ],
    ['Order Completed without amounts has no revenue', 'Order Completed', { order_id: 'o' }, null],
    [
      'Order Refunded uses total',
      'Order Refunded',
      { order_id: 'o', total: 30, revenue: 25, currency: 'EUR' },
      30,
    ],
    [
      'Order Refunded makes a negative total positive',
      'Order Refunded',
      { order_id: 'o', total: -30, currency: 'EUR' },
      30,
    ],
    [
      'Order Refunded sums refunded products',
      'Order Refunded',
      { order_id: 'o', currency: 'EUR', products: [{ sku: 'a', price: 12.5, quantity: 2 }] },
      25,
    ],
    [
      'Order Updated carries no revenue',
      'Order Updated',
      { order_id: 'o', total: 10, currency: 'EUR' },
      null,
    ],
    ['Product Added carries no revenue', 'Product Added', { sku: 'a', price: 10, currency: 'EUR' }, null],
  ])('%s', (_label, event, properties, revenue) => {
    const res = applyEcommerceRules(event, properties);
    expect(res.ok).toBe(true);
    if (res.ok) expect(res.value.revenue).toBe(revenue);
  });

  it('normalises currency to upper case and order_id to a string', () => {
    const res = applyEcommerceRules('Order Completed', { order_id: 1001, total: 5, currency: ' usd' });
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.value).toMatchObject({ currency: 'USD', orderId: '1001', revenue: 5 });
    expect(res.value.properties).toMatchObject({ order_id: '1001', currency: 'USD', total: 5 });
  });

  it("takes the event's currency from its products when they agree, and none when they differ", () => {
    const agreeing = applyEcommerceRules('Product List Viewed', {
      products: [
        { product_id: 'a', price: 30, currency: 'eur' },
        { product_id: 'b', price: 40, currency: 'EUR' },
        { product_id: 'c' },
      ],
    });
    expect(agreeing).toMatchObject({ ok: true, value: { currency: 'EUR', revenue: null } });
    const mixed = applyEcommerceRules('Cart Viewed', {
      products: [
        { product_id: 'a', price: 30, currency: 'EUR' },
        { product_id: 'b', price: 40, currency: 'GBP' },
      ],
    });
    expect(mixed).toMatchObject({ ok: true, value: { currency: null } });
    const order = applyEcommerceRules('Order Completed', {
      order_id: 'o',
      products: [{ sku: 'a', price: 12.5, quantity: 2, currency: 'GBP' }],
    });
    expect(order).toMatchObject({ ok: true, value: { currency: 'GBP', revenue: 25 } });
  });

  it('does not modify the input properties', () => {
    const properties = { order_id: 7, total: 5, currency: 'usd' };
    applyEcommerceRules('Order Completed', properties);
    expect(properties).toEqual({ order_id: 7, total: 5, currency: 'usd' });
  });
});
