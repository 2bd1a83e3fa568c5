import { Readable } from 'node:stream';
import { Type } from 'typebox';
import { notFound } from '../../platform/errors.js';
import type { HttpApp } from '../../platform/http/app.js';
import { actorOf, requireStoreId } from '../../platform/http/request-context.js';
import { errorResponses } from '../../platform/http/schemas.js';
import type { StoresService } from '../stores/index.js';
import {
  DownloadParams,
  DownloadQuery,
  ListQuery,
  PrivacyRequestView,
  RequestList,
  RequestParams,
  StoreParams,
  SubjectBody,
} from './privacy.schemas.js';
import type { PrivacyService } from './privacy.service.js';
import type { PrivacyRequestKind } from './privacy.tables.js';

const KINDS: { kind: PrivacyRequestKind; path: string; what: string; summary: string }[] = [
  {
    kind: 'erasure',
    path: 'erasures',
    what: 'Erasure',
    summary:
      'Erase a person (GDPR Art. 17): their events stop being stored at once; the privacy job deletes their events, orders and derived rows in this store',
  },
  {
    kind: 'export',
    path: 'exports',
    what: 'Export',
    summary:
      'Export a person’s data (GDPR Art. 15): the privacy job writes their events and orders to an NDJSON.gz file with a signed download link',
  },
];

/**
 * Privacy routes. Requests are store-scoped (`privacy:write` to ask, `privacy:read` to see receipts: owner and
 * admin, or a secret key with the scope). The download is public because its signed, expiring link is the
 * capability: the store can hand it to the person the data is about, who has no account here.
 */
export function registerPrivacyRoutes(
  app: HttpApp,
  deps: { privacy: { readonly service: PrivacyService }; stores: StoresService },
): void {
  for (const { kind, path, what, summary } of KINDS) {
    app.post(
      `/api/v1/stores/:storeId/privacy/${path}`,
      {
        config: { access: { kind: 'store', permission: 'privacy:write' } },
        schema: {
          tags: ['privacy'],
          summary,
          params: StoreParams,
          body: SubjectBody,
          response: { 202: PrivacyRequestView, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const store = await deps.stores.findById(requireStoreId(request));
        if (!store) throw notFound('Store');
        const service = deps.privacy.service;
        const view =
          kind === 'erasure'
            ? await service.requestErasure(store, request.body, actorOf(request))
            : await service.requestExport(store, request.body, actorOf(request));
        return reply.code(202).send(view);
      },
    );

    app.get(
      `/api/v1/stores/:storeId/privacy/${path}`,
      {
        config: { access: { kind: 'store', permission: 'privacy:read' } },
        schema: {
          tags: ['privacy'],
          summary: `${what} requests and their receipts, newest first`,
          params: StoreParams,
          querystring: ListQuery,
          response: { 200: RequestList, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) =>
        deps.privacy.service.list(requireStoreId(request), kind, {
          limit: request.query.limit ?? 50,
          cursor: request.query.cursor,
        }),
    );

    app.get(
      `/api/v1/stores/:storeId/privacy/${path}/:requestId`,
      {
        config: { access: { kind: 'store', permission: 'privacy:read' } },
        schema: {
          tags: ['privacy'],
          summary:
            kind === 'export'
              ? 'An export request: status, counts and, once done, a fresh signed download link'
              : 'An erasure request: status, rows deleted, timestamps',
          params: RequestParams,
          response: { 200: PrivacyRequestView, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => deps.privacy.service.find(requireStoreId(request), kind, request.params.requestId),
    );
  }

  app.get(
    '/api/v1/privacy/exports/:requestId/file',
    {
      config: { access: { kind: 'public' } },
      schema: {
        tags: ['privacy'],
        summary: 'Download an export (NDJSON, gzip) through its signed, expiring link',
        params: DownloadParams,
        querystring: DownloadQuery,
        response: {
          200: Type.Unsafe<Readable>({ type: 'string', format: 'binary', description: 'application/gzip' }),
          ...errorResponses(400, 403, 404, 410),
        },
      },
    },
    async (request, reply) => {
      const download = await deps.privacy.service.openDownload(
        request.params.requestId,
        request.query.expires,
        request.query.signature,
      );
      return reply
        .header('content-type', 'application/gzip')
        .header('content-disposition', `attachment; filename="${download.fileName}"`)
        .header('content-length', String(download.bytes))
        .header('cache-control', 'no-store')
        .send(Readable.from(download.chunks));
    },
  );
}
