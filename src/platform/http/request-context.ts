import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

/** Who is calling, resolved once per request by the access module from a session cookie or a secret key. */
export interface RequestActor {
  type: 'user' | 'key';
  /** Public id: `usr_…` or `key_…`. */
  id: string;
  label: string;
  userId: number | null;
  keyId: number | null;
  /** The user's role in the organization the route acts on; null for keys and for user-level routes. */
  role: string | null;
  scopes: readonly string[] | null;
  /** True when authenticated by the session cookie: writes then need a CSRF token. */
  viaCookie: boolean;
  /** Public id of the session (cookie auth only). */
  sessionId: string | null;
}

/** The resources a route's `:orgId`/`:storeId` resolved to, already checked against the actor. */
export interface RequestContext {
  actor: RequestActor;
  organizationId: number | null;
  storeId: number | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    context: RequestContext | null;
  }
}

export function requireContext(request: FastifyRequest): RequestContext {
  if (!request.context) throw new AppError('unauthenticated', 'Sign in or send a secret key');
  return request.context;
}

export function requireStoreId(request: FastifyRequest): number {
  const id = requireContext(request).storeId;
  if (id === null) throw new Error('route declared no store access but asked for its store');
  return id;
}

export function requireOrganizationId(request: FastifyRequest): number {
  const id = requireContext(request).organizationId;
  if (id === null) throw new Error('route declared no organization access but asked for its organization');
  return id;
}

/** The caller as the audit log records it; `role` is set on organization and store routes for users. */
export function actorOf(request: FastifyRequest): {
  type: 'user' | 'key' | 'anonymous';
  id: string | null;
  label: string | null;
  role?: 'owner' | 'admin' | 'analyst' | 'viewer';
} {
  const actor = request.context?.actor;
  if (!actor) return { type: 'anonymous', id: null, label: null };
  const role = actor.role as 'owner' | 'admin' | 'analyst' | 'viewer' | null;
  return { type: actor.type, id: actor.id, label: actor.label, ...(role ? { role } : {}) };
}
