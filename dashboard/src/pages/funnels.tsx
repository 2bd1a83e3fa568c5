import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api/endpoints.js';
import { useResource } from '../api/hooks.js';
import type { FunnelBreakdown, FunnelReport, FunnelStep, FunnelStepInput, Store } from '../api/types.js';
import { useStore } from '../app-context.js';
import { type Column, DataTable } from '../components/data-table.js';
import { IconArrowDown, IconArrowUp, IconFilter, IconPlus, IconTrash } from '../components/icons.js';
import { ReportHeader, useReportContext } from '../components/report-frame.js';
import { ResourceView } from '../components/states.js';
import { Card } from '../components/ui.js';
import { dimensionLabel } from '../lib/filters.js';
import { formatDuration, formatInteger, formatPercent } from '../lib/format.js';
import {
  CHECKOUT_PRESET,
  type DraftStep,
  MAX_FUNNEL_STEPS,
  parseSteps,
  stepParams,
  toStepInput,
} from '../lib/funnel-steps.js';
import { updateQuery, useLocation } from '../lib/router.js';

const SUGGESTED_EVENTS = [
  'Products Searched',
  'Product List Viewed',
  'Product Viewed',
  'Product Added',
  'Cart Viewed',
  'Checkout Started',
  'Checkout Step Viewed',
  'Checkout Step Completed',
  'Shipping Info Entered',
  'Payment Info Entered',
  'Order Completed',
  'Signed Up',
];

const WINDOWS = [
  { minutes: 60, label: '1 hour' },
  { minutes: 1440, label: '1 day' },
  { minutes: 10_080, label: '7 days' },
  { minutes: 43_200, label: '30 days' },
];
const DEFAULT_WINDOW = 10_080;

const BREAKDOWNS: readonly FunnelBreakdown[] = [
  'channel',
  'referrerHost',
  'utmSource',
  'utmMedium',
  'utmCampaign',
  'device',
  'browser',
  'os',
  'country',
];

function Builder({
  initial,
  windowMinutes: initialWindow,
  breakdown: initialBreakdown,
}: {
  initial: readonly DraftStep[];
  windowMinutes: number;
  breakdown: string;
}) {
  const [steps, setSteps] = useState<DraftStep[]>([...initial]);
  const [win, setWin] = useState(initialWindow);
  const [breakdown, setBreakdown] = useState(initialBreakdown);
  const initialKey = JSON.stringify([initial, initialWindow, initialBreakdown]);
  // The URL changed (back button, a shared link): show what it says.
  useEffect(() => {
    setSteps([...initial]);
    setWin(initialWindow);
    setBreakdown(initialBreakdown);
  }, [initialKey]);

  const update = (index: number, change: Partial<DraftStep>) =>
    setSteps((list) => list.map((s, i) => (i === index ? { ...s, ...change } : s)));
  const move = (index: number, by: number) =>
    setSteps((list) => {
      const next = [...list];
      const [item] = next.splice(index, 1);
      if (item) next.splice(index + by, 0, item);
      return next;
    });
  const valid = steps.filter((s) => s.match.trim()).length >= 2;

  const apply = () =>
    updateQuery((q) => {
      q.delete('step');
      q.delete('where');
      const params = stepParams(steps);
      for (const step of params.step) q.append('step', step);
      for (const where of params.where) q.append('where', where);
      q.set('window', String(win));
      if (breakdown) q.set('breakdown', breakdown);
      else q.delete('breakdown');
    });

  return (
    <form
      class="funnel-builder"
      onSubmit={(event) => {
        event.preventDefault();
        if (valid) apply();
      }}
      aria-label="Funnel builder"
    >
      <datalist id="funnel-events">
        {SUGGESTED_EVENTS.map((e) => (
          <option key={e} value={e} />
        ))}
      </datalist>
      <ol class="builder-steps">
        {steps.map((step, index) => (
          <li key={index} class="builder-step">
            <span class="builder-index" aria-hidden="true">
              {index + 1}
            </span>
            <label class="sr-only" for={`step-kind-${index}`}>
              Step {index + 1} type
            </label>
            <select
              id={`step-kind-${index}`}
              class="select select-sm"
              value={step.kind}
              onChange={(e) => update(index, { kind: e.currentTarget.value as DraftStep['kind'] })}
            >
              <option value="event">Event</option>
              <option value="page">Page</option>
            </select>
            <label class="sr-only" for={`step-match-${index}`}>
              Step {index + 1} {step.kind === 'event' ? 'event name' : 'page path'}
            </label>
            <input
              id={`step-match-${index}`}
              class="input input-sm"
              list={step.kind === 'event' ? 'funnel-events' : undefined}
              placeholder={step.kind === 'event' ? 'Event name' : '/checkout'}
              value={step.match}
              maxLength={step.kind === 'event' ? 255 : 1024}
              onInput={(e) => update(index, { match: e.currentTarget.value })}
            />
            <span class="builder-step-actions">
              {step.kind === 'event' && !step.where && (
                <button
                  type="button"
                  class="btn btn-icon btn-ghost btn-sm"
                  onClick={() => update(index, { where: { key: '', value: '' } })}
                  aria-label={`Add a property filter to step ${index + 1}`}
                  title="Only count this event when a property has a value"
                >
                  <IconFilter />
                </button>
              )}
              <button
                type="button"
                class="btn btn-icon btn-ghost btn-sm"
                disabled={index === 0}
                onClick={() => move(index, -1)}
                aria-label={`Move step ${index + 1} up`}
              >
                <IconArrowUp />
              </button>
              <button
                type="button"
                class="btn btn-icon btn-ghost btn-sm"
                disabled={index === steps.length - 1}
                onClick={() => move(index, 1)}
                aria-label={`Move step ${index + 1} down`}
              >
                <IconArrowDown />
              </button>
              <button
                type="button"
                class="btn btn-icon btn-ghost btn-sm"
                disabled={steps.length <= 2}
                onClick={() => setSteps((list) => list.filter((_, i) => i !== index))}
                aria-label={`Remove step ${index + 1}`}
              >
                <IconTrash />
              </button>
            </span>
            {step.kind === 'event' && step.where && (
              <div class="builder-where">
                <span class="builder-where-word">where</span>
                <label class="sr-only" for={`step-key-${index}`}>
                  Step {index + 1} property
                </label>
                <input
                  id={`step-key-${index}`}
                  class="input input-sm mono"
                  placeholder="category"
                  maxLength={255}
                  value={step.where.key}
                  onInput={(e) =>
                    update(index, { where: { key: e.currentTarget.value, value: step.where?.value ?? '' } })
                  }
                />
                <span class="builder-where-word" aria-hidden="true">
                  =
                </span>
                <label class="sr-only" for={`step-value-${index}`}>
                  Step {index + 1} property value
                </label>
                <input
                  id={`step-value-${index}`}
                  class="input input-sm"
                  placeholder="shoes"
                  maxLength={1024}
                  value={step.where.value}
                  onInput={(e) =>
                    update(index, { where: { key: step.where?.key ?? '', value: e.currentTarget.value } })
                  }
                />
                <button
                  type="button"
                  class="btn btn-icon btn-ghost btn-sm"
                  onClick={() => update(index, { where: undefined })}
                  aria-label={`Remove the property filter of step ${index + 1}`}
                >
                  <IconTrash />
                </button>
              </div>
            )}
          </li>
        ))}
      </ol>
      <div class="builder-row">
        <button
          type="button"
          class="btn btn-ghost btn-sm"
          disabled={steps.length >= MAX_FUNNEL_STEPS}
          onClick={() => setSteps((list) => [...list, { kind: 'event', match: '' }])}
        >
          <IconPlus /> Add step
        </button>
        <button type="button" class="btn btn-ghost btn-sm" onClick={() => setSteps([...CHECKOUT_PRESET])}>
          Checkout preset
        </button>
      </div>
      <div class="builder-row builder-options">
        <label class="inline-field">
          <span>Convert within</span>
          <select
            class="select select-sm"
            value={String(win)}
            onChange={(e) => setWin(Number(e.currentTarget.value))}
          >
            {WINDOWS.map((w) => (
              <option key={w.minutes} value={String(w.minutes)}>
                {w.label}
              </option>
            ))}
          </select>
        </label>
        <label class="inline-field">
          <span>Break down by</span>
          <select
            class="select select-sm"
            value={breakdown}
            onChange={(e) => setBreakdown(e.currentTarget.value)}
          >
            <option value="">Nothing</option>
            {BREAKDOWNS.map((d) => (
              <option key={d} value={d}>
                {dimensionLabel(d)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="btn btn-primary btn-sm" disabled={!valid}>
          Calculate
        </button>
      </div>
    </form>
  );
}

function stepLabel(
  step: { event: string | null; page: string | null },
  input?: FunnelStepInput | undefined,
): string {
  if (step.page !== null) return `Viewed ${step.page}`;
  const where = Object.entries(input?.properties ?? {})
    .map(([key, value]) => `${key} = ${String(value)}`)
    .join(', ');
  return `${step.event ?? '—'}${where ? ` (${where})` : ''}`;
}

function windowLabel(minutes: number): string {
  return WINDOWS.find((w) => w.minutes === minutes)?.label ?? formatDuration(minutes * 60);
}

function FunnelSteps({ report, inputs }: { report: FunnelReport; inputs: readonly FunnelStepInput[] }) {
  return (
    <ol class="funnel" aria-label="Funnel steps">
      {report.steps.map((step, index) => {
        const previous = index > 0 ? report.steps[index - 1] : undefined;
        return (
          <li key={step.step} class="funnel-step">
            {previous && (
              <div class="funnel-drop">
                <span class="drop-count">
                  −{formatInteger(step.dropOff)} ({formatPercent(1 - step.conversionRate)}) dropped off
                </span>
                {step.medianMsFromPrevious !== null && (
                  <span class="drop-time">
                    median {formatDuration(step.medianMsFromPrevious / 1000)} to convert
                  </span>
                )}
              </div>
            )}
            <div class="funnel-row">
              <div class="funnel-label">
                <span class="funnel-index">{index + 1}</span>
                <span class="funnel-name">{stepLabel(step, inputs[index])}</span>
              </div>
              <div class="funnel-bar">
                <svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
                  <rect class="funnel-bar-track" width="100" height="10" />
                  <rect
                    class="funnel-bar-fill"
                    width={(step.overallConversionRate * 100).toFixed(2)}
                    height="10"
                  />
                </svg>
              </div>
              <div class="funnel-figures">
                <span class="funnel-count">{formatInteger(step.visitors)}</span>
                <span class="funnel-rate">{formatPercent(step.overallConversionRate)}</span>
              </div>
            </div>
          </li>
        );
      })}
    </ol>
  );
}

type Group = NonNullable<FunnelReport['breakdown']>['groups'][number];

function FunnelResults({
  store,
  report,
  inputs,
}: {
  store: Store;
  report: FunnelReport;
  inputs: readonly FunnelStepInput[];
}) {
  const last = report.steps[report.steps.length - 1];
  const first = report.steps[0];
  const stepColumns: Column<FunnelStep>[] = [
    {
      key: 'step',
      label: 'Step',
      value: (r) => `${r.step}. ${stepLabel(r, inputs[r.step - 1])}`,
      sortable: false,
    },
    {
      key: 'visitors',
      label: 'Visitors',
      numeric: true,
      value: (r) => r.visitors,
      format: formatInteger,
      sortable: false,
    },
    {
      key: 'sessions',
      label: 'Sessions',
      numeric: true,
      value: (r) => r.sessions,
      format: formatInteger,
      sortable: false,
    },
    {
      key: 'overall',
      label: 'Overall',
      numeric: true,
      value: (r) => r.overallConversionRate,
      format: (v) => formatPercent(v),
      sortable: false,
    },
    {
      key: 'rate',
      label: 'Step rate',
      numeric: true,
      value: (r) => r.conversionRate,
      format: (v) => formatPercent(v),
      sortable: false,
    },
    {
      key: 'dropOff',
      label: 'Dropped off',
      numeric: true,
      value: (r) => r.dropOff,
      format: formatInteger,
      sortable: false,
    },
    {
      key: 'time',
      label: 'Median time',
      numeric: true,
      value: (r) => (r.medianMsFromPrevious === null ? null : r.medianMsFromPrevious / 1000),
      format: formatDuration,
      sortable: false,
    },
  ];
  const breakdown = report.breakdown;
  const breakdownColumns: Column<Group>[] = breakdown
    ? [
        { key: 'value', label: dimensionLabel(breakdown.dimension), value: (g) => g.value ?? '(none)' },
        ...report.steps.map(
          (s, i): Column<Group> => ({
            key: `s${i}`,
            label: `${i + 1}. ${stepLabel(s, inputs[i])}`,
            numeric: true,
            value: (g) => g.steps[i]?.visitors ?? 0,
            format: formatInteger,
            secondary: i > 0 && i < report.steps.length - 1,
          }),
        ),
        {
          key: 'conversion',
          label: 'Conversion',
          numeric: true,
          value: (g) => g.steps[g.steps.length - 1]?.overallConversionRate ?? 0,
          format: (v) => formatPercent(v),
        },
        {
          key: 'time',
          label: 'Median time',
          numeric: true,
          value: (g) => (g.medianTimeToConvertMs === null ? null : g.medianTimeToConvertMs / 1000),
          format: formatDuration,
          secondary: true,
        },
      ]
    : [];

  const summary = [
    `${formatPercent(last?.overallConversionRate ?? 0)} of ${formatInteger(first?.visitors ?? 0)} visitors completed every step within ${windowLabel(report.windowMinutes)}`,
    report.medianTimeToConvertMs !== null
      ? `median ${formatDuration(report.medianTimeToConvertMs / 1000)}`
      : null,
  ]
    .filter(Boolean)
    .join(', ');

  return (
    <>
      <Card title="Conversion" subtitle={summary}>
        <FunnelSteps report={report} inputs={inputs} />
        {report.cartAbandonment && (
          <p class="notice">
            {formatPercent(report.cartAbandonment.rate)} of carts were abandoned (
            {formatInteger(report.cartAbandonment.abandoned)} of {formatInteger(report.cartAbandonment.carts)}
            ).
          </p>
        )}
        <details class="disclosure">
          <summary>Table view</summary>
          <DataTable
            caption="Funnel steps"
            rows={report.steps}
            columns={stepColumns}
            rowKey={(r) => String(r.step)}
            exportName={[store.name, 'funnel']}
          />
        </details>
      </Card>
      {breakdown && (
        <Card
          title={`By ${dimensionLabel(breakdown.dimension).toLowerCase()}`}
          class="funnel-breakdown"
          flush
        >
          <DataTable
            caption="Funnel breakdown"
            rows={breakdown.groups}
            columns={breakdownColumns}
            rowKey={(g) => g.value ?? '\u0000none'}
            bar={(g) => g.steps[0]?.visitors ?? 0}
            initialSort={{ key: 's0', descending: true }}
            exportName={[store.name, 'funnel breakdown']}
          />
        </Card>
      )}
    </>
  );
}

/** Build a funnel (or start from the checkout preset), see where visitors drop off and how long each step takes. */
export function FunnelsPage() {
  const store = useStore();
  const { query } = useLocation();
  const fromUrl = parseSteps(query.getAll('step'), query.getAll('where'));
  const steps = fromUrl.length >= 2 ? fromUrl : CHECKOUT_PRESET;
  const asked = Number(query.get('window'));
  const windowMinutes = WINDOWS.some((w) => w.minutes === asked) ? asked : DEFAULT_WINDOW;
  const breakdownText = query.get('breakdown') ?? '';
  const breakdown = BREAKDOWNS.find((d) => d === breakdownText);
  const { range, params } = useReportContext(store);
  const stepsKey = JSON.stringify(steps);
  const request = useMemo(
    () => ({ steps: steps.map(toStepInput), windowMinutes, ...(breakdown ? { breakdown } : {}) }),
    [stepsKey, windowMinutes, breakdown],
  );
  const report = useResource(`funnel:${store.id}:${JSON.stringify([params, request])}`, (signal) =>
    api.funnel(store.id, params, request, signal),
  );
  return (
    <div class="page">
      <ReportHeader
        title="Funnels"
        description="The path to purchase, step by step: where visitors leave and how long each step takes."
        range={range}
      />
      <div class="funnel-layout">
        <Card title="Steps" class="funnel-builder-card">
          <Builder initial={steps} windowMinutes={windowMinutes} breakdown={breakdown ?? ''} />
        </Card>
        <div class="funnel-results">
          <ResourceView state={report} label="Calculating the funnel" what="The funnel report" rows={5}>
            {(data) => <FunnelResults store={store} report={data} inputs={request.steps} />}
          </ResourceView>
        </div>
      </div>
    </div>
  );
}
