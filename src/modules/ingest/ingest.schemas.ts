import { Type } from 'typebox';

export const IngestResponse = Type.Object(
  {
    accepted: Type.Integer({ description: 'Events now buffered for storage' }),
    duplicates: Type.Integer({
      description: 'Events whose messageId was already received (not stored twice)',
    }),
    rejected: Type.Array(
      Type.Object({
        index: Type.Integer({ description: 'Position in the batch (0 for single-event calls)' }),
        messageId: Type.Optional(Type.String()),
        reason: Type.String(),
        field: Type.Optional(Type.String()),
      }),
    ),
    assigned: Type.Optional(
      Type.Array(Type.Object({ index: Type.Integer(), messageId: Type.String() }), {
        description: 'Events sent without a messageId, and the id they were given',
      }),
    ),
  },
  { description: 'The outcome of every event of the request' },
);

/** Bodies are parsed by the ingest scope's own parser (JSON or text/plain JSON); shapes are checked per event. */
export const SEGMENT_TYPES = ['track', 'page', 'screen', 'identify', 'group', 'alias'] as const;
