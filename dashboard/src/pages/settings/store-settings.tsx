import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api/endpoints.js';
import { useAction } from '../../api/hooks.js';
import type { IpPolicy, Store, StoreSettings } from '../../api/types.js';
import { useStore, useWorkspace } from '../../app-context.js';
import { Modal } from '../../components/modal.js';
import { FormError } from '../../components/states.js';
import { useToast } from '../../components/toast.js';
import { Card, Field, fieldProps, PageHeader } from '../../components/ui.js';
import { formatDateTime } from '../../lib/format.js';
import { currencyName, currencyOptions, timeZoneOptions } from '../../lib/locale-options.js';
import { ROLE_LABELS } from '../../lib/permissions.js';
import { navigate } from '../../lib/router.js';

const IP_POLICIES: readonly { id: IpPolicy; label: string; text: string }[] = [
  {
    id: 'truncate',
    label: 'Truncate',
    text: 'Keep the network part only (/24 for IPv4, /48 for IPv6). Recommended.',
  },
  { id: 'none', label: "Don't store", text: 'Use the IP for location and bot checks, then drop it.' },
  { id: 'full', label: 'Store in full', text: 'Keep the whole address. Needs a legal basis under GDPR.' },
];

interface Draft {
  name: string;
  currency: string;
  timeZone: string;
  allowedOrigins: string;
  retentionDays: string;
  ipPolicy: IpPolicy;
  backfillDays: string;
  maxKeyAgeDays: string;
  requiresConsent: boolean;
}

function draftOf(store: Store): Draft {
  return {
    name: store.name,
    currency: store.currency,
    timeZone: store.timeZone,
    allowedOrigins: store.allowedOrigins.join('\n'),
    retentionDays: String(store.retentionDays),
    ipPolicy: store.ipPolicy,
    backfillDays: String(store.backfillDays),
    maxKeyAgeDays: store.maxKeyAgeDays === null ? '' : String(store.maxKeyAgeDays),
    requiresConsent: store.requiresConsent,
  };
}

/** Only the fields that changed: PATCH leaves the rest alone, and the audit log names exactly what moved. */
function changesOf(store: Store, draft: Draft): Partial<StoreSettings> {
  const next: StoreSettings = {
    name: draft.name.trim(),
    currency: draft.currency,
    timeZone: draft.timeZone,
    allowedOrigins: draft.allowedOrigins
      .split(/[\s,]+/)
      .map((o) => o.trim())
      .filter(Boolean),
    retentionDays: Number(draft.retentionDays),
    ipPolicy: draft.ipPolicy,
    backfillDays: Number(draft.backfillDays),
    maxKeyAgeDays: draft.maxKeyAgeDays.trim() === '' ? null : Number(draft.maxKeyAgeDays),
    requiresConsent: draft.requiresConsent,
  };
  const patch: Partial<StoreSettings> = {};
  for (const key of Object.keys(next) as (keyof StoreSettings)[]) {
    if (JSON.stringify(next[key]) !== JSON.stringify(store[key])) {
      (patch as Record<string, unknown>)[key] = next[key];
    }
  }
  return patch;
}

function DeleteStore({ store }: { store: Store }) {
  const workspace = useWorkspace();
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const remove = useAction(() => api.deleteStore(store.id));
  return (
    <Card title="Delete this store" class="card-danger">
      <p class="muted">
        Its keys stop working at once and tracking stops. You can restore it for 30 days; after that it is
        purged with all its events.
      </p>
      <button type="button" class="btn btn-danger" onClick={() => setOpen(true)}>
        Delete store…
      </button>
      {open && (
        <Modal
          title={`Delete ${store.name}?`}
          size="sm"
          onClose={() => setOpen(false)}
          dismissible={!remove.pending}
          footer={
            <>
              <button
                type="button"
                class="btn btn-ghost"
                onClick={() => setOpen(false)}
                disabled={remove.pending}
              >
                Cancel
              </button>
              <button
                type="button"
                class="btn btn-danger"
                disabled={typed !== store.name || remove.pending}
                onClick={async () => {
                  const deleted = await remove.run();
                  if (!deleted) return;
                  setOpen(false);
                  workspace.reloadStores();
                  toast({
                    message: `${store.name} was deleted`,
                    action: {
                      label: 'Undo',
                      run: () => {
                        void api
                          .restoreStore(store.id)
                          .then(() => navigate(['stores', store.id, 'settings', 'store']));
                      },
                    },
                  });
                  navigate(['orgs', workspace.org.id]);
                }}
              >
                {remove.pending ? 'Deleting…' : 'Delete store'}
              </button>
            </>
          }
        >
          <FormError error={remove.error} />
          <Field id="confirm-delete" label={`Type the store's name to confirm`}>
            <input
              id="confirm-delete"
              class="input"
              value={typed}
              autocomplete="off"
              onInput={(e) => setTyped(e.currentTarget.value)}
            />
          </Field>
        </Modal>
      )}
    </Card>
  );
}

export function StoreSettingsPage() {
  const store = useStore();
  const workspace = useWorkspace();
  const toast = useToast();
  const canWrite = workspace.can('stores:write');
  const [draft, setDraft] = useState<Draft>(() => draftOf(store));
  const save = useAction((patch: Partial<StoreSettings>) => api.updateStore(store.id, patch));
  useEffect(() => setDraft(draftOf(store)), [store.id]);

  const patch = changesOf(store, draft);
  const dirty = Object.keys(patch).length > 0;
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    if (save.error) save.reset();
  };
  const error = save.error;

  return (
    <div class="page page-narrow">
      <PageHeader
        title="Store settings"
        description={
          canWrite
            ? undefined
            : `Your role (${ROLE_LABELS[workspace.role]}) can view these settings; admins can change them.`
        }
      />
      <form
        class="form"
        onSubmit={async (event) => {
          event.preventDefault();
          if (!dirty) return;
          const updated = await save.run(patch);
          if (updated) {
            workspace.replaceStore(updated);
            setDraft(draftOf(updated));
            toast({ message: 'Settings saved' });
          }
        }}
      >
        <FormError error={error} />
        <fieldset class="fieldset" disabled={!canWrite || save.pending}>
          <Card title="General">
            <Field id="s-name" label="Name" error={error} field="name">
              <input
                {...fieldProps('s-name', error, 'name')}
                class="input"
                required
                maxLength={120}
                value={draft.name}
                onInput={(e) => set('name', e.currentTarget.value)}
              />
            </Field>
            <div class="form-row">
              <Field
                id="s-currency"
                label="Reporting currency"
                error={error}
                field="currency"
                hint="Revenue is converted to it."
              >
                <select
                  {...fieldProps('s-currency', error, 'currency')}
                  class="select"
                  value={draft.currency}
                  onChange={(e) => set('currency', e.currentTarget.value)}
                >
                  {currencyOptions(draft.currency).map((c) => (
                    <option key={c} value={c}>
                      {c} — {currencyName(c)}
                    </option>
                  ))}
                </select>
              </Field>
              <Field
                id="s-tz"
                label="Time zone"
                error={error}
                field="timeZone"
                hint="Report days start at midnight here."
              >
                <select
                  {...fieldProps('s-tz', error, 'timeZone')}
                  class="select"
                  value={draft.timeZone}
                  onChange={(e) => set('timeZone', e.currentTarget.value)}
                >
                  {timeZoneOptions(draft.timeZone).map((tz) => (
                    <option key={tz} value={tz}>
                      {tz.replace(/_/g, ' ')}
                    </option>
                  ))}
                </select>
              </Field>
            </div>
          </Card>
          <Card title="Data collection">
            <Field
              id="s-origins"
              label="Allowed origins"
              error={error}
              field="allowedOrigins"
              optional
              hint="One per line, like https://shop.example.com. Browsers on other sites cannot send events. Empty = any."
            >
              <textarea
                {...fieldProps('s-origins', error, 'allowedOrigins')}
                class="input textarea mono"
                rows={3}
                value={draft.allowedOrigins}
                onInput={(e) => set('allowedOrigins', e.currentTarget.value)}
                placeholder="https://shop.example.com"
              />
            </Field>
            <fieldset class="radio-group">
              <legend class="field-label">IP addresses</legend>
              {IP_POLICIES.map((p) => (
                <label key={p.id} class={`radio-card${draft.ipPolicy === p.id ? ' checked' : ''}`}>
                  <input
                    type="radio"
                    name="ipPolicy"
                    value={p.id}
                    checked={draft.ipPolicy === p.id}
                    onChange={() => set('ipPolicy', p.id)}
                  />
                  <span>
                    <span class="radio-title">{p.label}</span>
                    <span class="radio-text">{p.text}</span>
                  </span>
                </label>
              ))}
            </fieldset>
            <label class="check">
              <input
                type="checkbox"
                checked={draft.requiresConsent}
                onChange={(e) => set('requiresConsent', e.currentTarget.checked)}
              />
              <span>
                <span class="radio-title">Wait for consent</span>
                <span class="radio-text">The tracker sends nothing until your consent banner grants it.</span>
              </span>
            </label>
          </Card>
          <Card title="Retention and limits">
            <div class="form-row form-row-3">
              <Field
                id="s-retention"
                label="Keep events for (days)"
                error={error}
                field="retentionDays"
                hint="1–3650. Older events are deleted nightly."
              >
                <input
                  {...fieldProps('s-retention', error, 'retentionDays')}
                  class="input"
                  type="number"
                  min={1}
                  max={3650}
                  required
                  value={draft.retentionDays}
                  onInput={(e) => set('retentionDays', e.currentTarget.value)}
                />
              </Field>
              <Field
                id="s-backfill"
                label="Accept events up to (days old)"
                error={error}
                field="backfillDays"
                hint="Older timestamps are refused."
              >
                <input
                  {...fieldProps('s-backfill', error, 'backfillDays')}
                  class="input"
                  type="number"
                  min={1}
                  max={3650}
                  required
                  value={draft.backfillDays}
                  onInput={(e) => set('backfillDays', e.currentTarget.value)}
                />
              </Field>
              <Field
                id="s-keyage"
                label="Maximum key age (days)"
                error={error}
                field="maxKeyAgeDays"
                optional
                hint="Keys expire after it. Empty = no limit."
              >
                <input
                  {...fieldProps('s-keyage', error, 'maxKeyAgeDays')}
                  class="input"
                  type="number"
                  min={1}
                  max={3650}
                  value={draft.maxKeyAgeDays}
                  onInput={(e) => set('maxKeyAgeDays', e.currentTarget.value)}
                />
              </Field>
            </div>
          </Card>
        </fieldset>
        {canWrite && (
          <div class="form-actions sticky-actions">
            <span class="muted">
              {dirty ? 'Unsaved changes' : `Last changed ${formatDateTime(store.updatedAt)}`}
            </span>
            <button
              type="button"
              class="btn btn-ghost"
              disabled={!dirty || save.pending}
              onClick={() => setDraft(draftOf(store))}
            >
              Discard
            </button>
            <button type="submit" class="btn btn-primary" disabled={!dirty || save.pending}>
              {save.pending ? 'Saving…' : 'Save changes'}
            </button>
          </div>
        )}
      </form>
      {workspace.can('stores:delete') && <DeleteStore store={store} />}
    </div>
  );
}
