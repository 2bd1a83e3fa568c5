import { Type } from 'typebox';
import { notFound } from '../../platform/errors.js';
import type { HttpApp } from '../../platform/http/app.js';
import { actorOf, requireOrganizationId, requireStoreId } from '../../platform/http/request-context.js';
import {
  errorResponses,
  IsoTime,
  iso,
  NullableIsoTime,
  PublicIdString,
  SafeText,
} from '../../platform/http/schemas.js';
import type { Store, StoresService } from './stores.service.js';

const IpPolicySchema = Type.Union([Type.Literal('truncate'), Type.Literal('full'), Type.Literal('none')]);

const SettingsFields = {
  name: SafeText({ minLength: 1, maxLength: 120 }),
  currency: Type.String({ minLength: 3, maxLength: 3, description: 'ISO 4217 code reports convert to' }),
  timeZone: Type.String({ maxLength: 64, description: 'IANA time zone reports use' }),
  allowedOrigins: Type.Array(Type.String({ maxLength: 255 }), {
    maxItems: 50,
    description: 'Origins browsers may send events from; empty = any',
  }),
  retentionDays: Type.Integer({ minimum: 1, maximum: 3650 }),
  ipPolicy: IpPolicySchema,
  backfillDays: Type.Integer({
    minimum: 1,
    maximum: 3650,
    description: 'Events older than this are refused',
  }),
  maxKeyAgeDays: Type.Union([Type.Integer({ minimum: 1, maximum: 3650 }), Type.Null()]),
  requiresConsent: Type.Boolean({ description: 'The tracker sends nothing before consent is granted' }),
};

export const StoreView = Type.Object({
  id: PublicIdString('str'),
  organizationId: PublicIdString('org'),
  ...SettingsFields,
  createdAt: IsoTime,
  updatedAt: IsoTime,
  deletedAt: NullableIsoTime,
});

const StoreParams = Type.Object({ storeId: Type.String() });
const OrgParams = Type.Object({ orgId: Type.String() });

export function registerStoresRoutes(
  app: HttpApp,
  deps: { stores: StoresService; organizationPublicId: (organizationId: number) => Promise<string> },
): void {
  const { stores } = deps;
  const view = async (store: Store) => ({
    id: store.publicId,
    organizationId: await deps.organizationPublicId(store.organizationId),
    name: store.name,
    currency: store.currency,
    timeZone: store.timeZone,
    allowedOrigins: store.allowedOrigins,
    retentionDays: store.retentionDays,
    ipPolicy: store.ipPolicy,
    backfillDays: store.backfillDays,
    maxKeyAgeDays: store.maxKeyAgeDays,
    requiresConsent: store.requiresConsent,
    createdAt: new Date(store.createdAt).toISOString(),
    updatedAt: new Date(store.updatedAt).toISOString(),
    deletedAt: iso(store.deletedAt),
  });
  const current = async (storeId: number, withDeleted = false) => {
    const store = await stores.findById(storeId, { withDeleted });
    if (!store) throw notFound('Store');
    return store;
  };

  app.get(
    '/api/v1/orgs/:orgId/stores',
    {
      config: { access: { kind: 'org', permission: 'stores:read' } },
      schema: {
        tags: ['stores'],
        summary: "An organization's stores",
        params: OrgParams,
        response: {
          200: Type.Object({ items: Type.Array(StoreView) }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => ({
      items: await Promise.all((await stores.listByOrganization(requireOrganizationId(request))).map(view)),
    }),
  );

  app.post(
    '/api/v1/orgs/:orgId/stores',
    {
      config: { access: { kind: 'org', permission: 'stores:create' } },
      schema: {
        tags: ['stores'],
        summary: 'Create a store',
        params: OrgParams,
        body: Type.Object(
          {
            name: SettingsFields.name,
            currency: Type.Optional(SettingsFields.currency),
            timeZone: Type.Optional(SettingsFields.timeZone),
            allowedOrigins: Type.Optional(SettingsFields.allowedOrigins),
            retentionDays: Type.Optional(SettingsFields.retentionDays),
            ipPolicy: Type.Optional(SettingsFields.ipPolicy),
            backfillDays: Type.Optional(SettingsFields.backfillDays),
            maxKeyAgeDays: Type.Optional(SettingsFields.maxKeyAgeDays),
            requiresConsent: Type.Optional(SettingsFields.requiresConsent),
          },
          { additionalProperties: false },
        ),
        response: { 201: StoreView, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const store = await stores.create(requireOrganizationId(request), request.body, actorOf(request));
      return reply.code(201).send(await view(store));
    },
  );

  app.get(
    '/api/v1/stores/:storeId',
    {
      config: { access: { kind: 'store', permission: 'stores:read' } },
      schema: {
        tags: ['stores'],
        summary: 'One store and its settings',
        params: StoreParams,
        response: { 200: StoreView, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => view(await current(requireStoreId(request))),
  );

  app.patch(
    '/api/v1/stores/:storeId',
    {
      config: { access: { kind: 'store', permission: 'stores:write' } },
      schema: {
        tags: ['stores'],
        summary: "Update a store's settings",
        params: StoreParams,
        body: Type.Partial(Type.Object(SettingsFields), { additionalProperties: false, minProperties: 1 }),
        response: { 200: StoreView, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const store = await current(requireStoreId(request));
      return view(await stores.update(store, request.body, actorOf(request)));
    },
  );

  app.delete(
    '/api/v1/stores/:storeId',
    {
      config: { access: { kind: 'store', permission: 'stores:delete' } },
      schema: {
        tags: ['stores'],
        summary:
          'Delete a store: its keys stop working now; it can be restored for 30 days, then it is purged',
        params: StoreParams,
        response: { 200: StoreView, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const store = await current(requireStoreId(request));
      await stores.softDelete(store, actorOf(request));
      return view(await current(store.id, true));
    },
  );

  app.post(
    '/api/v1/stores/:storeId/restore',
    {
      config: { access: { kind: 'store', permission: 'stores:delete', allowDeleted: true } },
      schema: {
        tags: ['stores'],
        summary: 'Restore a deleted store within its grace period (its revoked keys stay revoked)',
        params: StoreParams,
        response: { 200: StoreView, ...errorResponses(400, 401, 403, 404, 409, 410) },
      },
    },
    async (request) => {
      const store = await current(requireStoreId(request), true);
      return view(await stores.restore(store, actorOf(request)));
    },
  );
}
