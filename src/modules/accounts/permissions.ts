/**
 * The permission matrix: the one place that says which role or key scope may do what. Routes declare the
 * permission they need; the access module checks it against this table.
 */
export const ROLES = ['owner', 'admin', 'analyst', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'org:read',
  'org:write',
  'members:read',
  'members:write',
  'stores:read',
  'stores:create',
  'stores:write',
  'stores:delete',
  'keys:read',
  'keys:write',
  'events:read',
  'events:write',
  'reports:read',
  'privacy:read',
  'privacy:write',
  'deadletters:read',
  'deadletters:write',
  'audit:read',
  'cron:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const VIEWER: Permission[] = ['org:read', 'stores:read', 'reports:read'];
const ANALYST: Permission[] = [...VIEWER, 'events:read'];
const ADMIN: Permission[] = [
  ...ANALYST,
  // Renaming the organization: admins run it day to day; what stays owner-only is granting the owner role.
  'org:write',
  'members:read',
  'members:write',
  'stores:create',
  'stores:write',
  'stores:delete',
  'keys:read',
  'keys:write',
  'events:write',
  'privacy:read',
  'privacy:write',
  'deadletters:read',
  'deadletters:write',
  'audit:read',
  'cron:read',
];
const OWNER: Permission[] = [...ADMIN];

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  viewer: new Set(VIEWER),
  analyst: new Set(ANALYST),
  admin: new Set(ADMIN),
  owner: new Set(OWNER),
};

/** Scopes a secret key may carry: store-level permissions only (a key belongs to one store). */
export const KEY_SCOPES = [
  'events:write',
  'events:read',
  'reports:read',
  'stores:read',
  'stores:write',
  'keys:read',
  'keys:write',
  'privacy:read',
  'privacy:write',
  'deadletters:read',
  'deadletters:write',
] as const satisfies readonly Permission[];
export type KeyScope = (typeof KEY_SCOPES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

/** A role may grant only roles at or below its own. */
export function roleRank(role: Role): number {
  return ROLES.length - ROLES.indexOf(role);
}
