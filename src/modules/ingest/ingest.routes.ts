import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors.js';
import { type HttpApp, sendProblem, toAppError } from '../../platform/http/app.js';
import { errorResponses } from '../../platform/http/schemas.js';
import { IngestResponse, SEGMENT_TYPES } from './ingest.schemas.js';
import { type IngestService, MAX_REQUEST_BYTES } from './ingest.service.js';
import {
  malformedJson,
  resultBody,
  runTrackingCall,
  type TrackingCall,
  type TrackingRoute,
  tooLargeRequest,
} from './tracking-call.js';
import { createDirectTrackingHandler } from './tracking-direct.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Bytes of the (decompressed) ingest body; lets small requests skip per-event size checks. */
    ingestBodyBytes: number;
  }
}

/** OpenAPI: a publishable write key (Basic user name) or a secret key (Bearer). */
const WRITE_KEY_SECURITY: Record<string, string[]>[] = [{ writeKey: [] }, { secretKey: [] }];

function trackingCall(request: FastifyRequest, route: TrackingRoute): TrackingCall {
  const origin = request.headers.origin;
  return {
    route,
    body: request.body,
    bodyBytes: request.ingestBodyBytes,
    authorization: request.headers.authorization,
    queryWriteKey: () => (request.query as Record<string, unknown> | undefined)?.writeKey,
    origin: typeof origin === 'string' ? origin : undefined,
    // request.ip honours TRUST_PROXY only: a client cannot choose its address with X-Forwarded-For.
    ip: request.ip ?? null,
    userAgent: request.headers['user-agent'],
  };
}

/**
 * The tracking API, Segment-compatible: `/v1/{track,page,screen,identify,group,alias}` for one event and
 * `/v1/batch` for many. Registered in its own Fastify scope: it parses text/plain as JSON (sendBeacon cannot
 * send anything else without a preflight), takes gzip bodies, allows 500 KB, answers CORS, and authenticates
 * write keys itself (routes declare `access: ingest`).
 */
export function registerIngestRoutes(
  app: HttpApp,
  deps: { ingest: IngestService; trustProxy: false | string[] },
): void {
  const { ingest } = deps;
  app.addDirectHandler(createDirectTrackingHandler({ ingest, logger: app.log, trustProxy: deps.trustProxy }));
  void app.register(async (scope) => {
    scope.decorateRequest('ingestBodyBytes', 0);
    scope.removeContentTypeParser(['application/json', 'text/plain']);
    scope.addContentTypeParser(
      ['application/json', 'text/plain'],
      { parseAs: 'buffer', bodyLimit: MAX_REQUEST_BYTES },
      (request, body, done) => {
        const buffer = body as Buffer;
        request.ingestBodyBytes = buffer.length;
        try {
          // Plain JSON.parse: `__proto__` keys become own properties, and the validator drops them.
          done(null, JSON.parse(buffer.toString('utf8')));
        } catch {
          done(malformedJson(), undefined);
        }
      },
    );

    scope.addHook('preParsing', async (request, _reply, payload) => {
      const encoding = request.headers['content-encoding']?.toLowerCase();
      if (encoding === undefined || encoding === 'identity') return payload;
      if (encoding !== 'gzip' && encoding !== 'deflate') {
        throw new AppError(
          'unsupported_media_type',
          `Content-Encoding ${encoding} is not supported; send gzip or none`,
        );
      }
      // Fastify counts the decompressed bytes against the 500 KB limit (a zip bomb stops there) and the
      // compressed ones against Content-Length.
      const inflated = payload.pipe(encoding === 'gzip' ? createGunzip() : createInflate()) as ReturnType<
        typeof createGunzip
      > & { receivedEncodedLength: number };
      inflated.receivedEncodedLength = 0;
      payload.on('data', (chunk: Buffer) => {
        inflated.receivedEncodedLength += chunk.length;
      });
      payload.on('error', (error) => inflated.destroy(error));
      return inflated;
    });

    // Every ingest answer, errors included, is readable by the calling page: the origin is enforced by
    // refusing the request (403), and an unreadable refusal would only make trackers retry it forever.
    scope.addHook('onRequest', async (request, reply) => {
      const origin = request.headers.origin;
      if (typeof origin === 'string' && origin !== '') {
        reply.header('Access-Control-Allow-Origin', origin);
        reply.header('Access-Control-Expose-Headers', 'Retry-After, X-Request-Id');
      }
      reply.header('Vary', 'Origin');
      reply.header('X-Content-Type-Options', 'nosniff');
    });

    scope.setErrorHandler((error: FastifyError, request, reply) => {
      const appError =
        error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? tooLargeRequest()
          : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? new AppError('unsupported_media_type', 'Send application/json, or text/plain with a JSON body')
            : toAppError(error);
      if (appError.status >= 500 && appError.code !== 'unavailable')
        request.log.error({ err: error }, 'ingest failed');
      return sendProblem(reply, request, appError);
    });

    const preflight = async (request: FastifyRequest, reply: FastifyReply) => {
      const origin = request.headers.origin;
      const writeKey = (request.query as Record<string, unknown>).writeKey;
      // A preflight carries no credentials; only a key named in the URL lets us refuse it early.
      if (typeof origin === 'string' && typeof writeKey === 'string') {
        try {
          await ingest.authorize({ presentedKey: writeKey, origin, ip: request.ip, userAgent: null });
        } catch (error) {
          if (error instanceof AppError && error.code === 'forbidden') {
            reply.removeHeader('Access-Control-Allow-Origin');
            throw error;
          }
        }
      }
      reply.header('Access-Control-Allow-Methods', 'POST, OPTIONS');
      reply.header('Access-Control-Allow-Headers', 'Content-Type, Authorization, Content-Encoding');
      reply.header('Access-Control-Max-Age', '600');
      return reply.code(204).send();
    };

    // At the default `info` level Fastify logs two lines per request; on the tracking routes those were a
    // tenth of a single event's cost and say nothing an operator reads (counts belong in metrics). Failures
    // are still logged (warn and up); `debug`/`trace` keep every line for troubleshooting.
    const hotRouteLogLevel = scope.log.level === 'info' ? { logLevel: 'warn' as const } : {};

    const routeOptions = (summary: string) => ({
      ...hotRouteLogLevel,
      // Helmet's page-oriented headers (CSP, frame and opener policies) mean nothing on a JSON answer to a
      // tracker, and helmet rebuilds them per request: a third of the cost of an ingest call. nosniff is
      // set by the hook above.
      helmet: false as const,
      config: { access: { kind: 'ingest' as const } },
      bodyLimit: MAX_REQUEST_BYTES,
      schema: {
        tags: ['tracking'],
        summary,
        security: WRITE_KEY_SECURITY,
        response: { 200: IngestResponse, ...errorResponses(400, 401, 403, 413, 415, 503) },
      },
    });

    for (const path of [...SEGMENT_TYPES, 'batch']) {
      scope.options(
        `/v1/${path}`,
        {
          helmet: false,
          config: { access: { kind: 'ingest' } },
          schema: {
            tags: ['tracking'],
            summary: `CORS preflight for /v1/${path}`,
            response: { 204: { type: 'null', description: 'Allowed' }, ...errorResponses(403) },
          },
        },
        preflight,
      );
    }

    for (const type of SEGMENT_TYPES) {
      scope.post(`/v1/${type}`, routeOptions(`Send one ${type} event`), async (request, reply) =>
        reply.code(200).send(resultBody(await runTrackingCall(ingest, trackingCall(request, type)))),
      );
    }

    scope.post('/v1/batch', routeOptions('Send up to 2,500 events of any type'), async (request, reply) =>
      reply.code(200).send(resultBody(await runTrackingCall(ingest, trackingCall(request, 'batch')))),
    );
  });
}
