import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api/endpoints.js';
import { useAction } from '../../api/hooks.js';
import { useSession, useWorkspace } from '../../app-context.js';
import { FormError } from '../../components/states.js';
import { useToast } from '../../components/toast.js';
import { Card, Field, fieldProps, PageHeader } from '../../components/ui.js';
import { ROLE_LABELS } from '../../lib/permissions.js';

/** Settings → Organization: its name, as every member sees it in the switcher. Owners and admins rename it. */
export function OrganizationSettingsPage() {
  const session = useSession();
  const workspace = useWorkspace();
  const toast = useToast();
  const { org } = workspace;
  const canWrite = workspace.can('org:write');
  const [name, setName] = useState(org.name);
  const rename = useAction((next: string) => api.renameOrganization(org.id, next));
  useEffect(() => setName(org.name), [org.id, org.name]);
  const dirty = name.trim() !== org.name && name.trim() !== '';
  const error = rename.error;

  return (
    <div class="page page-narrow">
      <PageHeader
        title="Organization"
        description={
          canWrite
            ? 'The organization holds your stores, members and audit log.'
            : `Your role (${ROLE_LABELS[workspace.role]}) can view the organization; admins can rename it.`
        }
      />
      <form
        class="form"
        onSubmit={async (event) => {
          event.preventDefault();
          if (!dirty) return;
          const renamed = await rename.run(name.trim());
          if (!renamed) return;
          // The switcher and every page title read the name from /me.
          await session.refresh();
          toast({ message: `Renamed to ${renamed.name}` });
        }}
      >
        <FormError error={error} />
        <fieldset class="fieldset" disabled={!canWrite || rename.pending}>
          <Card title="General">
            <Field
              id="org-name"
              label="Organization name"
              error={error}
              field="name"
              hint="Shown to every member in the organization switcher."
            >
              <input
                {...fieldProps('org-name', error, 'name')}
                class="input"
                required
                maxLength={120}
                value={name}
                onInput={(e) => {
                  setName(e.currentTarget.value);
                  if (rename.error) rename.reset();
                }}
              />
            </Field>
            <dl class="kv org-facts">
              <div class="kv-row">
                <dt>Organization ID</dt>
                <dd class="mono">{org.id}</dd>
              </div>
              <div class="kv-row">
                <dt>Your role</dt>
                <dd>{ROLE_LABELS[workspace.role]}</dd>
              </div>
              <div class="kv-row">
                <dt>Stores</dt>
                <dd>{workspace.storesLoading ? '…' : workspace.stores.length}</dd>
              </div>
            </dl>
          </Card>
        </fieldset>
        {canWrite && (
          <div class="form-actions">
            <button
              type="button"
              class="btn btn-ghost"
              disabled={!dirty || rename.pending}
              onClick={() => setName(org.name)}
            >
              Discard
            </button>
            <button type="submit" class="btn btn-primary" disabled={!dirty || rename.pending}>
              {rename.pending ? 'Saving…' : 'Rename organization'}
            </button>
          </div>
        )}
      </form>
    </div>
  );
}
