import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api/endpoints.js';
import { useResource } from '../api/hooks.js';
import type { LiveEvent, TrackedEvent } from '../api/types.js';
import { useStore, useWorkspace } from '../app-context.js';
import { type Column, DataTable } from '../components/data-table.js';
import { IconPause, IconPlay } from '../components/icons.js';
import { EmptyState, ResourceView } from '../components/states.js';
import { Badge, Card, PageHeader } from '../components/ui.js';
import { todayIn } from '../lib/date-range.js';
import { formatInteger, formatRelative, formatTime, summarize } from '../lib/format.js';

const POLL_MS = 5000;
const KEEP = 200;

function eventTitle(event: TrackedEvent): string {
  if (event.type === 'track') return event.event ?? '(unnamed event)';
  if (event.type === 'page' || event.type === 'screen')
    return event.name ?? event.enrichment?.path ?? `${event.type} view`;
  return event.type;
}

/** Properties and context as indented JSON, rendered as text: attacker-controlled values stay inert. */
function EventDetails({ event }: { event: TrackedEvent }) {
  return (
    <div class="event-details">
      <dl class="kv">
        <dt>Message id</dt>
        <dd class="mono">{event.messageId}</dd>
        <dt>User</dt>
        <dd class="mono">{event.userId ?? '—'}</dd>
        <dt>Anonymous id</dt>
        <dd class="mono">{event.anonymousId ?? '—'}</dd>
        <dt>Session</dt>
        <dd class="mono">{event.sessionId ?? '—'}</dd>
        <dt>Sent</dt>
        <dd>{event.timestamp}</dd>
        <dt>Received</dt>
        <dd>{event.receivedAt}</dd>
      </dl>
      <h3 class="subheading">Properties</h3>
      <pre class="json">{JSON.stringify(event.properties ?? {}, null, 2)}</pre>
      {Object.keys(event.traits ?? {}).length > 0 && (
        <>
          <h3 class="subheading">Traits</h3>
          <pre class="json">{JSON.stringify(event.traits, null, 2)}</pre>
        </>
      )}
      <h3 class="subheading">Derived at ingest</h3>
      <dl class="kv">
        {Object.entries(event.enrichment ?? {})
          .filter(([, value]) => value !== null && value !== false)
          .map(([name, value]) => (
            <div key={name} class="kv-row">
              <dt>{name}</dt>
              <dd>{summarize(value)}</dd>
            </div>
          ))}
      </dl>
      <h3 class="subheading">Context</h3>
      <pre class="json">{JSON.stringify(event.context ?? {}, null, 2)}</pre>
    </div>
  );
}

function EventStream({ storeId, timeZone }: { storeId: string; timeZone: string }) {
  const [paused, setPaused] = useState(false);
  const [events, setEvents] = useState<TrackedEvent[]>([]);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [open, setOpen] = useState<string | null>(null);
  const seen = useRef(new Set<string>());
  const page = useResource(`live-events:${storeId}`, (signal) => api.events(storeId, { limit: 50 }, signal), {
    pollMs: paused ? undefined : POLL_MS,
  });

  // Merge each poll into the stream: new events on top, highlighted for a moment.
  useEffect(() => {
    const items = page.data?.items;
    if (!items) return;
    const first = seen.current.size === 0;
    const added = items.filter((e) => !seen.current.has(e.id));
    if (added.length === 0) return;
    for (const e of added) seen.current.add(e.id);
    setEvents((list) => [...added, ...list].slice(0, KEEP));
    if (!first) setFresh(new Set(added.map((e) => e.id)));
  }, [page.data]);

  const columns: Column<TrackedEvent>[] = [
    {
      key: 'time',
      label: 'Time',
      value: (e) => e.receivedAt,
      render: (e) => <time dateTime={e.receivedAt}>{formatTime(e.receivedAt, timeZone)}</time>,
      sortable: false,
    },
    {
      key: 'type',
      label: 'Type',
      value: (e) => e.type,
      render: (e) => <Badge tone={e.type === 'track' ? 'brand' : 'neutral'}>{e.type}</Badge>,
      sortable: false,
    },
    {
      key: 'event',
      label: 'Event',
      value: (e) => eventTitle(e),
      render: (e) => (
        <button
          type="button"
          class="link-button event-name"
          aria-expanded={open === e.id}
          onClick={() => setOpen((o) => (o === e.id ? null : e.id))}
        >
          {eventTitle(e)}
        </button>
      ),
      sortable: false,
    },
    {
      key: 'path',
      label: 'Page',
      value: (e) => e.enrichment?.path ?? null,
      render: (e) => <span class="mono truncate">{e.enrichment?.path ?? '—'}</span>,
      sortable: false,
      secondary: true,
    },
    {
      key: 'channel',
      label: 'Channel',
      value: (e) => e.enrichment?.channel ?? null,
      sortable: false,
      secondary: true,
    },
    {
      key: 'who',
      label: 'Visitor',
      value: (e) => e.userId ?? e.anonymousId,
      render: (e) => <span class="mono truncate">{e.userId ?? e.anonymousId?.slice(0, 12) ?? '—'}</span>,
      sortable: false,
      secondary: true,
    },
    { key: 'properties', label: 'Properties', value: (e) => summarize(e.properties), hidden: true },
  ];

  const selected = events.find((e) => e.id === open);

  return (
    <Card
      title="Event stream"
      subtitle={
        paused
          ? 'Paused'
          : page.loadedAt
            ? `Updates every ${POLL_MS / 1000} s · last ${formatRelative(new Date(page.loadedAt).toISOString())}`
            : 'Connecting…'
      }
      flush
      actions={
        <button
          type="button"
          class="btn btn-secondary btn-sm"
          aria-pressed={paused}
          onClick={() => setPaused((p) => !p)}
        >
          {paused ? <IconPlay /> : <IconPause />} {paused ? 'Resume' : 'Pause'}
        </button>
      }
    >
      <ResourceView
        state={page}
        label="Connecting to the event stream"
        what="The event stream"
        rows={6}
        isEmpty={() => events.length === 0}
        empty={
          <EmptyState title="Waiting for events">
            Events appear here within seconds of being sent. Open your store in another tab to see your own
            visit.
          </EmptyState>
        }
      >
        {() => (
          <>
            <div class="sr-only" aria-live="polite">
              {fresh.size > 0 ? `${fresh.size} new event${fresh.size === 1 ? '' : 's'}` : ''}
            </div>
            <DataTable
              caption="Latest events"
              rows={events}
              columns={columns}
              rowKey={(e) => e.id}
              rowClass={(e) => (fresh.has(e.id) ? 'row-fresh' : open === e.id ? 'row-open' : undefined)}
              exportName={['live events', todayIn(timeZone)]}
            />
            {selected && (
              <section class="event-panel" aria-label={`Details of ${eventTitle(selected)}`}>
                <header class="card-header">
                  <h3 class="card-title">{eventTitle(selected)}</h3>
                  <button type="button" class="btn btn-ghost btn-sm" onClick={() => setOpen(null)}>
                    Close
                  </button>
                </header>
                <EventDetails event={selected} />
              </section>
            )}
          </>
        )}
      </ResourceView>
    </Card>
  );
}

const LIVE_MINUTES = 30;

/** The last half hour: counts, the pages in view, and (for roles without raw events) the events themselves. */
function RightNow({
  storeId,
  withEvents,
  timeZone,
}: {
  storeId: string;
  withEvents: boolean;
  timeZone: string;
}) {
  const live = useResource(
    `live:${storeId}`,
    (signal) => api.live(storeId, { minutes: LIVE_MINUTES, limit: 100 }, signal),
    {
      pollMs: POLL_MS,
    },
  );
  return (
    <>
      <Card title="Right now">
        <ResourceView state={live} label="Loading live visitors" what="Live counts" rows={2}>
          {(data) => {
            const pages = new Map<string, number>();
            for (const e of data.events) if (e.path) pages.set(e.path, (pages.get(e.path) ?? 0) + 1);
            const top = [...pages.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6);
            return (
              <div class="live-now">
                <p class="live-count">
                  <span class="pulse" aria-hidden="true" />
                  <span class="live-number">{formatInteger(data.counts.visitors)}</span>
                  <span class="live-label">visitors in the last {data.minutes} minutes</span>
                </p>
                <dl class="live-stats">
                  <div>
                    <dt>Sessions</dt>
                    <dd>{formatInteger(data.counts.sessions)}</dd>
                  </div>
                  <div>
                    <dt>Page views</dt>
                    <dd>{formatInteger(data.counts.pageViews)}</dd>
                  </div>
                  <div>
                    <dt>Events</dt>
                    <dd>{formatInteger(data.counts.events)}</dd>
                  </div>
                </dl>
                {top.length > 0 && (
                  <ul class="live-pages" aria-label="Pages being viewed">
                    {top.map(([path, count]) => (
                      <li key={path}>
                        <span class="mono truncate">{path}</span>
                        <span class="num">{formatInteger(count)}</span>
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            );
          }}
        </ResourceView>
      </Card>
      {!withEvents && live.data && (
        <Card title="Latest events" subtitle="Names and pages; raw properties need the analyst role" flush>
          <DataTable
            caption="Latest events"
            rows={live.data.events}
            columns={[
              {
                key: 'time',
                label: 'Time',
                value: (e: LiveEvent) => e.timestamp,
                render: (e: LiveEvent) => formatTime(e.timestamp, timeZone),
                sortable: false,
              },
              {
                key: 'event',
                label: 'Event',
                value: (e: LiveEvent) => e.event ?? e.name ?? e.type,
                sortable: false,
              },
              {
                key: 'path',
                label: 'Page',
                value: (e: LiveEvent) => e.path,
                sortable: false,
                secondary: true,
              },
              {
                key: 'channel',
                label: 'Channel',
                value: (e: LiveEvent) => e.channel,
                sortable: false,
                secondary: true,
              },
            ]}
            rowKey={(e) => e.id}
            exportName={['live events']}
            empty={<p class="table-empty">No events in the last {LIVE_MINUTES} minutes.</p>}
          />
        </Card>
      )}
    </>
  );
}

export function LivePage() {
  const store = useStore();
  const { can } = useWorkspace();
  return (
    <div class="page">
      <PageHeader title="Live" description="Who is on your store now, and every event as it arrives." />
      <div class="live-layout">
        <div class="live-side">
          <RightNow storeId={store.id} withEvents={can('events:read')} timeZone={store.timeZone} />
        </div>
        {can('events:read') && <EventStream storeId={store.id} timeZone={store.timeZone} />}
      </div>
    </div>
  );
}
