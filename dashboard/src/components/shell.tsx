import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useSession, useWorkspace } from '../app-context.js';
import { ROLE_LABELS } from '../lib/permissions.js';
import { hrefTo, navigate } from '../lib/router.js';
import { IconLogOut, IconMenu, IconX, Logo } from './icons.js';
import { NAV_ITEMS, type NavItem } from './navigation.js';

const NEW_STORE = '__new_store';
const NEW_ORG = '__new_org';

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).slice(0, 2);
  return parts.map((p) => p[0]?.toUpperCase() ?? '').join('') || '?';
}

function Switchers({ section }: { section: string }) {
  const { me } = useSession();
  const workspace = useWorkspace();
  const { org, store, stores, can } = workspace;
  return (
    <div class="switchers">
      <div class="switcher">
        <label class="switcher-label" for="org-switcher">
          Organization
        </label>
        <select
          id="org-switcher"
          class="select select-dark"
          value={org.id}
          onChange={(event) => {
            const value = event.currentTarget.value;
            if (value === NEW_ORG) navigate('new-org');
            else navigate(['orgs', value]);
          }}
        >
          {me.organizations.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
            </option>
          ))}
          <option value={NEW_ORG}>+ New organization…</option>
        </select>
      </div>
      <div class="switcher">
        <label class="switcher-label" for="store-switcher">
          Store
        </label>
        <select
          id="store-switcher"
          class="select select-dark"
          value={store?.id ?? ''}
          disabled={workspace.storesLoading && stores.length === 0}
          onChange={(event) => {
            const value = event.currentTarget.value;
            if (value === NEW_STORE) navigate(['orgs', org.id, 'new-store']);
            else if (value) navigate(['stores', value, ...(section ? section.split('/') : ['overview'])]);
          }}
        >
          {!store && <option value="">{stores.length ? 'Choose a store' : 'No stores yet'}</option>}
          {stores.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
          {can('stores:create') && <option value={NEW_STORE}>+ New store…</option>}
        </select>
      </div>
    </div>
  );
}

function NavGroup({ title, items, section }: { title: string; items: NavItem[]; section: string }) {
  const { store, org } = useWorkspace();
  if (items.length === 0) return null;
  return (
    <div class="nav-group">
      <h2 class="nav-group-title">{title}</h2>
      <ul>
        {items.map((item) => {
          const href = store
            ? hrefTo(['stores', store.id, ...item.id.split('/')])
            : hrefTo(['orgs', org.id, ...item.id.split('/')]);
          const Icon = item.icon;
          const current = section === item.id;
          return (
            <li key={item.id}>
              <a
                class={`nav-link${current ? ' active' : ''}`}
                href={href}
                aria-current={current ? 'page' : undefined}
              >
                <Icon />
                <span>{item.label}</span>
                {item.id === 'live' && <span class="live-dot" aria-hidden="true" />}
              </a>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/**
 * The frame of every signed-in page: sidebar (switchers, navigation the role may use, the user) and the
 * content. On a phone the sidebar becomes a drawer behind the menu button.
 */
export function Shell({ section, children }: { section: string; children: ComponentChildren }) {
  const { me, signOut } = useSession();
  const { can, store, role } = useWorkspace();
  const [menuOpen, setMenuOpen] = useState(false);
  const main = useRef<HTMLElement>(null);

  // A new page closes the drawer.
  useEffect(() => setMenuOpen(false), [section, store?.id]);

  const visible = NAV_ITEMS.filter(
    (item) => can(item.permission) && (store !== null || item.orgScoped === true),
  );
  const groups: { title: string; group: NavItem['group'] }[] = [
    { title: 'Get started', group: 'start' },
    { title: 'Reports', group: 'reports' },
    { title: 'Settings', group: 'settings' },
  ];

  return (
    <div class={`app${menuOpen ? ' menu-open' : ''}`}>
      <button
        type="button"
        class="skip-link"
        onClick={() => {
          main.current?.focus();
        }}
      >
        Skip to content
      </button>
      <header class="topbar">
        <button
          type="button"
          class="btn btn-icon btn-ghost topbar-menu"
          aria-expanded={menuOpen}
          aria-controls="sidebar"
          aria-label={menuOpen ? 'Close menu' : 'Open menu'}
          onClick={() => setMenuOpen((open) => !open)}
        >
          {menuOpen ? <IconX /> : <IconMenu />}
        </button>
        <a class="brand brand-compact" href="#/">
          <Logo size={24} />
          <span class="brand-name">Footfall</span>
        </a>
        <span class="topbar-store">{store?.name}</span>
      </header>
      <aside id="sidebar" class="sidebar" aria-label="Sidebar">
        <a class="brand" href="#/">
          <Logo />
          <span class="brand-name">Footfall</span>
        </a>
        <Switchers section={section} />
        <nav class="nav" aria-label="Main">
          {groups.map((g) => (
            <NavGroup
              key={g.group}
              title={g.title}
              items={visible.filter((i) => i.group === g.group)}
              section={section}
            />
          ))}
        </nav>
        <div class="sidebar-footer">
          <span class="avatar" aria-hidden="true">
            {initials(me.user.name || me.user.email)}
          </span>
          <span class="user">
            <span class="user-name">{me.user.name || me.user.email}</span>
            <span class="user-meta">
              {me.user.email} · {ROLE_LABELS[role]}
            </span>
          </span>
          <button
            type="button"
            class="btn btn-icon btn-sidebar"
            onClick={() => void signOut()}
            aria-label="Sign out"
            title="Sign out"
          >
            <IconLogOut />
          </button>
        </div>
      </aside>
      <button
        type="button"
        class="scrim"
        aria-hidden="true"
        tabIndex={-1}
        onClick={() => setMenuOpen(false)}
      />
      <main id="main" class="main" ref={main} tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
