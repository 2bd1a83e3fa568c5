import { randomUUID } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import { AppError } from '../../platform/errors.js';
import type { ApiKey, KeysService } from '../keys/index.js';
import { BufferUnavailableError, type PipelineEvent, type PipelineModule } from '../pipeline/index.js';
import type { Store, StoresService } from '../stores/index.js';
import type { SessionRequest, SessionStore } from './ingest.sessions.js';
import { type NormalizeContext, type NormalizedEvent, normalizeEvent } from './normalize-event.js';

/** Limits of the tracking API (Segment's): per event, per request body, events per request. */
export const MAX_EVENT_BYTES = 32 * 1024;
export const MAX_REQUEST_BYTES = 500 * 1024;
export const MAX_EVENTS_PER_REQUEST = 2500;

/**
 * UTF-8 bytes of `value` as JSON, or null when it is nested too deep for JSON.stringify (a RangeError: a few
 * tens of KB of `[[[…]]]` overflow the stack). The validator refuses such a value by its depth afterwards.
 */
export function jsonBytes(value: unknown): number | null {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '');
  } catch {
    return null;
  }
}

export interface Rejection {
  index: number;
  messageId?: string;
  reason: string;
  field?: string;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
  /** Events that came without a messageId, and the one we gave them. */
  assigned: { index: number; messageId: string }[];
}

/** What the HTTP layer knows about the caller. */
export interface IngestCaller {
  /** The presented key (Basic user name, Bearer token, body or query `writeKey`), or null. */
  presentedKey: string | null;
  origin: string | null;
  ip: string | null;
  userAgent: string | null;
}

export interface IngestAuthorization {
  key: ApiKey;
  store: Store;
  /** A secret key from the store's backend: request IP and UA describe the server, not a shopper. */
  isServer: boolean;
}

export type IngestService = ReturnType<typeof createIngestService>;

/**
 * True when JSON.stringify(value) is surely at most `limit` UTF-8 bytes, judged from a bound (a UTF-16 unit is
 * at most 6 bytes of JSON, as a \u escape; a number at most 25) without building the text; false when the
 * bound passes the limit (the caller then measures exactly). Stops walking as soon as the bound is passed.
 */
export function isSurelyWithin(value: unknown, limit: number): boolean {
  let budget = limit;
  // Deeper than this is left to the exact measure (and to the validator, which rejects it).
  const maxDepth = 64;
  const walk = (item: unknown, depth: number): boolean => {
    switch (typeof item) {
      case 'string':
        budget -= 2 + 6 * item.length;
        return budget >= 0;
      case 'number':
        budget -= 25;
        return budget >= 0;
      case 'object': {
        budget -= item === null ? 4 : 2;
        if (item === null) return budget >= 0;
        if (depth > maxDepth) return false;
        if (Array.isArray(item)) {
          for (const element of item) {
            budget -= 1;
            if (!walk(element, depth + 1)) return false;
          }
          return budget >= 0;
        }
        for (const key in item) {
          budget -= 4 + 6 * key.length;
          if (!walk((item as Record<string, unknown>)[key], depth + 1)) return false;
        }
        return budget >= 0;
      }
      default:
        budget -= 5; // true, false, or nothing at all
        return budget >= 0;
    }
  };
  return walk(value, 1);
}

const originHost = (origin: string): string | null => {
  try {
    return new URL(origin).hostname;
  } catch {
    return null;
  }
};

/**
 * The tracking API's logic, HTTP aside: authenticate the write key, check the origin, validate and enrich each
 * event (the pure `normalizeEvent`), give sessions, drop suppressed subjects, and append what is valid to the
 * buffer. Nothing here reads the database on the hot path: keys and stores come from their services' caches.
 */
export function createIngestService(deps: {
  keys: KeysService;
  stores: StoresService;
  pipeline: Pick<PipelineModule, 'buffer' | 'isSuppressed' | 'hasSuppressionChecks'>;
  sessions: SessionStore;
  clock: Clock;
}) {
  const ownHostsOf = new WeakMap<Store, string[]>();

  function ownHosts(store: Store): string[] {
    let hosts = ownHostsOf.get(store);
    if (!hosts) {
      hosts = store.allowedOrigins.map(originHost).filter((h): h is string => h !== null);
      ownHostsOf.set(store, hosts);
    }
    return hosts;
  }

  /** The origins a browser may send from with this key: each non-empty list (key's, store's) must allow it. */
  function isOriginAllowed(key: ApiKey, store: Store, origin: string): boolean {
    if (key.allowedOrigins && key.allowedOrigins.length > 0 && !key.allowedOrigins.includes(origin))
      return false;
    if (store.allowedOrigins.length > 0 && !store.allowedOrigins.includes(origin)) return false;
    return true;
  }

  function toPipelineEvent(event: NormalizedEvent, isServer: boolean): PipelineEvent {
    return {
      messageId: event.messageId,
      type: event.type,
      event: event.event,
      name: event.name,
      userId: event.userId,
      anonymousId: event.anonymousId,
      groupId: event.groupId,
      previousId: event.previousId,
      sessionId: event.sessionId,
      timestampMs: event.timestampMs,
      sentAtMs: event.sentAtMs,
      receivedAtMs: event.receivedAtMs,
      properties: event.properties,
      traits: event.traits,
      context: event.context,
      pagePath: event.pagePath,
      pageHost: event.pageHost,
      pageTitle: event.pageTitle,
      referrerHost: event.referrerHost,
      channel: event.channel,
      utmSource: event.utmSource,
      utmMedium: event.utmMedium,
      utmCampaign: event.utmCampaign,
      utmTerm: event.utmTerm,
      utmContent: event.utmContent,
      deviceType: event.deviceType,
      browser: event.browser,
      os: event.os,
      country: event.country,
      isBot: event.isBot,
      revenue: event.revenue,
      currency: event.currency,
      orderId: event.orderId,
      isServer,
    };
  }

  /** Fills sessionId: the client's when sent; otherwise derived (browser) or joined (server). */
  async function assignSessions(
    storeId: number,
    valid: { event: NormalizedEvent }[],
    isServer: boolean,
  ): Promise<void> {
    const requests: SessionRequest[] = [];
    const targets: NormalizedEvent[] = [];
    for (const { event } of valid) {
      const visitors = [event.anonymousId, event.userId].filter((v): v is string => v !== null);
      requests.push({
        visitors,
        timestampMs: event.timestampMs,
        extendsSession: !isServer,
        clientSessionId: event.sessionId,
      });
      targets.push(event);
    }
    let sessions: (string | null)[];
    try {
      sessions = await deps.sessions.assign(storeId, requests, randomUUID);
    } catch (error) {
      throw new BufferUnavailableError(`session state unavailable: ${(error as Error).message}`, 5);
    }
    targets.forEach((event, index) => {
      event.sessionId = sessions[index] ?? event.sessionId;
    });
  }

  return {
    isOriginAllowed,

    /** 401 for a missing/unknown/expired/revoked key, 403 for a key that may not write from here. */
    async authorize(caller: IngestCaller): Promise<IngestAuthorization> {
      if (caller.presentedKey === null) {
        throw new AppError(
          'unauthenticated',
          'Send the write key as the Basic auth user name, as writeKey in the body, or as ?writeKey=',
        );
      }
      const auth = await deps.keys.authenticate(caller.presentedKey);
      const store = auth ? await deps.stores.getCached(auth.key.storeId) : null;
      if (!auth || !store)
        throw new AppError('unauthenticated', 'The write key is unknown, expired or revoked');
      const isServer = auth.key.type === 'secret';
      if (isServer) {
        if (!auth.scopes.has('events:write'))
          throw new AppError('forbidden', 'This secret key lacks events:write');
        // A secret key in a page is readable by every visitor, and it can do more than write events.
        if (caller.origin !== null) {
          throw new AppError(
            'forbidden',
            'Secret keys are for servers; send browser events with a publishable key',
          );
        }
      } else if (caller.origin !== null && !isOriginAllowed(auth.key, store, caller.origin)) {
        throw new AppError('forbidden', `Origin ${caller.origin} may not send events with this key`, {
          field: 'origin',
        });
      }
      return { key: auth.key, store, isServer };
    },

    /**
     * Validates, enriches and buffers a request's events. Each event succeeds or fails on its own; the
     * buffer takes all the valid ones or none (503). `measureEach` is false when the whole body is within
     * the per-event limit; otherwise an event is measured exactly only when a quick bound cannot clear it.
     */
    async accept(
      auth: IngestAuthorization,
      rawEvents: readonly unknown[],
      batch: { sentAt?: unknown; context?: unknown },
      caller: IngestCaller,
      options: { measureEach: boolean },
    ): Promise<IngestResult> {
      if (rawEvents.length > MAX_EVENTS_PER_REQUEST) {
        throw new AppError(
          'payload_too_large',
          `A request may carry at most ${MAX_EVENTS_PER_REQUEST.toLocaleString('en')} events; split the batch`,
          { extra: { limit: 'events per request', maximum: MAX_EVENTS_PER_REQUEST } },
        );
      }
      const { store, isServer } = auth;
      const batchSentAtMs = typeof batch.sentAt === 'string' ? Date.parse(batch.sentAt) : Number.NaN;
      const batchContext =
        typeof batch.context === 'object' && batch.context !== null && !Array.isArray(batch.context)
          ? (batch.context as Record<string, unknown>)
          : undefined;
      const ctx: NormalizeContext = {
        receivedAtMs: deps.clock.nowMs(),
        sentAtMs: Number.isFinite(batchSentAtMs) ? batchSentAtMs : null,
        ...(batchContext ? { batchContext } : {}),
        requestIp: isServer ? null : caller.ip,
        requestUserAgent: isServer ? null : caller.userAgent,
        ipPolicy: store.ipPolicy,
        backfillWindowMs: store.backfillDays * 86_400_000,
        ownHosts: ownHosts(store),
        newMessageId: randomUUID,
      };

      const rejected: Rejection[] = [];
      const assigned: { index: number; messageId: string }[] = [];
      const valid: { index: number; event: NormalizedEvent }[] = [];
      const checkSuppression = deps.pipeline.hasSuppressionChecks();
      for (let index = 0; index < rawEvents.length; index++) {
        const raw = rawEvents[index];
        if (
          options.measureEach &&
          !isSurelyWithin(raw, MAX_EVENT_BYTES) &&
          (jsonBytes(raw) ?? 0) > MAX_EVENT_BYTES
        ) {
          const messageId = (raw as { messageId?: unknown } | null)?.messageId;
          rejected.push({
            index,
            ...(typeof messageId === 'string' ? { messageId } : {}),
            reason: `The event is larger than ${MAX_EVENT_BYTES / 1024} KB`,
          });
          continue;
        }
        const result = normalizeEvent(raw, ctx);
        if (!result.ok) {
          rejected.push({
            index,
            ...(result.messageId !== undefined ? { messageId: result.messageId } : {}),
            reason: result.reason,
            ...(result.field !== undefined ? { field: result.field } : {}),
          });
          continue;
        }
        const event = result.event;
        // Awaited only when the check needs to (a refresh due): an await per event costs a microtask turn.
        const suppressed = checkSuppression
          ? deps.pipeline.isSuppressed(store.id, event.userId, event.anonymousId)
          : false;
        if (suppressed === true || (suppressed !== false && (await suppressed))) {
          rejected.push({
            index,
            messageId: event.messageId,
            reason: 'This person asked for their data to be erased; events about them are not stored',
          });
          continue;
        }
        if (event.messageIdAssigned) assigned.push({ index, messageId: event.messageId });
        valid.push({ index, event });
      }

      let duplicateIndexes: number[] = [];
      try {
        if (valid.length > 0) await assignSessions(store.id, valid, isServer);
        duplicateIndexes = (
          await deps.pipeline.buffer.append(
            store.id,
            valid.map((v) => toPipelineEvent(v.event, isServer)),
          )
        ).duplicates;
      } catch (error) {
        if (error instanceof BufferUnavailableError) {
          throw new AppError('unavailable', `${error.message}; nothing in this request was accepted`, {
            retryAfterS: error.retryAfterS,
          });
        }
        throw error;
      }
      return {
        accepted: valid.length - duplicateIndexes.length,
        duplicates: duplicateIndexes.length,
        rejected,
        assigned,
      };
    },
  };
}
