// Realistic store traffic, deterministic for a seed: visitors (new and returning) arrive through a channel
// and campaign mix on mobile and desktop, browse, view products, add and remove them, check out or abandon,
// order (sometimes in another currency, with a coupon, confirmed again by the shop's server), and some
// orders are later refunded or cancelled; a share of the traffic is bots. Events come out in the shape
// ingest hands the pipeline, one local day at a time, with each order's final state. Pure: no I/O.
import type { PipelineEvent } from '../pipeline/index.js';
import { DAY_MS, dayStartMs, localDay } from '../reports/index.js';

/** mulberry32: small, fast, and the same sequence on every platform for a seed. */
export function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (maxExclusive: number): number => Math.floor(next() * maxExclusive);
  const hex8 = (): string => (int(0x1_0000_0000) >>> 0).toString(16).padStart(8, '0');
  return {
    next,
    int,
    chance: (p: number): boolean => next() < p,
    pick<T>(items: readonly T[]): T {
      return items[int(items.length)] as T;
    },
    weighted<T>(items: readonly (readonly [T, number])[]): T {
      let total = 0;
      for (const [, weight] of items) total += weight;
      let roll = next() * total;
      for (const [item, weight] of items) {
        roll -= weight;
        if (roll < 0) return item;
      }
      return (items[items.length - 1] as readonly [T, number])[0];
    },
    /** A version-4-looking UUID, as browsers' crypto.randomUUID() makes. */
    uuid(): string {
      const a = hex8();
      const b = hex8();
      const c = hex8();
      const d = hex8();
      return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${((int(4) + 8) >>> 0).toString(16)}${c.slice(1, 4)}-${c.slice(4)}${d}`;
    },
  };
}

export type Random = ReturnType<typeof createRandom>;

export interface GeneratedOrder {
  orderId: string;
  status: 'completed' | 'partially_refunded' | 'refunded' | 'cancelled';
  currency: string;
  revenue: number;
  refundedTotal: number;
  netRevenue: number;
  lineItems: Record<string, unknown>[];
  revenueSource: 'browser' | 'server';
  anonymousId: string;
  userId: string;
  sessionId: string;
  landing: {
    channel: string;
    referrerHost: string | null;
    utmSource: string | null;
    utmMedium: string | null;
    utmCampaign: string | null;
    utmTerm: string | null;
    utmContent: string | null;
  };
  placedAtMs: number;
  /** The order events, in time order, as the pipeline's ledger records them. */
  adjustments: {
    messageId: string;
    kind: 'completed' | 'refunded' | 'cancelled';
    amount: number | null;
    atMs: number;
  }[];
}

/** One visit: its events (and the shop server's later events about its order), and the order it placed. */
export interface GeneratedSession {
  events: PipelineEvent[];
  order: GeneratedOrder | null;
}

export interface GeneratedDay {
  day: number;
  sessions: GeneratedSession[];
}

export interface GeneratorOptions {
  /** Roughly how many events to produce in all. */
  events: number;
  days: number;
  /** Latest instant an event may have (usually now). */
  endMs: number;
  seed: number;
  timeZone: string;
  /** The store's currency; a share of orders is paid in others. */
  currency: string;
  /** Host of the shop (internal navigation). */
  host?: string;
  /** Share of sessions that are bots (default 3 %). */
  botShare?: number;
  /** Prefix of order ids, so two seeds of one store do not collide. */
  orderPrefix?: string;
}

const AVERAGE_EVENTS_PER_SESSION = 5.6;

const CHANNELS = [
  ['direct', 28],
  ['search', 32],
  ['social', 10],
  ['email', 8],
  ['paid', 14],
  ['referral', 8],
] as const;

const DEVICES = [
  [
    'mobile',
    58,
    [
      ['iOS', 'Mobile Safari', 55],
      ['Android', 'Chrome', 45],
    ],
  ],
  [
    'desktop',
    37,
    [
      ['Windows', 'Chrome', 40],
      ['Windows', 'Edge', 15],
      ['Mac OS', 'Safari', 20],
      ['Mac OS', 'Chrome', 15],
      ['Windows', 'Firefox', 10],
    ],
  ],
  [
    'tablet',
    5,
    [
      ['iOS', 'Mobile Safari', 80],
      ['Android', 'Chrome', 20],
    ],
  ],
] as const;

const COUNTRIES = [
  ['US', 45],
  ['GB', 10],
  ['DE', 8],
  ['CA', 7],
  ['FR', 5],
  ['AU', 4],
  ['NL', 3],
  ['ES', 3],
  ['IT', 3],
  ['IN', 3],
  ['BR', 3],
  ['JP', 2],
  ['SE', 2],
] as const;

/** Where a foreign shopper pays in their own currency (when the store's is different). */
const LOCAL_CURRENCY: Readonly<Record<string, string>> = {
  GB: 'GBP',
  DE: 'EUR',
  FR: 'EUR',
  NL: 'EUR',
  ES: 'EUR',
  IT: 'EUR',
  CA: 'CAD',
};

/** Value of each currency in US dollars; the seed's exchange rates derive from these. */
const USD_VALUE: Readonly<Record<string, number>> = { EUR: 1.08, GBP: 1.27, CAD: 0.73, USD: 1 };

/** Units of `storeCurrency` one unit of `currency` buys, as the seed records it (4 decimals). */
export function seedRate(currency: string, storeCurrency: string): number {
  if (currency === storeCurrency) return 1;
  const value = USD_VALUE[currency] ?? 1;
  const store = USD_VALUE[storeCurrency] ?? 1;
  return Math.round((value / store) * 10_000) / 10_000;
}

/** The foreign currencies the seed's shoppers pay in. */
export const SEED_CURRENCIES: readonly string[] = ['EUR', 'GBP', 'CAD', 'USD'];

const SEARCH_HOSTS = [
  ['google.com', 80],
  ['bing.com', 12],
  ['duckduckgo.com', 8],
] as const;
const SOCIAL_HOSTS = [
  ['facebook.com', 40],
  ['instagram.com', 30],
  ['t.co', 15],
  ['pinterest.com', 15],
] as const;
const REFERRAL_HOSTS = [
  ['styleblog.example', 40],
  ['reddit.com', 30],
  ['dealsforum.example', 30],
] as const;
const CAMPAIGNS = ['spring_sale', 'summer_launch', 'retargeting', 'brand'] as const;
const COUPONS = [
  ['WELCOME10', 50],
  ['SPRING20', 30],
  ['FREESHIP', 20],
] as const;

const BOT_AGENTS = [
  ['Googlebot', 'bot', null],
  ['bingbot', 'bot', null],
  ['AhrefsBot', 'bot', null],
] as const;

interface Product {
  id: string;
  sku: string;
  name: string;
  price: number;
  category: string;
  slug: string;
}

function catalog(random: Random, size: number): Product[] {
  const categories = ['shoes', 'shirts', 'bags', 'hats', 'jackets', 'socks'];
  const products: Product[] = [];
  for (let i = 1; i <= size; i++) {
    const category = categories[i % categories.length] as string;
    // Prices spread like a real catalog: many cheap items, a few expensive ones.
    const price = Math.round(Math.exp(2.3 + random.next() * 2.9) * 100) / 100;
    products.push({
      id: `prod_${i}`,
      sku: `SKU-${1000 + i}`,
      name: `${category[0]?.toUpperCase()}${category.slice(1, -1)} ${i}`,
      price,
      category,
      slug: `/products/${category}-${i}`,
    });
  }
  return products;
}

/** Hour-of-day shape of shopping traffic (local time): quiet nights, a lunch bump, a strong evening. */
const HOUR_WEIGHTS = [2, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 8, 8, 7, 6, 6, 7, 9, 10, 10, 9, 6, 4];

interface Visitor {
  anonymousId: string;
  userId: string | null;
  country: string;
  device: string;
  os: string;
  browser: string;
  userAgent: string;
}

/**
 * Generates the traffic day by day (oldest first) and hands each day to `onDay`; it returns the number of
 * events made. Sessions of a day are in start order, and each order comes with its final state (refunds
 * and cancellations that happen before `endMs` included) so a bulk loader can write it at once.
 */
export async function generateTraffic(
  options: GeneratorOptions,
  onDay: (day: GeneratedDay) => Promise<void> | void,
): Promise<number> {
  const random = createRandom(options.seed);
  const host = options.host ?? 'shop.example';
  const zone = options.timeZone;
  const botShare = options.botShare ?? 0.03;
  const products = catalog(random, 240);
  // Popularity: a long tail (Zipf-like).
  const productWeights = products.map((p, i) => [p, 1 / (i + 3)] as const);
  const lastDay = localDay(zone, options.endMs);
  const firstDay = lastDay - options.days + 1;
  const totalSessions = Math.max(1, Math.round(options.events / AVERAGE_EVENTS_PER_SESSION));
  const dayWeights: number[] = [];
  for (let day = firstDay; day <= lastDay; day++) {
    const weekday = (((day + 3) % 7) + 7) % 7; // 0 = Monday
    const weekend = weekday >= 5 ? 1.15 : 1;
    const growth = 0.85 + (0.3 * (day - firstDay)) / Math.max(1, options.days);
    dayWeights.push(weekend * growth);
  }
  const weightSum = dayWeights.reduce((a, b) => a + b, 0);
  const visitors: Visitor[] = [];
  let customers = 0;
  let orders = 0;
  let produced = 0;

  const newVisitor = (): Visitor => {
    const [device, , systems] = random.weighted(DEVICES.map((d) => [d, d[1]] as const));
    const [os, browser] = random.weighted(systems.map((s) => [s, s[2]] as const));
    return {
      anonymousId: random.uuid(),
      userId: null,
      country: random.weighted(COUNTRIES),
      device,
      os,
      browser,
      userAgent: `Mozilla/5.0 (${os}; ${device}) AppleWebKit/605.1.15 (KHTML, like Gecko) ${browser}/17.4 Safari/605.1.15`,
    };
  };

  for (let day = firstDay; day <= lastDay; day++) {
    const dayStart = dayStartMs(zone, day);
    const dayEnd = dayStartMs(zone, day + 1);
    const sessionCount = Math.round((totalSessions * (dayWeights[day - firstDay] ?? 1)) / weightSum);
    const starts: number[] = [];
    for (let i = 0; i < sessionCount; i++) {
      const hour = random.weighted(HOUR_WEIGHTS.map((w, h) => [h, w] as const));
      const start = dayStart + hour * 3_600_000 + random.int(3_600_000);
      // The last hours before now are left out: their sessions would run into the future.
      if (start < dayEnd && start < options.endMs - 2 * 3_600_000) starts.push(start);
    }
    starts.sort((a, b) => a - b);
    const sessions: GeneratedSession[] = [];

    for (const startMs of starts) {
      const events: PipelineEvent[] = [];
      const visit: GeneratedSession = { events, order: null };
      sessions.push(visit);
      const isBot = random.chance(botShare);
      let visitor: Visitor;
      if (!isBot && visitors.length > 0 && random.chance(0.3)) {
        // Returning visitors: recent ones more likely.
        const index =
          visitors.length -
          1 -
          Math.min(visitors.length - 1, Math.floor(-Math.log(1 - random.next()) * 2000));
        visitor = visitors[index] as Visitor;
      } else {
        visitor = newVisitor();
        if (!isBot) visitors.push(visitor);
        if (visitors.length > 200_000) visitors.splice(0, 50_000);
      }
      const sessionId = random.uuid();
      const channel = isBot ? 'direct' : random.weighted(CHANNELS);
      let referrerHost: string | null = null;
      let utm: { source: string; medium: string; campaign: string } | null = null;
      switch (channel) {
        case 'search':
          referrerHost = random.weighted(SEARCH_HOSTS);
          break;
        case 'social':
          referrerHost = random.weighted(SOCIAL_HOSTS);
          if (random.chance(0.3))
            utm = { source: 'facebook', medium: 'social', campaign: random.pick(CAMPAIGNS) };
          break;
        case 'email':
          utm = {
            source: 'newsletter',
            medium: 'email',
            campaign: random.chance(0.3) ? 'abandoned_cart' : `weekly_${Math.floor(day / 7)}`,
          };
          break;
        case 'paid':
          referrerHost = 'google.com';
          utm = random.chance(0.6)
            ? { source: 'google', medium: 'cpc', campaign: random.pick(CAMPAIGNS) }
            : { source: 'facebook', medium: 'paid_social', campaign: random.pick(CAMPAIGNS) };
          break;
        case 'referral':
          referrerHost = random.weighted(REFERRAL_HOSTS);
          break;
        default:
          break;
      }
      const bot = isBot ? random.pick(BOT_AGENTS) : null;
      let time = startMs;
      let isLanding = true;
      // A page's events share one context object (as a page's events share the tracker's context), which
      // also lets the loader serialise it once.
      let lastContext: { key: string; value: Record<string, unknown> } | null = null;
      const context = (path: string, title: string) => {
        const key = `${isLanding}|${path}|${title}`;
        if (lastContext?.key !== key) lastContext = { key, value: makeContext(path, title) };
        return lastContext.value;
      };
      const makeContext = (path: string, title: string): Record<string, unknown> => ({
        library: { name: 'footfall.js', version: '1.0.0' },
        page: {
          path,
          url: `https://${host}${path}`,
          referrer: isLanding && referrerHost ? `https://${referrerHost}/` : `https://${host}/`,
          title,
          search: '',
        },
        userAgent: bot ? `Mozilla/5.0 (compatible; ${bot[0]}/2.1)` : visitor.userAgent,
        locale: 'en-US',
        timezone: zone,
        sessionId,
        ip: '203.0.113.0',
      });
      const emit = (
        type: 'page' | 'track',
        eventName: string | null,
        path: string,
        title: string,
        properties: Record<string, unknown>,
        extra: Partial<PipelineEvent> = {},
      ) => {
        const landing = isLanding;
        const event: PipelineEvent = {
          messageId: random.uuid(),
          type,
          event: type === 'track' ? eventName : null,
          name: type === 'page' ? title : null,
          userId: visitor.userId,
          anonymousId: visitor.anonymousId,
          groupId: null,
          previousId: null,
          sessionId,
          timestampMs: time,
          sentAtMs: time,
          receivedAtMs: time + 40,
          properties,
          traits: {},
          context: context(path, title),
          pagePath: path,
          pageHost: host,
          pageTitle: title,
          referrerHost: landing ? referrerHost : host,
          channel: landing ? channel : 'internal',
          utmSource: landing ? (utm?.source ?? null) : null,
          utmMedium: landing ? (utm?.medium ?? null) : null,
          utmCampaign: landing ? (utm?.campaign ?? null) : null,
          utmTerm: null,
          utmContent: null,
          deviceType: bot ? 'bot' : visitor.device,
          browser: bot ? bot[0] : visitor.browser,
          os: bot ? null : visitor.os,
          country: visitor.country,
          isBot: bot !== null,
          revenue: null,
          currency: null,
          orderId: null,
          isServer: false,
          ...extra,
        };
        events.push(event);
        produced += 1;
        return event;
      };
      const page = (path: string, title: string) => {
        emit('page', null, path, title, { path, url: `https://${host}${path}`, title });
      };
      const step = () => {
        time += 8_000 + random.int(90_000);
      };

      if (isBot) {
        const pages = 3 + random.int(12);
        for (let i = 0; i < pages; i++) {
          const product = random.pick(products);
          page(product.slug, product.name);
          isLanding = false;
          time += 500 + random.int(3000);
        }
        continue;
      }

      // Browsing: a landing page and a geometric number of further pages (a third of sessions bounce).
      const cart = new Map<string, { product: Product; quantity: number }>();
      const cartId = random.uuid();
      const landingKind = random.weighted([
        ['home', 35],
        ['product', 35],
        ['collection', 20],
        ['blog', 10],
      ] as const);
      let pages = 1;
      while (random.chance(pages === 1 ? 0.66 : 0.72) && pages < 25) pages += 1;
      for (let i = 0; i < pages; i++) {
        const kind =
          i === 0
            ? landingKind
            : random.weighted([
                ['product', 55],
                ['collection', 30],
                ['home', 10],
                ['blog', 5],
              ] as const);
        if (kind === 'product') {
          const product = random.weighted(productWeights);
          page(product.slug, product.name);
          emit('track', 'Product Viewed', product.slug, product.name, {
            product_id: product.id,
            sku: product.sku,
            name: product.name,
            price: product.price,
            currency: options.currency,
            category: product.category,
          });
          if (random.chance(0.14)) {
            step();
            const quantity = random.chance(0.85) ? 1 : 2;
            emit('track', 'Product Added', product.slug, product.name, {
              cart_id: cartId,
              product_id: product.id,
              sku: product.sku,
              name: product.name,
              price: product.price,
              quantity,
              currency: options.currency,
            });
            const line = cart.get(product.id);
            if (line) line.quantity += quantity;
            else cart.set(product.id, { product, quantity });
            if (random.chance(0.1)) {
              step();
              emit('track', 'Product Removed', product.slug, product.name, {
                cart_id: cartId,
                product_id: product.id,
                sku: product.sku,
                name: product.name,
                price: product.price,
                quantity,
                currency: options.currency,
              });
              const current = cart.get(product.id);
              if (current) {
                current.quantity -= quantity;
                if (current.quantity <= 0) cart.delete(product.id);
              }
            }
          }
        } else if (kind === 'collection') {
          const category = random.pick(products).category;
          page(`/collections/${category}`, `Shop ${category}`);
        } else if (kind === 'blog') {
          page(`/blog/style-guide-${1 + random.int(12)}`, 'Style guide');
        } else {
          page('/', 'Home');
        }
        isLanding = false;
        step();
      }

      if (cart.size === 0 || !random.chance(0.55)) continue;
      const lines = [...cart.values()];
      page('/cart', 'Your cart');
      step();
      if (!random.chance(0.5)) continue;
      const localCurrency = LOCAL_CURRENCY[visitor.country];
      const currency =
        localCurrency !== undefined && localCurrency !== options.currency && random.chance(0.6)
          ? localCurrency
          : options.currency;
      const rate = seedRate(currency, options.currency);
      const toCurrency = (price: number) => (rate === 1 ? price : Math.round((price / rate) * 100) / 100);
      const productLines = lines.map(({ product, quantity }) => ({
        product_id: product.id,
        sku: product.sku,
        name: product.name,
        price: toCurrency(product.price),
        quantity,
        category: product.category,
      }));
      const subtotal = Math.round(productLines.reduce((sum, l) => sum + l.price * l.quantity, 0) * 100) / 100;
      page('/checkout', 'Checkout');
      emit('track', 'Checkout Started', '/checkout', 'Checkout', {
        value: subtotal,
        revenue: subtotal,
        currency,
        products: productLines,
      });
      step();
      if (!random.chance(0.56)) continue;

      orders += 1;
      const isTest = random.chance(0.01);
      const orderId = `${isTest ? 'test_' : ''}${options.orderPrefix ?? ''}${100_000 + orders}`;
      if (visitor.userId === null) {
        customers += 1;
        visitor.userId = `cus_${customers}`;
      }
      const coupon = random.chance(0.15) ? random.weighted(COUPONS) : null;
      const discount = coupon ? Math.round(subtotal * 0.1 * 100) / 100 : 0;
      const revenue = Math.round((subtotal - discount) * 100) / 100;
      const shipping = 4.95;
      const tax = Math.round(revenue * 0.08 * 100) / 100;
      const withRate = currency !== options.currency && random.chance(0.5);
      const orderProperties: Record<string, unknown> = {
        order_id: orderId,
        total: Math.round((revenue + shipping + tax) * 100) / 100,
        revenue,
        shipping,
        tax,
        discount,
        currency,
        products: productLines,
        ...(coupon ? { coupon } : {}),
        ...(withRate ? { exchange_rate: rate } : {}),
        ...(!isTest && random.chance(0.005) ? { test: true } : {}),
      };
      const completed = emit('track', 'Order Completed', '/checkout', 'Checkout', orderProperties, {
        revenue,
        currency,
        orderId,
      });
      page('/checkout/thank-you', 'Thank you');
      const placedAtMs = completed.timestampMs;
      const order: GeneratedOrder = {
        orderId,
        status: 'completed',
        currency,
        revenue,
        refundedTotal: 0,
        netRevenue: revenue,
        lineItems: productLines,
        revenueSource: 'browser',
        anonymousId: visitor.anonymousId,
        userId: visitor.userId,
        sessionId,
        landing: {
          channel,
          referrerHost,
          utmSource: utm?.source ?? null,
          utmMedium: utm?.medium ?? null,
          utmCampaign: utm?.campaign ?? null,
          utmTerm: null,
          utmContent: null,
        },
        placedAtMs,
        adjustments: [
          { messageId: completed.messageId, kind: 'completed', amount: revenue, atMs: placedAtMs },
        ],
      };
      const server = (
        eventName: string,
        atMs: number,
        properties: Record<string, unknown>,
        extra: Partial<PipelineEvent>,
      ) => {
        const event: PipelineEvent = {
          messageId: random.uuid(),
          type: 'track',
          event: eventName,
          name: null,
          userId: visitor.userId,
          anonymousId: null,
          groupId: null,
          previousId: null,
          sessionId: null,
          timestampMs: atMs,
          sentAtMs: atMs,
          receivedAtMs: atMs + 25,
          properties,
          traits: {},
          context: { library: { name: 'footfall-node', version: '1.0.0' } },
          pagePath: null,
          pageHost: null,
          pageTitle: null,
          referrerHost: null,
          channel: 'direct',
          utmSource: null,
          utmMedium: null,
          utmCampaign: null,
          utmTerm: null,
          utmContent: null,
          deviceType: 'other',
          browser: null,
          os: null,
          country: null,
          isBot: false,
          revenue: null,
          currency: null,
          orderId,
          isServer: true,
          ...extra,
        };
        events.push(event);
        produced += 1;
        return event;
      };
      // A quarter of shops confirm each order from their backend too: still one order.
      if (random.chance(0.25)) {
        const confirmed = server('Order Completed', placedAtMs + 2_000, orderProperties, {
          revenue,
          currency,
        });
        order.revenueSource = 'server';
        order.adjustments.push({
          messageId: confirmed.messageId,
          kind: 'completed',
          amount: revenue,
          atMs: confirmed.timestampMs,
        });
      }
      if (random.chance(0.015)) {
        const atMs = placedAtMs + 3_600_000 + random.int(20 * 3_600_000);
        if (atMs < options.endMs) {
          const cancelled = server('Order Cancelled', atMs, { order_id: orderId, currency }, {});
          order.status = 'cancelled';
          order.netRevenue = 0;
          order.adjustments.push({ messageId: cancelled.messageId, kind: 'cancelled', amount: null, atMs });
        }
      } else if (random.chance(0.06)) {
        const atMs = placedAtMs + DAY_MS + random.int(9 * DAY_MS);
        if (atMs < options.endMs) {
          const isFull = random.chance(0.5);
          const amount = isFull ? null : Math.round(revenue * 0.3 * 100) / 100;
          const refunded = server(
            'Order Refunded',
            atMs,
            { order_id: orderId, currency, ...(amount === null ? {} : { total: amount }) },
            { revenue: amount, currency },
          );
          if (amount === null) {
            order.status = 'refunded';
            order.refundedTotal = revenue;
            order.netRevenue = 0;
          } else {
            order.status = amount >= revenue ? 'refunded' : 'partially_refunded';
            order.refundedTotal = amount;
            order.netRevenue =
              order.status === 'refunded' ? 0 : Math.max(0, Math.round((revenue - amount) * 1e4) / 1e4);
          }
          order.adjustments.push({ messageId: refunded.messageId, kind: 'refunded', amount, atMs });
        }
      }
      visit.order = order;
    }
    await onDay({ day, sessions });
    if (produced >= options.events * 1.2) break;
  }
  return produced;
}
