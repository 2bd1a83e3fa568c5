// eCommerce helpers (full build only): Segment eCommerce v2 event names, snake_case properties.
import type { FootfallEcommerce, Properties } from '../footfall.js';

const EVENTS = [
  'Product Viewed',
  'Product List Viewed',
  'Product Added',
  'Product Removed',
  'Cart Viewed',
  'Checkout Started',
  'Checkout Step Completed',
  'Order Completed',
  'Coupon Applied',
];

/** Fields the server validates as numbers; values read from the DOM often arrive as strings. */
const NUMERIC = /^(price|total|subtotal|revenue|shipping|tax|discount|value|quantity)$/;

/** `productId` → `product_id`, recursively through plain objects and arrays; numeric strings in money
 * and quantity fields become numbers. Anything else (dates, class instances) is passed through. */
export function toSegmentProperties(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => toSegmentProperties(v));
  if (value?.constructor === Object) {
    const out: Properties = {};
    for (const [k, v] of Object.entries(value)) {
      const snake = k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      out[snake] = toSegmentProperties(v, snake);
    }
    return out;
  }
  return NUMERIC.test(key) && typeof value === 'string' && value.trim() && !Number.isNaN(+value)
    ? +value
    : value;
}

/** One helper per event: "Product List Viewed" → `productListViewed(properties)`. */
export const createEcommerce = (track: (event: string, properties?: Properties) => void): FootfallEcommerce =>
  Object.fromEntries(
    EVENTS.map((event) => [
      event[0]!.toLowerCase() + event.slice(1).replace(/ /g, ''),
      (properties: object) => track(event, toSegmentProperties(properties) as Properties),
    ]),
  ) as unknown as FootfallEcommerce;
