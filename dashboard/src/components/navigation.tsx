import type { FunctionComponent } from 'preact';
import type { Permission } from '../lib/permissions.js';
import {
  IconAcquisition,
  IconBox,
  IconBuilding,
  IconCart,
  IconClock,
  IconFunnel,
  IconInbox,
  IconKey,
  IconList,
  IconOverview,
  IconPages,
  IconPulse,
  IconRocket,
  IconShield,
  IconStore,
  IconTarget,
  IconTechnology,
  IconUsers,
} from './icons.js';

export interface NavItem {
  /** The route under `#/stores/:storeId/`, e.g. `overview` or `settings/keys`. */
  id: string;
  label: string;
  permission: Permission;
  icon: FunctionComponent<{ class?: string }>;
  group: 'reports' | 'settings' | 'start';
  /** Organization-wide pages also live under `#/orgs/:orgId/` for organizations without a store. */
  orgScoped?: boolean;
}

/** Every page of a store, in nav order, with the permission it needs: hidden when the role lacks it. */
export const NAV_ITEMS: readonly NavItem[] = [
  { id: 'setup', label: 'Install', permission: 'keys:read', icon: IconRocket, group: 'start' },
  { id: 'overview', label: 'Overview', permission: 'reports:read', icon: IconOverview, group: 'reports' },
  {
    id: 'acquisition',
    label: 'Acquisition',
    permission: 'reports:read',
    icon: IconAcquisition,
    group: 'reports',
  },
  { id: 'pages', label: 'Pages', permission: 'reports:read', icon: IconPages, group: 'reports' },
  {
    id: 'technology',
    label: 'Technology',
    permission: 'reports:read',
    icon: IconTechnology,
    group: 'reports',
  },
  { id: 'ecommerce', label: 'eCommerce', permission: 'reports:read', icon: IconCart, group: 'reports' },
  { id: 'products', label: 'Products', permission: 'reports:read', icon: IconBox, group: 'reports' },
  { id: 'funnels', label: 'Funnels', permission: 'reports:read', icon: IconFunnel, group: 'reports' },
  { id: 'attribution', label: 'Attribution', permission: 'reports:read', icon: IconTarget, group: 'reports' },
  { id: 'live', label: 'Live', permission: 'reports:read', icon: IconPulse, group: 'reports' },
  {
    id: 'settings/organization',
    label: 'Organization',
    permission: 'org:read',
    icon: IconBuilding,
    group: 'settings',
    orgScoped: true,
  },
  { id: 'settings/store', label: 'Store', permission: 'stores:read', icon: IconStore, group: 'settings' },
  { id: 'settings/keys', label: 'API keys', permission: 'keys:read', icon: IconKey, group: 'settings' },
  {
    id: 'settings/members',
    label: 'Members',
    permission: 'members:read',
    icon: IconUsers,
    group: 'settings',
    orgScoped: true,
  },
  {
    id: 'settings/privacy',
    label: 'Privacy requests',
    permission: 'privacy:read',
    icon: IconShield,
    group: 'settings',
  },
  {
    id: 'settings/jobs',
    label: 'Scheduled jobs',
    permission: 'cron:read',
    icon: IconClock,
    group: 'settings',
    orgScoped: true,
  },
  {
    id: 'settings/dead-letters',
    label: 'Dead letters',
    permission: 'deadletters:read',
    icon: IconInbox,
    group: 'settings',
  },
  {
    id: 'settings/audit',
    label: 'Audit log',
    permission: 'audit:read',
    icon: IconList,
    group: 'settings',
    orgScoped: true,
  },
];

export function navItem(id: string): NavItem | undefined {
  return NAV_ITEMS.find((item) => item.id === id);
}
