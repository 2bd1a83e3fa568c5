import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me, OrganizationSummary, Role, Store } from './api/types.js';
import type { Permission } from './lib/permissions.js';

export interface SessionValue {
  me: Me;
  /** Re-reads /me (organizations and roles change when someone adds you or you create one). */
  refresh(): Promise<Me>;
  signOut(): Promise<void>;
}

/** The organization and store the page is about, and what the signed-in user may do there. */
export interface WorkspaceValue {
  org: OrganizationSummary;
  role: Role;
  can(permission: Permission): boolean;
  stores: Store[];
  store: Store | null;
  storesLoading: boolean;
  reloadStores(): void;
  /** After a settings change: the switcher and headers show the new name at once. */
  replaceStore(store: Store): void;
}

export const SessionContext = createContext<SessionValue | null>(null);
export const WorkspaceContext = createContext<WorkspaceValue | null>(null);

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside a signed-in session');
  return value;
}

export function useWorkspace(): WorkspaceValue {
  const value = useContext(WorkspaceContext);
  if (!value) throw new Error('useWorkspace outside a workspace');
  return value;
}

/** The workspace's store; pages under /stores/:id only render once it is loaded. */
export function useStore(): Store {
  const { store } = useWorkspace();
  if (!store) throw new Error('useStore outside a store page');
  return store;
}
