import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors.js';
import { type HttpApp, sendProblem, toAppError } from '../../platform/http/app.js';
import { errorResponses } from '../../platform/http/schemas.js';
import { IngestResponse, SEGMENT_TYPES } from './ingest.schemas.js';
import {
  type IngestCaller,
  type IngestResult,
  type IngestService,
  jsonBytes,
  MAX_EVENT_BYTES,
  MAX_REQUEST_BYTES,
} from './ingest.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Bytes of the (decompressed) ingest body; lets small requests skip per-event size checks. */
    ingestBodyBytes: number;
  }
}

/** OpenAPI: a publishable write key (Basic user name) or a secret key (Bearer). */
const WRITE_KEY_SECURITY: Record<string, string[]>[] = [{ writeKey: [] }, { secretKey: [] }];

const TOO_LARGE = () =>
  new AppError(
    'payload_too_large',
    `A request may be at most ${MAX_REQUEST_BYTES / 1024} KB (${MAX_REQUEST_BYTES} bytes)`,
    {
      extra: { limit: 'bytes per request', maximum: MAX_REQUEST_BYTES },
    },
  );

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The key from `Authorization: Basic base64(key:)` (Segment), `Bearer ff_sk_…`, the body, or `?writeKey=`. */
function presentedKey(request: FastifyRequest, body: unknown): string | null {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (basic) {
      const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
      const user = decoded.split(':')[0] ?? '';
      return user === '' ? null : user;
    }
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (bearer) return bearer[1] as string;
    throw new AppError('unauthenticated', 'Authorization must be Basic (write key as user name) or Bearer');
  }
  if (isPlainObject(body) && typeof body.writeKey === 'string') return body.writeKey;
  const query = (request.query as Record<string, unknown> | undefined)?.writeKey;
  return typeof query === 'string' && query !== '' ? query : null;
}

function callerOf(request: FastifyRequest, body: unknown): IngestCaller {
  const origin = request.headers.origin;
  const userAgent = request.headers['user-agent'];
  return {
    presentedKey: presentedKey(request, body),
    origin: typeof origin === 'string' && origin !== '' ? origin : null,
    // request.ip honours TRUST_PROXY only: a client cannot choose its address with X-Forwarded-For.
    ip: request.ip ?? null,
    userAgent: typeof userAgent === 'string' ? userAgent : null,
  };
}

function sendResult(reply: FastifyReply, result: IngestResult) {
  return reply.code(200).send({
    accepted: result.accepted,
    duplicates: result.duplicates,
    rejected: result.rejected,
    ...(result.assigned.length > 0 ? { assigned: result.assigned } : {}),
  });
}

/**
 * The tracking API, Segment-compatible: `/v1/{track,page,screen,identify,group,alias}` for one event and
 * `/v1/batch` for many. Registered in its own Fastify scope: it parses text/plain as JSON (sendBeacon cannot
 * send anything else without a preflight), takes gzip bodies, allows 500 KB, answers CORS, and authenticates
 * write keys itself (routes declare `access: ingest`).
 */
export function registerIngestRoutes(app: HttpApp, deps: { ingest: IngestService }): void {
  const { ingest } = deps;
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
          done(new AppError('malformed_body', 'The body is not valid JSON; nothing was accepted'), undefined);
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
          ? TOO_LARGE()
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
      scope.post(`/v1/${type}`, routeOptions(`Send one ${type} event`), async (request, reply) => {
        const body = request.body;
        if (!isPlainObject(body)) {
          throw new AppError(
            'malformed_body',
            'The body must be a JSON object (one event); nothing was accepted',
          );
        }
        const caller = callerOf(request, body);
        const auth = await ingest.authorize(caller);
        if (request.ingestBodyBytes > MAX_EVENT_BYTES && (jsonBytes(body) ?? 0) > MAX_EVENT_BYTES) {
          throw new AppError('payload_too_large', `An event may be at most ${MAX_EVENT_BYTES / 1024} KB`, {
            extra: { limit: 'bytes per event', maximum: MAX_EVENT_BYTES },
          });
        }
        // The path names the type: a body `type` cannot turn a /v1/page call into something else.
        const event = { ...body, type };
        const result = await ingest.accept(auth, [event], {}, caller, { measureEach: false });
        const rejection = result.rejected[0];
        if (rejection) {
          throw new AppError('validation_failed', rejection.reason, {
            ...(rejection.field !== undefined ? { field: rejection.field } : {}),
            extra: { rejected: result.rejected },
          });
        }
        return sendResult(reply, result);
      });
    }

    scope.post('/v1/batch', routeOptions('Send up to 2,500 events of any type'), async (request, reply) => {
      const body = request.body;
      if (!isPlainObject(body) || !Array.isArray(body.batch)) {
        throw new AppError('malformed_body', 'The body must be {"batch": [events…]}; nothing was accepted', {
          field: 'batch',
        });
      }
      const caller = callerOf(request, body);
      const auth = await ingest.authorize(caller);
      const result = await ingest.accept(
        auth,
        body.batch,
        { sentAt: body.sentAt, context: body.context },
        caller,
        { measureEach: request.ingestBodyBytes > MAX_EVENT_BYTES },
      );
      return sendResult(reply, result);
    });
  });
}
