import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import lightMyRequest from 'light-my-request';
import { AppError, problemOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { RouteAccess } from './route-access.js';

/** How long a closing server still answers (503) requests that arrive on open keep-alive connections. */
const SHUTDOWN_GRACE_MS = 1000;

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The first step of a graceful shutdown, before close(): from now on every request is answered 503 with
     * Retry-After and `Connection: close`, for SHUTDOWN_GRACE_MS, while the server still holds its idle
     * keep-alive connections. Node's server.close() closes idle connections at once, and a request a client
     * sent on one just then would meet a reset; after the grace, clients that kept sending have been told
     * to go elsewhere and their connections are closed.
     */
    refuseRequests(): Promise<void>;
    /**
     * Adds a handler that sees each request before Fastify's routing (and `inject`'s requests too). It takes
     * the request and answers it itself, returning true, or returns false and leaves it to Fastify. For the
     * few routes whose per-request cost is the product (the tracking API); while the server is closing,
     * every request goes to Fastify, which refuses it.
     */
    addDirectHandler(handler: DirectHandler): void;
  }
}

/** See `addDirectHandler`. Must decide synchronously, from the method, URL and headers alone. */
export type DirectHandler = (request: IncomingMessage, response: ServerResponse) => boolean;

export type HttpApp = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  Logger,
  TypeBoxTypeProvider
>;

export interface RegisteredRoute {
  method: string;
  url: string;
  access: RouteAccess;
}

export interface HttpAppOptions {
  logger: Logger;
  trustProxy: false | string[];
  /** Largest body any route accepts; routes may lower it. */
  bodyLimitBytes?: number;
  version: string;
}

/** Body of a problem+json response, used in route `response` schemas for 4xx/5xx. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: AppError): FastifyReply {
  if (error.options.retryAfterS !== undefined) reply.header('Retry-After', String(error.options.retryAfterS));
  return reply.code(error.status).type(PROBLEM_CONTENT_TYPE).send(problemOf(error, request.id));
}

/** Turns framework errors (validation, body parsing, limits) into our closed set of codes. */
export function toAppError(error: FastifyError | Error): AppError {
  if (error instanceof AppError) return error;
  const fe = error as FastifyError & { validationContext?: string };
  if (fe.validation && fe.validation.length > 0) {
    const first = fe.validation[0];
    const path = first?.instancePath?.replace(/^\//, '').replace(/\//g, '.') ?? '';
    const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
    // Body fields are named as the client wrote them (`currency`); query and path fields keep their part.
    const part = fe.validationContext === 'body' ? undefined : fe.validationContext;
    const field = [part, path, missing].filter(Boolean).join('.');
    const what = missing
      ? `${missing} is required`
      : `${path || fe.validationContext} ${first?.message ?? 'is invalid'}`;
    return new AppError('validation_failed', what, { field: field || undefined });
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', 'The request body is larger than this endpoint accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type', 'Send application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('malformed_body', 'The body is empty but JSON was declared');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('malformed_body', fe.message);
    default:
      break;
  }
  if (error instanceof SyntaxError || fe.statusCode === 400) {
    return new AppError('malformed_body', 'The body is not valid JSON');
  }
  if (fe.statusCode === 413) return new AppError('payload_too_large', fe.message);
  if (fe.statusCode === 415) return new AppError('unsupported_media_type', fe.message);
  if (fe.statusCode === 404) return new AppError('not_found', fe.message);
  if (fe.statusCode === 431 || fe.statusCode === 408) return new AppError('malformed_body', fe.message);
  return new AppError(
    'internal',
    'Something went wrong on our side; the request id identifies it in our logs',
  );
}

/**
 * The HTTP shell every role uses: request ids, structured logs without secrets, security headers, OpenAPI 3.1
 * from the route schemas, problem+json for every error, and a registry of routes with their declared access.
 */
export async function createHttpApp(
  options: HttpAppOptions,
): Promise<{ app: HttpApp; routes: RegisteredRoute[] }> {
  const routes: RegisteredRoute[] = [];
  const app = Fastify({
    loggerInstance: options.logger,
    trustProxy: options.trustProxy === false ? false : options.trustProxy,
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    requestIdHeader: false,
    genReqId: () => randomUUID(),
    // Slow clients: a request must arrive whole in 30 s, its headers in 10 s.
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    http: { headersTimeout: 10_000 } as never,
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false },
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Our own answer while closing (below): problem+json with Retry-After, so a client retries elsewhere.
    return503OnClosing: false,
    // Keep-alive connections are closed by the shutdown steps below, not all at once by Fastify.
    forceCloseConnections: false,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Graceful shutdown (serve.ts): refuseRequests() first answers every request 503 with Retry-After and
  // `Connection: close` (never half-handled) for SHUTDOWN_GRACE_MS, while idle keep-alive connections stay open:
  // Node's server.close() closes idle connections at once, and a request a client had just sent on one would
  // meet a reset. Then close(): requests in flight finish, and connections are closed as they become idle
  // (every 250 ms). A close() without refuseRequests() (tests, tools) waits the grace before the sweep.
  let closing = false;
  let idleSweep: NodeJS.Timeout | null = null;
  app.addHook('preClose', async () => {
    const refused = closing;
    closing = true;
    const sweep = () => app.server.closeIdleConnections();
    idleSweep = setTimeout(
      () => {
        sweep();
        idleSweep = setInterval(sweep, 250);
        idleSweep.unref();
      },
      refused ? 0 : SHUTDOWN_GRACE_MS,
    );
    idleSweep.unref();
  });
  app.addHook('onClose', async () => {
    if (idleSweep) clearTimeout(idleSweep);
  });
  app.decorate('refuseRequests', async () => {
    closing = true;
    await new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS));
  });
  // Direct handlers go in front of Fastify's own request listener, on the server and for inject().
  const directHandlers: DirectHandler[] = [];
  const [fastifyHandler] = app.server.listeners('request') as ((
    request: IncomingMessage,
    response: ServerResponse,
  ) => void)[];
  if (!fastifyHandler) throw new Error('Fastify created its server without a request listener');
  const dispatch = (request: IncomingMessage, response: ServerResponse) => {
    if (!closing) {
      for (const handler of directHandlers) if (handler(request, response)) return;
    }
    fastifyHandler(request, response);
  };
  app.server.removeListener('request', fastifyHandler);
  app.server.on('request', dispatch);
  app.decorate('addDirectHandler', (handler: DirectHandler) => {
    directHandlers.push(handler);
  });
  const fastifyInject = app.inject.bind(app);
  // inject() with a direct handler: light-my-request on `dispatch`, after ready() as Fastify's own does. A
  // closed app keeps Fastify's inject (it refuses). Only the promise form is used here (tests, tools).
  app.inject = ((options: Parameters<typeof lightMyRequest>[1], callback?: unknown) => {
    if (directHandlers.length === 0 || closing || options === undefined || callback !== undefined)
      return (fastifyInject as (o: unknown, c?: unknown) => unknown)(options, callback);
    return lightMyRequest((request, response) => {
      app.ready().then(
        () => dispatch(request, response),
        (error: unknown) => response.emit('error', error),
      );
    }, options);
  }) as HttpApp['inject'];

  app.addHook('onRequest', async (request, reply) => {
    if (!closing) return;
    reply.header('Connection', 'close');
    return sendProblem(
      reply,
      request,
      new AppError('unavailable', 'This instance is shutting down; retry', { retryAfterS: 1 }),
    );
  });

  app.addHook('onRoute', (route) => {
    const access = route.config?.access as RouteAccess | undefined;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (route.url.startsWith('/documentation') || methods.every((m) => m === 'HEAD')) return;
    if (!access) throw new Error(`route ${methods.join(',')} ${route.url} declares no config.access`);
    for (const method of methods) if (method !== 'HEAD') routes.push({ method, url: route.url, access });
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: appError.code, detail: appError.message }, 'request refused');
    return sendProblem(reply, request, appError);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      request,
      new AppError('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`),
    ),
  );

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        upgradeInsecureRequests: null,
      },
    },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Footfall API',
        version: options.version,
        description: 'Event tracking for eCommerce stores',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'ff_session' },
          secretKey: { type: 'http', scheme: 'bearer', description: 'A secret key ff_sk_…' },
          writeKey: { type: 'http', scheme: 'basic', description: 'A write key as the Basic user name' },
          cronToken: { type: 'http', scheme: 'bearer', description: 'A cron token ff_cron_…' },
        },
      },
    },
  });

  app.get('/api/openapi.json', { config: { access: { kind: 'public' } }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

  return { app, routes };
}
