import { Type } from 'typebox';
import { IsoTime, NullableIsoTime, PublicIdString } from '../../platform/http/schemas.js';

const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
// Not Type.Record(Type.String(), …): its `^.*$` key pattern made the serialiser drop keys with line breaks.
const JsonObject = Type.Object({}, { additionalProperties: true });

export const EventView = Type.Object({
  id: PublicIdString('evt', 'The event (derived from its messageId, so it is stable across retries)'),
  messageId: Type.String(),
  type: Type.String(),
  event: NullableString,
  name: NullableString,
  userId: NullableString,
  anonymousId: NullableString,
  groupId: NullableString,
  previousId: NullableString,
  sessionId: NullableString,
  timestamp: IsoTime,
  sentAt: NullableIsoTime,
  receivedAt: IsoTime,
  properties: JsonObject,
  traits: JsonObject,
  context: JsonObject,
  enrichment: Type.Object({
    path: NullableString,
    pageHost: NullableString,
    title: NullableString,
    referrerHost: NullableString,
    channel: NullableString,
    utmSource: NullableString,
    utmMedium: NullableString,
    utmCampaign: NullableString,
    utmTerm: NullableString,
    utmContent: NullableString,
    deviceType: NullableString,
    browser: NullableString,
    os: NullableString,
    country: NullableString,
    isBot: Type.Boolean(),
    revenue: NullableNumber,
    currency: NullableString,
    orderId: NullableString,
  }),
});

export const EventsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 64, description: 'nextCursor of the previous page' })),
  messageId: Type.Optional(Type.String({ maxLength: 255 })),
  userId: Type.Optional(Type.String({ maxLength: 255 })),
  anonymousId: Type.Optional(Type.String({ maxLength: 255 })),
  event: Type.Optional(Type.String({ maxLength: 255 })),
  type: Type.Optional(
    Type.Union(['track', 'page', 'screen', 'identify', 'group', 'alias'].map((t) => Type.Literal(t))),
  ),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Event time at or after' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Event time before' })),
});

export const OrderView = Type.Object({
  id: PublicIdString('ord'),
  orderId: Type.String(),
  status: Type.String({ description: 'completed, partially_refunded, refunded or cancelled' }),
  currency: NullableString,
  revenue: Type.Number({ description: 'Order total in its own currency' }),
  refundedTotal: Type.Number(),
  netRevenue: Type.Number({ description: 'Revenue after refunds; 0 once refunded in full or cancelled' }),
  lineItems: Type.Union([Type.Array(Type.Unknown()), Type.Null()]),
  revenueSource: NullableString,
  isCompleted: Type.Boolean({ description: 'An Order Completed event has arrived' }),
  userId: NullableString,
  anonymousId: NullableString,
  sessionId: NullableString,
  campaign: Type.Object({
    channel: NullableString,
    referrerHost: NullableString,
    utmSource: NullableString,
    utmMedium: NullableString,
    utmCampaign: NullableString,
    utmTerm: NullableString,
    utmContent: NullableString,
  }),
  placedAt: IsoTime,
  createdAt: IsoTime,
  updatedAt: IsoTime,
});

export const OrdersQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
  orderId: Type.Optional(Type.String({ maxLength: 255 })),
  status: Type.Optional(
    Type.Union(['completed', 'partially_refunded', 'refunded', 'cancelled'].map((s) => Type.Literal(s))),
  ),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
});

export const DeadLetterView = Type.Object({
  id: PublicIdString('dlq'),
  messageId: NullableString,
  reason: Type.String(),
  attempts: Type.Integer(),
  payload: Type.String({ description: 'The buffered entry as it was' }),
  createdAt: IsoTime,
  replayedAt: NullableIsoTime,
});

export const DeadLettersQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
  includeReplayed: Type.Optional(Type.Boolean({ default: false })),
});

export const StoreParams = Type.Object({ storeId: Type.String() });
