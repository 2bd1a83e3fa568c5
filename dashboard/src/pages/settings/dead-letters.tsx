import { useState } from 'preact/hooks';
import { api } from '../../api/endpoints.js';
import { useAction, useResource } from '../../api/hooks.js';
import type { DeadLetter, ReplayResult } from '../../api/types.js';
import { useStore, useWorkspace } from '../../app-context.js';
import { type Column, DataTable } from '../../components/data-table.js';
import { IconInbox } from '../../components/icons.js';
import { Modal } from '../../components/modal.js';
import { EmptyState, FormError, ResourceView } from '../../components/states.js';
import { useToast } from '../../components/toast.js';
import { Badge, Card, PageHeader } from '../../components/ui.js';
import { formatInteger, formatWhen } from '../../lib/format.js';

/** The buffered entry, parsed when it is JSON; its event name for the list. Never rendered as markup. */
function parsePayload(letter: DeadLetter): { pretty: string; title: string | null } {
  try {
    const value = JSON.parse(letter.payload) as unknown;
    const event = (value as { event?: unknown })?.event;
    const inner = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : value;
    const record = (inner ?? {}) as Record<string, unknown>;
    const title =
      [record.event, record.name, record.type].find((v): v is string => typeof v === 'string') ?? null;
    return { pretty: JSON.stringify(value, null, 2), title };
  } catch {
    return { pretty: letter.payload, title: null };
  }
}

const OUTCOME_TEXT: Record<ReplayResult['outcome'], string> = {
  stored: 'Event stored',
  duplicate: 'Already stored — nothing to do',
  suppressed: 'Not stored: the person asked to be erased',
};

/** Events the pipeline could not store: why, the payload as received (as text), and replay once fixed. */
export function DeadLettersPage() {
  const store = useStore();
  const { can } = useWorkspace();
  const toast = useToast();
  const [showReplayed, setShowReplayed] = useState(false);
  const letters = useResource(`dead-letters:${store.id}:${showReplayed}`, (signal) =>
    api.deadLetters(store.id, { limit: 100, includeReplayed: showReplayed }, signal),
  );
  const [inspecting, setInspecting] = useState<DeadLetter | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const replay = useAction(api.replayDeadLetter);
  const canReplay = can('deadletters:write');
  const pending = (letters.data?.items ?? []).filter((d) => !d.replayedAt);

  // Replays one by one so the progress is real and one failure does not stop the rest.
  const replayAll = async () => {
    let failed = 0;
    setProgress({ done: 0, total: pending.length });
    for (const [index, letter] of pending.entries()) {
      if (!(await replay.run(store.id, letter.id))) failed += 1;
      setProgress({ done: index + 1, total: pending.length });
    }
    setProgress(null);
    letters.reload();
    toast({
      message: failed
        ? `${pending.length - failed} replayed, ${failed} failed again`
        : `${pending.length} events replayed`,
      tone: failed ? 'error' : 'success',
    });
  };

  const columns: Column<DeadLetter>[] = [
    {
      key: 'createdAt',
      label: 'Received',
      value: (d) => d.createdAt,
      render: (d) => formatWhen(d.createdAt),
    },
    {
      key: 'event',
      label: 'Event',
      value: (d) => parsePayload(d).title,
      render: (d) => (
        <button type="button" class="link-button" onClick={() => setInspecting(d)}>
          {parsePayload(d).title ?? '(unparseable)'}
        </button>
      ),
    },
    {
      key: 'reason',
      label: 'Reason',
      value: (d) => d.reason,
      render: (d) => <span class="truncate">{d.reason}</span>,
    },
    {
      key: 'attempts',
      label: 'Attempts',
      numeric: true,
      value: (d) => d.attempts,
      format: formatInteger,
      secondary: true,
    },
    {
      key: 'replayedAt',
      label: 'Replayed',
      value: (d) => d.replayedAt,
      render: (d) => (d.replayedAt ? <Badge tone="success">replayed {formatWhen(d.replayedAt)}</Badge> : '—'),
    },
    { key: 'messageId', label: 'Message id', value: (d) => d.messageId, hidden: true },
    { key: 'payload', label: 'Payload', value: (d) => d.payload, hidden: true },
  ];

  return (
    <div class="page">
      <PageHeader
        title="Dead letters"
        description="Events that could not be stored after retries. Nothing is dropped silently: inspect them, fix the cause, replay."
        actions={
          canReplay &&
          pending.length > 0 && (
            <button
              type="button"
              class="btn btn-primary"
              disabled={progress !== null}
              onClick={() => void replayAll()}
            >
              {progress ? `Replaying ${progress.done}/${progress.total}…` : `Replay all (${pending.length})`}
            </button>
          )
        }
      />
      {progress && (
        <progress
          class="progress-wide"
          max={progress.total}
          value={progress.done}
          aria-label="Replay progress"
        />
      )}
      <FormError error={replay.error} />
      <Card
        flush
        title="Dead letters"
        subtitle={showReplayed ? 'Including replayed' : 'Waiting for a replay'}
        actions={
          <label class="check check-inline">
            <input
              type="checkbox"
              checked={showReplayed}
              onChange={(e) => setShowReplayed(e.currentTarget.checked)}
            />
            <span>Show replayed</span>
          </label>
        }
      >
        <ResourceView
          state={letters}
          label="Loading dead letters"
          what="Dead letters"
          isEmpty={(d) => d.items.length === 0}
          empty={
            <EmptyState title="No dead letters" icon={<IconInbox />}>
              Every event sent to this store was stored.
            </EmptyState>
          }
        >
          {(data) => (
            <DataTable
              caption="Dead letters"
              rows={data.items}
              columns={columns}
              rowKey={(d) => d.id}
              exportName={[store.name, 'dead letters']}
              initialSort={{ key: 'createdAt', descending: true }}
            />
          )}
        </ResourceView>
      </Card>
      {inspecting && (
        <Modal
          title={parsePayload(inspecting).title ?? 'Dead letter'}
          description={inspecting.reason}
          size="lg"
          onClose={() => setInspecting(null)}
          footer={
            <>
              <button type="button" class="btn btn-ghost" onClick={() => setInspecting(null)}>
                Close
              </button>
              {canReplay && !inspecting.replayedAt && (
                <button
                  type="button"
                  class="btn btn-primary"
                  disabled={replay.pending}
                  onClick={async () => {
                    const result = await replay.run(store.id, inspecting.id);
                    if (!result) return;
                    setInspecting(null);
                    letters.reload();
                    toast({ message: OUTCOME_TEXT[result.outcome] });
                  }}
                >
                  {replay.pending ? 'Replaying…' : 'Replay'}
                </button>
              )}
            </>
          }
        >
          <FormError error={replay.error} />
          <pre class="json">{parsePayload(inspecting).pretty}</pre>
        </Modal>
      )}
    </div>
  );
}
