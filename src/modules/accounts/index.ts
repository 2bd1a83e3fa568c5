/**
 * accounts — owns organizations, users, memberships (roles), sessions and login failures: password hashing
 * (argon2id), login throttling, session cookies and CSRF tokens. Also the permission matrix every route is
 * checked against. Others use `AccountsService` and the permission helpers.
 */
export { accountsMigrations } from './accounts.migrations.js';
export { registerAccountsRoutes } from './accounts.routes.js';
export {
  type AccountsService,
  type AuthenticatedSession,
  CSRF_HEADER,
  createAccountsService,
  type LoginResult,
  type Membership,
  normalizeEmail,
  type Organization,
  PASSWORD_MIN_LENGTH,
  SESSION_COOKIE,
  SESSION_IDLE_MS,
  SESSION_TTL_MS,
  type Session,
  type User,
} from './accounts.service.js';
export {
  isPermission,
  isRole,
  KEY_SCOPES,
  type KeyScope,
  PERMISSIONS,
  type Permission,
  ROLE_PERMISSIONS,
  ROLES,
  type Role,
  roleAllows,
  roleRank,
} from './permissions.js';
