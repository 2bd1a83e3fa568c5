/**
 * What a route requires, declared on every route as `config.access`. The access module enforces it in one
 * preHandler; the http app refuses to start if a route forgets to declare it.
 */
export type RouteAccess =
  /** Anyone: health, login, OpenAPI, static assets. */
  | { kind: 'public' }
  /** Tracking API: a publishable or `events:write` secret key; checked by the ingest module itself. */
  | { kind: 'ingest' }
  /** Cron endpoints: the cron bearer token, checked by the cron module. */
  | { kind: 'cron' }
  /** Any signed-in user, acting on themselves (profile, session, own organizations). */
  | { kind: 'user' }
  /** A permission over the organization named by the `:orgId` path parameter. */
  | { kind: 'org'; permission: string }
  /** A permission over the store named by the `:storeId` path parameter. */
  | { kind: 'store'; permission: string; allowDeleted?: boolean };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}
