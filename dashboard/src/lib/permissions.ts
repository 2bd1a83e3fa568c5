import type { Role } from '../api/types.js';

/**
 * The server's permission matrix (src/modules/accounts/permissions.ts), mirrored so the UI offers only what a
 * role may do; permissions.test.ts fails when the two drift. The API refuses anyway: this is about not
 * showing a button that can only answer 403.
 */
export type Permission =
  | 'org:read'
  | 'org:write'
  | 'members:read'
  | 'members:write'
  | 'stores:read'
  | 'stores:create'
  | 'stores:write'
  | 'stores:delete'
  | 'keys:read'
  | 'keys:write'
  | 'events:read'
  | 'events:write'
  | 'reports:read'
  | 'privacy:read'
  | 'privacy:write'
  | 'deadletters:read'
  | 'deadletters:write'
  | 'audit:read'
  | 'cron:read';

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

export const ROLES: readonly Role[] = ['owner', 'admin', 'analyst', 'viewer'];

export const ROLE_LABELS: Record<Role, string> = {
  owner: 'Owner',
  admin: 'Admin',
  analyst: 'Analyst',
  viewer: 'Viewer',
};

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  owner: 'Everything, including renaming the organization',
  admin: 'Stores, keys, members, privacy requests and operations',
  analyst: 'Reports and raw events',
  viewer: 'Reports only',
};

export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

/** A role may grant only roles at or below its own. */
export function grantableRoles(role: Role): Role[] {
  return ROLES.slice(ROLES.indexOf(role));
}

/** Scopes a secret key may carry, with what each lets the key do. */
export const KEY_SCOPES: readonly { scope: string; label: string }[] = [
  { scope: 'events:write', label: 'Send events (server-side tracking)' },
  { scope: 'events:read', label: 'Read raw events' },
  { scope: 'reports:read', label: 'Read reports' },
  { scope: 'stores:read', label: 'Read store settings' },
  { scope: 'stores:write', label: 'Change store settings' },
  { scope: 'keys:read', label: 'List keys' },
  { scope: 'keys:write', label: 'Create, rotate and revoke keys' },
  { scope: 'privacy:read', label: 'Read privacy requests' },
  { scope: 'privacy:write', label: 'Request erasures and exports' },
  { scope: 'deadletters:read', label: 'Inspect dead letters' },
  { scope: 'deadletters:write', label: 'Replay dead letters' },
];
