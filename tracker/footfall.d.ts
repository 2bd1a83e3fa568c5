// Public types of the Footfall browser tracker (footfall.js / footfall.core.js).
// Copy this file into a store's project, or reference it, to type `window.footfall`.

/** Free-form event properties or user traits (values must be JSON-serialisable). */
export type Properties = Record<string, unknown>;

/** `granted`: store and send. `pending`: keep events in memory only. `denied`: store and send nothing. */
export type ConsentState = 'granted' | 'pending' | 'denied';

/** The core API, in both builds. */
export interface FootfallCore {
  /** Records a custom event, e.g. `track('Newsletter Signed Up', { list: 'weekly' })`. */
  track(event: string, properties?: Properties): void;
  /** Records a page view: `page()`, `page('Home')` or `page('Home', props)`. Automatic (including SPA
   * navigations) unless the script tag says `data-auto-page="false"`. */
  page(name?: string, properties?: Properties): void;
  /** Ties this browser to a user id from your backend: `identify('u_42', { plan: 'pro' })`, or
   * `identify({ plan: 'pro' })` to send traits for the current user. */
  identify(userId?: string | number | Properties, traits?: Properties): void;
  /** Forgets the user id, anonymous id and session (call on logout). Queued events are still delivered. */
  reset(): void;
  /** Changes the consent state; `granted` releases events held while `pending`, `denied` drops them and
   * removes everything the tracker stored. No effect when `data-respect-dnt` is set and GPC/DNT is on. */
  consent(state: ConsentState): void;
  /** This browser's anonymous id: put it in a hidden checkout field so your server can send the
   * server-confirmed Order Completed under the same visitor. */
  anonymousId(): string;
  /** Sends queued events now; resolves when the attempt is over (sent, rejected or scheduled for retry). */
  flush(): Promise<void>;
}

export interface Product {
  productId?: string;
  sku?: string;
  name?: string;
  category?: string;
  brand?: string;
  variant?: string;
  price?: number | string;
  quantity?: number | string;
  coupon?: string;
  position?: number;
  url?: string;
  imageUrl?: string;
  currency?: string;
  value?: number | string;
  [property: string]: unknown;
}

export interface ProductList {
  listId?: string;
  category?: string;
  products: Product[];
  [property: string]: unknown;
}

export interface Cart {
  cartId?: string;
  products: Product[];
  [property: string]: unknown;
}

export interface Order {
  orderId?: string;
  checkoutId?: string;
  affiliation?: string;
  total?: number | string;
  subtotal?: number | string;
  revenue?: number | string;
  shipping?: number | string;
  tax?: number | string;
  discount?: number | string;
  coupon?: string;
  currency?: string;
  products?: Product[];
  [property: string]: unknown;
}

export interface CompletedOrder extends Order {
  orderId: string;
}

export interface CheckoutStep {
  checkoutId?: string;
  step: number;
  shippingMethod?: string;
  paymentMethod?: string;
  [property: string]: unknown;
}

export interface Coupon {
  orderId?: string;
  cartId?: string;
  couponId?: string;
  couponName?: string;
  discount?: number | string;
  [property: string]: unknown;
}

/**
 * eCommerce helpers of the full build (footfall.js). Each sends the Segment eCommerce v2 event named in
 * its comment. Keys are converted to snake_case (`productId` → `product_id`; snake_case input passes
 * unchanged) and numeric strings in money and quantity fields become numbers.
 */
export interface FootfallEcommerce {
  /** "Product Viewed" */
  productViewed(product: Product): void;
  /** "Product List Viewed" */
  productListViewed(list: ProductList): void;
  /** "Product Added" */
  productAdded(product: Product & { cartId?: string }): void;
  /** "Product Removed" */
  productRemoved(product: Product & { cartId?: string }): void;
  /** "Cart Viewed" */
  cartViewed(cart: Cart): void;
  /** "Checkout Started" */
  checkoutStarted(order: Order): void;
  /** "Checkout Step Completed" */
  checkoutStepCompleted(step: CheckoutStep): void;
  /** "Order Completed" (an order id is required by the server) */
  orderCompleted(order: CompletedOrder): void;
  /** "Coupon Applied" */
  couponApplied(coupon: Coupon): void;
}

type MethodCall<T> = {
  [K in keyof T]: (
    fn: T[K] extends (...args: infer A) => infer R ? (method: K, ...args: A) => R : never,
  ) => void;
}[keyof T];
/** `footfall('method', ...args)` for every method, as overloads. */
type Method<T> = MethodCall<T> extends (fn: infer F) => void ? F : never;

/** `window.footfall` of the core build: an object that is also callable as `footfall('track', …)`. */
export type FootfallCoreFn = FootfallCore & Method<FootfallCore>;

/** `window.footfall` of the full build. */
export type Footfall = FootfallCore & FootfallEcommerce & Method<FootfallCore & FootfallEcommerce>;

declare global {
  interface Window {
    /** Undefined until footfall.js has loaded, unless the queue stub was installed. */
    footfall?: Footfall;
  }
}
