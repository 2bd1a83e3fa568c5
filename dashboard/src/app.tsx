import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { type ApiError, onSessionExpired, setCsrfToken } from './api/client.js';
import { api } from './api/endpoints.js';
import { useResource } from './api/hooks.js';
import type { Me, OrganizationSummary, Store } from './api/types.js';
import {
  SessionContext,
  type SessionValue,
  useSession,
  useWorkspace,
  WorkspaceContext,
  type WorkspaceValue,
} from './app-context.js';
import { Logo } from './components/icons.js';
import { LazyPage, type PageLoader } from './components/lazy-page.js';
import { navItem } from './components/navigation.js';
import { Shell } from './components/shell.js';
import { ErrorState, Loading, NoAccess } from './components/states.js';
import { ToastProvider } from './components/toast.js';
import { ROLE_LABELS, roleAllows } from './lib/permissions.js';
import { hrefTo, navigate, useLocation } from './lib/router.js';
import { CreateOrganizationPage, CreateStorePage, NoStoresPage } from './pages/onboarding.js';
import { SignInPage } from './pages/sign-in.js';

const LAST_STORE = 'footfall.lastStore';

/** Pages that need a store, each loaded on first visit. The permission each needs is in NAV_ITEMS. */
const STORE_PAGES: Record<string, PageLoader> = {
  setup: () => import('./pages/setup-guide.js').then((m) => m.SetupGuidePage),
  overview: () => import('./pages/overview.js').then((m) => m.OverviewPage),
  acquisition: () => import('./pages/acquisition.js').then((m) => m.AcquisitionPage),
  pages: () => import('./pages/pages-report.js').then((m) => m.PagesPage),
  technology: () => import('./pages/technology.js').then((m) => m.TechnologyPage),
  ecommerce: () => import('./pages/ecommerce.js').then((m) => m.EcommercePage),
  products: () => import('./pages/products.js').then((m) => m.ProductsPage),
  funnels: () => import('./pages/funnels.js').then((m) => m.FunnelsPage),
  attribution: () => import('./pages/attribution.js').then((m) => m.AttributionPage),
  live: () => import('./pages/live.js').then((m) => m.LivePage),
  'settings/organization': () =>
    import('./pages/settings/organization.js').then((m) => m.OrganizationSettingsPage),
  'settings/store': () => import('./pages/settings/store-settings.js').then((m) => m.StoreSettingsPage),
  'settings/keys': () => import('./pages/settings/api-keys.js').then((m) => m.ApiKeysPage),
  'settings/members': () => import('./pages/settings/members.js').then((m) => m.MembersPage),
  'settings/privacy': () => import('./pages/settings/privacy.js').then((m) => m.PrivacyPage),
  'settings/jobs': () => import('./pages/settings/jobs.js').then((m) => m.JobsPage),
  'settings/dead-letters': () => import('./pages/settings/dead-letters.js').then((m) => m.DeadLettersPage),
  'settings/audit': () => import('./pages/settings/audit-log.js').then((m) => m.AuditLogPage),
};

/** Organization-wide pages, reachable without a store. */
const ORG_PAGES: Record<string, PageLoader> = {
  'settings/organization': STORE_PAGES['settings/organization']!,
  'settings/members': STORE_PAGES['settings/members']!,
  'settings/jobs': STORE_PAGES['settings/jobs']!,
  'settings/audit': STORE_PAGES['settings/audit']!,
};

function readLastStore(): string | null {
  try {
    return localStorage.getItem(LAST_STORE);
  } catch {
    return null;
  }
}

function writeLastStore(storeId: string): void {
  try {
    localStorage.setItem(LAST_STORE, storeId);
  } catch {
    // Private mode: the dashboard simply starts at the first store.
  }
}

function FullPage({ children }: { children: ComponentChildren }) {
  return (
    <div class="fullpage">
      <div class="fullpage-brand">
        <Logo />
        <span class="brand-name">Footfall</span>
      </div>
      {children}
    </div>
  );
}

function NotFoundPage({ what }: { what: string }) {
  return (
    <FullPage>
      <div class="card fullpage-card">
        <h1 class="page-title">{what} was not found</h1>
        <p class="page-description">
          It may have been deleted, or it belongs to an organization you are not a member of.
        </p>
        <a class="btn btn-primary" href="#/">
          Go to your dashboard
        </a>
      </div>
    </FullPage>
  );
}

function useWorkspaceValue(org: OrganizationSummary, store: Store | null): WorkspaceValue {
  const stores = useResource(`stores:${org.id}`, (signal) => api.stores(org.id, signal));
  const [override, setOverride] = useState<Store | null>(null);
  const current = override && override.id === store?.id ? override : store;
  const list = useMemo(
    () => (stores.data?.items ?? []).map((s) => (override && s.id === override.id ? override : s)),
    [stores.data, override],
  );
  return useMemo(
    () => ({
      org,
      role: org.role,
      can: (permission) => roleAllows(org.role, permission),
      stores: list,
      store: current,
      storesLoading: stores.loading,
      reloadStores: stores.reload,
      replaceStore: (next) => setOverride(next),
    }),
    [org, list, current, stores.loading, stores.reload],
  );
}

function Framed({
  section,
  title,
  children,
}: {
  section: string;
  title: string;
  children: ComponentChildren;
}) {
  const workspace = useWorkspace();
  const place = workspace.store?.name ?? workspace.org.name;
  useEffect(() => {
    document.title = `${title} · ${place} · Footfall`;
  }, [title, place]);
  return <Shell section={section}>{children}</Shell>;
}

function Page({ section, pages }: { section: string; pages: Record<string, PageLoader> }) {
  const workspace = useWorkspace();
  const item = navItem(section);
  const loader = pages[section];
  let content: ComponentChildren;
  if (!loader || !item) {
    content = (
      <div class="state">
        <h1 class="state-title">This page does not exist</h1>
        <a
          class="btn btn-secondary"
          href={workspace.store ? hrefTo(['stores', workspace.store.id, 'overview']) : '#/'}
        >
          Back to the overview
        </a>
      </div>
    );
  } else if (!workspace.can(item.permission)) {
    content = (
      <NoAccess
        what={item.label}
        roleName={ROLE_LABELS[workspace.role]}
        action={
          workspace.store && (
            <a class="btn btn-secondary" href={hrefTo(['stores', workspace.store.id, 'overview'])}>
              Back to the overview
            </a>
          )
        }
      />
    );
  } else {
    content = <LazyPage key={section} loader={loader} />;
  }
  return (
    <Framed section={section} title={item?.label ?? 'Not found'}>
      {content}
    </Framed>
  );
}

function StoreArea({ storeId, rest }: { storeId: string; rest: string[] }) {
  const session = useSession();
  const store = useResource(`store:${storeId}`, (signal) => api.store(storeId, signal));
  const org = store.data
    ? session.me.organizations.find((o) => o.id === store.data?.organizationId)
    : undefined;

  useEffect(() => {
    if (store.data) writeLastStore(store.data.id);
  }, [store.data]);

  // A store of an organization that /me does not list yet (just created, or just added): re-read /me once.
  const refreshed = useRef(false);
  const [refreshDone, setRefreshDone] = useState(false);
  useEffect(() => {
    if (!store.data || org || refreshed.current) return;
    refreshed.current = true;
    session.refresh().then(
      () => setRefreshDone(true),
      () => setRefreshDone(true),
    );
  }, [store.data, org, session]);

  if (store.error && !store.data) {
    if (store.error.status === 404 || store.error.status === 400) return <NotFoundPage what="This store" />;
    return (
      <FullPage>
        <ErrorState error={store.error} retry={store.reload} />
      </FullPage>
    );
  }
  if (store.data && !org && refreshDone) return <NotFoundPage what="This store" />;
  if (!store.data || !org) {
    return (
      <FullPage>
        <Loading label="Loading the store" rows={3} />
      </FullPage>
    );
  }
  const section = rest.length === 0 ? 'overview' : rest.join('/');
  return (
    <StoreWorkspace org={org} store={store.data}>
      <Page section={section} pages={STORE_PAGES} />
    </StoreWorkspace>
  );
}

function StoreWorkspace({
  org,
  store,
  children,
}: {
  org: OrganizationSummary;
  store: Store | null;
  children: ComponentChildren;
}) {
  const value = useWorkspaceValue(org, store);
  return <WorkspaceContext.Provider value={value}>{children}</WorkspaceContext.Provider>;
}

function OrgArea({ orgId, rest }: { orgId: string; rest: string[] }) {
  const { me } = useSession();
  const org = me.organizations.find((o) => o.id === orgId);
  if (!org) return <NotFoundPage what="This organization" />;
  const section = rest.join('/');
  if (section === 'new-store') {
    return (
      <StoreWorkspace org={org} store={null}>
        <Framed section="new-store" title="New store">
          <CreateStorePage />
        </Framed>
      </StoreWorkspace>
    );
  }
  if (section === '') {
    return (
      <StoreWorkspace org={org} store={null}>
        <OrgHome />
      </StoreWorkspace>
    );
  }
  return (
    <StoreWorkspace org={org} store={null}>
      <Page section={section} pages={ORG_PAGES} />
    </StoreWorkspace>
  );
}

/** `#/orgs/:orgId`: the organization's first store, or the way to create one. */
function OrgHome() {
  const workspace = useWorkspace();
  const first = workspace.stores[0];
  useEffect(() => {
    if (first) navigate(['stores', first.id, 'overview'], undefined, { replace: true });
  }, [first]);
  if (workspace.storesLoading || first) {
    return (
      <FullPage>
        <Loading label="Loading stores" rows={3} />
      </FullPage>
    );
  }
  return (
    <Framed section="" title="No stores">
      <NoStoresPage />
    </Framed>
  );
}

/** `#/`: back to the last store used, else the first store of the first organization. */
function Home() {
  const { me } = useSession();
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    (async () => {
      const last = readLastStore();
      if (last) {
        try {
          const store = await api.store(last, controller.signal);
          if (me.organizations.some((o) => o.id === store.organizationId)) {
            navigate(['stores', store.id, 'overview'], undefined, { replace: true });
            return;
          }
        } catch {
          // Deleted or no longer ours: fall through to the first store.
        }
      }
      const first = me.organizations[0];
      if (!first) {
        navigate('new-org', undefined, { replace: true });
        return;
      }
      navigate(['orgs', first.id], undefined, { replace: true });
    })().catch((reason: ApiError) => {
      if (!controller.signal.aborted) setError(reason);
    });
    return () => controller.abort();
  }, [me]);
  return (
    <FullPage>
      {error ? <ErrorState error={error} /> : <Loading label="Opening your dashboard" rows={3} />}
    </FullPage>
  );
}

function Routes() {
  const { path } = useLocation();
  const [first, second, ...rest] = path;
  if (first === 'stores' && second) return <StoreArea key={second} storeId={second} rest={rest} />;
  if (first === 'orgs' && second) return <OrgArea key={second} orgId={second} rest={rest} />;
  if (first === 'new-org') {
    return (
      <FullPage>
        <CreateOrganizationPage />
      </FullPage>
    );
  }
  return <Home />;
}

type Phase =
  | { kind: 'booting' }
  | { kind: 'signed-out'; notice?: string }
  | { kind: 'signed-in'; me: Me }
  | { kind: 'failed'; error: ApiError };

export function App() {
  const [phase, setPhase] = useState<Phase>({ kind: 'booting' });

  const accept = useCallback((me: Me) => {
    setCsrfToken(me.csrfToken);
    setPhase({ kind: 'signed-in', me });
  }, []);

  useEffect(() => {
    api.me().then(accept, (error: ApiError) => {
      if (error.status === 401 || error.status === 403) setPhase({ kind: 'signed-out' });
      else setPhase({ kind: 'failed', error });
    });
    return onSessionExpired(() => {
      setCsrfToken(null);
      setPhase({ kind: 'signed-out', notice: 'Your session ended. Sign in again to continue.' });
    });
  }, [accept]);

  const session = useMemo((): SessionValue | null => {
    if (phase.kind !== 'signed-in') return null;
    return {
      me: phase.me,
      async refresh() {
        const me = await api.me();
        accept(me);
        return me;
      },
      async signOut() {
        try {
          await api.logout();
        } finally {
          setCsrfToken(null);
          setPhase({ kind: 'signed-out', notice: 'You have signed out.' });
          navigate('', undefined, { replace: true });
        }
      },
    };
  }, [phase, accept]);

  switch (phase.kind) {
    case 'booting':
      return (
        <FullPage>
          <Loading label="Starting Footfall" rows={3} />
        </FullPage>
      );
    case 'failed':
      return (
        <FullPage>
          <ErrorState error={phase.error} retry={() => window.location.reload()} />
        </FullPage>
      );
    case 'signed-out':
      return <SignInPage notice={phase.notice} onSignedIn={accept} />;
    case 'signed-in':
      return (
        <SessionContext.Provider value={session}>
          <ToastProvider>
            <Routes />
          </ToastProvider>
        </SessionContext.Provider>
      );
  }
}
