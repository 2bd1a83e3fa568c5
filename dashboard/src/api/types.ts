/**
 * Every shape the dashboard reads from or sends to the Footfall API, in one file.
 *
 * Parts 1, 2 and 4 mirror routes that exist (accounts, stores, keys, audit; pipeline events, orders and dead letters;
 * privacy; reports); their TypeBox schemas in src/modules/<m>/ are the source of truth. Part 3 is what the
 * dashboard expects from an endpoint still being built (the session-readable cron mirror), with the route and query
 * it sends, so the server side can be reconciled against it. A page whose endpoint answers
 * `404 No route for …` shows a "not available yet" state instead of an error.
 */

// ─── Part 1: endpoints that exist ────────────────────────────────────────────────────────────────────────────

export type Role = 'owner' | 'admin' | 'analyst' | 'viewer';

/** RFC 9457 problem+json, as every API error is written. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  field?: string;
  requestId?: string;
}

export interface User {
  id: string;
  email: string;
  name: string;
}

export interface OrganizationSummary {
  id: string;
  name: string;
  role: Role;
}

/** `POST /api/v1/auth/login` and `GET /api/v1/me`. */
export interface Me {
  user: User;
  organizations: OrganizationSummary[];
  /** Sent as `x-csrf-token` on every cookie-authenticated write. */
  csrfToken: string;
  expiresAt: string;
}

export interface ItemList<T> {
  items: T[];
}

export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

export type IpPolicy = 'truncate' | 'full' | 'none';

/** `GET /api/v1/stores/:storeId`. */
export interface Store {
  id: string;
  organizationId: string;
  name: string;
  currency: string;
  timeZone: string;
  allowedOrigins: string[];
  retentionDays: number;
  ipPolicy: IpPolicy;
  backfillDays: number;
  maxKeyAgeDays: number | null;
  requiresConsent: boolean;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
}

export type StoreSettings = Pick<
  Store,
  | 'name'
  | 'currency'
  | 'timeZone'
  | 'allowedOrigins'
  | 'retentionDays'
  | 'ipPolicy'
  | 'backfillDays'
  | 'maxKeyAgeDays'
  | 'requiresConsent'
>;

export type KeyType = 'publishable' | 'secret';
export type KeyStatus = 'active' | 'rotating' | 'expired' | 'revoked';

/** `GET /api/v1/stores/:storeId/keys`: never the key itself. */
export interface ApiKey {
  id: string;
  type: KeyType;
  name: string;
  prefix: string;
  last4: string;
  scopes: string[];
  allowedOrigins: string[] | null;
  status: KeyStatus;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  rotatedAt: string | null;
  replacedBy: string | null;
  revokedAt: string | null;
  nearingMaxAge: boolean;
}

/** `POST /api/v1/stores/:storeId/keys`: the only answer that carries `key`. */
export interface CreatedApiKey extends ApiKey {
  key: string;
}

export interface CreateKeyInput {
  type: KeyType;
  name?: string;
  scopes?: string[];
  /** A duration like `30d`; omitted = never (unless the store caps key age). */
  expiresIn?: string;
  allowedOrigins?: string[];
}

/** `POST /api/v1/stores/:storeId/keys/:keyId/rotate`. */
export interface RotatedApiKey extends CreatedApiKey {
  previous: ApiKey;
}

export interface Member {
  id: string;
  role: Role;
  user: User;
  createdAt: string;
  lastLoginAt: string | null;
}

/** `POST /api/v1/orgs/:orgId/members`. */
export interface AddedMember {
  member: Member;
  /** Only when the user was created by this call; shown once. */
  temporaryPassword: string | null;
}

/** `GET /api/v1/orgs/:orgId/audit?limit&cursor&action`. */
export interface AuditEntry {
  id: string;
  action: string;
  actor: { type: string; id: string | null; label: string | null };
  targetId: string | null;
  ip: string | null;
  details: Record<string, unknown> | null;
  createdAt: string;
}

// ─── Part 2: pipeline and privacy (src/modules/pipeline, src/modules/privacy) ───────────────────────────────

/** Derived at ingest from the page URL, referrer, user agent and IP. */
export interface EventEnrichment {
  path: string | null;
  pageHost: string | null;
  title: string | null;
  referrerHost: string | null;
  channel: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
  deviceType: string | null;
  browser: string | null;
  os: string | null;
  country: string | null;
  isBot: boolean;
  revenue: number | null;
  currency: string | null;
  orderId: string | null;
}

/**
 * `GET /api/v1/stores/:storeId/events?limit&cursor&messageId&userId&anonymousId&event&type&from&to` (events:read),
 * newest first. Every string in here is attacker controlled: the dashboard renders it as text only.
 */
export interface TrackedEvent {
  id: string;
  messageId: string;
  type: string;
  event: string | null;
  name: string | null;
  userId: string | null;
  anonymousId: string | null;
  groupId: string | null;
  previousId: string | null;
  sessionId: string | null;
  timestamp: string;
  sentAt: string | null;
  receivedAt: string;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  context: Record<string, unknown>;
  enrichment: EventEnrichment;
}

export interface EventsQuery {
  limit?: number;
  cursor?: string;
  messageId?: string;
  userId?: string;
  anonymousId?: string;
  event?: string;
  type?: string;
  /** ISO instants: event time at or after / before. */
  from?: string;
  to?: string;
}

/** `GET /api/v1/stores/:storeId/orders?limit&cursor&orderId&status&from&to` (events:read). */
export interface Order {
  id: string;
  orderId: string;
  status: 'completed' | 'partially_refunded' | 'refunded' | 'cancelled' | string;
  currency: string | null;
  revenue: number;
  refundedTotal: number;
  netRevenue: number;
  lineItems: unknown[] | null;
  revenueSource: string | null;
  isCompleted: boolean;
  userId: string | null;
  anonymousId: string | null;
  sessionId: string | null;
  campaign: {
    channel: string | null;
    referrerHost: string | null;
    utmSource: string | null;
    utmMedium: string | null;
    utmCampaign: string | null;
    utmTerm: string | null;
    utmContent: string | null;
  };
  placedAt: string;
  createdAt: string;
  updatedAt: string;
}

/** `GET /api/v1/stores/:storeId/dead-letters?limit&cursor&includeReplayed` (deadletters:read), newest first. */
export interface DeadLetter {
  id: string;
  messageId: string | null;
  /** Why it could not be stored. */
  reason: string;
  attempts: number;
  /** The buffered entry as it was (JSON text; attacker controlled). */
  payload: string;
  createdAt: string;
  replayedAt: string | null;
}

/** `POST /api/v1/stores/:storeId/dead-letters/:deadLetterId/replay` (deadletters:write). */
export interface ReplayResult {
  deadLetter: DeadLetter;
  outcome: 'stored' | 'duplicate' | 'suppressed';
}

export type PrivacyRequestKind = 'erasure' | 'export';
export type PrivacyRequestStatus = 'pending' | 'running' | 'done' | 'failed';

/**
 * `GET|POST /api/v1/stores/:storeId/privacy/erasures` and `…/privacy/exports` (privacy:read / privacy:write).
 * The identifiers' values are never shown back, only which kinds were named.
 */
export interface PrivacyRequest {
  id: string;
  kind: PrivacyRequestKind;
  status: PrivacyRequestStatus;
  identifiers: ('userId' | 'anonymousId')[];
  requestedBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Erasure: rows deleted so far. Export: records written to the file. Grows while running. */
  counts: {
    events: number;
    orders: number;
    orderAdjustments: number;
    deadLetters: number;
    derivedRows: number;
  };
  error: string | null;
  file: { bytes: number; expiresAt: string; downloadUrl: string; downloadUrlExpiresAt: string } | null;
}

/** POST body: a userId, an anonymousId, or both. */
export interface PrivacyRequestInput {
  userId?: string;
  anonymousId?: string;
}

// ─── Part 3: endpoints being built (expected shapes) ────────────────────────────────────────────────────────

/**
 * Session-readable mirror of the cron endpoints (cron:read), expected at
 * `GET /api/v1/orgs/:orgId/cron/jobs` and `GET /api/v1/orgs/:orgId/cron/runs?job&status&limit&cursor`.
 * Shapes follow src/modules/cron/cron.schemas.ts.
 */
export interface CronRun {
  id: string;
  job: string;
  slot: string;
  status: 'running' | 'succeeded' | 'failed';
  dryRun: boolean;
  startedAt: string;
  finishedAt: string | null;
  heartbeatAt: string;
  rowsAffected: number;
  result: unknown;
  error: string | null;
  instance: string;
}

export interface CronJob {
  name: string;
  schedule: string;
  description: string;
  leaseMs: number;
  lastRun: CronRun | null;
}

// ─── Part 4: reports `/api/v1/stores/:storeId/reports/<name>` (reports:read; src/modules/reports/reports.schemas.ts) ──

export type Granularity = 'hour' | 'day' | 'week';
/** Dimensions every report can be filtered by, sent as `?channel=email&device=mobile` (equality). */
export type FilterDimensionKey =
  | 'channel'
  | 'referrerHost'
  | 'utmSource'
  | 'utmMedium'
  | 'utmCampaign'
  | 'device'
  | 'browser'
  | 'os'
  | 'country'
  | 'page'
  | 'product';

export interface Filter {
  dimension: FilterDimensionKey;
  value: string;
}

export interface FilterDimension {
  key: FilterDimensionKey;
  label: string;
}

/**
 * The query every report takes: `from` and `to` are calendar days (YYYY-MM-DD, both inclusive) in the store's
 * time zone; `compare=previous` adds the same-length period just before; `granularity` buckets series.
 */
export interface ReportQuery {
  from: string;
  to: string;
  compare?: 'previous' | 'none';
  granularity?: Granularity;
  filters?: Filter[];
  limit?: number;
  /** Report-specific parameters (`dimension`, `sort`, …). */
  extra?: Record<string, string | number | boolean>;
}

export interface ReportPeriod {
  from: string;
  to: string;
  timeZone: string;
}

/** A value, the comparison period's value (null when not compared) and the relative change (null when n/a). */
export interface Metric {
  value: number;
  previous: number | null;
  change: number | null;
}

interface WithPeriod {
  period: ReportPeriod;
  comparePeriod: { from: string; to: string } | null;
}

export type OverviewMetricName =
  | 'visitors'
  | 'sessions'
  | 'pageViews'
  | 'bounceRate'
  | 'avgSessionDurationS'
  | 'orders'
  | 'revenue'
  | 'conversionRate'
  | 'aov';

/** A series bucket: an ISO instant for hours, the first local date (YYYY-MM-DD) for days and weeks. */
export interface OverviewBucket {
  bucket: string;
  visitors: number;
  sessions: number;
  pageViews: number;
  bounceRate: number;
  orders: number;
  revenue: number;
  conversionRate: number;
}

/** `GET reports/overview?granularity`. Rates are ratios 0–1; money is in the store's currency. */
export interface OverviewReport extends WithPeriod {
  currency: string;
  granularity: Granularity;
  metrics: Record<OverviewMetricName, Metric>;
  /** Orders without an exchange rate: left out of revenue. */
  unconvertedOrders: number;
  series: OverviewBucket[];
}

export interface PageRow {
  path: string;
  pageViews: number;
  entrances: number;
  bounceRate: number;
  previousPageViews: number | null;
}

/** `GET reports/pages?limit`. */
export interface PagesReport extends WithPeriod {
  items: PageRow[];
}

export interface BreakdownRow {
  value: string | null;
  sessions: number;
  pageViews: number;
  bounceRate: number;
  avgSessionDurationS: number;
  conversions: number;
  conversionRate: number;
  previousSessions: number | null;
}

export type SourceDimension = 'channel' | 'referrerHost' | 'utmSource' | 'utmMedium' | 'utmCampaign';
export type TechnologyDimension = 'device' | 'browser' | 'os' | 'country';

/** `GET reports/sources?dimension=…` and `GET reports/technology?dimension=…`. */
export interface BreakdownReport extends WithPeriod {
  dimension: string;
  items: BreakdownRow[];
}

export interface EcommerceReport extends WithPeriod {
  currency: string;
  granularity: Granularity;
  totals: {
    orders: Metric;
    revenue: Metric;
    grossRevenue: Metric;
    refunds: Metric;
    aov: Metric;
    unconvertedOrders: Metric;
    couponOrders: Metric;
    discounts: Metric;
    customers: Metric;
    newCustomerOrders: Metric;
    returningCustomerOrders: Metric;
    repeatCustomers: Metric;
    repeatPurchaseRate: Metric;
  };
  series: { bucket: string; orders: number; revenue: number; refunds: number }[];
  byCurrency: {
    currency: string;
    orders: number;
    revenue: number;
    revenueConverted: number;
    unconvertedOrders: number;
  }[];
  coupons: { coupon: string; orders: number; discounts: number; revenue: number }[];
}

export interface ProductRow {
  productId: string | null;
  name: string;
  views: number;
  adds: number;
  removals: number;
  checkouts: number;
  purchases: number;
  units: number;
  revenue: number;
  /** purchases ÷ views, 0–1. */
  viewToPurchaseRate: number;
  previousRevenue: number | null;
}

/** `GET reports/products?sort=revenue|views|adds|purchases|units`. */
export interface ProductsReport extends WithPeriod {
  currency: string;
  totals: { purchases: number; units: number; revenue: number };
  items: ProductRow[];
}

export type AttributionDimension = 'channel' | 'source' | 'medium' | 'campaign';

/** `GET reports/attribution?dimension=…`: both models side by side. */
export interface AttributionReport extends WithPeriod {
  currency: string;
  dimension: string;
  items: {
    value: string | null;
    firstTouchOrders: number;
    firstTouchRevenue: number;
    lastTouchOrders: number;
    lastTouchRevenue: number;
    previousLastTouchRevenue: number | null;
  }[];
}

/** A step as the funnel body names it: an event or a page path (optionally with property equality filters). */
export interface FunnelStepInput {
  event?: string;
  page?: string;
  properties?: Record<string, string | number | boolean>;
}

export interface FunnelStep {
  step: number;
  event: string | null;
  page: string | null;
  visitors: number;
  sessions: number;
  /** From the previous step. */
  conversionRate: number;
  /** From the first step. */
  overallConversionRate: number;
  dropOff: number;
  sessionConversionRate: number;
  medianMsFromPrevious: number | null;
}

export type FunnelBreakdown = SourceDimension | TechnologyDimension;

/**
 * `GET reports/funnel` (the checkout preset) or `POST reports/funnel` with
 * `{ steps, windowMinutes?, breakdown? }` (2–10 steps).
 */
export interface FunnelReport {
  period: ReportPeriod;
  windowMinutes: number;
  steps: FunnelStep[];
  medianTimeToConvertMs: number | null;
  cartAbandonment: { carts: number; abandoned: number; rate: number } | null;
  breakdown: {
    dimension: string;
    groups: { value: string | null; steps: FunnelStep[]; medianTimeToConvertMs: number | null }[];
  } | null;
}

export interface FunnelRequest {
  steps: FunnelStepInput[];
  windowMinutes?: number;
  breakdown?: FunnelBreakdown;
}

export interface LiveEvent {
  id: string;
  type: string;
  event: string | null;
  name: string | null;
  timestamp: string;
  path: string | null;
  channel: string | null;
  device: string | null;
  browser: string | null;
  os: string | null;
  country: string | null;
  isBot: boolean;
  revenue: number | null;
  currency: string | null;
}

/** `GET reports/live?minutes&limit`: the window's counts and newest events (poll it). */
export interface LiveReport {
  minutes: number;
  counts: { events: number; pageViews: number; visitors: number; sessions: number };
  events: LiveEvent[];
}

export interface ReportShapes {
  overview: OverviewReport;
  pages: PagesReport;
  sources: BreakdownReport;
  technology: BreakdownReport;
  ecommerce: EcommerceReport;
  products: ProductsReport;
  attribution: AttributionReport;
  funnel: FunnelReport;
}

export type ReportName = keyof ReportShapes;
