import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import { deleteChunk } from '../../platform/db/chunked-delete.js';
import type { Database, TransactionHandle } from '../../platform/db/database.js';
import { insertedId } from '../../platform/db/database.js';
import { isAlive, type ReadOptions, selectEntities, softDeleteWhere } from '../../platform/db/soft-delete.js';
import { type PublicId, toPublicId, type Uid } from '../../platform/ids.js';
import type {
  AccountsTables,
  MembershipsTable,
  OrganizationsTable,
  SessionsTable,
  UsersTable,
} from './accounts.tables.js';
import type { Role } from './permissions.js';

export interface Organization {
  id: number;
  publicId: PublicId<'org'>;
  name: string;
  createdAt: number;
}

export interface User {
  id: number;
  publicId: PublicId<'usr'>;
  email: string;
  name: string;
  passwordHash: string;
  lastLoginAt: number | null;
  createdAt: number;
}

export interface Membership {
  id: number;
  publicId: PublicId<'mem'>;
  organizationId: number;
  userId: number;
  role: Role;
  createdAt: number;
}

export interface Session {
  id: number;
  publicId: PublicId<'ses'>;
  userId: number;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
  revokedAt: number | null;
}

const toOrganization = (row: Selectable<OrganizationsTable>): Organization => ({
  id: row.id,
  publicId: toPublicId('org', row.uid),
  name: row.name,
  createdAt: row.created_at,
});

const toUser = (row: Selectable<UsersTable>): User => ({
  id: row.id,
  publicId: toPublicId('usr', row.uid),
  email: row.email,
  name: row.name,
  passwordHash: row.password_hash,
  lastLoginAt: row.last_login_at,
  createdAt: row.created_at,
});

const toMembership = (row: Selectable<MembershipsTable>): Membership => ({
  id: row.id,
  publicId: toPublicId('mem', row.uid),
  organizationId: row.organization_id,
  userId: row.user_id,
  role: row.role as Role,
  createdAt: row.created_at,
});

const toSession = (row: Selectable<SessionsTable>): Session => ({
  id: row.id,
  publicId: toPublicId('ses', row.uid),
  userId: row.user_id,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  lastSeenAt: row.last_seen_at,
  revokedAt: row.revoked_at,
});

export type AccountsRepository = ReturnType<typeof createAccountsRepository>;

export function createAccountsRepository(database: Database) {
  const db = (tx?: TransactionHandle) => database.typed<AccountsTables>(tx);
  return {
    async insertOrganization(row: { uid: Uid; name: string; nowMs: number }, tx?: TransactionHandle) {
      const result = await db(tx)
        .insertInto('organizations')
        .values({ uid: row.uid, name: row.name, created_at: row.nowMs, updated_at: row.nowMs })
        .executeTakeFirstOrThrow();
      return insertedId(result);
    },
    async findOrganizationByUid(uid: Uid, options: ReadOptions = {}): Promise<Organization | null> {
      const row = await selectEntities(db(), 'organizations', options)
        .selectAll()
        .where('uid', '=', uid)
        .executeTakeFirst();
      return row ? toOrganization(row) : null;
    },
    async findOrganizationById(id: number): Promise<Organization | null> {
      const row = await selectEntities(db(), 'organizations')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toOrganization(row) : null;
    },
    async updateOrganization(id: number, patch: { name: string }, nowMs: number): Promise<void> {
      await db()
        .updateTable('organizations')
        .set({ name: patch.name, updated_at: nowMs })
        .where('id', '=', id)
        .execute();
    },
    async listOrganizationsOfUser(userId: number): Promise<{ organization: Organization; role: Role }[]> {
      const rows = await db()
        .selectFrom('memberships')
        .innerJoin('organizations', 'organizations.id', 'memberships.organization_id')
        .selectAll('organizations')
        .select('memberships.role as member_role')
        .where('memberships.user_id', '=', userId)
        .where(isAlive('memberships'))
        .where(isAlive('organizations'))
        .orderBy('organizations.id', 'asc')
        .execute();
      return rows.map((row) => ({ organization: toOrganization(row), role: row.member_role as Role }));
    },
    async countOrganizations(): Promise<number> {
      const row = await selectEntities(db(), 'organizations')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async firstOrganization(): Promise<Organization | null> {
      const row = await selectEntities(db(), 'organizations')
        .selectAll()
        .orderBy('id', 'asc')
        .limit(1)
        .executeTakeFirst();
      return row ? toOrganization(row) : null;
    },

    async insertUser(
      row: { uid: Uid; email: string; name: string; passwordHash: string; nowMs: number },
      tx?: TransactionHandle,
    ): Promise<number> {
      const result = await db(tx)
        .insertInto('users')
        .values({
          uid: row.uid,
          email: row.email,
          name: row.name,
          password_hash: row.passwordHash,
          created_at: row.nowMs,
          updated_at: row.nowMs,
        })
        .executeTakeFirstOrThrow();
      return insertedId(result);
    },
    async findUserByEmail(email: string): Promise<User | null> {
      const row = await selectEntities(db(), 'users')
        .selectAll()
        .where('email', '=', email)
        .executeTakeFirst();
      return row ? toUser(row) : null;
    },
    async findUserById(id: number): Promise<User | null> {
      const row = await selectEntities(db(), 'users').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toUser(row) : null;
    },
    async findUsersByIds(ids: number[]): Promise<User[]> {
      if (ids.length === 0) return [];
      const rows = await selectEntities(db(), 'users').selectAll().where('id', 'in', ids).execute();
      return rows.map(toUser);
    },
    async setPassword(userId: number, passwordHash: string, nowMs: number): Promise<void> {
      await db()
        .updateTable('users')
        .set({ password_hash: passwordHash, updated_at: nowMs })
        .where('id', '=', userId)
        .execute();
    },
    async touchLogin(userId: number, nowMs: number): Promise<void> {
      await db().updateTable('users').set({ last_login_at: nowMs }).where('id', '=', userId).execute();
    },

    async insertMembership(
      row: { uid: Uid; organizationId: number; userId: number; role: Role; nowMs: number },
      tx?: TransactionHandle,
    ): Promise<number> {
      const result = await db(tx)
        .insertInto('memberships')
        .values({
          uid: row.uid,
          organization_id: row.organizationId,
          user_id: row.userId,
          role: row.role,
          created_at: row.nowMs,
          updated_at: row.nowMs,
        })
        .executeTakeFirstOrThrow();
      return insertedId(result);
    },
    async findMembership(organizationId: number, userId: number): Promise<Membership | null> {
      const row = await selectEntities(db(), 'memberships')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row ? toMembership(row) : null;
    },
    async findMembershipByUid(organizationId: number, uid: Uid): Promise<Membership | null> {
      const row = await selectEntities(db(), 'memberships')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('uid', '=', uid)
        .executeTakeFirst();
      return row ? toMembership(row) : null;
    },
    async listMemberships(organizationId: number): Promise<Membership[]> {
      const rows = await selectEntities(db(), 'memberships')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .orderBy('id', 'asc')
        .execute();
      return rows.map(toMembership);
    },
    async countOwners(organizationId: number, tx?: TransactionHandle): Promise<number> {
      const row = await selectEntities(db(tx), 'memberships')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('organization_id', '=', organizationId)
        .where('role', '=', 'owner')
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async setRole(membershipId: number, role: Role, nowMs: number, tx?: TransactionHandle): Promise<void> {
      await db(tx)
        .updateTable('memberships')
        .set({ role, updated_at: nowMs })
        .where('id', '=', membershipId)
        .execute();
    },
    async deleteMembership(membershipId: number, nowMs: number, tx?: TransactionHandle): Promise<number> {
      return softDeleteWhere(db(tx), 'memberships', sql`id = ${membershipId}`, nowMs);
    },
    /** Maintenance: memberships soft-deleted before `beforeMs`, at most `limit` per call, hard-deleted. */
    async deleteMembershipsDeletedBefore(
      beforeMs: number,
      limit: number,
      tx?: TransactionHandle,
    ): Promise<number> {
      return deleteChunk(db(tx), 'memberships', sql`deleted_at < ${beforeMs}`, limit);
    },

    async insertSession(row: {
      uid: Uid;
      userId: number;
      tokenHash: Buffer;
      nowMs: number;
      expiresAt: number;
      userAgent: string | null;
    }): Promise<void> {
      await db()
        .insertInto('sessions')
        .values({
          uid: row.uid,
          user_id: row.userId,
          token_hash: row.tokenHash,
          created_at: row.nowMs,
          expires_at: row.expiresAt,
          last_seen_at: row.nowMs,
          user_agent: row.userAgent,
        })
        .execute();
    },
    async findSessionByTokenHash(tokenHash: Buffer): Promise<Session | null> {
      const row = await db()
        .selectFrom('sessions')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row ? toSession(row) : null;
    },
    async touchSession(id: number, nowMs: number): Promise<void> {
      await db().updateTable('sessions').set({ last_seen_at: nowMs }).where('id', '=', id).execute();
    },
    async revokeSession(id: number, nowMs: number): Promise<void> {
      await db()
        .updateTable('sessions')
        .set({ revoked_at: nowMs })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
    },
    async revokeSessionsOfUser(userId: number, nowMs: number): Promise<number> {
      const result = await db()
        .updateTable('sessions')
        .set({ revoked_at: nowMs })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    /**
     * Maintenance: sessions past expiry, revoked, or idle since before `idleBeforeMs` (refused already, so
     * nothing signs in with them again), at most `limit` per call.
     */
    async deleteExpiredSessions(
      beforeMs: number,
      idleBeforeMs: number,
      limit: number,
      tx?: TransactionHandle,
    ): Promise<number> {
      return deleteChunk(
        db(tx),
        'sessions',
        sql`(expires_at < ${beforeMs} or revoked_at < ${beforeMs} or last_seen_at <= ${idleBeforeMs})`,
        limit,
      );
    },

    async insertLoginFailure(emailHash: Buffer, ipHash: Buffer, nowMs: number): Promise<void> {
      await db()
        .insertInto('login_failures')
        .values({ email_hash: emailHash, ip_hash: ipHash, at_ms: nowMs })
        .execute();
    },
    async countLoginFailures(
      by: 'email_hash' | 'ip_hash',
      hash: Buffer,
      sinceMs: number,
    ): Promise<{ count: number; oldest: number | null }> {
      const row = await db()
        .selectFrom('login_failures')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min<number>('at_ms').as('oldest')])
        .where(by, '=', hash)
        .where('at_ms', '>=', sinceMs)
        .executeTakeFirstOrThrow();
      return { count: Number(row.n), oldest: row.oldest === null ? null : Number(row.oldest) };
    },
    async clearLoginFailures(emailHash: Buffer): Promise<void> {
      await db().deleteFrom('login_failures').where('email_hash', '=', emailHash).execute();
    },
    async deleteLoginFailuresBefore(
      beforeMs: number,
      limit: number,
      tx?: TransactionHandle,
    ): Promise<number> {
      return deleteChunk(db(tx), 'login_failures', sql`at_ms < ${beforeMs}`, limit);
    },
  };
}
