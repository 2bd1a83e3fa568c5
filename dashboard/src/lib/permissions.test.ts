import { describe, expect, it } from 'vitest';
import {
  ROLES,
  ROLE_PERMISSIONS as SERVER,
  KEY_SCOPES as SERVER_KEY_SCOPES,
} from '../../../src/modules/accounts/index.js';
import { grantableRoles, KEY_SCOPES, ROLE_PERMISSIONS } from './permissions.js';

describe('the dashboard’s permission mirror', () => {
  it.each(ROLES)('matches the server for %s', (role) => {
    expect([...ROLE_PERMISSIONS[role]].sort()).toEqual([...SERVER[role]].sort());
  });

  it('offers exactly the scopes a key may carry', () => {
    expect(KEY_SCOPES.map((s) => s.scope).sort()).toEqual([...SERVER_KEY_SCOPES].sort());
  });

  it('lets a role grant only roles at or below its own', () => {
    expect(grantableRoles('admin')).toEqual(['admin', 'analyst', 'viewer']);
    expect(grantableRoles('viewer')).toEqual(['viewer']);
  });
});
