import { useState } from 'preact/hooks';
import { api } from '../../api/endpoints.js';
import { useResource } from '../../api/hooks.js';
import type { CronJob, CronRun } from '../../api/types.js';
import { useWorkspace } from '../../app-context.js';
import { CodeBlock } from '../../components/copy-button.js';
import { type Column, DataTable } from '../../components/data-table.js';
import { ResourceView } from '../../components/states.js';
import { Badge, type BadgeTone, Card, PageHeader } from '../../components/ui.js';
import {
  formatDateTime,
  formatDuration,
  formatInteger,
  formatRelative,
  formatWhen,
  summarize,
} from '../../lib/format.js';

const RUN_TONE: Record<CronRun['status'], BadgeTone> = {
  running: 'info',
  succeeded: 'success',
  failed: 'danger',
};

export function schedulerSnippets(origin: string): { id: string; label: string; code: string }[] {
  return [
    {
      id: 'crontab',
      label: 'crontab',
      code: `* * * * * curl -fsS -X POST -H "Authorization: Bearer $FOOTFALL_CRON_TOKEN" ${origin}/api/cron/tick`,
    },
    {
      id: 'k8s',
      label: 'Kubernetes CronJob',
      code: [
        'apiVersion: batch/v1',
        'kind: CronJob',
        'metadata: { name: footfall-tick }',
        'spec:',
        '  schedule: "* * * * *"',
        '  concurrencyPolicy: Allow',
        '  jobTemplate:',
        '    spec:',
        '      template:',
        '        spec:',
        '          restartPolicy: Never',
        '          containers:',
        '            - name: tick',
        '              image: curlimages/curl',
        `              args: ["-fsS", "-X", "POST", "-H", "Authorization: Bearer $(FOOTFALL_CRON_TOKEN)", "${origin}/api/cron/tick"]`,
        '              env:',
        '                - name: FOOTFALL_CRON_TOKEN',
        '                  valueFrom: { secretKeyRef: { name: footfall, key: cron-token } }',
      ].join('\n'),
    },
  ];
}

/** `ipPolicies` → `ip policies`. */
const words = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();

/**
 * A job's result in a few words (`2 requests · 0 files pruned`): counts of its lists and its numbers. The full
 * JSON stays in the cell's title and in the CSV.
 */
export function describeResult(result: unknown): string {
  if (result === null || result === undefined) return '';
  if (typeof result !== 'object' || Array.isArray(result)) {
    return Array.isArray(result) ? `${formatInteger(result.length)} items` : summarize(result);
  }
  const parts: string[] = [];
  for (const [key, value] of Object.entries(result)) {
    if (Array.isArray(value)) parts.push(`${formatInteger(value.length)} ${words(key)}`);
    else if (typeof value === 'number') parts.push(`${words(key)} ${formatInteger(value)}`);
    else if (typeof value === 'string' && value.length <= 40) parts.push(`${words(key)} ${value}`);
    else if (value && typeof value === 'object') {
      const inner = Object.entries(value).filter(([, v]) => typeof v === 'number');
      if (inner.length > 0) {
        parts.push(
          `${words(key)}: ${inner.map(([k, v]) => `${words(k)} ${formatInteger(v as number)}`).join(', ')}`,
        );
      }
    }
  }
  return parts.length > 0 ? parts.join(' · ') : summarize(result);
}

function runDuration(run: CronRun): number | null {
  if (!run.finishedAt) return null;
  return (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000;
}

function Snippets() {
  const snippets = schedulerSnippets(window.location.origin);
  const [current, setCurrent] = useState(snippets[0]!.id);
  const shown = snippets.find((s) => s.id === current) ?? snippets[0]!;
  return (
    <Card
      title="Scheduler"
      subtitle="Footfall does not run its own clock: point any scheduler at the tick endpoint once a minute. Each job runs exactly once per slot, however many instances are called."
    >
      <fieldset class="segmented">
        <legend class="sr-only">Scheduler</legend>
        {snippets.map((s) => (
          <button
            key={s.id}
            type="button"
            class="segment"
            aria-pressed={s.id === current}
            onClick={() => setCurrent(s.id)}
          >
            {s.label}
          </button>
        ))}
      </fieldset>
      <CodeBlock id="scheduler-snippet" label={`${shown.label} snippet`} code={shown.code} />
      <p class="muted">
        Create the token with <code>footfall cron token create</code>; it is separate from user sessions and
        API keys.
      </p>
    </Card>
  );
}

export function JobsPage() {
  const { org } = useWorkspace();
  const jobs = useResource(`cron-jobs:${org.id}`, (signal) => api.cronJobs(org.id, signal), {
    pollMs: 15_000,
  });
  const runs = useResource(`cron-runs:${org.id}`, (signal) => api.cronRuns(org.id, { limit: 50 }, signal), {
    pollMs: 15_000,
  });
  const jobColumns: Column<CronJob>[] = [
    {
      key: 'name',
      label: 'Job',
      value: (j) => j.name,
      render: (j) => (
        <span class="job">
          <span class="mono">{j.name}</span>
          <span class="job-description">{j.description}</span>
        </span>
      ),
    },
    {
      key: 'schedule',
      label: 'Schedule (UTC)',
      value: (j) => j.schedule,
      render: (j) => <code>{j.schedule}</code>,
    },
    {
      key: 'lastRun',
      label: 'Last run',
      value: (j) => j.lastRun?.startedAt ?? null,
      render: (j) =>
        j.lastRun ? (
          <span title={formatDateTime(j.lastRun.startedAt)}>{formatRelative(j.lastRun.startedAt)}</span>
        ) : (
          'never'
        ),
    },
    {
      key: 'result',
      label: 'Last result',
      value: (j) => j.lastRun?.status ?? null,
      render: (j) =>
        j.lastRun ? (
          <span class="status-cell">
            <Badge tone={RUN_TONE[j.lastRun.status]}>{j.lastRun.status}</Badge>
            <span class="truncate muted" title={j.lastRun.error ?? summarize(j.lastRun.result)}>
              {j.lastRun.error ?? describeResult(j.lastRun.result)}
            </span>
          </span>
        ) : (
          '—'
        ),
    },
  ];
  const runColumns: Column<CronRun>[] = [
    {
      key: 'startedAt',
      label: 'Started',
      value: (r) => r.startedAt,
      render: (r) => formatWhen(r.startedAt),
    },
    { key: 'job', label: 'Job', value: (r) => r.job, render: (r) => <span class="mono">{r.job}</span> },
    {
      key: 'status',
      label: 'Status',
      value: (r) => r.status,
      render: (r) => <Badge tone={RUN_TONE[r.status]}>{r.status}</Badge>,
    },
    { key: 'duration', label: 'Duration', numeric: true, value: runDuration, format: formatDuration },
    {
      key: 'rows',
      label: 'Rows',
      numeric: true,
      value: (r) => r.rowsAffected,
      format: formatInteger,
      secondary: true,
    },
    { key: 'instance', label: 'Instance', value: (r) => r.instance, secondary: true },
    {
      key: 'result',
      label: 'Result',
      value: (r) => r.error ?? summarize(r.result),
      render: (r) => (
        <span class="truncate" title={r.error ?? summarize(r.result)}>
          {r.error ?? describeResult(r.result)}
        </span>
      ),
      secondary: true,
    },
  ];
  return (
    <div class="page">
      <PageHeader
        title="Scheduled jobs"
        description="Retention, purges and key expiry run on your scheduler's tick. Here is what ran and how it went."
      />
      <Card title="Jobs" flush>
        <ResourceView state={jobs} label="Loading jobs" what="The job list">
          {(data) => (
            <DataTable
              caption="Jobs"
              rows={data.items}
              columns={jobColumns}
              rowKey={(j) => j.name}
              exportName={['scheduled jobs']}
            />
          )}
        </ResourceView>
      </Card>
      <Card title="Run history" flush>
        <ResourceView state={runs} label="Loading runs" what="Run history">
          {(data) => (
            <DataTable
              caption="Run history"
              rows={data.items}
              columns={runColumns}
              rowKey={(r) => r.id}
              exportName={['job runs']}
              initialSort={{ key: 'startedAt', descending: true }}
              empty={<p class="table-empty">No runs yet. Set up the scheduler below.</p>}
            />
          )}
        </ResourceView>
      </Card>
      <Snippets />
    </div>
  );
}
