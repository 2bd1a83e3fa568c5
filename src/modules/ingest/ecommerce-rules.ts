// Segment eCommerce v2: the event names, the rules an event must meet to be stored, and the facts reports read
// from it (revenue, currency, order id). A spec event that breaks a rule is rejected, never stored half-right:
// a wrong revenue figure is worse than a missing one. Custom events are not checked. Pure.
import { isPlainObject, type PlainObject, reject, type Validated } from './event-validation.js';

export const ECOMMERCE_EVENTS = [
  'Products Searched',
  'Product List Viewed',
  'Product List Filtered',
  'Product Clicked',
  'Product Viewed',
  'Product Added',
  'Product Removed',
  'Cart Viewed',
  'Checkout Started',
  'Checkout Step Viewed',
  'Checkout Step Completed',
  'Payment Info Entered',
  'Order Completed',
  'Order Updated',
  'Order Refunded',
  'Order Cancelled',
  'Coupon Entered',
  'Coupon Applied',
  'Coupon Denied',
  'Coupon Removed',
  'Promotion Viewed',
  'Promotion Clicked',
  'Product Added to Wishlist',
  'Product Removed from Wishlist',
  'Product Shared',
  'Cart Shared',
  'Product Reviewed',
] as const;

export type EcommerceEvent = (typeof ECOMMERCE_EVENTS)[number];

/** Events that refer to an order: `order_id` is required. */
export const ORDER_EVENTS: ReadonlySet<EcommerceEvent> = new Set([
  'Order Completed',
  'Order Updated',
  'Order Refunded',
  'Order Cancelled',
]);

/** Events about one product: `product_id` or `sku` is required. */
export const PRODUCT_EVENTS: ReadonlySet<EcommerceEvent> = new Set([
  'Product Clicked',
  'Product Viewed',
  'Product Added',
  'Product Removed',
  'Product Added to Wishlist',
  'Product Removed from Wishlist',
  'Product Shared',
  'Product Reviewed',
]);

/** Top-level properties holding an amount of money; in `products[]` only `price` is one. */
export const MONEY_FIELDS = [
  'price',
  'total',
  'revenue',
  'subtotal',
  'shipping',
  'tax',
  'discount',
  'value',
] as const;

/**
 * ISO 4217 List One, active codes (amendment 179, 2025): circulating currencies and the fund codes listed
 * beside them. Left out: codes withdrawn from circulation (HRK, CUC, SLL, ZWL, VEF, …) and the X-codes that are
 * not money a shop can charge in (precious metals XAU/XAG/XPD/XPT, bond units XBA–XBD, XDR, XSU, XUA, the
 * testing code XTS and "no currency" XXX). ANG stays for the transition to XCG.
 */
export const CURRENCY_CODES: ReadonlySet<string> = new Set(
  (
    'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD ' +
    'CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL ' +
    'GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD ' +
    'KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO ' +
    'NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD ' +
    'SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV ' +
    'WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG'
  ).split(' '),
);

function matchKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

const EVENTS_BY_KEY: ReadonlyMap<string, EcommerceEvent> = new Map(
  ECOMMERCE_EVENTS.map((e) => [matchKey(e), e]),
);

/** The spec event `name` denotes, matched case- and whitespace-insensitively ("order  completed"); else null. */
export function canonicalEcommerceEvent(name: string): EcommerceEvent | null {
  return EVENTS_BY_KEY.get(matchKey(name)) ?? null;
}

export function isValidCurrency(code: string): boolean {
  return CURRENCY_CODES.has(code.trim().toUpperCase());
}

/**
 * Largest amount accepted in any money field or derived revenue (a quadrillion in major units). Far above any
 * real order, and keeps sums exact to the cent in a double and inside a DECIMAL column.
 */
export const MAX_MONEY_AMOUNT = 1e15;

function readMoney(value: unknown, field: string, allowNegative: boolean): Validated<number | null> {
  if (value === undefined || value === null) return { ok: true, value: null };
  if (typeof value === 'string') return reject(`${field} must be a number, not a string`, field);
  if (typeof value !== 'number' || !Number.isFinite(value)) return reject(`${field} must be a number`, field);
  if (value < 0 && !allowNegative) return reject(`${field} must not be negative`, field);
  if (Math.abs(value) > MAX_MONEY_AMOUNT) return reject(`${field} is too large`, field);
  return { ok: true, value };
}

function readQuantity(value: unknown, field: string): Validated<number | null> {
  if (value === undefined || value === null) return { ok: true, value: null };
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    return reject(`${field} must be a positive whole number`, field);
  }
  return { ok: true, value };
}

/** A product or order reference: non-empty string or finite number, as a string; null when absent/unusable. */
function readReference(value: unknown): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  return text === '' ? null : text;
}

// Money is summed in floating point; rounding to a millionth removes the 0.1 + 0.2 noise without touching any
// real currency's minor unit (at most 4 decimals).
function roundMoney(amount: number): number {
  return Math.round(amount * 1e6) / 1e6;
}

type ProductsSummary = {
  products: PlainObject[] | null;
  hasMoney: boolean;
  lineTotal: number | null;
  /** Whether some priced item has no `currency` of its own (it then needs the event's). */
  hasPriceWithoutCurrency: boolean;
  /** The currencies priced items name themselves (upper case). */
  priceCurrencies: Set<string>;
};

/** A `currency` as sent: null when absent or empty, false when it is not a known ISO 4217 code. */
function readCurrency(value: unknown): string | null | false {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || !isValidCurrency(value)) return false;
  return value.trim().toUpperCase();
}

const NO_PRODUCTS: ProductsSummary = {
  products: null,
  hasMoney: false,
  lineTotal: null,
  hasPriceWithoutCurrency: false,
  priceCurrencies: new Set(),
};

function checkProducts(value: unknown, allowNegative: boolean): Validated<ProductsSummary> {
  if (value === undefined || value === null) return { ok: true, value: NO_PRODUCTS };
  if (!Array.isArray(value)) return reject('properties.products must be an array', 'properties.products');
  const products: PlainObject[] = [];
  let hasMoney = false;
  let lineTotal: number | null = null;
  let hasPriceWithoutCurrency = false;
  const priceCurrencies = new Set<string>();
  for (let i = 0; i < value.length; i++) {
    const field = `properties.products[${i}]`;
    const item: unknown = value[i];
    if (!isPlainObject(item)) return reject(`${field} must be an object`, field);
    if (readReference(item.product_id) === null && readReference(item.sku) === null) {
      return reject(`${field} needs a product_id or sku`, `${field}.product_id`);
    }
    const quantity = readQuantity(item.quantity, `${field}.quantity`);
    if (!quantity.ok) return quantity;
    const price = readMoney(item.price, `${field}.price`, allowNegative);
    if (!price.ok) return price;
    // Segment's own clients put `currency` on each product of a list or cart when the event has none.
    const currency = readCurrency(item.currency);
    if (currency === false) {
      return reject(`${field}.currency must be an ISO 4217 currency code, like USD`, `${field}.currency`);
    }
    if (price.value !== null) {
      hasMoney = true;
      lineTotal = (lineTotal ?? 0) + price.value * (quantity.value ?? 1);
      if (currency === null) hasPriceWithoutCurrency = true;
      else priceCurrencies.add(currency);
    }
    products.push(item);
  }
  if (lineTotal !== null && Math.abs(lineTotal) > MAX_MONEY_AMOUNT) {
    return reject('properties.products add up to too large an amount', 'properties.products');
  }
  return {
    ok: true,
    value: {
      products,
      hasMoney,
      lineTotal: lineTotal === null ? null : roundMoney(lineTotal),
      hasPriceWithoutCurrency,
      priceCurrencies,
    },
  };
}

export type EcommerceFacts = {
  /** Properties with `currency` upper-cased and `order_id` as a string; otherwise as sent. */
  properties: PlainObject;
  /** Order Completed: revenue ?? total ?? Σ price × quantity. Order Refunded: the refunded amount, ≥ 0. */
  revenue: number | null;
  currency: string | null;
  orderId: string | null;
};

/**
 * Checks a spec event's properties and derives its facts. Rules: money fields are non-negative numbers (Order
 * Refunded may send them negative; the sign is dropped); `currency` is a known ISO 4217 code and is required as
 * soon as any amount is present; order events need `order_id`; product events need `product_id` or `sku` (or
 * a `products` list of identified items — GA4 sends several items on one add_to_cart); each `products[]` item
 * needs `product_id` or `sku` and a positive whole `quantity` if it has one.
 */
export function applyEcommerceRules(
  event: EcommerceEvent,
  properties: PlainObject,
): Validated<EcommerceFacts> {
  const isRefund = event === 'Order Refunded';
  const amounts = new Map<string, number>();
  for (const key of MONEY_FIELDS) {
    const money = readMoney(properties[key], `properties.${key}`, isRefund);
    if (!money.ok) return money;
    if (money.value !== null) amounts.set(key, money.value);
  }

  const products = checkProducts(properties.products, isRefund);
  if (!products.ok) return products;

  const quantity = readQuantity(properties.quantity, 'properties.quantity');
  if (!quantity.ok) return quantity;

  const ownCurrency = readCurrency(properties.currency);
  if (ownCurrency === false) {
    return reject('properties.currency must be an ISO 4217 currency code, like USD', 'properties.currency');
  }
  // Every amount needs a currency: a top-level amount the event's, a product price its own or the event's.
  const { hasPriceWithoutCurrency, priceCurrencies } = products.value;
  if (ownCurrency === null && (amounts.size > 0 || hasPriceWithoutCurrency)) {
    return reject('properties.currency is required when the event has amounts', 'properties.currency');
  }
  const lineCurrencies = new Set(priceCurrencies);
  if (ownCurrency !== null && hasPriceWithoutCurrency) lineCurrencies.add(ownCurrency);
  // Without its own, the event is in the one currency its products are priced in (none when they differ).
  const currency =
    ownCurrency ?? (lineCurrencies.size === 1 ? (lineCurrencies.values().next().value as string) : null);

  const rawOrderId = properties.order_id;
  const orderId = readReference(rawOrderId);
  if (ORDER_EVENTS.has(event) && orderId === null) {
    return rawOrderId === undefined || rawOrderId === null || rawOrderId === ''
      ? reject(`properties.order_id is required for ${event}`, 'properties.order_id')
      : reject('properties.order_id must be a non-empty string or a number', 'properties.order_id');
  }
  if (orderId !== null && orderId.length > 255) {
    return reject('properties.order_id is longer than 255 characters', 'properties.order_id');
  }

  if (PRODUCT_EVENTS.has(event)) {
    const hasOwnRef = readReference(properties.product_id) !== null || readReference(properties.sku) !== null;
    const hasListedRefs = products.value.products !== null && products.value.products.length > 0;
    if (!hasOwnRef && !hasListedRefs) {
      return reject(
        `properties.product_id or properties.sku is required for ${event}`,
        'properties.product_id',
      );
    }
  }

  let revenue: number | null = null;
  if (event === 'Order Completed' || isRefund) {
    const stated = isRefund
      ? (amounts.get('total') ?? amounts.get('revenue'))
      : (amounts.get('revenue') ?? amounts.get('total'));
    // A sum of prices in several currencies is no amount at all.
    if (stated === undefined && products.value.lineTotal !== null && lineCurrencies.size > 1) {
      return reject(
        'properties.products are priced in several currencies; send the total with properties.currency',
        'properties.currency',
      );
    }
    const amount = stated ?? products.value.lineTotal;
    revenue = amount === null ? null : isRefund ? Math.abs(amount) : amount;
  }

  const normalized: PlainObject = { ...properties };
  if (ownCurrency !== null) normalized.currency = ownCurrency;
  if (orderId !== null) normalized.order_id = orderId;

  return { ok: true, value: { properties: normalized, revenue, currency, orderId } };
}
