import { type ComponentChildren, createContext, type JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { ApiError } from '../api/client.js';
import { IconDownload } from './icons.js';

/** A table's CSV export, offered in the header of the card that holds it. */
export interface CardExport {
  label: string;
  run(): void;
}

/** Set by a titled Card: a DataTable inside registers its export there instead of in its own toolbar. */
export const CardExportContext = createContext<((exporter: CardExport | null) => void) | null>(null);

export function PageHeader({
  title,
  description,
  actions,
  children,
}: {
  title: ComponentChildren;
  description?: ComponentChildren;
  actions?: ComponentChildren;
  /** Under the description (a report's filters). */
  children?: ComponentChildren;
}) {
  return (
    <header class="page-header">
      <div class="page-heading">
        <h1 class="page-title">{title}</h1>
        {description && <p class="page-description">{description}</p>}
        {children}
      </div>
      {actions && <div class="page-actions">{actions}</div>}
    </header>
  );
}

export function Card({
  title,
  subtitle,
  actions,
  children,
  class: className,
  flush,
  tabs,
}: {
  title?: ComponentChildren;
  subtitle?: ComponentChildren;
  actions?: ComponentChildren;
  children: ComponentChildren;
  class?: string;
  /** Content runs to the card's edges (tables). */
  flush?: boolean;
  /** Tabs in place of a title: the header row holds them, and the actions on the right. */
  tabs?: ComponentChildren;
}) {
  const [exporter, setExporter] = useState<CardExport | null>(null);
  const hasHeader = Boolean(title || actions || tabs);
  return (
    <section class={`card${flush ? ' card-flush' : ''}${className ? ` ${className}` : ''}`}>
      {hasHeader && (
        <header class={`card-header${tabs ? ' card-header-tabs' : ''}`}>
          {tabs ?? (
            <div>
              {title && <h2 class="card-title">{title}</h2>}
              {subtitle && <p class="card-subtitle">{subtitle}</p>}
            </div>
          )}
          {(actions || exporter) && (
            <div class="card-actions">
              {actions}
              {exporter && (
                <button
                  type="button"
                  class="btn btn-ghost btn-sm"
                  onClick={exporter.run}
                  aria-label={`Export ${exporter.label} as CSV`}
                >
                  <IconDownload /> CSV
                </button>
              )}
            </div>
          )}
        </header>
      )}
      <CardExportContext.Provider value={hasHeader ? setExporter : null}>
        {children}
      </CardExportContext.Provider>
    </section>
  );
}

export type BadgeTone = 'neutral' | 'success' | 'warning' | 'danger' | 'info' | 'brand';

export function Badge({ tone = 'neutral', children }: { tone?: BadgeTone; children: ComponentChildren }) {
  return <span class={`badge badge-${tone}`}>{children}</span>;
}

/** Links that switch a query parameter: shareable, back-button friendly, keyboard reachable. */
export function Tabs({
  label,
  items,
  current,
  hrefFor,
}: {
  label: string;
  items: readonly { id: string; label: string }[];
  current: string;
  hrefFor: (id: string) => string;
}) {
  return (
    <nav class="tabs" aria-label={label}>
      {items.map((item) => (
        <a
          key={item.id}
          class={`tab${item.id === current ? ' active' : ''}`}
          href={hrefFor(item.id)}
          aria-current={item.id === current ? 'page' : undefined}
        >
          {item.label}
        </a>
      ))}
    </nav>
  );
}

/** Attributes tying an input to its label, hint and the API's `field` error. */
export function fieldProps(
  id: string,
  error: ApiError | null | undefined,
  field: string,
): Pick<JSX.HTMLAttributes<HTMLInputElement>, 'id' | 'aria-invalid' | 'aria-describedby'> {
  const invalid = fieldMatches(error, field);
  return {
    id,
    'aria-invalid': invalid ? 'true' : undefined,
    'aria-describedby': invalid ? `${id}-error` : `${id}-hint`,
  };
}

function fieldMatches(error: ApiError | null | undefined, field: string): boolean {
  const name = error?.field;
  if (!name) return false;
  // `body.name`, `name`, `allowedOrigins.2` all point at the field `name` / `allowedOrigins`.
  const bare = name.replace(/^body\./, '');
  return bare === field || bare.startsWith(`${field}.`);
}

export function Field({
  id,
  label,
  hint,
  error,
  field,
  children,
  optional,
}: {
  id: string;
  label: string;
  hint?: ComponentChildren;
  error?: ApiError | null;
  field?: string;
  children: ComponentChildren;
  optional?: boolean;
}) {
  const invalid = field !== undefined && fieldMatches(error, field);
  return (
    <div class={`field${invalid ? ' invalid' : ''}`}>
      <label class="field-label" for={id}>
        {label}
        {optional && <span class="field-optional"> (optional)</span>}
      </label>
      {children}
      {invalid ? (
        <p class="field-error" id={`${id}-error`}>
          {error?.problem.detail}
        </p>
      ) : (
        hint && (
          <p class="field-hint" id={`${id}-hint`}>
            {hint}
          </p>
        )
      )}
    </div>
  );
}
