import { type TObject, type TProperties, Type } from 'typebox';
import { PublicIdString } from '../../platform/http/schemas.js';

const DateText = (description: string) =>
  Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description, examples: ['2026-03-08'] });
const FilterText = (description: string) =>
  Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description }));

/** The query every report takes: a period in the store's time zone, a comparison, and filters. */
export const ReportQueryFields = {
  from: Type.Optional(
    DateText('First day of the period, in the store time zone (default: 6 days before `to`)'),
  ),
  to: Type.Optional(DateText('Last day of the period, inclusive (default: today)')),
  compare: Type.Optional(
    Type.Union([Type.Literal('none'), Type.Literal('previous')], {
      description: '`previous`: the period of the same length just before',
    }),
  ),
  compareFrom: Type.Optional(DateText('First day of an explicit comparison period')),
  compareTo: Type.Optional(DateText('Last day of an explicit comparison period')),
  includeTestOrders: Type.Optional(
    Type.Boolean({ description: 'Count test orders (order_id `test_…` or `properties.test: true`)' }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Rows of a table (top N)' })),
  channel: FilterText("The session's channel (direct, search, social, email, paid, referral)"),
  referrerHost: FilterText("The session's referrer host"),
  utmSource: FilterText("The session's utm_source"),
  utmMedium: FilterText("The session's utm_medium"),
  utmCampaign: FilterText("The session's utm_campaign"),
  device: FilterText('desktop, mobile, tablet, other'),
  browser: FilterText('Browser name'),
  os: FilterText('Operating system name'),
  country: FilterText('Country (ISO code when known)'),
  page: FilterText("The session's entry page path"),
  product: FilterText('A product id: orders containing it, sessions that viewed or added it'),
};

export function reportQuery<T extends TProperties>(extra: T) {
  return Type.Object({ ...ReportQueryFields, ...extra }, { additionalProperties: false });
}

export const GranularityField = {
  granularity: Type.Optional(
    Type.Union([Type.Literal('hour'), Type.Literal('day'), Type.Literal('week')], {
      description: 'Series buckets: local hours (periods up to 31 days), days, or ISO weeks',
    }),
  ),
};

export const StoreParams = Type.Object({ storeId: Type.String() });

const Period = Type.Object({
  from: Type.String(),
  to: Type.String(),
  timeZone: Type.String({ description: 'The zone the local days are counted in' }),
});
const ComparePeriod = Type.Union([Type.Object({ from: Type.String(), to: Type.String() }), Type.Null()]);
const Num = Type.Number();
const NullableNum = Type.Union([Type.Number(), Type.Null()]);
const NullableText = Type.Union([Type.String(), Type.Null()]);
const Metric = Type.Object({ value: Num, previous: NullableNum, change: NullableNum });

function withPeriod<T extends TProperties>(
  properties: T,
): TObject<T & { period: typeof Period; comparePeriod: typeof ComparePeriod }> {
  return Type.Object({ period: Period, comparePeriod: ComparePeriod, ...properties }) as never;
}

export const OverviewView = withPeriod({
  currency: Type.String(),
  granularity: Type.String(),
  metrics: Type.Object({
    visitors: Metric,
    sessions: Metric,
    pageViews: Metric,
    bounceRate: Metric,
    avgSessionDurationS: Metric,
    orders: Metric,
    revenue: Metric,
    conversionRate: Metric,
    aov: Metric,
  }),
  unconvertedOrders: Type.Integer({ description: 'Orders without an exchange rate: left out of revenue' }),
  series: Type.Array(
    Type.Object({
      bucket: Type.String(),
      visitors: Num,
      sessions: Num,
      pageViews: Num,
      bounceRate: Num,
      orders: Num,
      revenue: Num,
      conversionRate: Num,
    }),
  ),
});

export const PagesView = withPeriod({
  items: Type.Array(
    Type.Object({
      path: Type.String(),
      pageViews: Num,
      entrances: Num,
      bounceRate: Num,
      previousPageViews: NullableNum,
    }),
  ),
});

export const BreakdownView = withPeriod({
  dimension: Type.String(),
  items: Type.Array(
    Type.Object({
      value: NullableText,
      sessions: Num,
      pageViews: Num,
      bounceRate: Num,
      avgSessionDurationS: Num,
      conversions: Num,
      conversionRate: Num,
      previousSessions: NullableNum,
    }),
  ),
});

const EcommerceTotals = Type.Object({
  orders: Metric,
  revenue: Metric,
  grossRevenue: Metric,
  refunds: Metric,
  aov: Metric,
  unconvertedOrders: Metric,
  couponOrders: Metric,
  discounts: Metric,
  customers: Metric,
  newCustomerOrders: Metric,
  returningCustomerOrders: Metric,
  repeatCustomers: Metric,
  repeatPurchaseRate: Metric,
});

export const EcommerceView = withPeriod({
  currency: Type.String(),
  granularity: Type.String(),
  totals: EcommerceTotals,
  series: Type.Array(Type.Object({ bucket: Type.String(), orders: Num, revenue: Num, refunds: Num })),
  byCurrency: Type.Array(
    Type.Object({
      currency: Type.String(),
      orders: Num,
      revenue: Type.Number({ description: 'Net revenue in this currency' }),
      revenueConverted: Type.Number({ description: 'The same in the store currency, at the rates recorded' }),
      unconvertedOrders: Num,
    }),
  ),
  coupons: Type.Array(Type.Object({ coupon: Type.String(), orders: Num, discounts: Num, revenue: Num })),
});

export const ProductsView = withPeriod({
  currency: Type.String(),
  totals: Type.Object({ purchases: Num, units: Num, revenue: Num }),
  items: Type.Array(
    Type.Object({
      productId: NullableText,
      name: Type.String(),
      views: Num,
      adds: Num,
      removals: Num,
      checkouts: Num,
      purchases: Num,
      units: Num,
      revenue: Num,
      viewToPurchaseRate: Num,
      previousRevenue: NullableNum,
    }),
  ),
});

export const AttributionView = withPeriod({
  currency: Type.String(),
  dimension: Type.String(),
  items: Type.Array(
    Type.Object({
      value: NullableText,
      firstTouchOrders: Num,
      firstTouchRevenue: Num,
      lastTouchOrders: Num,
      lastTouchRevenue: Num,
      previousLastTouchRevenue: NullableNum,
    }),
  ),
});

const FunnelStepView = Type.Object({
  step: Type.Integer(),
  event: NullableText,
  page: NullableText,
  visitors: Num,
  sessions: Num,
  conversionRate: Num,
  overallConversionRate: Num,
  dropOff: Num,
  sessionConversionRate: Num,
  medianMsFromPrevious: NullableNum,
});

export const FunnelView = Type.Object({
  period: Period,
  windowMinutes: Num,
  steps: Type.Array(FunnelStepView),
  medianTimeToConvertMs: NullableNum,
  cartAbandonment: Type.Union([Type.Object({ carts: Num, abandoned: Num, rate: Num }), Type.Null()]),
  breakdown: Type.Union([
    Type.Object({
      dimension: Type.String(),
      groups: Type.Array(
        Type.Object({
          value: NullableText,
          steps: Type.Array(FunnelStepView),
          medianTimeToConvertMs: NullableNum,
        }),
      ),
    }),
    Type.Null(),
  ]),
});

export const FunnelStepInput = Type.Object(
  {
    event: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    page: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    properties: Type.Optional(
      Type.Record(
        Type.String({ maxLength: 255 }),
        Type.Union([Type.String({ maxLength: 1024 }), Type.Number(), Type.Boolean()]),
        {
          maxProperties: 10,
        },
      ),
    ),
  },
  { additionalProperties: false },
);

export const FunnelOptionsFields = {
  windowMinutes: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 90 * 24 * 60,
      description: 'Conversion window from step 1 (default 7 days)',
    }),
  ),
  breakdown: Type.Optional(
    Type.Union(
      [
        'channel',
        'referrerHost',
        'utmSource',
        'utmMedium',
        'utmCampaign',
        'device',
        'browser',
        'os',
        'country',
      ].map((name) => Type.Literal(name)),
      { description: "Split by one dimension of the entry's session" },
    ),
  ),
};

export const LiveEventView = Type.Object({
  id: PublicIdString('evt'),
  type: Type.String(),
  event: NullableText,
  name: NullableText,
  timestamp: Type.String({ format: 'date-time' }),
  path: NullableText,
  channel: NullableText,
  device: NullableText,
  browser: NullableText,
  os: NullableText,
  country: NullableText,
  isBot: Type.Boolean(),
  revenue: NullableNum,
  currency: NullableText,
});

export const LiveView = Type.Object({
  minutes: Num,
  counts: Type.Object({ events: Num, pageViews: Num, visitors: Num, sessions: Num }),
  events: Type.Array(LiveEventView),
});

export const CurrencyRateFields = {
  currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code of the order currency' }),
  rate: Type.Number({ exclusiveMinimum: 0, description: 'Units of the store currency one unit buys' }),
  validFrom: Type.String({
    format: 'date-time',
    description: 'Orders placed from this instant use the rate',
  }),
};

export const CurrencyRatesView = Type.Object({ rates: Type.Array(Type.Object(CurrencyRateFields)) });

export const CurrencyRatesBody = Type.Object(
  {
    rates: Type.Array(Type.Object(CurrencyRateFields, { additionalProperties: false }), {
      minItems: 1,
      maxItems: 500,
    }),
  },
  { additionalProperties: false },
);
