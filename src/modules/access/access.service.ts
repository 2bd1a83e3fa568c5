import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors.js';
import type { RequestActor, RequestContext } from '../../platform/http/request-context.js';
import type { RouteAccess } from '../../platform/http/route-access.js';
import { isPublicId } from '../../platform/ids.js';
import {
  type AccountsService,
  CSRF_HEADER,
  isPermission,
  type Permission,
  roleAllows,
  SESSION_COOKIE,
} from '../accounts/index.js';
import type { KeysService } from '../keys/index.js';
import type { StoresService } from '../stores/index.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export type AccessService = ReturnType<typeof createAccessService>;

/**
 * Authorization in one place. Every route declares `config.access`; `enforce` runs before every handler and
 * answers 401 (no or bad credentials), 404 (the resource is another tenant's, or does not exist — the two are
 * indistinguishable on purpose), or 403 (your tenant, but your role or scopes lack the permission).
 */
export function createAccessService(deps: {
  accounts: AccountsService;
  stores: StoresService;
  keys: KeysService;
}) {
  async function authenticate(request: FastifyRequest): Promise<RequestActor | null> {
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!match)
        throw new AppError('unauthenticated', 'Send a secret key as "Authorization: Bearer ff_sk_…"');
      const auth = await deps.keys.authenticate(match[1]);
      if (!auth) throw new AppError('unauthenticated', 'The key is unknown, expired or revoked');
      if (auth.key.type !== 'secret') {
        throw new AppError('unauthenticated', 'Publishable keys can only send events; use a secret key');
      }
      return {
        type: 'key',
        id: auth.key.publicId,
        label: `${auth.key.prefix}…${auth.key.last4}`,
        userId: null,
        keyId: auth.key.id,
        role: null,
        scopes: [...auth.scopes],
        viaCookie: false,
        sessionId: null,
      };
    }
    const cookie = request.cookies[SESSION_COOKIE];
    if (!cookie) return null;
    const auth = await deps.accounts.authenticateSession(cookie);
    if (!auth) return null;
    if (!SAFE_METHODS.has(request.method)) {
      const token = request.headers[CSRF_HEADER];
      if (!deps.accounts.verifyCsrf(auth.session, typeof token === 'string' ? token : undefined)) {
        throw new AppError(
          'csrf_failed',
          `Cookie-authenticated writes need the ${CSRF_HEADER} header from /api/v1/me`,
        );
      }
    }
    return {
      type: 'user',
      id: auth.user.publicId,
      label: auth.user.email,
      userId: auth.user.id,
      keyId: null,
      role: null,
      scopes: null,
      viaCookie: true,
      sessionId: auth.session.publicId,
    };
  }

  function paramOf(request: FastifyRequest, name: string, prefix: 'org' | 'str'): string {
    const value = (request.params as Record<string, string | undefined>)[name];
    if (!isPublicId(prefix, value)) {
      throw new AppError('validation_failed', `${name} must be an id like ${prefix}_…`, { field: name });
    }
    return value;
  }

  async function checkMembership(actor: RequestActor, organizationId: number, permission: Permission) {
    if (actor.userId === null) throw new Error('user actor without user id');
    const membership = await deps.accounts.findMembership(organizationId, actor.userId);
    if (!membership) return 'hidden' as const;
    actor.role = membership.role;
    return roleAllows(membership.role, permission) ? ('allowed' as const) : ('denied' as const);
  }

  async function resolve(
    request: FastifyRequest,
    access: RouteAccess,
    actor: RequestActor,
  ): Promise<RequestContext> {
    const context: RequestContext = { actor, organizationId: null, storeId: null };
    if (access.kind === 'user') {
      if (actor.type !== 'user')
        throw new AppError('forbidden', 'This endpoint needs a signed-in user, not a key');
      return context;
    }
    if (access.kind !== 'org' && access.kind !== 'store') return context;
    const permission = access.permission;
    if (!isPermission(permission)) throw new Error(`route declares unknown permission ${permission}`);
    const hidden = () =>
      new AppError('not_found', access.kind === 'org' ? 'Organization was not found' : 'Store was not found');
    const lacking = () =>
      new AppError('forbidden', `Your ${actor.type === 'key' ? 'key' : 'role'} lacks ${permission}`);

    if (access.kind === 'org') {
      const organization = await deps.accounts.findOrganizationByPublicId(paramOf(request, 'orgId', 'org'));
      if (!organization) throw hidden();
      if (actor.type === 'key') {
        const auth = actor.keyId;
        const key = auth === null ? null : await deps.keys.repository.findById(auth);
        if (!key || key.organizationId !== organization.id) throw hidden();
        throw new AppError('forbidden', 'Secret keys act on their own store only');
      }
      const verdict = await checkMembership(actor, organization.id, permission);
      if (verdict === 'hidden') throw hidden();
      if (verdict === 'denied') throw lacking();
      context.organizationId = organization.id;
      return context;
    }

    const store = await deps.stores.findByPublicId(paramOf(request, 'storeId', 'str'), {
      withDeleted: access.allowDeleted === true,
    });
    if (!store) throw hidden();
    if (actor.type === 'key') {
      const key = actor.keyId === null ? null : await deps.keys.repository.findById(actor.keyId);
      if (!key || key.storeId !== store.id) throw hidden();
      if (!actor.scopes?.includes(permission)) throw lacking();
    } else {
      const verdict = await checkMembership(actor, store.organizationId, permission);
      if (verdict === 'hidden') throw hidden();
      if (verdict === 'denied') throw lacking();
    }
    context.organizationId = store.organizationId;
    context.storeId = store.id;
    return context;
  }

  return {
    /** preHandler for every route: resolves `request.context` or answers 401/403/404. */
    async enforce(request: FastifyRequest, reply: FastifyReply): Promise<void> {
      const access = request.routeOptions.config.access;
      request.context = null;
      if (!access || access.kind === 'public' || access.kind === 'ingest' || access.kind === 'cron') return;
      const actor = await authenticate(request);
      if (!actor) {
        reply.header('WWW-Authenticate', 'Bearer realm="footfall"');
        throw new AppError('unauthenticated', 'Sign in or send a secret key');
      }
      request.context = await resolve(request, access, actor);
    },
  };
}
