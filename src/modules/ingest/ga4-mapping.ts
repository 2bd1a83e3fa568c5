// GA4 recommended eCommerce events → Segment eCommerce v2, so a store already instrumented for gtag/GA4 gets the
// same reports. Applied to track calls only, before the eCommerce rules validate the result. Pure.
import { isPlainObject, type PlainObject } from './event-validation.js';

/** GA4 event name → Segment eCommerce v2 event name. */
export const GA4_EVENT_NAMES: Readonly<Record<string, string>> = {
  view_item: 'Product Viewed',
  view_item_list: 'Product List Viewed',
  select_item: 'Product Clicked',
  add_to_cart: 'Product Added',
  remove_from_cart: 'Product Removed',
  view_cart: 'Cart Viewed',
  begin_checkout: 'Checkout Started',
  add_shipping_info: 'Checkout Step Completed',
  add_payment_info: 'Payment Info Entered',
  purchase: 'Order Completed',
  refund: 'Order Refunded',
  search: 'Products Searched',
  view_promotion: 'Promotion Viewed',
  select_promotion: 'Promotion Clicked',
  add_to_wishlist: 'Product Added to Wishlist',
};

// GA4 item parameter → Segment product property. Unlisted keys (item_category2, affiliation, …) pass through.
const ITEM_KEYS: Readonly<Record<string, string>> = {
  item_id: 'product_id',
  item_name: 'name',
  item_category: 'category',
  item_brand: 'brand',
  item_variant: 'variant',
  index: 'position',
  price: 'price',
  quantity: 'quantity',
  coupon: 'coupon',
};

// GA4 event parameter → Segment property, for every mapped event.
const EVENT_KEYS: Readonly<Record<string, string>> = {
  transaction_id: 'order_id',
  search_term: 'query',
  item_list_id: 'list_id',
  promotion_id: 'promotion_id',
  promotion_name: 'name',
  creative_name: 'creative',
  creative_slot: 'position',
  shipping_tier: 'shipping_method',
  payment_type: 'payment_method',
};

// Where GA4's `value` goes. GA4 defines it as the sum of price × quantity without tax and shipping, which is
// Segment's `revenue` on orders and checkouts; a refund's value is the refunded `total`. Elsewhere Segment also
// calls it `value`.
const VALUE_KEY: Readonly<Record<string, string>> = {
  purchase: 'revenue',
  begin_checkout: 'revenue',
  refund: 'total',
};

// Segment events about one product carry its fields at the top level instead of in `products`.
const SINGLE_PRODUCT_EVENTS: ReadonlySet<string> = new Set([
  'view_item',
  'select_item',
  'add_to_cart',
  'remove_from_cart',
  'add_to_wishlist',
]);

function renameKeys(source: PlainObject, keys: Readonly<Record<string, string>>): PlainObject {
  const out: PlainObject = {};
  // Keys already in Segment form win over the GA4 ones mapped onto them.
  for (const [key, value] of Object.entries(source)) {
    if (keys[key] === undefined) out[key] = value;
  }
  for (const [key, value] of Object.entries(source)) {
    const target = keys[key];
    if (target !== undefined && out[target] === undefined) out[target] = value;
  }
  return out;
}

export function mapGa4Item(item: unknown): unknown {
  return isPlainObject(item) ? renameKeys(item, ITEM_KEYS) : item;
}

export type Ga4Mapped = { event: string; properties: PlainObject; ga4Event: string };

/** GA4 names are snake_case; accept them regardless of surrounding whitespace or case. */
export function ga4EventName(event: string): string | null {
  const key = event.trim().toLowerCase();
  return Object.hasOwn(GA4_EVENT_NAMES, key) ? key : null;
}

/** The Segment form of a GA4 event, or null when `event` is not a mapped GA4 name. Input is not modified. */
export function mapGa4Event(event: string, properties: PlainObject): Ga4Mapped | null {
  const ga4Event = ga4EventName(event);
  if (ga4Event === null) return null;
  const segmentEvent = GA4_EVENT_NAMES[ga4Event];
  if (segmentEvent === undefined) return null;

  const { items, value, ...rest } = properties;
  let out = renameKeys(rest, EVENT_KEYS);

  if (value !== undefined) {
    const target = VALUE_KEY[ga4Event] ?? 'value';
    if (out[target] === undefined) out[target] = value;
  }

  if (Array.isArray(items) && out.products === undefined) {
    const products = items.map(mapGa4Item);
    const only = products[0];
    if (SINGLE_PRODUCT_EVENTS.has(ga4Event) && products.length === 1 && isPlainObject(only)) {
      // Product fields at the top level, as Segment's single-product events have them; event fields win.
      out = { ...only, ...out };
    } else {
      out.products = products;
    }
  } else if (items !== undefined) {
    out.items = items;
  }
  return { event: segmentEvent, properties: out, ga4Event };
}
