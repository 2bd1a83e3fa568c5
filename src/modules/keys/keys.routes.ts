import { Type } from 'typebox';
import { parseDurationMs } from '../../platform/clock.js';
import { invalid, notFound } from '../../platform/errors.js';
import type { HttpApp } from '../../platform/http/app.js';
import { actorOf, requireStoreId } from '../../platform/http/request-context.js';
import {
  errorResponses,
  IsoTime,
  NullableIsoTime,
  PublicIdString,
  SafeText,
} from '../../platform/http/schemas.js';
import type { StoresService } from '../stores/index.js';
import type { KeysService } from './keys.service.js';

const KeyView = Type.Object({
  id: PublicIdString('key'),
  type: Type.Union([Type.Literal('publishable'), Type.Literal('secret')]),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the key' }),
  last4: Type.String(),
  scopes: Type.Array(Type.String()),
  allowedOrigins: Type.Union([Type.Array(Type.String()), Type.Null()]),
  status: Type.Union([
    Type.Literal('active'),
    Type.Literal('rotating'),
    Type.Literal('expired'),
    Type.Literal('revoked'),
  ]),
  createdAt: IsoTime,
  expiresAt: NullableIsoTime,
  lastUsedAt: NullableIsoTime,
  rotatedAt: NullableIsoTime,
  replacedBy: Type.Union([PublicIdString('key'), Type.Null()]),
  revokedAt: NullableIsoTime,
  nearingMaxAge: Type.Boolean({ description: "True when the store's maximum key age will expire it soon" }),
});
const CreatedKey = Type.Object({
  key: Type.String({ description: 'The key itself. Shown once: only its hash is stored.' }),
  ...KeyView.properties,
});
const StoreParams = Type.Object({ storeId: Type.String() });
const KeyParams = Type.Object({ storeId: Type.String(), keyId: Type.String() });
const Duration = Type.String({ pattern: '^\\d{1,6}[smhdw]$', description: 'e.g. 30d, 24h, 90m' });

function durationMs(field: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (text === '0') return 0;
  const ms = parseDurationMs(text);
  if (ms === null) throw invalid(field, `"${text}" is not a duration like 30d or 24h`);
  return ms;
}

export function registerKeysRoutes(app: HttpApp, deps: { keys: KeysService; stores: StoresService }): void {
  const { keys, stores } = deps;
  const storeOf = async (id: number) => {
    const store = await stores.findById(id);
    if (!store) throw notFound('Store');
    return store;
  };

  app.get(
    '/api/v1/stores/:storeId/keys',
    {
      config: { access: { kind: 'store', permission: 'keys:read' } },
      schema: {
        tags: ['keys'],
        summary: "A store's keys: prefix, last 4, scopes, status, expiry, last use — never the key",
        params: StoreParams,
        response: { 200: Type.Object({ items: Type.Array(KeyView) }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const store = await storeOf(requireStoreId(request));
      return { items: (await keys.list(store)).map((k) => keys.toPublicView(k)) };
    },
  );

  app.post(
    '/api/v1/stores/:storeId/keys',
    {
      config: { access: { kind: 'store', permission: 'keys:write' } },
      schema: {
        tags: ['keys'],
        summary: 'Create a publishable write key or a scoped secret key',
        params: StoreParams,
        body: Type.Object(
          {
            type: Type.Union([Type.Literal('publishable'), Type.Literal('secret')]),
            name: Type.Optional(SafeText({ maxLength: 120 })),
            scopes: Type.Optional(Type.Array(Type.String({ maxLength: 40 }), { maxItems: 20 })),
            expiresIn: Type.Optional(Duration),
            allowedOrigins: Type.Optional(Type.Array(Type.String({ maxLength: 255 }), { maxItems: 50 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: CreatedKey, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const store = await storeOf(requireStoreId(request));
      const created = await keys.create(
        store,
        {
          type: request.body.type,
          name: request.body.name,
          scopes: request.body.scopes,
          expiresInMs: durationMs('expiresIn', request.body.expiresIn),
          allowedOrigins: request.body.allowedOrigins,
        },
        actorOf(request),
      );
      return reply.code(201).send({ key: created.secret, ...keys.toPublicView(created.key) });
    },
  );

  app.post(
    '/api/v1/stores/:storeId/keys/:keyId/rotate',
    {
      config: { access: { kind: 'store', permission: 'keys:write' } },
      schema: {
        tags: ['keys'],
        summary:
          'Rotate: a new key now, the old one valid for a grace window (default 7d publishable, 24h secret)',
        params: KeyParams,
        body: Type.Optional(
          Type.Object(
            { grace: Type.Optional(Type.Union([Duration, Type.Literal('0')])) },
            { additionalProperties: false },
          ),
        ),
        response: {
          201: Type.Object({ ...CreatedKey.properties, previous: KeyView }),
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const store = await storeOf(requireStoreId(request));
      const key = await keys.findInStore(store, request.params.keyId);
      const rotated = await keys.rotate(
        store,
        key,
        durationMs('grace', request.body?.grace),
        actorOf(request),
      );
      return reply.code(201).send({
        key: rotated.secret,
        ...keys.toPublicView(rotated.key),
        previous: keys.toPublicView(rotated.previous),
      });
    },
  );

  app.delete(
    '/api/v1/stores/:storeId/keys/:keyId',
    {
      config: { access: { kind: 'store', permission: 'keys:write' } },
      schema: {
        tags: ['keys'],
        summary: 'Revoke a key now, on every instance within 30 seconds',
        params: KeyParams,
        response: { 200: KeyView, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const store = await storeOf(requireStoreId(request));
      const key = await keys.findInStore(store, request.params.keyId);
      return keys.toPublicView(await keys.revoke(store, key, actorOf(request)));
    },
  );
}
