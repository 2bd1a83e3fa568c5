import { useState } from 'preact/hooks';
import { api } from '../api/endpoints.js';
import { useAction } from '../api/hooks.js';
import { useSession, useWorkspace } from '../app-context.js';
import { IconStore } from '../components/icons.js';
import { EmptyState, FormError } from '../components/states.js';
import { Card, Field, fieldProps, PageHeader } from '../components/ui.js';
import { browserTimeZone, currencyName, currencyOptions, timeZoneOptions } from '../lib/locale-options.js';
import { hrefTo, navigate } from '../lib/router.js';

/** First sign-in of a user without an organization, or "+ New organization" from the switcher. */
export function CreateOrganizationPage() {
  const session = useSession();
  const [name, setName] = useState('');
  const create = useAction(api.createOrganization);
  const hasOrganizations = session.me.organizations.length > 0;
  return (
    <form
      class="card fullpage-card"
      onSubmit={async (event) => {
        event.preventDefault();
        const org = await create.run(name.trim());
        if (!org) return;
        await session.refresh();
        navigate(['orgs', org.id, 'new-store']);
      }}
    >
      <h1 class="page-title">{hasOrganizations ? 'New organization' : 'Welcome to Footfall'}</h1>
      <p class="page-description">
        An organization holds your stores and the people who work on them. You will be its owner.
      </p>
      <FormError error={create.error} />
      <Field
        id="org-name"
        label="Organization name"
        error={create.error}
        field="name"
        hint="Your company or team."
      >
        <input
          {...fieldProps('org-name', create.error, 'name')}
          class="input"
          required
          maxLength={120}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
          placeholder="Acme Outdoor Ltd"
        />
      </Field>
      <div class="form-actions">
        {hasOrganizations && (
          <a class="btn btn-ghost" href="#/">
            Cancel
          </a>
        )}
        <button type="submit" class="btn btn-primary" disabled={create.pending}>
          {create.pending ? 'Creating…' : 'Create organization'}
        </button>
      </div>
    </form>
  );
}

export function CreateStorePage() {
  const workspace = useWorkspace();
  const [name, setName] = useState('');
  const [currency, setCurrency] = useState('USD');
  const [timeZone, setTimeZone] = useState(browserTimeZone());
  const create = useAction((input: { name: string; currency: string; timeZone: string }) =>
    api.createStore(workspace.org.id, input),
  );
  if (!workspace.can('stores:create')) {
    return (
      <EmptyState title="Only admins can create stores" icon={<IconStore />}>
        Ask an owner or admin of {workspace.org.name} to add the store.
      </EmptyState>
    );
  }
  return (
    <div class="page page-narrow">
      <PageHeader
        title="Create a store"
        description={`A store is one website or shop. Its events, reports and keys stay separate from the other stores of ${workspace.org.name}.`}
      />
      <Card>
        <form
          class="form"
          onSubmit={async (event) => {
            event.preventDefault();
            const store = await create.run({ name: name.trim(), currency, timeZone });
            if (!store) return;
            workspace.reloadStores();
            navigate(['stores', store.id, 'setup']);
          }}
        >
          <FormError error={create.error} />
          <Field
            id="store-name"
            label="Store name"
            error={create.error}
            field="name"
            hint="Shown in the dashboard only."
          >
            <input
              {...fieldProps('store-name', create.error, 'name')}
              class="input"
              required
              maxLength={120}
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
              placeholder="Acme Outdoor — EU shop"
            />
          </Field>
          <div class="form-row">
            <Field
              id="store-currency"
              label="Reporting currency"
              error={create.error}
              field="currency"
              hint="Revenue in other currencies is converted to it."
            >
              <select
                {...fieldProps('store-currency', create.error, 'currency')}
                class="select"
                value={currency}
                onChange={(e) => setCurrency(e.currentTarget.value)}
              >
                {currencyOptions(currency).map((c) => (
                  <option key={c} value={c}>
                    {c} — {currencyName(c)}
                  </option>
                ))}
              </select>
            </Field>
            <Field
              id="store-timezone"
              label="Time zone"
              error={create.error}
              field="timeZone"
              hint="Days in reports start at midnight here."
            >
              <select
                {...fieldProps('store-timezone', create.error, 'timeZone')}
                class="select"
                value={timeZone}
                onChange={(e) => setTimeZone(e.currentTarget.value)}
              >
                {timeZoneOptions(timeZone).map((tz) => (
                  <option key={tz} value={tz}>
                    {tz.replace(/_/g, ' ')}
                  </option>
                ))}
              </select>
            </Field>
          </div>
          <div class="form-actions">
            <a
              class="btn btn-ghost"
              href={workspace.stores[0] ? hrefTo(['stores', workspace.stores[0].id, 'overview']) : '#/'}
            >
              Cancel
            </a>
            <button type="submit" class="btn btn-primary" disabled={create.pending}>
              {create.pending ? 'Creating…' : 'Create store'}
            </button>
          </div>
        </form>
      </Card>
    </div>
  );
}

/** An organization without stores. */
export function NoStoresPage() {
  const workspace = useWorkspace();
  return (
    <div class="page">
      <EmptyState
        title={`${workspace.org.name} has no stores yet`}
        icon={<IconStore />}
        action={
          workspace.can('stores:create') ? (
            <a class="btn btn-primary" href={hrefTo(['orgs', workspace.org.id, 'new-store'])}>
              Create your first store
            </a>
          ) : undefined
        }
      >
        {workspace.can('stores:create')
          ? 'Create a store, paste one snippet into your site, and your first visitors appear within seconds.'
          : 'An owner or admin needs to create one. You will see its reports here as soon as they do.'}
      </EmptyState>
    </div>
  );
}
