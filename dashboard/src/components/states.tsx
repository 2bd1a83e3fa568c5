import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api/client.js';
import type { ResourceState } from '../api/hooks.js';
import { IconAlert, IconInbox, IconLock, IconRefresh, IconRocket } from './icons.js';

/** Skeleton lines while data loads; announced once to screen readers through the status role. */
export function Loading({ label, rows = 4 }: { label: string; rows?: number }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="sr-only">{label}…</span>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} class={`skeleton skeleton-${i % 3}`} aria-hidden="true" />
      ))}
    </div>
  );
}

export function Spinner({ label }: { label?: string }) {
  return (
    <span class="spinner">
      <span class="spinner-dot" aria-hidden="true" />
      {label && <span class="sr-only">{label}</span>}
    </span>
  );
}

export function EmptyState({
  title,
  children,
  action,
  icon,
}: {
  title: string;
  children?: ComponentChildren;
  action?: ComponentChildren;
  icon?: ComponentChildren;
}) {
  return (
    <div class="state state-empty">
      <div class="state-icon">{icon ?? <IconInbox />}</div>
      <h3 class="state-title">{title}</h3>
      {children && <div class="state-text">{children}</div>}
      {action && <div class="state-action">{action}</div>}
    </div>
  );
}

export function ErrorState({ error, retry }: { error: ApiError; retry?: () => void }) {
  return (
    <div class="state state-error" role="alert">
      <div class="state-icon">
        <IconAlert />
      </div>
      <h3 class="state-title">{error.problem.title || 'Something went wrong'}</h3>
      <p class="state-text">{error.problem.detail}</p>
      {error.problem.requestId && (
        <p class="state-meta">
          Request id <code>{error.problem.requestId}</code>
        </p>
      )}
      {retry && (
        <div class="state-action">
          <button type="button" class="btn btn-secondary" onClick={retry}>
            <IconRefresh /> Try again
          </button>
        </div>
      )}
    </div>
  );
}

/** An endpoint this server does not serve yet (404 "No route for …"): a roadmap note, not an error. */
export function NotAvailable({ what, children }: { what: string; children?: ComponentChildren }) {
  return (
    <div class="state state-soon">
      <div class="state-icon">
        <IconRocket />
      </div>
      <h3 class="state-title">{what} isn't available on this server yet</h3>
      <p class="state-text">
        {children ??
          'This Footfall server does not provide it yet. The page fills in by itself once the server is upgraded — there is nothing to configure.'}
      </p>
    </div>
  );
}

export function NoAccess({
  what,
  roleName,
  action,
}: {
  what: string;
  roleName: string;
  action?: ComponentChildren;
}) {
  return (
    <div class="state state-locked" role="alert">
      <div class="state-icon">
        <IconLock />
      </div>
      <h2 class="state-title">You don't have access to {what}</h2>
      <p class="state-text">
        Your role in this organization is <strong>{roleName}</strong>. Ask an owner or admin if you need it.
      </p>
      {action && <div class="state-action">{action}</div>}
    </div>
  );
}

/**
 * The four states of anything loaded: loading (skeleton), error (or "not available yet" / "no access"),
 * empty, and the data. Data already on screen stays there while a reload runs.
 */
export function ResourceView<T>({
  state,
  label,
  what,
  isEmpty,
  empty,
  rows,
  children,
}: {
  state: ResourceState<T>;
  /** "Loading keys" — for the skeleton's status text. */
  label: string;
  /** "The pages report" — for the not-available and no-access states. */
  what: string;
  isEmpty?: (data: T) => boolean;
  empty?: ComponentChildren;
  rows?: number;
  children: (data: T) => ComponentChildren;
}) {
  if (state.data === undefined) {
    if (state.error) {
      if (state.error.isMissingEndpoint) return <NotAvailable what={what} />;
      if (state.error.isForbidden) return <NoAccess what={what.toLowerCase()} roleName="not enough" />;
      return <ErrorState error={state.error} retry={state.reload} />;
    }
    return <Loading label={label} rows={rows} />;
  }
  if (isEmpty?.(state.data)) return <>{empty ?? <EmptyState title="Nothing here yet" />}</>;
  return <>{children(state.data)}</>;
}

/** A problem's detail next to a form, with the offending field named. */
export function FormError({ error }: { error: ApiError | null }) {
  if (!error) return null;
  return (
    <div class="form-error" role="alert">
      <IconAlert />
      <span>{error.problem.detail}</span>
    </div>
  );
}
