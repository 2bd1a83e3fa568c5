import { Type } from 'typebox';
import { randomToken } from '../../platform/crypto.js';
import { AppError, notFound } from '../../platform/errors.js';
import type { HttpApp } from '../../platform/http/app.js';
import { actorOf, requireContext, requireOrganizationId } from '../../platform/http/request-context.js';
import {
  errorResponses,
  IsoTime,
  iso,
  NullableIsoTime,
  PublicIdString,
  SafeText,
} from '../../platform/http/schemas.js';
import { truncateIp } from '../../platform/net.js';
import { type AccountsService, CSRF_HEADER, SESSION_COOKIE, SESSION_TTL_MS } from './accounts.service.js';
import type { Role } from './permissions.js';

const RoleSchema = Type.Union([
  Type.Literal('owner'),
  Type.Literal('admin'),
  Type.Literal('analyst'),
  Type.Literal('viewer'),
]);
const UserView = Type.Object({ id: PublicIdString('usr'), email: Type.String(), name: Type.String() });
const OrganizationView = Type.Object({ id: PublicIdString('org'), name: Type.String(), role: RoleSchema });
const MeView = Type.Object({
  user: UserView,
  organizations: Type.Array(OrganizationView),
  csrfToken: Type.String({ description: `Send as the ${CSRF_HEADER} header on cookie-authenticated writes` }),
  expiresAt: IsoTime,
});
const MemberView = Type.Object({
  id: PublicIdString('mem'),
  role: RoleSchema,
  user: UserView,
  createdAt: IsoTime,
  lastLoginAt: NullableIsoTime,
});
const OrgParams = Type.Object({ orgId: Type.String() });
const MemberParams = Type.Object({ orgId: Type.String(), memberId: Type.String() });

export function registerAccountsRoutes(app: HttpApp, deps: { accounts: AccountsService }): void {
  const { accounts } = deps;
  const userView = (u: { publicId: string; email: string; name: string }) => ({
    id: u.publicId,
    email: u.email,
    name: u.name,
  });
  const organizationsOf = async (userId: number) =>
    (await accounts.listOrganizationsOfUser(userId)).map(({ organization, role }) => ({
      id: organization.publicId,
      name: organization.name,
      role,
    }));

  app.post(
    '/api/v1/auth/login',
    {
      config: { access: { kind: 'public' } },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with email and password; sets the session cookie',
        body: Type.Object(
          { email: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: 256 }) },
          { additionalProperties: false },
        ),
        response: { 200: MeView, ...errorResponses(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const result = await accounts.login({
        email: request.body.email,
        password: request.body.password,
        ip: truncateIp(request.ip) ?? 'unknown',
        userAgent: request.headers['user-agent'] ?? null,
      });
      reply.setCookie(SESSION_COOKIE, result.token, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: request.protocol === 'https',
        maxAge: Math.floor(SESSION_TTL_MS / 1000),
      });
      return {
        user: userView(result.user),
        organizations: await organizationsOf(result.user.id),
        csrfToken: result.csrfToken,
        expiresAt: new Date(result.session.expiresAt).toISOString(),
      };
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      config: { access: { kind: 'user' } },
      schema: {
        tags: ['auth'],
        summary: 'End the current session',
        response: { 204: Type.Null(), ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      const auth = token ? await accounts.authenticateSession(token) : null;
      if (auth) await accounts.logout(auth, truncateIp(request.ip) ?? 'unknown');
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/me',
    {
      config: { access: { kind: 'user' } },
      schema: {
        tags: ['auth'],
        summary: 'The signed-in user, their organizations and a CSRF token',
        response: { 200: MeView, ...errorResponses(401, 403) },
      },
    },
    async (request) => {
      const token = request.cookies[SESSION_COOKIE];
      const auth = token ? await accounts.authenticateSession(token) : null;
      if (!auth) throw new AppError('unauthenticated', 'Sign in first');
      return {
        user: userView(auth.user),
        organizations: await organizationsOf(auth.user.id),
        csrfToken: accounts.csrfTokenFor(auth.session),
        expiresAt: new Date(auth.session.expiresAt).toISOString(),
      };
    },
  );

  app.post(
    '/api/v1/me/password',
    {
      config: { access: { kind: 'user' } },
      schema: {
        tags: ['auth'],
        summary: 'Change your password; every session of yours ends',
        body: Type.Object(
          { currentPassword: Type.String({ maxLength: 256 }), newPassword: Type.String({ maxLength: 256 }) },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const userId = requireContext(request).actor.userId;
      const user = userId === null ? null : await accounts.findUserById(userId);
      if (!user) throw new AppError('unauthenticated', 'Sign in first');
      await accounts.changePassword(user, request.body.currentPassword, request.body.newPassword);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/orgs',
    {
      config: { access: { kind: 'user' } },
      schema: {
        tags: ['organizations'],
        summary: 'Organizations you belong to',
        response: { 200: Type.Object({ items: Type.Array(OrganizationView) }), ...errorResponses(401, 403) },
      },
    },
    async (request) => ({ items: await organizationsOf(requireContext(request).actor.userId as number) }),
  );

  app.post(
    '/api/v1/orgs',
    {
      config: { access: { kind: 'user' } },
      schema: {
        tags: ['organizations'],
        summary: 'Create an organization; you become its owner',
        body: Type.Object(
          { name: SafeText({ minLength: 1, maxLength: 120 }) },
          { additionalProperties: false },
        ),
        response: { 201: OrganizationView, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const userId = requireContext(request).actor.userId as number;
      const organization = await accounts.createOrganization(request.body.name, actor);
      await accounts.addMember(organization, { userId, role: 'owner' }, actor);
      return reply
        .code(201)
        .send({ id: organization.publicId, name: organization.name, role: 'owner' as const });
    },
  );

  app.get(
    '/api/v1/orgs/:orgId',
    {
      config: { access: { kind: 'org', permission: 'org:read' } },
      schema: {
        tags: ['organizations'],
        summary: 'One organization',
        params: OrgParams,
        response: { 200: OrganizationView, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const organization = await accounts.findOrganizationById(requireOrganizationId(request));
      if (!organization) throw notFound('Organization');
      return {
        id: organization.publicId,
        name: organization.name,
        role: requireContext(request).actor.role as Role,
      };
    },
  );

  app.patch(
    '/api/v1/orgs/:orgId',
    {
      config: { access: { kind: 'org', permission: 'org:write' } },
      schema: {
        tags: ['organizations'],
        summary: 'Rename an organization',
        params: OrgParams,
        body: Type.Object(
          { name: SafeText({ minLength: 1, maxLength: 120 }) },
          { additionalProperties: false },
        ),
        response: { 200: OrganizationView, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const organization = await accounts.findOrganizationById(requireOrganizationId(request));
      if (!organization) throw notFound('Organization');
      const renamed = await accounts.renameOrganization(organization, request.body.name, actorOf(request));
      return { id: renamed.publicId, name: renamed.name, role: requireContext(request).actor.role as Role };
    },
  );

  const memberView = (m: {
    membership: { publicId: string; role: Role; createdAt: number };
    user: Parameters<typeof userView>[0] & { lastLoginAt: number | null };
  }) => ({
    id: m.membership.publicId,
    role: m.membership.role,
    user: userView(m.user),
    createdAt: new Date(m.membership.createdAt).toISOString(),
    lastLoginAt: iso(m.user.lastLoginAt),
  });

  app.get(
    '/api/v1/orgs/:orgId/members',
    {
      config: { access: { kind: 'org', permission: 'members:read' } },
      schema: {
        tags: ['members'],
        summary: 'Members of an organization and their roles',
        params: OrgParams,
        response: {
          200: Type.Object({ items: Type.Array(MemberView) }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const organization = await accounts.findOrganizationById(requireOrganizationId(request));
      if (!organization) throw notFound('Organization');
      return { items: (await accounts.listMembers(organization)).map(memberView) };
    },
  );

  app.post(
    '/api/v1/orgs/:orgId/members',
    {
      config: { access: { kind: 'org', permission: 'members:write' } },
      schema: {
        tags: ['members'],
        summary: 'Add a member; a new user is created with a one-time password when the email is unknown',
        params: OrgParams,
        body: Type.Object(
          {
            email: Type.String({ maxLength: 254 }),
            role: RoleSchema,
            name: Type.Optional(SafeText({ maxLength: 120 })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            member: MemberView,
            temporaryPassword: Type.Union([Type.String(), Type.Null()], {
              description: 'Only when the user was created; shown once',
            }),
          }),
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const organization = await accounts.findOrganizationById(requireOrganizationId(request));
      if (!organization) throw notFound('Organization');
      const actor = actorOf(request);
      let user = await accounts.findUserByEmail(request.body.email);
      let temporaryPassword: string | null = null;
      if (!user) {
        temporaryPassword = randomToken(15);
        user = await accounts.createUser({
          email: request.body.email,
          name: request.body.name ?? request.body.email.split('@')[0] ?? 'member',
          password: temporaryPassword,
        });
      }
      const membership = await accounts.addMember(
        organization,
        { userId: user.id, role: request.body.role },
        actor,
      );
      return reply.code(201).send({ member: memberView({ membership, user }), temporaryPassword });
    },
  );

  app.patch(
    '/api/v1/orgs/:orgId/members/:memberId',
    {
      config: { access: { kind: 'org', permission: 'members:write' } },
      schema: {
        tags: ['members'],
        summary: "Change a member's role (nobody grants above their own role; one owner always remains)",
        params: MemberParams,
        body: Type.Object({ role: RoleSchema }, { additionalProperties: false }),
        response: { 200: MemberView, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const organization = await accounts.findOrganizationById(requireOrganizationId(request));
      if (!organization) throw notFound('Organization');
      const membership = await accounts.findMember(organization, request.params.memberId);
      const actor = actorOf(request);
      const changed = await accounts.changeRole(organization, membership, request.body.role, {
        ...actor,
        role: actor.role ?? 'viewer',
      });
      const user = await accounts.findUserById(changed.userId);
      if (!user) throw notFound('Member');
      return memberView({ membership: changed, user });
    },
  );

  app.delete(
    '/api/v1/orgs/:orgId/members/:memberId',
    {
      config: { access: { kind: 'org', permission: 'members:write' } },
      schema: {
        tags: ['members'],
        summary: 'Remove a member; their sessions end',
        params: MemberParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const organization = await accounts.findOrganizationById(requireOrganizationId(request));
      if (!organization) throw notFound('Organization');
      const membership = await accounts.findMember(organization, request.params.memberId);
      const actor = actorOf(request);
      await accounts.removeMember(organization, membership, { ...actor, role: actor.role ?? 'viewer' });
      return reply.code(204).send(null);
    },
  );
}
