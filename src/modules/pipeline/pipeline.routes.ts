import { Type } from 'typebox';
import type { HttpApp } from '../../platform/http/app.js';
import { actorOf, requireContext, requireStoreId } from '../../platform/http/request-context.js';
import { errorResponses, iso } from '../../platform/http/schemas.js';
import type { DeadLetter } from './dead-letters.repository.js';
import type { DeadLettersService } from './dead-letters.service.js';
import type { EventView as EventItem, EventsReader } from './events-reader.service.js';
import type { OrderRecord, OrdersReader } from './orders-reader.service.js';
import {
  DeadLettersQuery,
  DeadLetterView,
  EventsQuery,
  EventView,
  OrdersQuery,
  OrderView,
  StoreParams,
} from './pipeline.schemas.js';

const toMs = (text: string | undefined): number | undefined =>
  text === undefined ? undefined : Date.parse(text);

function eventView(item: EventItem) {
  return {
    id: item.id,
    messageId: item.messageId,
    type: item.type,
    event: item.event,
    name: item.name,
    userId: item.userId,
    anonymousId: item.anonymousId,
    groupId: item.groupId,
    previousId: item.previousId,
    sessionId: item.sessionId,
    timestamp: new Date(item.timestampMs).toISOString(),
    sentAt: iso(item.sentAtMs),
    receivedAt: new Date(item.receivedAtMs).toISOString(),
    properties: item.properties,
    traits: item.traits,
    context: item.context,
    enrichment: {
      path: item.path,
      pageHost: item.pageHost,
      title: item.title,
      referrerHost: item.referrerHost,
      channel: item.channel,
      utmSource: item.utmSource,
      utmMedium: item.utmMedium,
      utmCampaign: item.utmCampaign,
      utmTerm: item.utmTerm,
      utmContent: item.utmContent,
      deviceType: item.deviceType,
      browser: item.browser,
      os: item.os,
      country: item.country,
      isBot: item.isBot,
      revenue: item.revenue,
      currency: item.currency,
      orderId: item.orderId,
    },
  };
}

function orderView(order: OrderRecord) {
  return {
    id: order.publicId,
    orderId: order.orderId,
    status: order.status,
    currency: order.currency,
    revenue: order.revenue,
    refundedTotal: order.refundedTotal,
    netRevenue: order.netRevenue,
    lineItems: order.lineItems,
    revenueSource: order.revenueSource,
    isCompleted: order.isCompleted,
    userId: order.userId,
    anonymousId: order.anonymousId,
    sessionId: order.sessionId,
    campaign: {
      channel: order.channel,
      referrerHost: order.referrerHost,
      utmSource: order.utmSource,
      utmMedium: order.utmMedium,
      utmCampaign: order.utmCampaign,
      utmTerm: order.utmTerm,
      utmContent: order.utmContent,
    },
    placedAt: new Date(order.placedAtMs).toISOString(),
    createdAt: new Date(order.createdAt).toISOString(),
    updatedAt: new Date(order.updatedAt).toISOString(),
  };
}

function deadLetterView(letter: DeadLetter) {
  return {
    id: letter.publicId,
    messageId: letter.messageId,
    reason: letter.reason,
    attempts: letter.attempts,
    payload: letter.payload,
    createdAt: new Date(letter.createdAt).toISOString(),
    replayedAt: iso(letter.replayedAt),
  };
}

/** Read API of stored events and orders, and the dead-letter admin routes. */
export function registerPipelineRoutes(
  app: HttpApp,
  deps: { events: EventsReader; orders: OrdersReader; deadLetters: DeadLettersService },
): void {
  app.get(
    '/api/v1/stores/:storeId/events',
    {
      config: { access: { kind: 'store', permission: 'events:read' } },
      schema: {
        tags: ['events'],
        summary: 'Stored events, newest first',
        params: StoreParams,
        querystring: EventsQuery,
        response: {
          200: Type.Object({
            items: Type.Array(EventView),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await deps.events.list(requireStoreId(request), {
        limit: q.limit ?? 50,
        cursor: q.cursor,
        messageId: q.messageId,
        userId: q.userId,
        anonymousId: q.anonymousId,
        event: q.event,
        type: q.type,
        fromMs: toMs(q.from),
        toMs: toMs(q.to),
      });
      return { items: page.items.map(eventView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/v1/stores/:storeId/orders',
    {
      config: { access: { kind: 'store', permission: 'events:read' } },
      schema: {
        tags: ['events'],
        summary: 'Orders (one per order id, net of refunds), most recently placed first',
        params: StoreParams,
        querystring: OrdersQuery,
        response: {
          200: Type.Object({
            items: Type.Array(OrderView),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await deps.orders.list(requireStoreId(request), {
        limit: q.limit ?? 50,
        cursor: q.cursor,
        orderId: q.orderId,
        status: q.status,
        fromMs: toMs(q.from),
        toMs: toMs(q.to),
      });
      return { items: page.items.map(orderView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/v1/stores/:storeId/dead-letters',
    {
      config: { access: { kind: 'store', permission: 'deadletters:read' } },
      schema: {
        tags: ['pipeline'],
        summary: 'Events that failed to store too often, newest first',
        params: StoreParams,
        querystring: DeadLettersQuery,
        response: {
          200: Type.Object({
            items: Type.Array(DeadLetterView),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const page = await deps.deadLetters.list(requireStoreId(request), {
        limit: request.query.limit ?? 50,
        cursor: request.query.cursor,
        includeReplayed: request.query.includeReplayed,
      });
      return { items: page.items.map(deadLetterView), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/api/v1/stores/:storeId/dead-letters/:deadLetterId/replay',
    {
      config: { access: { kind: 'store', permission: 'deadletters:write' } },
      schema: {
        tags: ['pipeline'],
        summary: 'Store a dead letter’s event now (idempotent: a stored event is not stored twice)',
        params: Type.Object({ storeId: Type.String(), deadLetterId: Type.String() }),
        response: {
          200: Type.Object({
            deadLetter: DeadLetterView,
            outcome: Type.Union([
              Type.Literal('stored'),
              Type.Literal('duplicate'),
              Type.Literal('suppressed'),
            ]),
          }),
          ...errorResponses(400, 401, 403, 404, 409, 503),
        },
      },
    },
    async (request) => {
      const result = await deps.deadLetters.replay(requireStoreId(request), request.params.deadLetterId, {
        actor: actorOf(request),
        organizationId: requireContext(request).organizationId,
      });
      return { deadLetter: deadLetterView(result.letter), outcome: result.outcome };
    },
  );
}
