import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api/endpoints.js';
import { useAction, useResource } from '../../api/hooks.js';
import type { AuditEntry } from '../../api/types.js';
import { useWorkspace } from '../../app-context.js';
import { type Column, DataTable } from '../../components/data-table.js';
import { EmptyState, FormError, ResourceView } from '../../components/states.js';
import { Badge, type BadgeTone, Card, PageHeader } from '../../components/ui.js';
import { formatDateTime, formatWhen, summarize } from '../../lib/format.js';
import { updateQuery, useLocation } from '../../lib/router.js';

const ACTIONS = [
  'auth.login',
  'auth.login_failed',
  'auth.login_throttled',
  'auth.logout',
  'user.created',
  'user.password_changed',
  'org.created',
  'org.updated',
  'member.added',
  'member.role_changed',
  'member.removed',
  'store.created',
  'store.updated',
  'store.deleted',
  'store.restored',
  'key.created',
  'key.rotated',
  'key.revoked',
  'key.expired',
  'key.age_warning',
  'cron.token_created',
  'cron.token_rotated',
  'cron.token_revoked',
  'privacy.erasure_requested',
  'privacy.export_requested',
  'deadletter.replayed',
  'secrets.rotated',
  'secrets.rewrapped',
];

function toneOf(action: string): BadgeTone {
  if (/failed|throttled|revoked|deleted|removed/.test(action)) return 'danger';
  if (/rotated|warning|expired|changed/.test(action)) return 'warning';
  if (/created|added|restored/.test(action)) return 'success';
  return 'neutral';
}

function detailsText(details: Record<string, unknown> | null): string {
  if (!details) return '';
  return Object.entries(details)
    .map(([k, v]) => `${k}: ${summarize(v)}`)
    .join(' · ');
}

const PAGE = 50;

/** Who did what, when, from where: append-only, newest first, filterable by action. */
export function AuditLogPage() {
  const { org } = useWorkspace();
  const { query } = useLocation();
  const action = ACTIONS.includes(query.get('action') ?? '') ? (query.get('action') as string) : '';
  const first = useResource(`audit:${org.id}:${action}`, (signal) =>
    api.audit(org.id, { limit: PAGE, action: action || undefined }, signal),
  );
  const [more, setMore] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const loadMore = useAction((c: string) =>
    api.audit(org.id, { limit: PAGE, cursor: c, action: action || undefined }),
  );

  useEffect(() => {
    setMore([]);
    setCursor(first.data?.nextCursor ?? null);
  }, [first.data]);

  const rows = [...(first.data?.items ?? []), ...more];
  const columns: Column<AuditEntry>[] = [
    {
      key: 'createdAt',
      label: 'When',
      value: (e) => e.createdAt,
      render: (e) => (
        <time dateTime={e.createdAt} title={formatDateTime(e.createdAt)}>
          {formatWhen(e.createdAt)}
        </time>
      ),
    },
    {
      key: 'action',
      label: 'Action',
      value: (e) => e.action,
      render: (e) => <Badge tone={toneOf(e.action)}>{e.action}</Badge>,
    },
    {
      key: 'actor',
      label: 'Actor',
      value: (e) => e.actor.label ?? e.actor.id ?? e.actor.type,
      render: (e) => (
        <span class="actor">
          <span>{e.actor.label ?? e.actor.id ?? '—'}</span>
          <span class="actor-type">{e.actor.type}</span>
        </span>
      ),
    },
    {
      key: 'targetId',
      label: 'Target',
      value: (e) => e.targetId,
      render: (e) => <span class="mono">{e.targetId ?? '—'}</span>,
      secondary: true,
    },
    {
      key: 'ip',
      label: 'IP',
      value: (e) => e.ip,
      render: (e) => <span class="mono">{e.ip ?? '—'}</span>,
      secondary: true,
    },
    {
      key: 'details',
      label: 'Details',
      value: (e) => detailsText(e.details),
      render: (e) => <span class="details truncate">{detailsText(e.details) || '—'}</span>,
      sortable: false,
      secondary: true,
    },
  ];

  const filter = (
    <label class="inline-field">
      <span>Action</span>
      <select
        class="select select-sm"
        value={action}
        onChange={(e) => {
          const value = e.currentTarget.value;
          updateQuery((q) => {
            if (value) q.set('action', value);
            else q.delete('action');
          });
        }}
      >
        <option value="">All actions</option>
        {ACTIONS.map((a) => (
          <option key={a} value={a}>
            {a}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <div class="page">
      <PageHeader
        title="Audit log"
        description={`Security-relevant actions in ${org.name}: sign-ins, members, stores, keys and privacy requests.`}
        actions={filter}
      />
      <Card flush title="Entries" subtitle={`Newest first${action ? ` · ${action}` : ''}`}>
        <ResourceView
          state={first}
          label="Loading the audit log"
          what="The audit log"
          rows={8}
          isEmpty={(d) => d.items.length === 0}
          empty={<EmptyState title={action ? `No ${action} entries` : 'No entries yet'} />}
        >
          {() => (
            <>
              <DataTable
                caption="Audit log"
                rows={rows}
                columns={columns}
                rowKey={(e) => e.id}
                exportName={[org.name, 'audit log', action]}
              />
              <FormError error={loadMore.error} />
              {cursor && (
                <div class="table-more">
                  <button
                    type="button"
                    class="btn btn-secondary btn-sm"
                    disabled={loadMore.pending}
                    onClick={async () => {
                      const page = await loadMore.run(cursor);
                      if (page) {
                        setMore((list) => [...list, ...page.items]);
                        setCursor(page.nextCursor);
                      }
                    }}
                  >
                    {loadMore.pending ? 'Loading…' : 'Load older entries'}
                  </button>
                </div>
              )}
            </>
          )}
        </ResourceView>
      </Card>
    </div>
  );
}
