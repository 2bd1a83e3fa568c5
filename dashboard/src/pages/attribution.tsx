import { useMemo } from 'preact/hooks';
import { useReport } from '../api/hooks.js';
import type { AttributionDimension, AttributionReport } from '../api/types.js';
import { useStore } from '../app-context.js';
import { ChangeText } from '../components/breakdown-table.js';
import { type Column, DataTable } from '../components/data-table.js';
import { ReportHeader, useReportContext } from '../components/report-frame.js';
import { EmptyState, ResourceView } from '../components/states.js';
import { Card } from '../components/ui.js';
import { changeOf, formatDecimal, formatMoney, formatPercent } from '../lib/format.js';
import { updateQuery, useLocation } from '../lib/router.js';

type Model = 'last' | 'first';

const MODELS: readonly { id: Model; label: string; explain: string }[] = [
  { id: 'last', label: 'Last touch', explain: 'Each order credited to the last source before it.' },
  {
    id: 'first',
    label: 'First touch',
    explain: 'Each order credited to the source that first brought the customer.',
  },
];

const DIMENSIONS: readonly { id: AttributionDimension; label: string }[] = [
  { id: 'channel', label: 'Channel' },
  { id: 'source', label: 'Source' },
  { id: 'medium', label: 'Medium' },
  { id: 'campaign', label: 'Campaign' },
];

type Row = AttributionReport['items'][number];

/** Which channels and campaigns earn the orders, by first and last touch. */
export function AttributionPage() {
  const store = useStore();
  const { query } = useLocation();
  const model = MODELS.find((m) => m.id === query.get('model')) ?? MODELS[0]!;
  const dimension = DIMENSIONS.find((d) => d.id === query.get('dimension')) ?? DIMENSIONS[0]!;
  const extra = useMemo(() => ({ dimension: dimension.id }), [dimension.id]);
  const { range, params } = useReportContext(store, extra);
  const report = useReport(store.id, 'attribution', { ...params, limit: 500 });
  const currency = report.data?.currency || store.currency;
  const orders = (r: Row) => (model.id === 'last' ? r.lastTouchOrders : r.firstTouchOrders);
  const revenue = (r: Row) => (model.id === 'last' ? r.lastTouchRevenue : r.firstTouchRevenue);
  const total = (report.data?.items ?? []).reduce((sum, r) => sum + revenue(r), 0);

  const columns: Column<Row>[] = [
    { key: 'value', label: dimension.label, value: (r) => r.value ?? '(none)' },
    { key: 'orders', label: 'Orders credited', numeric: true, value: orders, format: formatDecimal },
    {
      key: 'revenue',
      label: 'Revenue credited',
      numeric: true,
      value: revenue,
      format: (v) => formatMoney(v, currency),
    },
    {
      key: 'share',
      label: 'Share of revenue',
      numeric: true,
      value: (r) => (total > 0 ? revenue(r) / total : 0),
      format: (v) => formatPercent(v),
    },
    ...(model.id === 'last'
      ? [
          {
            key: 'change',
            label: 'Change',
            numeric: true,
            value: (r: Row) => changeOf(r.lastTouchRevenue, r.previousLastTouchRevenue),
            render: (r: Row) => (
              <ChangeText value={r.lastTouchRevenue} previous={r.previousLastTouchRevenue} />
            ),
            secondary: true,
          } satisfies Column<Row>,
        ]
      : []),
    { key: 'lastOrders', label: 'Last-touch orders', value: (r) => r.lastTouchOrders, hidden: true },
    { key: 'lastRevenue', label: 'Last-touch revenue', value: (r) => r.lastTouchRevenue, hidden: true },
    { key: 'firstOrders', label: 'First-touch orders', value: (r) => r.firstTouchOrders, hidden: true },
    { key: 'firstRevenue', label: 'First-touch revenue', value: (r) => r.firstTouchRevenue, hidden: true },
  ];

  return (
    <div class="page">
      <ReportHeader
        title="Attribution"
        description="Which channels and campaigns earn the orders, not just the visits."
        range={range}
      />
      <Card
        flush
        title={`${model.label} attribution by ${dimension.label.toLowerCase()}`}
        subtitle={model.explain}
        actions={
          <div class="inline-fields">
            <fieldset class="segmented">
              <legend class="sr-only">Attribution model</legend>
              {MODELS.map((m) => (
                <button
                  key={m.id}
                  type="button"
                  class="segment"
                  aria-pressed={m.id === model.id}
                  onClick={() => updateQuery((q) => q.set('model', m.id))}
                >
                  {m.label}
                </button>
              ))}
            </fieldset>
            <label class="inline-field">
              <span>By</span>
              <select
                class="select select-sm"
                value={dimension.id}
                onChange={(e) => {
                  const value = e.currentTarget.value;
                  updateQuery((q) => q.set('dimension', value));
                }}
              >
                {DIMENSIONS.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.label}
                  </option>
                ))}
              </select>
            </label>
          </div>
        }
      >
        <ResourceView
          state={report}
          label="Loading attribution"
          what="The attribution report"
          rows={6}
          isEmpty={(d) => d.items.length === 0}
          empty={<EmptyState title="No orders to attribute in this period" />}
        >
          {(data) => (
            <DataTable
              key={model.id}
              caption={`${model.label} attribution`}
              rows={data.items}
              columns={columns}
              rowKey={(r) => r.value ?? '\u0000none'}
              bar={revenue}
              initialSort={{ key: 'revenue', descending: true }}
              exportName={[store.name, 'attribution', dimension.id]}
            />
          )}
        </ResourceView>
      </Card>
    </div>
  );
}
