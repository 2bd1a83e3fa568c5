import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api/endpoints.js';
import { useAction, useResource } from '../api/hooks.js';
import type { TrackedEvent } from '../api/types.js';
import { useStore, useWorkspace } from '../app-context.js';
import { CodeBlock } from '../components/copy-button.js';
import { IconCheck } from '../components/icons.js';
import { FormError, Spinner } from '../components/states.js';
import { PageHeader, Tabs } from '../components/ui.js';
import { formatRelative } from '../lib/format.js';
import { hrefTo, useLocation } from '../lib/router.js';

const POLL_MS = 3000;

export function installSnippet(origin: string, writeKey: string): string {
  return `<script defer src="${origin}/footfall.js" data-write-key="${writeKey}"></script>`;
}

function serverSideExample(origin: string, writeKey: string): string {
  return [
    `curl -X POST ${origin}/v1/track \\`,
    `  -u '${writeKey}:' \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d '{"event":"Order Completed","userId":"customer-42","properties":{"order_id":"1001","revenue":59.9,"currency":"EUR"}}'`,
  ].join('\n');
}

function Step({
  number,
  title,
  done,
  children,
}: {
  number: number;
  title: string;
  done: boolean;
  children: ComponentChildren;
}) {
  return (
    <li class={`step${done ? ' done' : ''}`}>
      <span class="step-marker" aria-hidden="true">
        {done ? <IconCheck /> : number}
      </span>
      <div class="step-body">
        <h2 class="step-title">
          {title}
          {done && <span class="sr-only"> (done)</span>}
        </h2>
        {children}
      </div>
    </li>
  );
}

type Listening =
  | { state: 'waiting' }
  | { state: 'received'; event: TrackedEvent }
  | { state: 'unavailable' }
  | { state: 'forbidden' }
  | { state: 'error'; detail: string };

/** Polls the newest event until there is one: the guide's last step turns green when it arrives. */
function useFirstEvent(storeId: string, enabled: boolean): Listening {
  const [received, setReceived] = useState<TrackedEvent | null>(null);
  const events = useResource(
    enabled && !received ? `first-event:${storeId}` : null,
    async (signal) => {
      const page = await api.events(storeId, { limit: 1 }, signal);
      const first = page.items[0];
      if (first) setReceived(first);
      return page;
    },
    { pollMs: POLL_MS },
  );
  if (!enabled) return { state: 'forbidden' };
  if (received) return { state: 'received', event: received };
  if (events.error?.isMissingEndpoint) return { state: 'unavailable' };
  if (events.error?.isForbidden) return { state: 'forbidden' };
  if (events.error && !events.data) return { state: 'error', detail: events.error.problem.detail };
  return { state: 'waiting' };
}

/**
 * The first-run guide: create a write key, paste the snippet, see the first event arrive. A write key is shown
 * only when it is created, so the snippet is built from the key this page just made (or one pasted in).
 */
export function SetupGuidePage() {
  const store = useStore();
  const { can } = useWorkspace();
  const { query } = useLocation();
  const origin = window.location.origin;
  const [writeKey, setWriteKey] = useState<string | null>(null);
  const [pasted, setPasted] = useState('');
  const create = useAction(() => api.createKey(store.id, { type: 'publishable', name: 'Website snippet' }));
  const keys = useResource(can('keys:read') ? `keys:${store.id}` : null, (signal) =>
    api.keys(store.id, signal),
  );
  const existing = (keys.data?.items ?? []).filter((k) => k.type === 'publishable' && k.status === 'active');
  const listening = useFirstEvent(store.id, can('events:read'));
  const method = query.get('method') === 'http' ? 'http' : 'script';
  const key = writeKey ?? (/^ff_pub_\S+$/.test(pasted.trim()) ? pasted.trim() : null);

  return (
    <div class="page page-narrow">
      <PageHeader
        title={`Install Footfall on ${store.name}`}
        description="Three steps, about two minutes. Events show up in reports within seconds."
      />
      <ol class="steps">
        <Step number={1} title="Create a write key" done={key !== null}>
          <p class="muted">
            A write key can only send events to this store, so it is safe to put in your pages. Like every
            key, it is shown once.
          </p>
          {writeKey ? (
            <p class="notice notice-success" role="status">
              <IconCheck /> Write key created — it is already in the snippet below.
            </p>
          ) : can('keys:write') ? (
            <div class="step-actions">
              <FormError error={create.error} />
              <button
                type="button"
                class="btn btn-primary"
                disabled={create.pending}
                onClick={async () => {
                  const created = await create.run();
                  if (created) {
                    setWriteKey(created.key);
                    keys.reload();
                  }
                }}
              >
                {create.pending ? 'Creating…' : 'Create write key'}
              </button>
              {existing.length > 0 && (
                <span class="muted">
                  This store already has {existing.length} active write key{existing.length === 1 ? '' : 's'}.
                </span>
              )}
            </div>
          ) : (
            <p class="notice">
              Only admins can create keys. Ask one for this store's write key and paste it below.
            </p>
          )}
          {!writeKey && (
            <details class="disclosure">
              <summary>I already have a write key</summary>
              <div class="field">
                <label class="field-label" for="pasted-key">
                  Write key
                </label>
                <input
                  id="pasted-key"
                  class="input input-mono"
                  placeholder="ff_pub_…"
                  value={pasted}
                  autocomplete="off"
                  spellcheck={false}
                  onInput={(e) => setPasted(e.currentTarget.value)}
                />
              </div>
            </details>
          )}
        </Step>
        <Step
          number={2}
          title="Add the snippet to every page"
          done={key !== null && listening.state === 'received'}
        >
          <Tabs
            label="Installation method"
            current={method}
            items={[
              { id: 'script', label: 'Script tag' },
              { id: 'http', label: 'Server-side (HTTP API)' },
            ]}
            hrefFor={(id) => hrefTo(['stores', store.id, 'setup'], id === 'http' ? { method: 'http' } : {})}
          />
          {method === 'script' ? (
            <>
              <p class="muted">
                Paste it before <code>&lt;/head&gt;</code> in your theme. It loads without blocking the page
                and tracks page views, sessions and campaign parameters on its own.
              </p>
              <CodeBlock
                id="install-snippet"
                label="Install snippet"
                code={installSnippet(origin, key ?? 'ff_pub_YOUR_WRITE_KEY')}
              />
            </>
          ) : (
            <>
              <p class="muted">
                For orders, refunds and anything your backend knows best. Segment-compatible, so existing
                Segment libraries work too.
              </p>
              <CodeBlock
                id="server-snippet"
                label="Server-side example"
                code={serverSideExample(origin, key ?? 'ff_pub_YOUR_WRITE_KEY')}
              />
            </>
          )}
        </Step>
        <Step number={3} title="See your first event" done={listening.state === 'received'}>
          {listening.state === 'received' ? (
            <div class="first-event" role="status">
              <p>
                <strong>It works.</strong> Received{' '}
                <span class="mono">
                  {listening.event.event ?? listening.event.name ?? listening.event.type}
                </span>
                {listening.event.enrichment?.path && (
                  <>
                    {' '}
                    on <span class="mono">{listening.event.enrichment?.path}</span>
                  </>
                )}{' '}
                {formatRelative(listening.event.receivedAt)}.
              </p>
              <a class="btn btn-primary" href={hrefTo(['stores', store.id, 'overview'])}>
                Open the overview
              </a>
            </div>
          ) : listening.state === 'waiting' ? (
            <p class="listening" role="status">
              <Spinner /> Listening for events… Open your site in another tab.
            </p>
          ) : listening.state === 'unavailable' ? (
            <p class="notice">
              This server cannot list events yet. Once your site sends events, they will appear in the
              reports.
            </p>
          ) : listening.state === 'forbidden' ? (
            <p class="notice">Your role cannot read raw events; check the Overview once your site is live.</p>
          ) : (
            <p class="notice notice-error">{listening.detail}</p>
          )}
        </Step>
      </ol>
    </div>
  );
}
