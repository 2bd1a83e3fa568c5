import { randomUUID } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import { problemOf } from '../../platform/errors.js';
import { type DirectHandler, PROBLEM_CONTENT_TYPE, toAppError } from '../../platform/http/app.js';
import type { Logger } from '../../platform/log.js';
import { type IngestService, MAX_REQUEST_BYTES } from './ingest.service.js';
import {
  malformedJson,
  resultBody,
  runTrackingCall,
  type TrackingRoute,
  tooLargeRequest,
} from './tracking-call.js';

/** `/v1/<route>`, with the trailing slash Fastify ignores, and a query string or none. */
const TRACKING_PATH = /^\/v1\/(track|page|screen|identify|group|alias|batch)\/?(?:\?|$)/;

/** `application/json` or `text/plain` (what sendBeacon sends), with any parameters. */
function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const type = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return type === 'application/json' || type === 'text/plain';
}

/** `?writeKey=` as Fastify's query parser gives it: one value, or an array when repeated. */
function queryWriteKey(url: string): unknown {
  const question = url.indexOf('?');
  if (question === -1) return undefined;
  const values = new URLSearchParams(url.slice(question + 1)).getAll('writeKey');
  return values.length === 1 ? values[0] : values.length === 0 ? undefined : values;
}

/**
 * The tracking API's hot path on plain `node:http`, in front of Fastify: `POST /v1/*` with a JSON or text
 * body and no Content-Encoding. Fastify's routing, hook chain, child logger and reply pipeline cost about
 * as much per call as the event itself (bench/ingest.ts). Everything else about these routes stays with
 * Fastify: preflights, gzip and deflate bodies, other media types (415) and the OpenAPI description. Both
 * lanes run the same `runTrackingCall`, and answer with the same statuses, headers and bodies; the ingest
 * tests go through this lane (inject() passes direct handlers) and the Fastify one (gzip, preflight).
 */
export function createDirectTrackingHandler(deps: {
  ingest: IngestService;
  logger: Logger;
  /** The trusted proxies (TRUST_PROXY), as Fastify's request.ip honours them; false when none. */
  trustProxy: false | string[];
}): DirectHandler {
  const trust = deps.trustProxy === false ? null : proxyAddr.compile(deps.trustProxy);
  const clientIp = (request: IncomingMessage): string | null =>
    trust === null ? (request.socket.remoteAddress ?? null) : proxyAddr(request, trust);

  return (request, response) => {
    if (request.method !== 'POST') return false;
    const url = request.url ?? '';
    const match = TRACKING_PATH.exec(url);
    if (!match) return false;
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
    if (!isJsonMediaType(request.headers['content-type'])) return false;
    serve(request, response, match[1] as TrackingRoute, url);
    return true;
  };

  function serve(request: IncomingMessage, response: ServerResponse, route: TrackingRoute, url: string) {
    const requestId = randomUUID();
    const origin = request.headers.origin;
    // As the Fastify lane's onRequest hooks set them (ingest.routes.ts, platform/http/app.ts).
    const headers: OutgoingHttpHeaders = { 'X-Request-Id': requestId };
    if (typeof origin === 'string' && origin !== '') {
      headers['Access-Control-Allow-Origin'] = origin;
      headers['Access-Control-Expose-Headers'] = 'Retry-After, X-Request-Id';
    }
    headers.Vary = 'Origin';
    headers['X-Content-Type-Options'] = 'nosniff';

    let answered = false;
    const answer = (status: number, contentType: string, text: string) => {
      if (answered || response.destroyed) return;
      answered = true;
      const body = Buffer.from(text, 'utf8');
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = body.length;
      response.writeHead(status, headers);
      response.end(body);
    };
    const refuse = (error: unknown) => {
      const appError = toAppError(error as Error);
      if (appError.status >= 500 && appError.code !== 'unavailable')
        deps.logger.error({ err: error, reqId: requestId }, 'ingest failed');
      if (appError.options.retryAfterS !== undefined)
        headers['Retry-After'] = String(appError.options.retryAfterS);
      // Fastify adds the charset to the type sendProblem sets.
      answer(
        appError.status,
        `${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
        JSON.stringify(problemOf(appError, requestId)),
      );
    };

    const declared = Number(request.headers['content-length']);
    if (declared > MAX_REQUEST_BYTES) {
      // The body is not read: the connection cannot be reused.
      headers.Connection = 'close';
      refuse(tooLargeRequest());
      return;
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    let finished = false;
    request.on('data', (chunk: Buffer) => {
      if (finished) return;
      bytes += chunk.length;
      if (bytes > MAX_REQUEST_BYTES) {
        finished = true;
        chunks.length = 0;
        headers.Connection = 'close';
        refuse(tooLargeRequest());
        return;
      }
      chunks.push(chunk);
    });
    // A client that goes away mid-body sent nothing that was accepted; there is no one to answer.
    request.on('error', () => {
      finished = true;
    });
    request.on('end', () => {
      if (finished) return;
      finished = true;
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, bytes);
      let parsed: unknown;
      try {
        // Plain JSON.parse: `__proto__` keys become own properties, and the validator drops them.
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        refuse(malformedJson());
        return;
      }
      runTrackingCall(deps.ingest, {
        route,
        body: parsed,
        bodyBytes: bytes,
        authorization: request.headers.authorization,
        queryWriteKey: () => queryWriteKey(url),
        origin,
        ip: clientIp(request),
        userAgent: request.headers['user-agent'],
      }).then(
        (result) => answer(200, 'application/json; charset=utf-8', JSON.stringify(resultBody(result))),
        refuse,
      );
    });
  }
}
