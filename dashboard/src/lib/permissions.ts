import {
  type KeyScope,
  type Permission,
  ROLE_PERMISSIONS,
  ROLES,
} from '../../../src/modules/accounts/permissions.js';
import type { Role } from '../api/types.js';

/**
 * The server's permission matrix itself (a pure table, bundled in): the UI offers only what a role may do. The
 * API refuses anyway: this is about not showing a button that can only answer 403.
 */
export { type Permission, ROLE_PERMISSIONS, ROLES };

export const ROLE_LABELS: Record<Role, string> = {
  owner: 'Owner',
  admin: 'Admin',
  analyst: 'Analyst',
  viewer: 'Viewer',
};

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  owner: 'Everything, including making other members owners',
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
export const KEY_SCOPES: readonly { scope: KeyScope; label: string }[] = [
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
