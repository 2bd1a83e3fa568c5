import { Type } from 'typebox';
import { IsoTime, NullableIsoTime, PublicIdString } from '../../platform/http/schemas.js';

export const StoreParams = Type.Object({ storeId: Type.String() });
export const RequestParams = Type.Object({ storeId: Type.String(), requestId: Type.String() });

const Identifier = (what: string) =>
  Type.String({ minLength: 1, maxLength: 1024, description: `The ${what}, exactly as your events send it` });

export const SubjectBody = Type.Object(
  {
    userId: Type.Optional(Identifier('Segment userId')),
    anonymousId: Type.Optional(Identifier('Segment anonymousId')),
  },
  {
    additionalProperties: false,
    description: 'The person: a userId, an anonymousId, or both (events carrying either are theirs)',
  },
);

export const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 64, description: 'nextCursor of the previous page' })),
});

const Counts = Type.Object(
  {
    events: Type.Integer(),
    orders: Type.Integer(),
    orderAdjustments: Type.Integer(),
    deadLetters: Type.Integer(),
    derivedRows: Type.Integer({ description: 'Rows of rollups and other read models' }),
  },
  { description: 'Erasure: rows deleted so far. Export: records written to the file.' },
);

export const PrivacyRequestView = Type.Object({
  id: PublicIdString('prv'),
  kind: Type.Union([Type.Literal('erasure'), Type.Literal('export')]),
  status: Type.Union([
    Type.Literal('pending'),
    Type.Literal('running'),
    Type.Literal('done'),
    Type.Literal('failed'),
  ]),
  identifiers: Type.Array(Type.Union([Type.Literal('userId'), Type.Literal('anonymousId')]), {
    description: 'Which identifiers the request named; their values are never shown or kept once done',
  }),
  requestedBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: IsoTime,
  startedAt: NullableIsoTime,
  finishedAt: NullableIsoTime,
  counts: Counts,
  error: Type.Union([Type.String(), Type.Null()]),
  file: Type.Union([
    Type.Object({
      bytes: Type.Integer(),
      expiresAt: Type.String({ format: 'date-time', description: 'When the file is deleted' }),
      downloadUrl: Type.String({
        description: 'Signed link to the NDJSON.gz file; anyone holding it can download, until it expires',
      }),
      downloadUrlExpiresAt: IsoTime,
    }),
    Type.Null(),
  ]),
});

export const RequestList = Type.Object({
  items: Type.Array(PrivacyRequestView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const DownloadParams = Type.Object({ requestId: Type.String() });
export const DownloadQuery = Type.Object({
  expires: Type.String({ pattern: '^\\d{1,15}$' }),
  signature: Type.String({ minLength: 1, maxLength: 200 }),
});
