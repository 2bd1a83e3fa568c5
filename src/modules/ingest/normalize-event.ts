// One raw Segment-compatible event in, one stored event (or a reason it cannot be stored) out. This is the
// whole pure part of ingest: validation, GA4 mapping, eCommerce rules, time correction and enrichment. The
// route supplies request facts through NormalizeContext; nothing here does I/O or reads a clock.
import { applyEcommerceRules, canonicalEcommerceEvent } from './ecommerce-rules.js';
import { type IpPolicy, resolveClientIp } from './enrich-ip.js';
import { resolveEventTime } from './enrich-time.js';
import { type Channel, enrichUrl } from './enrich-url.js';
import { type DeviceType, parseUserAgent } from './enrich-user-agent.js';
import {
  type EventType,
  isPlainObject,
  type PlainObject,
  peekMessageId,
  type Rejection,
  readText,
  sanitizeObject,
  validateEnvelope,
} from './event-validation.js';
import { mapGa4Event } from './ga4-mapping.js';
import { readSessionId } from './session-id.js';

export type NormalizedEvent = {
  messageId: string;
  /** True when the client sent no messageId and one was generated: such events cannot be deduplicated. */
  messageIdAssigned: boolean;
  type: EventType;
  /** Track event name; spec events in canonical Segment v2 casing, GA4 names mapped. */
  event: string | null;
  /** Page/screen name. */
  name: string | null;
  userId: string | null;
  anonymousId: string | null;
  groupId: string | null;
  previousId: string | null;
  /** Corrected event time, epoch ms. */
  timestampMs: number;
  sentAtMs: number | null;
  receivedAtMs: number;
  originalTimestampMs: number | null;
  sessionId: string | null;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  /** Sanitised; `ip` holds the policy-applied address or is absent; `ga4Event` the original GA4 name. */
  context: Record<string, unknown>;
  /** Already truncated per policy. */
  ip: string | null;
  pageUrl: string | null;
  pagePath: string | null;
  pageHost: string | null;
  pageTitle: string | null;
  referrer: string | null;
  referrerHost: string | null;
  channel: Channel;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
  clickIds: Record<string, string> | null;
  userAgent: string | null;
  browser: string | null;
  browserVersion: string | null;
  os: string | null;
  osVersion: string | null;
  deviceType: DeviceType;
  isBot: boolean;
  locale: string | null;
  country: string | null;
  revenue: number | null;
  currency: string | null;
  orderId: string | null;
  isEcommerce: boolean;
};

export type NormalizeContext = {
  receivedAtMs: number;
  /** Batch-level sentAt, already parsed; an event's own sentAt wins. */
  sentAtMs?: number | null;
  /** Batch-level context, merged under each event's context (the event's keys win). */
  batchContext?: Record<string, unknown>;
  /**
   * The requesting client's IP and User-Agent, used when the event carries no `context.ip`/`context.userAgent`.
   * Pass null for server-to-server calls (secret key): there they describe the store's backend, not a shopper,
   * and would otherwise be stored as the shopper's address and flagged as a bot ("python-requests", "curl").
   */
  requestIp: string | null;
  requestUserAgent: string | null;
  ipPolicy: IpPolicy;
  /** Events whose corrected time is older than receivedAtMs − backfillWindowMs are rejected. */
  backfillWindowMs: number;
  /** Events whose corrected time is later than receivedAtMs + maxFutureMs are rejected. Default 24 h. */
  maxFutureMs?: number;
  /** The store's own hosts: a referrer on one of them (or a subdomain) is internal navigation. */
  ownHosts?: string[];
  /** Country from a trusted upstream header (e.g. CF-IPCountry), used when context.location.country is absent. */
  requestCountry?: string | null;
  newMessageId: () => string;
};

export type NormalizeFailure = { ok: false; reason: string; field?: string; messageId?: string };

export type NormalizeResult = { ok: true; event: NormalizedEvent } | NormalizeFailure;

function fail(rejection: Rejection, raw: unknown): NormalizeFailure {
  const messageId = peekMessageId(raw);
  return messageId === undefined ? rejection : { ...rejection, messageId };
}

function withoutKey(source: PlainObject, key: string): PlainObject {
  const out: PlainObject = {};
  // Sanitised objects have own, enumerable keys only: for…in reads them without an entries array.
  for (const k in source) if (k !== key) out[k] = source[k];
  return out;
}

// CDN country headers use these for "unknown" (XX) and Tor exits (T1): no country, not a country called XX.
const NOT_A_COUNTRY: ReadonlySet<string> = new Set(['XX', 'T1', 'ZZ']);

function readCountry(value: unknown): string | null {
  const text = readText(value, 255);
  if (text === null) return null;
  // Two-letter values are ISO 3166 codes: store them upper-case. Names ("Germany") are kept as sent.
  if (/^[a-z]{2}$/i.test(text)) {
    const code = text.toUpperCase();
    return NOT_A_COUNTRY.has(code) ? null : code;
  }
  return text;
}

/**
 * Validates and enriches one event. Expected problems come back as `{ ok: false, reason, field }` (with the
 * client's messageId when it had a usable one, so a batch response can point at the event); it does not throw
 * on any JSON input.
 */
export function normalizeEvent(raw: unknown, ctx: NormalizeContext): NormalizeResult {
  const envelope = validateEnvelope(raw);
  if (!envelope.ok) return fail(envelope, raw);
  if (!isPlainObject(raw)) return fail({ ok: false, reason: 'event must be a JSON object' }, raw);
  const e = envelope.value;

  let context = e.context;
  if (ctx.batchContext !== undefined) {
    const batchContext = sanitizeObject(ctx.batchContext, 'context');
    if (!batchContext.ok) return fail(batchContext, raw);
    context = { ...batchContext.value, ...context };
  }

  const time = resolveEventTime({
    timestamp: raw.timestamp,
    originalTimestamp: raw.originalTimestamp,
    sentAt: raw.sentAt,
    batchSentAtMs: ctx.sentAtMs ?? null,
    receivedAtMs: ctx.receivedAtMs,
    backfillWindowMs: ctx.backfillWindowMs,
    ...(ctx.maxFutureMs === undefined ? {} : { maxFutureMs: ctx.maxFutureMs }),
  });
  if (!time.ok) return fail(time, raw);

  let event = e.event;
  let properties = e.properties;
  let revenue: number | null = null;
  let currency: string | null = null;
  let orderId: string | null = null;
  let isEcommerce = false;
  if (e.type === 'track' && event !== null) {
    const ga4 = mapGa4Event(event, properties);
    if (ga4 !== null) {
      event = ga4.event;
      properties = ga4.properties;
      context = { ...context, ga4Event: ga4.ga4Event };
    }
    const specEvent = canonicalEcommerceEvent(event);
    if (specEvent !== null) {
      const facts = applyEcommerceRules(specEvent, properties);
      if (!facts.ok) return fail(facts, raw);
      event = specEvent;
      properties = facts.value.properties;
      revenue = facts.value.revenue;
      currency = facts.value.currency;
      orderId = facts.value.orderId;
      isEcommerce = true;
    }
  }

  // The client's address never stays in context as sent: only the policy-applied value, or nothing.
  const ip = resolveClientIp(context.ip, ctx.requestIp, ctx.ipPolicy);
  context = ip === null ? withoutKey(context, 'ip') : { ...context, ip };

  const userAgent = readText(context.userAgent) ?? readText(ctx.requestUserAgent);
  const ua = parseUserAgent(userAgent);

  const url = enrichUrl({
    type: e.type,
    context,
    properties,
    ...(ctx.ownHosts === undefined ? {} : { ownHosts: ctx.ownHosts }),
  });

  const location = isPlainObject(context.location) ? context.location : {};
  const country = readCountry(location.country) ?? readCountry(ctx.requestCountry);

  const messageIdAssigned = e.messageId === null;
  return {
    ok: true,
    event: {
      messageId: e.messageId ?? ctx.newMessageId(),
      messageIdAssigned,
      type: e.type,
      event,
      name: e.name,
      userId: e.userId,
      anonymousId: e.anonymousId,
      groupId: e.groupId,
      previousId: e.previousId,
      timestampMs: time.value.timestampMs,
      sentAtMs: time.value.sentAtMs,
      receivedAtMs: ctx.receivedAtMs,
      originalTimestampMs: time.value.originalTimestampMs,
      sessionId: readSessionId(context),
      properties,
      traits: e.traits,
      context,
      ip,
      // Field by field rather than spread: V8 builds a literal with spreads in it property by property, and
      // that was a fifth of normalising an event.
      pageUrl: url.pageUrl,
      pagePath: url.pagePath,
      pageHost: url.pageHost,
      pageTitle: url.pageTitle,
      referrer: url.referrer,
      referrerHost: url.referrerHost,
      channel: url.channel,
      utmSource: url.utmSource,
      utmMedium: url.utmMedium,
      utmCampaign: url.utmCampaign,
      utmTerm: url.utmTerm,
      utmContent: url.utmContent,
      clickIds: url.clickIds,
      userAgent,
      browser: ua.browser,
      browserVersion: ua.browserVersion,
      os: ua.os,
      osVersion: ua.osVersion,
      deviceType: ua.deviceType,
      isBot: ua.isBot,
      locale: readText(context.locale),
      country,
      revenue,
      currency,
      orderId,
      isEcommerce,
    },
  };
}
