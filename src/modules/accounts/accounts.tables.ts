import type { Generated } from 'kysely';
import type { EntityColumns } from '../../platform/db/schema.js';

export interface OrganizationsTable extends EntityColumns {
  name: string;
}

export interface UsersTable extends EntityColumns {
  email: string;
  name: string;
  password_hash: string;
  last_login_at: number | null;
}

export interface MembershipsTable extends EntityColumns {
  organization_id: number;
  user_id: number;
  role: string;
}

export interface SessionsTable {
  id: Generated<number>;
  uid: Buffer;
  user_id: number;
  /** SHA-256 of the cookie value; the value itself is never stored. */
  token_hash: Buffer;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
  revoked_at: number | null;
  user_agent: string | null;
}

export interface LoginFailuresTable {
  id: Generated<number>;
  /** SHA-256 of the lower-cased email and of the client IP: throttling needs equality, not the values. */
  email_hash: Buffer;
  ip_hash: Buffer;
  at_ms: number;
}

export interface AccountsTables {
  organizations: OrganizationsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  login_failures: LoginFailuresTable;
}
