import { randomToken } from '../platform/crypto.js';
import type { Services } from './modules.js';

export const DEMO_OWNER_EMAIL = 'owner@footfall.local';
const SYSTEM = { type: 'system' as const, id: null, label: 'footfall setup' };

export interface SetupResult {
  organization: { id: string; name: string; created: boolean };
  store: { id: string; name: string; created: boolean };
  owner: { email: string; password?: string };
  writeKey: string;
  secretKey: string;
}

/**
 * Creates what is missing: an organization, its owner, a store. Keys are only ever stored as hashes, so
 * existing ones cannot be shown again: every run issues a fresh publishable and secret key for the store.
 * The owner's password is printed only when the owner is created.
 */
export async function runSetup(
  services: Services,
  options: { email?: string; storeName?: string } = {},
): Promise<SetupResult> {
  const email = options.email ?? DEMO_OWNER_EMAIL;
  let owner = await services.accounts.findUserByEmail(email);
  let password: string | undefined;
  if (!owner) {
    password = randomToken(12);
    owner = await services.accounts.createUser({ email, name: 'Store owner', password });
  }
  const memberships = await services.accounts.listOrganizationsOfUser(owner.id);
  let organization = memberships.find((m) => m.role === 'owner')?.organization ?? null;
  const organizationCreated = organization === null;
  if (!organization) {
    organization = await services.accounts.createOrganization('Demo Organization', SYSTEM);
    await services.accounts.addMember(organization, { userId: owner.id, role: 'owner' }, SYSTEM);
  }
  const stores = await services.stores.listByOrganization(organization.id);
  let store = stores.find((s) => s.name === (options.storeName ?? 'Demo Store')) ?? stores[0] ?? null;
  const storeCreated = store === null;
  if (!store) {
    store = await services.stores.create(
      organization.id,
      { name: options.storeName ?? 'Demo Store' },
      SYSTEM,
    );
  }
  const writeKey = await services.keys.create(
    store,
    { type: 'publishable', name: 'setup write key' },
    SYSTEM,
  );
  const secretKey = await services.keys.create(
    store,
    {
      type: 'secret',
      name: 'setup secret key',
      scopes: [
        'events:write',
        'events:read',
        'reports:read',
        'stores:read',
        'keys:read',
        'privacy:write',
        'privacy:read',
      ],
    },
    SYSTEM,
  );
  return {
    organization: { id: organization.publicId, name: organization.name, created: organizationCreated },
    store: { id: store.publicId, name: store.name, created: storeCreated },
    owner: { email, ...(password ? { password } : {}) },
    writeKey: writeKey.secret,
    secretKey: secretKey.secret,
  };
}

/**
 * The write key the demo shop pages carry. Keys are stored as hashes, so each process start rotates the demo
 * shop's key (the previous one stays valid for a day, for pages already open) and keeps the new one in memory.
 */
export function createDemoWriteKeyProvider(services: Services): () => Promise<string | null> {
  let pending: Promise<string | null> | null = null;
  const issue = async (): Promise<string | null> => {
    const organization = await services.accounts.firstOrganization();
    if (!organization) return null;
    const stores = await services.stores.listByOrganization(organization.id);
    const store = stores.find((s) => s.name === 'Demo Store') ?? stores[0];
    if (!store) return null;
    const current = (await services.keys.list(store)).find(
      (k) => k.name === DEMO_SHOP_KEY_NAME && k.revokedAt === null && k.rotatedAt === null,
    );
    if (current) return (await services.keys.rotate(store, current, 86_400_000, SYSTEM)).secret;
    return (await services.keys.create(store, { type: 'publishable', name: DEMO_SHOP_KEY_NAME }, SYSTEM))
      .secret;
  };
  return () => {
    pending ??= issue().catch((error: unknown) => {
      pending = null;
      throw error;
    });
    return pending;
  };
}

const DEMO_SHOP_KEY_NAME = 'demo shop';
