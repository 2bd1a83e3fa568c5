import { useState } from 'preact/hooks';
import { api } from '../../api/endpoints.js';
import { useAction, useResource } from '../../api/hooks.js';
import type {
  PrivacyRequest,
  PrivacyRequestInput,
  PrivacyRequestKind,
  PrivacyRequestStatus,
} from '../../api/types.js';
import { useStore, useWorkspace } from '../../app-context.js';
import { type Column, DataTable } from '../../components/data-table.js';
import { IconAlert, IconShield } from '../../components/icons.js';
import { Modal } from '../../components/modal.js';
import { EmptyState, FormError, ResourceView, Spinner } from '../../components/states.js';
import { useToast } from '../../components/toast.js';
import { Badge, type BadgeTone, Card, Field, PageHeader, Tabs } from '../../components/ui.js';
import { formatInteger, formatWhen } from '../../lib/format.js';
import { hrefTo, useLocation } from '../../lib/router.js';

const STATUS_TONE: Record<PrivacyRequestStatus, BadgeTone> = {
  pending: 'neutral',
  running: 'info',
  done: 'success',
  failed: 'danger',
};

type SubjectKind = keyof PrivacyRequestInput;

const SUBJECTS: readonly { id: SubjectKind; label: string; placeholder: string }[] = [
  { id: 'userId', label: 'User id', placeholder: 'customer-42' },
  { id: 'anonymousId', label: 'Anonymous id', placeholder: '3f2a9c1e-…' },
];

const IDENTIFIER_LABELS: Record<SubjectKind, string> = { userId: 'User id', anonymousId: 'Anonymous id' };

/** The request names which identifiers it used; their values are never sent back. */
function subjectText(r: PrivacyRequest): string {
  return r.identifiers.map((i) => IDENTIFIER_LABELS[i]).join(' + ') || '—';
}

const plural = (count: number, noun: string) => `${formatInteger(count)} ${noun}${count === 1 ? '' : 's'}`;

function countsText(r: PrivacyRequest): string {
  const c = r.counts;
  const rows = c.events + c.orders + c.orderAdjustments + c.deadLetters + c.derivedRows;
  if (r.kind === 'export') return plural(rows, 'record');
  const parts = [plural(c.events, 'event'), plural(c.orders + c.orderAdjustments, 'order row')];
  if (c.deadLetters) parts.push(plural(c.deadLetters, 'dead letter'));
  if (c.derivedRows) parts.push(plural(c.derivedRows, 'report row'));
  return `${parts.join(' · ')} deleted`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Only http(s) links to the export download route become links: nothing else is followed. */
function safeDownload(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url, window.location.origin);
    const isHttp = parsed.protocol === 'https:' || parsed.protocol === 'http:';
    return isHttp && parsed.pathname.startsWith('/api/v1/privacy/exports/') ? parsed.href : null;
  } catch {
    return null;
  }
}

function NewRequest({
  storeId,
  kind,
  onCreated,
}: {
  storeId: string;
  kind: PrivacyRequestKind;
  onCreated: () => void;
}) {
  const [subject, setSubject] = useState<SubjectKind>('userId');
  const [value, setValue] = useState('');
  const [confirming, setConfirming] = useState(false);
  const create = useAction(api.createPrivacyRequest);
  const toast = useToast();
  const submit = async () => {
    const created = await create.run(storeId, kind, { [subject]: value.trim() });
    if (!created) return;
    setConfirming(false);
    setValue('');
    toast({ message: kind === 'erasure' ? 'Erasure requested' : 'Export requested' });
    onCreated();
  };
  const current = SUBJECTS.find((s) => s.id === subject) ?? SUBJECTS[0]!;
  return (
    <form
      class="form inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (!value.trim()) return;
        if (kind === 'erasure') setConfirming(true);
        else void submit();
      }}
    >
      {!confirming && <FormError error={create.error} />}
      <div class="form-row form-row-tight">
        <Field id="privacy-subject" label="Identify the person by">
          <select
            id="privacy-subject"
            class="select"
            value={subject}
            onChange={(e) => setSubject(e.currentTarget.value as SubjectKind)}
          >
            {SUBJECTS.map((s) => (
              <option key={s.id} value={s.id}>
                {s.label}
              </option>
            ))}
          </select>
        </Field>
        <Field id="privacy-value" label={current.label} error={create.error} field={subject}>
          <input
            id="privacy-value"
            class="input"
            required
            maxLength={254}
            placeholder={current.placeholder}
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
          />
        </Field>
        <div class="field field-action">
          <button
            type="submit"
            class={`btn ${kind === 'erasure' ? 'btn-danger' : 'btn-primary'}`}
            disabled={create.pending}
          >
            {kind === 'erasure' ? 'Erase data…' : create.pending ? 'Requesting…' : 'Export data'}
          </button>
        </div>
      </div>
      {confirming && (
        <Modal
          title="Erase this person's data?"
          size="sm"
          onClose={() => setConfirming(false)}
          dismissible={!create.pending}
          footer={
            <>
              <button
                type="button"
                class="btn btn-ghost"
                onClick={() => setConfirming(false)}
                disabled={create.pending}
              >
                Cancel
              </button>
              <button
                type="button"
                class="btn btn-danger"
                onClick={() => void submit()}
                disabled={create.pending}
              >
                {create.pending ? 'Requesting…' : 'Erase permanently'}
              </button>
            </>
          }
        >
          <FormError error={create.error} />
          <p class="notice notice-warning">
            <IconAlert /> Every event of <strong>{value.trim()}</strong> in this store is deleted and future
            events from them are suppressed. This cannot be undone.
          </p>
        </Modal>
      )}
    </form>
  );
}

export function PrivacyPage() {
  const store = useStore();
  const { org, can } = useWorkspace();
  const { query } = useLocation();
  // Who asked, by name: requests carry the user's (or API key's) id.
  const members = useResource(can('members:read') ? `members:${org.id}` : null, (signal) =>
    api.members(org.id, signal),
  );
  const requesterName = (id: string | null): string => {
    if (id === null) return 'Footfall';
    const member = members.data?.items.find((m) => m.user.id === id);
    if (member) return member.user.name || member.user.email;
    return id.startsWith('key_') ? `API key ${id}` : id;
  };
  const kind: PrivacyRequestKind = query.get('kind') === 'export' ? 'export' : 'erasure';
  const [busy, setBusy] = useState(false);
  const requests = useResource(
    `privacy:${store.id}:${kind}`,
    async (signal) => {
      const page = await api.privacyRequests(store.id, kind, signal);
      setBusy(page.items.some((r) => r.status === 'pending' || r.status === 'running'));
      return page;
    },
    // Requests run in the background: follow them until they finish.
    { pollMs: busy ? 3000 : undefined },
  );
  const columns: Column<PrivacyRequest>[] = [
    { key: 'subject', label: 'Identified by', value: subjectText },
    {
      key: 'status',
      label: 'Status',
      value: (r) => r.status,
      render: (r) =>
        r.status === 'running' ? (
          <span class="progress-cell">
            <Spinner label="Running" />
            <span>Running</span>
          </span>
        ) : (
          <Badge tone={STATUS_TONE[r.status]}>{r.status}</Badge>
        ),
    },
    {
      key: 'createdAt',
      label: 'Requested',
      value: (r) => r.createdAt,
      render: (r) => formatWhen(r.createdAt),
    },
    {
      key: 'finishedAt',
      label: 'Finished',
      value: (r) => r.finishedAt,
      render: (r) => formatWhen(r.finishedAt),
      secondary: true,
    },
    {
      key: 'receipt',
      label: kind === 'erasure' ? 'Receipt' : 'File',
      value: (r) => r.error ?? countsText(r),
      render: (r) => {
        const download = r.status === 'done' ? safeDownload(r.file?.downloadUrl) : null;
        return (
          <span class="receipt">
            <span>{r.error ?? (r.status === 'pending' ? 'Queued' : countsText(r))}</span>
            {download && r.file && (
              <a class="btn btn-link btn-sm" href={download} download>
                Download ({formatBytes(r.file.bytes)}, until {formatWhen(r.file.expiresAt)})
              </a>
            )}
          </span>
        );
      },
      sortable: false,
    },
    { key: 'requestedBy', label: 'By', value: (r) => requesterName(r.requestedBy), secondary: true },
    { key: 'id', label: 'Request id', value: (r) => r.id, hidden: true },
  ];
  return (
    <div class="page">
      <PageHeader
        title="Privacy requests"
        description="Answer GDPR and CCPA requests: erase a person's data, or export everything this store holds about them."
      />
      <Card
        flush
        tabs={
          <Tabs
            label="Request type"
            current={kind}
            items={[
              { id: 'erasure', label: 'Erasures' },
              { id: 'export', label: 'Exports' },
            ]}
            hrefFor={(id) =>
              hrefTo(['stores', store.id, 'settings', 'privacy'], id === 'export' ? { kind: 'export' } : {})
            }
          />
        }
      >
        {can('privacy:write') && !requests.error?.isMissingEndpoint && (
          <div class="card-section">
            <NewRequest storeId={store.id} kind={kind} onCreated={requests.reload} />
          </div>
        )}
        <ResourceView
          state={requests}
          label="Loading privacy requests"
          what="Privacy requests"
          isEmpty={(d) => d.items.length === 0}
          empty={
            <EmptyState
              title={kind === 'erasure' ? 'No erasures yet' : 'No exports yet'}
              icon={<IconShield />}
            >
              Each request keeps a receipt of what was {kind === 'erasure' ? 'deleted' : 'exported'}, for the
              person and your records.
            </EmptyState>
          }
        >
          {(data) => (
            <DataTable
              caption={kind === 'erasure' ? 'Erasure requests' : 'Export requests'}
              rows={data.items}
              columns={columns}
              rowKey={(r) => r.id}
              exportName={[store.name, `privacy ${kind}s`]}
              initialSort={{ key: 'createdAt', descending: true }}
            />
          )}
        </ResourceView>
      </Card>
    </div>
  );
}
