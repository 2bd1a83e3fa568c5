import { useState } from 'preact/hooks';
import { api } from '../../api/endpoints.js';
import { useAction, useResource } from '../../api/hooks.js';
import type { ApiKey, CreatedApiKey, KeyStatus, KeyType } from '../../api/types.js';
import { useStore, useWorkspace } from '../../app-context.js';
import { CodeBlock } from '../../components/copy-button.js';
import { type Column, DataTable } from '../../components/data-table.js';
import { IconAlert, IconKey, IconPlus } from '../../components/icons.js';
import { Modal } from '../../components/modal.js';
import { EmptyState, FormError, ResourceView } from '../../components/states.js';
import { useToast } from '../../components/toast.js';
import { Badge, type BadgeTone, Card, Field, fieldProps, PageHeader } from '../../components/ui.js';
import { formatDateTime, formatRelative, formatWhen } from '../../lib/format.js';
import { KEY_SCOPES } from '../../lib/permissions.js';
import { installSnippet } from '../setup-guide.js';

const STATUS_TONE: Record<KeyStatus, BadgeTone> = {
  active: 'success',
  rotating: 'warning',
  expired: 'neutral',
  revoked: 'danger',
};

const EXPIRIES = [
  { id: '', label: 'Never' },
  { id: '30d', label: '30 days' },
  { id: '90d', label: '90 days' },
  { id: '180d', label: '180 days' },
  { id: '365d', label: '1 year' },
];

const GRACES = [
  { id: '0', label: 'Immediately' },
  { id: '1h', label: '1 hour' },
  { id: '24h', label: '24 hours' },
  { id: '7d', label: '7 days' },
  { id: '30d', label: '30 days' },
];

export const maskedKey = (key: ApiKey) => `${key.prefix}…${key.last4}`;

/** The one moment a key is visible. Closing needs a confirmation that it was stored. */
function SecretReveal({
  created,
  title,
  onDone,
}: {
  created: CreatedApiKey;
  title: string;
  onDone: () => void;
}) {
  const [stored, setStored] = useState(false);
  return (
    <Modal
      title={title}
      onClose={onDone}
      dismissible={stored}
      footer={
        <button type="button" class="btn btn-primary" disabled={!stored} onClick={onDone}>
          Done
        </button>
      }
    >
      <p class="notice notice-warning" role="status">
        <IconAlert /> Copy this key now. Footfall stores only a hash of it: once you close this window, nobody
        can see it again.
      </p>
      <CodeBlock id="new-secret" label={`${created.name} key`} code={created.key} />
      {created.type === 'publishable' && (
        <>
          <p class="muted">Install snippet with this key:</p>
          <CodeBlock
            id="new-snippet"
            label="Install snippet"
            code={installSnippet(window.location.origin, created.key)}
          />
        </>
      )}
      <label class="check">
        <input type="checkbox" checked={stored} onChange={(e) => setStored(e.currentTarget.checked)} />
        <span>I have stored the key somewhere safe</span>
      </label>
    </Modal>
  );
}

function CreateKeyDialog({
  storeId,
  onClose,
  onCreated,
}: {
  storeId: string;
  onClose: () => void;
  onCreated: (key: CreatedApiKey) => void;
}) {
  const [type, setType] = useState<KeyType>('secret');
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['reports:read']);
  const [expiresIn, setExpiresIn] = useState('90d');
  const [origins, setOrigins] = useState('');
  const create = useAction(api.createKey);
  const error = create.error;

  return (
    <Modal
      title="Create an API key"
      description="Publishable keys go in web pages and can only send events. Secret keys are for servers and carry scopes."
      onClose={onClose}
      dismissible={!create.pending}
      size="lg"
      footer={
        <>
          <button type="button" class="btn btn-ghost" onClick={onClose} disabled={create.pending}>
            Cancel
          </button>
          <button type="submit" form="create-key-form" class="btn btn-primary" disabled={create.pending}>
            {create.pending ? 'Creating…' : 'Create key'}
          </button>
        </>
      }
    >
      <form
        id="create-key-form"
        class="form"
        onSubmit={async (event) => {
          event.preventDefault();
          const allowedOrigins = origins
            .split(/[\s,]+/)
            .map((o) => o.trim())
            .filter(Boolean);
          const created = await create.run(storeId, {
            type,
            name: name.trim() || undefined,
            scopes: type === 'secret' ? scopes : undefined,
            expiresIn: expiresIn || undefined,
            allowedOrigins: type === 'publishable' && allowedOrigins.length ? allowedOrigins : undefined,
          });
          if (created) onCreated(created);
        }}
      >
        <FormError error={error} />
        <fieldset class="radio-group radio-row">
          <legend class="field-label">Type</legend>
          {(
            [
              ['secret', 'Secret key', 'For your backend: reports, server-side events, automation.'],
              ['publishable', 'Publishable write key', 'For the snippet in your pages: sends events only.'],
            ] as const
          ).map(([id, label, text]) => (
            <label key={id} class={`radio-card${type === id ? ' checked' : ''}`}>
              <input
                type="radio"
                name="key-type"
                value={id}
                checked={type === id}
                onChange={() => setType(id)}
              />
              <span>
                <span class="radio-title">{label}</span>
                <span class="radio-text">{text}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <div class="form-row">
          <Field
            id="key-name"
            label="Name"
            optional
            error={error}
            field="name"
            hint="Where it is used, e.g. “Nightly export”."
          >
            <input
              {...fieldProps('key-name', error, 'name')}
              class="input"
              maxLength={120}
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </Field>
          <Field
            id="key-expiry"
            label="Expires"
            error={error}
            field="expiresIn"
            hint="Keys that expire leak less."
          >
            <select
              {...fieldProps('key-expiry', error, 'expiresIn')}
              class="select"
              value={expiresIn}
              onChange={(e) => setExpiresIn(e.currentTarget.value)}
            >
              {EXPIRIES.map((x) => (
                <option key={x.id} value={x.id}>
                  {x.label}
                </option>
              ))}
            </select>
          </Field>
        </div>
        {type === 'secret' ? (
          <fieldset class={`scopes${error?.field === 'scopes' ? ' invalid' : ''}`}>
            <legend class="field-label">Scopes</legend>
            <p class="field-hint">Give the key only what it needs.</p>
            <div class="scope-grid">
              {KEY_SCOPES.map((s) => (
                <label key={s.scope} class="check check-compact">
                  <input
                    type="checkbox"
                    checked={scopes.includes(s.scope)}
                    onChange={(e) => {
                      const on = e.currentTarget.checked;
                      setScopes((list) => (on ? [...list, s.scope] : list.filter((x) => x !== s.scope)));
                    }}
                  />
                  <span>
                    <span class="mono scope-name">{s.scope}</span>
                    <span class="radio-text">{s.label}</span>
                  </span>
                </label>
              ))}
            </div>
          </fieldset>
        ) : (
          <Field
            id="key-origins"
            label="Allowed origins"
            optional
            error={error}
            field="allowedOrigins"
            hint="Only pages on these origins may use the key. Empty = the store's allowed origins."
          >
            <textarea
              {...fieldProps('key-origins', error, 'allowedOrigins')}
              class="input textarea mono"
              rows={2}
              placeholder="https://shop.example.com"
              value={origins}
              onInput={(e) => setOrigins(e.currentTarget.value)}
            />
          </Field>
        )}
      </form>
    </Modal>
  );
}

function RotateDialog({
  storeId,
  apiKey,
  onClose,
  onRotated,
}: {
  storeId: string;
  apiKey: ApiKey;
  onClose: () => void;
  onRotated: (key: CreatedApiKey) => void;
}) {
  const [grace, setGrace] = useState(apiKey.type === 'publishable' ? '7d' : '24h');
  const rotate = useAction(api.rotateKey);
  return (
    <Modal
      title={`Rotate ${apiKey.name}`}
      description="A new key is issued now. The old one keeps working during the grace period, so you can deploy the new one without losing events."
      size="sm"
      onClose={onClose}
      dismissible={!rotate.pending}
      footer={
        <>
          <button type="button" class="btn btn-ghost" onClick={onClose} disabled={rotate.pending}>
            Cancel
          </button>
          <button
            type="button"
            class="btn btn-primary"
            disabled={rotate.pending}
            onClick={async () => {
              const rotated = await rotate.run(storeId, apiKey.id, grace);
              if (rotated) onRotated(rotated);
            }}
          >
            {rotate.pending ? 'Rotating…' : 'Rotate key'}
          </button>
        </>
      }
    >
      <FormError error={rotate.error} />
      <Field id="rotate-grace" label="Old key stops working">
        <select
          id="rotate-grace"
          class="select"
          value={grace}
          onChange={(e) => setGrace(e.currentTarget.value)}
        >
          {GRACES.map((g) => (
            <option key={g.id} value={g.id}>
              {g.id === '0' ? g.label : `After ${g.label}`}
            </option>
          ))}
        </select>
      </Field>
    </Modal>
  );
}

function RevokeDialog({
  storeId,
  apiKey,
  onClose,
  onRevoked,
}: {
  storeId: string;
  apiKey: ApiKey;
  onClose: () => void;
  onRevoked: () => void;
}) {
  const revoke = useAction(api.revokeKey);
  return (
    <Modal
      title={`Revoke ${apiKey.name}?`}
      description={
        <>
          <span class="mono">{maskedKey(apiKey)}</span> stops working on every server within 30 seconds. This
          cannot be undone.
        </>
      }
      size="sm"
      onClose={onClose}
      dismissible={!revoke.pending}
      footer={
        <>
          <button type="button" class="btn btn-ghost" onClick={onClose} disabled={revoke.pending}>
            Cancel
          </button>
          <button
            type="button"
            class="btn btn-danger"
            disabled={revoke.pending}
            onClick={async () => {
              if (await revoke.run(storeId, apiKey.id)) onRevoked();
            }}
          >
            {revoke.pending ? 'Revoking…' : 'Revoke key'}
          </button>
        </>
      }
    >
      <FormError error={revoke.error} />
    </Modal>
  );
}

type Dialog =
  | { kind: 'create' }
  | { kind: 'reveal'; key: CreatedApiKey; title: string }
  | { kind: 'rotate'; key: ApiKey }
  | { kind: 'revoke'; key: ApiKey }
  | null;

export function ApiKeysPage() {
  const store = useStore();
  const { can } = useWorkspace();
  const toast = useToast();
  const canWrite = can('keys:write');
  const keys = useResource(`keys:${store.id}`, (signal) => api.keys(store.id, signal));
  const [dialog, setDialog] = useState<Dialog>(null);
  const [showInactive, setShowInactive] = useState(false);

  const all = keys.data?.items ?? [];
  const inactive = all.filter((k) => k.status === 'revoked' || k.status === 'expired').length;
  const rows = showInactive ? all : all.filter((k) => k.status === 'active' || k.status === 'rotating');

  const columns: Column<ApiKey>[] = [
    {
      key: 'name',
      label: 'Name',
      value: (k) => k.name,
    },
    {
      key: 'type',
      label: 'Type',
      value: (k) => k.type,
      render: (k) => (
        <Badge tone={k.type === 'secret' ? 'info' : 'brand'}>
          {k.type === 'secret' ? 'Secret' : 'Publishable'}
        </Badge>
      ),
    },
    {
      key: 'key',
      label: 'Key',
      value: (k) => maskedKey(k),
      render: (k) => <code class="key-mask">{maskedKey(k)}</code>,
    },
    {
      key: 'scopes',
      label: 'Scopes',
      value: (k) => k.scopes.join(' '),
      render: (k) => (
        <span class="scope-list">
          {k.scopes.map((s) => (
            <span key={s} class="scope">
              {s}
            </span>
          ))}
        </span>
      ),
      secondary: true,
      sortable: false,
    },
    {
      key: 'status',
      label: 'Status',
      value: (k) => k.status,
      render: (k) => (
        <span class="status-cell">
          <Badge tone={STATUS_TONE[k.status]}>{k.status}</Badge>
          {k.nearingMaxAge && <Badge tone="warning">expires soon</Badge>}
        </span>
      ),
    },
    {
      key: 'lastUsedAt',
      label: 'Last used',
      value: (k) => k.lastUsedAt,
      render: (k) => <span title={formatDateTime(k.lastUsedAt)}>{formatRelative(k.lastUsedAt)}</span>,
    },
    {
      key: 'expiresAt',
      label: 'Expires',
      value: (k) => k.expiresAt,
      render: (k) =>
        k.expiresAt ? (
          <span title={formatDateTime(k.expiresAt)}>{formatRelative(k.expiresAt)}</span>
        ) : (
          'never'
        ),
      secondary: true,
    },
    {
      key: 'createdAt',
      label: 'Created',
      value: (k) => k.createdAt,
      render: (k) => <span title={formatDateTime(k.createdAt)}>{formatWhen(k.createdAt)}</span>,
      secondary: true,
    },
    ...(canWrite
      ? [
          {
            key: 'actions',
            label: 'Actions',
            value: () => null,
            exportable: false,
            sortable: false,
            render: (k: ApiKey) =>
              k.status === 'active' || k.status === 'rotating' ? (
                <span class="row-actions">
                  {k.status === 'active' && !k.replacedBy && (
                    <button
                      type="button"
                      class="btn btn-ghost btn-sm"
                      onClick={() => setDialog({ kind: 'rotate', key: k })}
                      aria-label={`Rotate ${k.name}`}
                    >
                      Rotate
                    </button>
                  )}
                  <button
                    type="button"
                    class="btn btn-ghost btn-sm btn-danger-text"
                    onClick={() => setDialog({ kind: 'revoke', key: k })}
                    aria-label={`Revoke ${k.name}`}
                  >
                    Revoke
                  </button>
                </span>
              ) : null,
          } satisfies Column<ApiKey>,
        ]
      : []),
  ];

  return (
    <div class="page">
      <PageHeader
        title="API keys"
        description="Write keys for your pages, secret keys for your servers. Only a hash is stored; a key is shown once."
        actions={
          canWrite && (
            <button type="button" class="btn btn-primary" onClick={() => setDialog({ kind: 'create' })}>
              <IconPlus /> Create key
            </button>
          )
        }
      />
      <Card
        flush
        title="Keys"
        subtitle={keys.data ? `${rows.length} ${showInactive ? 'in total' : 'active'}` : undefined}
      >
        <ResourceView
          state={keys}
          label="Loading keys"
          what="API keys"
          isEmpty={(d) => d.items.length === 0}
          empty={
            <EmptyState
              title="No keys yet"
              icon={<IconKey />}
              action={
                canWrite && (
                  <button type="button" class="btn btn-primary" onClick={() => setDialog({ kind: 'create' })}>
                    Create your first key
                  </button>
                )
              }
            >
              A publishable write key lets your pages send events; a secret key lets your backend read
              reports.
            </EmptyState>
          }
        >
          {() => (
            <DataTable
              caption="API keys"
              rows={rows}
              columns={columns}
              rowKey={(k) => k.id}
              exportName={[store.name, 'api keys']}
              initialSort={{ key: 'createdAt', descending: true }}
              toolbar={
                inactive > 0 && (
                  <label class="check check-inline">
                    <input
                      type="checkbox"
                      checked={showInactive}
                      onChange={(e) => setShowInactive(e.currentTarget.checked)}
                    />
                    <span>Show revoked and expired ({inactive})</span>
                  </label>
                )
              }
            />
          )}
        </ResourceView>
      </Card>
      {dialog?.kind === 'create' && (
        <CreateKeyDialog
          storeId={store.id}
          onClose={() => setDialog(null)}
          onCreated={(key) => {
            keys.reload();
            setDialog({ kind: 'reveal', key, title: 'Your new key' });
          }}
        />
      )}
      {dialog?.kind === 'reveal' && (
        <SecretReveal
          created={dialog.key}
          title={dialog.title}
          onDone={() => {
            setDialog(null);
            keys.reload();
          }}
        />
      )}
      {dialog?.kind === 'rotate' && (
        <RotateDialog
          storeId={store.id}
          apiKey={dialog.key}
          onClose={() => setDialog(null)}
          onRotated={(key) => {
            keys.reload();
            setDialog({ kind: 'reveal', key, title: 'Your rotated key' });
          }}
        />
      )}
      {dialog?.kind === 'revoke' && (
        <RevokeDialog
          storeId={store.id}
          apiKey={dialog.key}
          onClose={() => setDialog(null)}
          onRevoked={() => {
            setDialog(null);
            keys.reload();
            toast({ message: `${dialog.key.name} was revoked` });
          }}
        />
      )}
    </div>
  );
}
