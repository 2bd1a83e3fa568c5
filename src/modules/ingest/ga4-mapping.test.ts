import { describe, expect, it } from 'vitest';
import { canonicalEcommerceEvent } from './ecommerce-rules.js';
import { GA4_EVENT_NAMES, ga4EventName, mapGa4Event } from './ga4-mapping.js';

describe('GA4 event names', () => {
  it.each([
    ['view_item', 'Product Viewed'],
    ['view_item_list', 'Product List Viewed'],
    ['select_item', 'Product Clicked'],
    ['add_to_cart', 'Product Added'],
    ['remove_from_cart', 'Product Removed'],
    ['view_cart', 'Cart Viewed'],
    ['begin_checkout', 'Checkout Started'],
    ['add_shipping_info', 'Checkout Step Completed'],
    ['add_payment_info', 'Payment Info Entered'],
    ['purchase', 'Order Completed'],
    ['refund', 'Order Refunded'],
    ['search', 'Products Searched'],
    ['view_promotion', 'Promotion Viewed'],
    ['select_promotion', 'Promotion Clicked'],
    ['add_to_wishlist', 'Product Added to Wishlist'],
  ])('maps %s to %s', (ga4, segment) => {
    expect(mapGa4Event(ga4, {})?.event).toBe(segment);
  });

  it('maps only to spec event names', () => {
    for (const name of Object.values(GA4_EVENT_NAMES)) expect(canonicalEcommerceEvent(name)).toBe(name);
  });

  it('matches regardless of case and surrounding space', () => {
    expect(ga4EventName(' Add_To_Cart ')).toBe('add_to_cart');
  });

  it.each([['Order Completed'], ['page_view'], ['toString'], ['__proto__']])('leaves %j alone', (name) => {
    expect(mapGa4Event(name, {})).toBeNull();
  });
});

describe('GA4 parameters', () => {
  it('maps a purchase to an Order Completed with products', () => {
    const mapped = mapGa4Event('purchase', {
      transaction_id: 'T-1',
      value: 30.5,
      tax: 2,
      shipping: 4,
      currency: 'USD',
      coupon: 'SUMMER',
      items: [
        {
          item_id: 'SKU_1',
          item_name: 'Tee',
          item_category: 'Apparel',
          item_brand: 'Acme',
          item_variant: 'red',
          price: 10,
          quantity: 2,
          index: 0,
        },
        { item_id: 'SKU_2', item_name: 'Cap', price: 10.5, item_category2: 'Hats' },
      ],
    });
    expect(mapped).toEqual({
      event: 'Order Completed',
      ga4Event: 'purchase',
      properties: {
        order_id: 'T-1',
        revenue: 30.5,
        tax: 2,
        shipping: 4,
        currency: 'USD',
        coupon: 'SUMMER',
        products: [
          {
            product_id: 'SKU_1',
            name: 'Tee',
            category: 'Apparel',
            brand: 'Acme',
            variant: 'red',
            price: 10,
            quantity: 2,
            position: 0,
          },
          { product_id: 'SKU_2', name: 'Cap', price: 10.5, item_category2: 'Hats' },
        ],
      },
    });
  });

  it('lifts the single item of a one-product event to the top level', () => {
    const mapped = mapGa4Event('add_to_cart', {
      currency: 'EUR',
      value: 20,
      items: [{ item_id: 'SKU_1', price: 10, quantity: 2 }],
    });
    expect(mapped?.properties).toEqual({
      product_id: 'SKU_1',
      price: 10,
      quantity: 2,
      currency: 'EUR',
      value: 20,
    });
  });

  it('keeps several items of a one-product event as products', () => {
    const mapped = mapGa4Event('add_to_cart', { items: [{ item_id: 'a' }, { item_id: 'b' }] });
    expect(mapped?.properties).toEqual({ products: [{ product_id: 'a' }, { product_id: 'b' }] });
  });

  it('sends a refund value to total', () => {
    expect(mapGa4Event('refund', { transaction_id: 'T', value: 9 })?.properties).toEqual({
      order_id: 'T',
      total: 9,
    });
  });

  it('maps search_term, shipping tier, payment type and promotion fields', () => {
    expect(mapGa4Event('search', { search_term: 'boots' })?.properties).toEqual({ query: 'boots' });
    expect(mapGa4Event('add_shipping_info', { shipping_tier: 'Ground' })?.properties).toEqual({
      shipping_method: 'Ground',
    });
    expect(mapGa4Event('add_payment_info', { payment_type: 'Card' })?.properties).toEqual({
      payment_method: 'Card',
    });
    expect(
      mapGa4Event('select_promotion', {
        promotion_id: 'P1',
        promotion_name: 'Sale',
        creative_name: 'banner',
        creative_slot: 'top',
      })?.properties,
    ).toEqual({ promotion_id: 'P1', name: 'Sale', creative: 'banner', position: 'top' });
  });

  it('lets Segment-named properties win over GA4 ones', () => {
    const mapped = mapGa4Event('purchase', {
      transaction_id: 'ga4',
      order_id: 'segment',
      value: 1,
      revenue: 2,
    });
    expect(mapped?.properties).toEqual({ order_id: 'segment', revenue: 2 });
  });

  it('keeps items that are not a list untouched', () => {
    expect(mapGa4Event('view_cart', { items: 'none' })?.properties).toEqual({ items: 'none' });
  });

  it('does not modify its input', () => {
    const properties = { transaction_id: 'T', items: [{ item_id: 'a' }] };
    mapGa4Event('purchase', properties);
    expect(properties).toEqual({ transaction_id: 'T', items: [{ item_id: 'a' }] });
  });
});
