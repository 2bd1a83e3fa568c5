import { hash, verify } from '@node-rs/argon2';
import type { Clock } from '../../platform/clock.js';
import { randomToken, sha256 } from '../../platform/crypto.js';
import { type Database, isUniqueViolation, type TransactionHandle } from '../../platform/db/database.js';
import { AppError, conflict, invalid, notFound } from '../../platform/errors.js';
import { type Ids, type PublicId, parsePublicId, toPublicId } from '../../platform/ids.js';
import type { Signer } from '../../platform/signing.js';
import type { Actor, AuditService } from '../audit/index.js';
import {
  type AccountsRepository,
  createAccountsRepository,
  type Membership,
  type Organization,
  type Session,
  type User,
} from './accounts.repository.js';
import { type Role, roleRank } from './permissions.js';

export type { Membership, Organization, Session, User };

export const SESSION_COOKIE = 'ff_session';
export const CSRF_HEADER = 'x-csrf-token';

/** Session cookies live 7 days at most, and end after 24 h without use. */
export const SESSION_TTL_MS = 7 * 24 * 3_600_000;
export const SESSION_IDLE_MS = 24 * 3_600_000;
/** Throttling: 5 failed logins per account, or 30 per IP, within 15 minutes lock that account or IP out. */
export const LOGIN_WINDOW_MS = 15 * 60_000;
export const MAX_FAILURES_PER_ACCOUNT = 5;
export const MAX_FAILURES_PER_IP = 30;

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

// argon2id with OWASP's minimum profile (19 MiB, t=2, p=1); the library's default algorithm is argon2id.
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export interface LoginResult {
  user: User;
  session: Session;
  /** Cookie value: shown to the client once, stored only as a hash. */
  token: string;
  csrfToken: string;
}

export interface AuthenticatedSession {
  user: User;
  session: Session;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function checkPassword(password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH) {
    throw invalid('password', `The password must be at least ${PASSWORD_MIN_LENGTH} characters`);
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    throw invalid('password', `The password must be at most ${PASSWORD_MAX_LENGTH} characters`);
  }
}

export type AccountsService = ReturnType<typeof createAccountsService>;

export function createAccountsService(deps: {
  database: Database;
  clock: Clock;
  ids: Ids;
  audit: AuditService;
  signer: Signer;
}) {
  const repo: AccountsRepository = createAccountsRepository(deps.database);
  const now = () => deps.clock.nowMs();
  // Verified against when the email is unknown, so a miss costs as much time as a wrong password.
  let dummyHash: Promise<string> | null = null;
  const getDummyHash = () => {
    dummyHash ??= hash('footfall-timing-equaliser', ARGON2);
    return dummyHash;
  };

  const service = {
    hashPassword(password: string): Promise<string> {
      checkPassword(password);
      return hash(password, ARGON2);
    },

    async createOrganization(name: string, actor: Actor, tx?: TransactionHandle): Promise<Organization> {
      const uid = deps.ids.newUid();
      const id = await repo.insertOrganization({ uid, name: name.trim(), nowMs: now() }, tx);
      const organization: Organization = {
        id,
        publicId: toPublicId('org', uid),
        name: name.trim(),
        createdAt: now(),
      };
      await deps.audit.record(
        { action: 'org.created', actor, organizationId: id, targetId: organization.publicId },
        tx,
      );
      return organization;
    },

    async createUser(
      input: { email: string; name: string; password: string },
      tx?: TransactionHandle,
    ): Promise<User> {
      const email = normalizeEmail(input.email);
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 254) {
        throw invalid('email', 'Enter a valid email address');
      }
      const passwordHash = await service.hashPassword(input.password);
      const uid = deps.ids.newUid();
      try {
        const id = await repo.insertUser(
          { uid, email, name: input.name.trim(), passwordHash, nowMs: now() },
          tx,
        );
        const user = await repo.findUserById(id);
        if (user) return user;
        return {
          id,
          publicId: toPublicId('usr', uid),
          email,
          name: input.name.trim(),
          passwordHash,
          lastLoginAt: null,
          createdAt: now(),
        };
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict('email', 'A user with this email already exists');
        throw error;
      }
    },

    findUserByEmail: (email: string) => repo.findUserByEmail(normalizeEmail(email)),
    findUserById: (id: number) => repo.findUserById(id),
    findOrganizationByPublicId: async (publicId: string): Promise<Organization | null> => {
      const uid = parsePublicId('org', publicId);
      return uid ? repo.findOrganizationByUid(uid) : null;
    },
    findOrganizationById: (id: number) => repo.findOrganizationById(id),
    listOrganizationsOfUser: (userId: number) => repo.listOrganizationsOfUser(userId),
    countOrganizations: () => repo.countOrganizations(),
    firstOrganization: () => repo.firstOrganization(),
    findMembership: (organizationId: number, userId: number) => repo.findMembership(organizationId, userId),

    async renameOrganization(organization: Organization, name: string, actor: Actor): Promise<Organization> {
      await repo.updateOrganization(organization.id, { name: name.trim() }, now());
      await deps.audit.record({
        action: 'org.updated',
        actor,
        organizationId: organization.id,
        targetId: organization.publicId,
        details: { name: name.trim() },
      });
      return { ...organization, name: name.trim() };
    },

    async addMember(
      organization: Organization,
      input: { userId: number; role: Role },
      actor: Actor & { role?: Role },
      tx?: TransactionHandle,
    ): Promise<Membership> {
      if (actor.role && roleRank(input.role) > roleRank(actor.role)) {
        throw new AppError('forbidden', `A ${actor.role} cannot grant the ${input.role} role`, {
          field: 'role',
        });
      }
      const existing = await repo.findMembership(organization.id, input.userId);
      if (existing) throw conflict('email', 'This user is already a member');
      const uid = deps.ids.newUid();
      await repo.insertMembership(
        { uid, organizationId: organization.id, userId: input.userId, role: input.role, nowMs: now() },
        tx,
      );
      const membership: Membership = {
        id: 0,
        publicId: toPublicId('mem', uid),
        organizationId: organization.id,
        userId: input.userId,
        role: input.role,
        createdAt: now(),
      };
      await deps.audit.record(
        {
          action: 'member.added',
          actor,
          organizationId: organization.id,
          targetId: membership.publicId,
          details: { role: input.role },
        },
        tx,
      );
      return (await repo.findMembership(organization.id, input.userId)) ?? membership;
    },

    async listMembers(organization: Organization): Promise<{ membership: Membership; user: User }[]> {
      const memberships = await repo.listMemberships(organization.id);
      const users = new Map(
        (await repo.findUsersByIds(memberships.map((m) => m.userId))).map((u) => [u.id, u]),
      );
      return memberships.flatMap((membership) => {
        const user = users.get(membership.userId);
        return user ? [{ membership, user }] : [];
      });
    },

    async findMember(organization: Organization, membershipPublicId: string): Promise<Membership> {
      const uid = parsePublicId('mem', membershipPublicId);
      const membership = uid ? await repo.findMembershipByUid(organization.id, uid) : null;
      if (!membership) throw notFound('Member');
      return membership;
    },

    /** Changes a role; an organization always keeps at least one owner, and nobody grants above their own role. */
    async changeRole(
      organization: Organization,
      membership: Membership,
      role: Role,
      actor: Actor & { role: Role },
    ) {
      if (roleRank(role) > roleRank(actor.role) || roleRank(membership.role) > roleRank(actor.role)) {
        throw new AppError('forbidden', `A ${actor.role} cannot change a ${membership.role} to ${role}`, {
          field: 'role',
        });
      }
      await deps.database.transaction(async (tx) => {
        if (
          membership.role === 'owner' &&
          role !== 'owner' &&
          (await repo.countOwners(organization.id, tx)) <= 1
        ) {
          throw conflict('role', 'An organization needs at least one owner');
        }
        await repo.setRole(membership.id, role, now(), tx);
        await deps.audit.record(
          {
            action: 'member.role_changed',
            actor,
            organizationId: organization.id,
            targetId: membership.publicId,
            details: { from: membership.role, to: role },
          },
          tx,
        );
      });
      return { ...membership, role };
    },

    async removeMember(organization: Organization, membership: Membership, actor: Actor & { role: Role }) {
      if (roleRank(membership.role) > roleRank(actor.role)) {
        throw new AppError('forbidden', `A ${actor.role} cannot remove a ${membership.role}`);
      }
      await deps.database.transaction(async (tx) => {
        if (membership.role === 'owner' && (await repo.countOwners(organization.id, tx)) <= 1) {
          throw conflict('role', 'An organization needs at least one owner');
        }
        await repo.deleteMembership(membership.id, now(), tx);
        await deps.audit.record(
          { action: 'member.removed', actor, organizationId: organization.id, targetId: membership.publicId },
          tx,
        );
      });
      await repo.revokeSessionsOfUser(membership.userId, now()).catch(() => 0);
    },

    /**
     * Password login with throttling per account and per IP. Unknown emails and wrong passwords give the same
     * answer in about the same time.
     */
    async login(input: {
      email: string;
      password: string;
      ip: string;
      userAgent: string | null;
    }): Promise<LoginResult> {
      const email = normalizeEmail(input.email);
      const emailHash = sha256(`email:${email}`);
      const ipHash = sha256(`ip:${input.ip}`);
      const since = now() - LOGIN_WINDOW_MS;
      const [byAccount, byIp] = await Promise.all([
        repo.countLoginFailures('email_hash', emailHash, since),
        repo.countLoginFailures('ip_hash', ipHash, since),
      ]);
      const locked =
        byAccount.count >= MAX_FAILURES_PER_ACCOUNT
          ? byAccount
          : byIp.count >= MAX_FAILURES_PER_IP
            ? byIp
            : null;
      if (locked) {
        const retryAfterS = Math.max(
          1,
          Math.ceil(((locked.oldest ?? now()) + LOGIN_WINDOW_MS - now()) / 1000),
        );
        await deps.audit.record({
          action: 'auth.login_throttled',
          actor: { type: 'anonymous', id: null, label: email },
          organizationId: null,
          ip: input.ip,
        });
        throw new AppError('rate_limited', 'Too many failed sign-in attempts; try again later', {
          retryAfterS,
        });
      }
      const user = await repo.findUserByEmail(email);
      const passwordOk = user
        ? await verify(user.passwordHash, input.password).catch(() => false)
        : await verify(await getDummyHash(), input.password).then(() => false);
      if (!user || !passwordOk) {
        await repo.insertLoginFailure(emailHash, ipHash, now());
        const memberships = user ? await repo.listOrganizationsOfUser(user.id) : [];
        await deps.audit.record({
          action: 'auth.login_failed',
          actor: { type: 'anonymous', id: null, label: email },
          organizationId: memberships[0]?.organization.id ?? null,
          ip: input.ip,
        });
        throw new AppError('invalid_credentials', 'The email or password is wrong', { field: 'password' });
      }
      await repo.clearLoginFailures(emailHash);
      const token = randomToken(32);
      const uid = deps.ids.newUid();
      await repo.insertSession({
        uid,
        userId: user.id,
        tokenHash: sha256(token),
        nowMs: now(),
        expiresAt: now() + SESSION_TTL_MS,
        userAgent: input.userAgent?.slice(0, 255) ?? null,
      });
      await repo.touchLogin(user.id, now());
      const session = await repo.findSessionByTokenHash(sha256(token));
      if (!session) throw new Error('session vanished after insert');
      for (const { organization } of await repo.listOrganizationsOfUser(user.id)) {
        await deps.audit.record({
          action: 'auth.login',
          actor: { type: 'user', id: user.publicId, label: user.email },
          organizationId: organization.id,
          ip: input.ip,
        });
      }
      return { user, session, token, csrfToken: service.csrfTokenFor(session) };
    },

    csrfTokenFor(session: Session): string {
      return deps.signer.sign('csrf', session.publicId);
    },

    verifyCsrf(session: Session, token: string | undefined): boolean {
      return typeof token === 'string' && deps.signer.verify('csrf', session.publicId, token);
    },

    async authenticateSession(token: string): Promise<AuthenticatedSession | null> {
      if (token.length < 20 || token.length > 100) return null;
      const session = await repo.findSessionByTokenHash(sha256(token));
      const t = now();
      if (
        !session ||
        session.revokedAt !== null ||
        session.expiresAt <= t ||
        session.lastSeenAt + SESSION_IDLE_MS <= t
      ) {
        return null;
      }
      const user = await repo.findUserById(session.userId);
      if (!user) return null;
      // Write the idle clock at most once a minute: a dashboard polls, the database should not notice.
      if (t - session.lastSeenAt > 60_000) await repo.touchSession(session.id, t);
      return { user, session };
    },

    async logout(auth: AuthenticatedSession, ip: string): Promise<void> {
      await repo.revokeSession(auth.session.id, now());
      for (const { organization } of await repo.listOrganizationsOfUser(auth.user.id)) {
        await deps.audit.record({
          action: 'auth.logout',
          actor: { type: 'user', id: auth.user.publicId, label: auth.user.email },
          organizationId: organization.id,
          ip,
        });
      }
    },

    async changePassword(user: User, currentPassword: string, newPassword: string): Promise<void> {
      if (!(await verify(user.passwordHash, currentPassword).catch(() => false))) {
        throw new AppError('invalid_credentials', 'The current password is wrong', {
          field: 'currentPassword',
        });
      }
      await repo.setPassword(user.id, await service.hashPassword(newPassword), now());
      await repo.revokeSessionsOfUser(user.id, now());
    },

    /**
     * Maintenance: remove expired sessions and old login failures, `limit` rows per statement; pass `tx` to
     * commit inside a cron fence.
     */
    async purgeExpired(
      limit: number,
      tx?: TransactionHandle,
    ): Promise<{ sessions: number; loginFailures: number }> {
      const sessions = await repo.deleteExpiredSessions(now(), now() - SESSION_IDLE_MS, limit, tx);
      const loginFailures = await repo.deleteLoginFailuresBefore(now() - LOGIN_WINDOW_MS, limit, tx);
      return { sessions, loginFailures };
    },

    /** Maintenance: hard-delete at most `limit` memberships removed (soft-deleted) before `beforeMs`. */
    purgeDeletedMemberships: (beforeMs: number, limit: number, tx?: TransactionHandle): Promise<number> =>
      repo.deleteMembershipsDeletedBefore(beforeMs, limit, tx),
  };
  return service;
}

export type OrganizationId = PublicId<'org'>;
