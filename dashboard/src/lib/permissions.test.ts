import { describe, expect, it } from 'vitest';
import { KEY_SCOPES as SERVER_KEY_SCOPES } from '../../../src/modules/accounts/index.js';
import { grantableRoles, KEY_SCOPES } from './permissions.js';

describe('the dashboard’s permissions', () => {
  it('offers exactly the scopes a key may carry', () => {
    expect(KEY_SCOPES.map((s) => s.scope).sort()).toEqual([...SERVER_KEY_SCOPES].sort());
  });

  it('lets a role grant only roles at or below its own', () => {
    expect(grantableRoles('admin')).toEqual(['admin', 'analyst', 'viewer']);
    expect(grantableRoles('viewer')).toEqual(['viewer']);
  });
});
