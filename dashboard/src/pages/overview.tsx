import { useState } from 'preact/hooks';
import { useReport } from '../api/hooks.js';
import type { OverviewBucket, OverviewMetricName, OverviewReport, ReportQuery, Store } from '../api/types.js';
import { useStore, useWorkspace } from '../app-context.js';
import { BreakdownTable } from '../components/breakdown-table.js';
import { type KpiSpec, KpiTiles } from '../components/kpi-tiles.js';
import { ReportHeader, useReportContext } from '../components/report-frame.js';
import { EmptyState, ResourceView } from '../components/states.js';
import { ChartCard } from '../components/time-chart.js';
import { Card } from '../components/ui.js';
import { formatCompact, formatInteger, formatMoney, formatPercent } from '../lib/format.js';
import { hrefTo } from '../lib/router.js';
import { PagesTable } from './pages-report.js';

interface KpiDefinition {
  key: OverviewMetricName;
  label: string;
  kind: KpiSpec['kind'];
  lowerIsBetter?: boolean;
  /** The bucket value charted when the tile is selected. */
  series: (bucket: OverviewBucket) => number;
}

export const OVERVIEW_KPIS: readonly KpiDefinition[] = [
  { key: 'visitors', label: 'Visitors', kind: 'count', series: (b) => b.visitors },
  { key: 'sessions', label: 'Sessions', kind: 'count', series: (b) => b.sessions },
  { key: 'pageViews', label: 'Page views', kind: 'count', series: (b) => b.pageViews },
  { key: 'bounceRate', label: 'Bounce rate', kind: 'rate', lowerIsBetter: true, series: (b) => b.bounceRate },
  { key: 'orders', label: 'Orders', kind: 'count', series: (b) => b.orders },
  { key: 'revenue', label: 'Revenue', kind: 'money', series: (b) => b.revenue },
  { key: 'conversionRate', label: 'Conversion', kind: 'rate', series: (b) => b.conversionRate },
  {
    key: 'aov',
    label: 'Avg. order value',
    kind: 'money',
    series: (b) => (b.orders > 0 ? b.revenue / b.orders : 0),
  },
];

export function kpiFormatter(
  kind: KpiSpec['kind'],
  currency: string,
  compact = false,
): (value: number) => string {
  switch (kind) {
    case 'money':
      return (v) => formatMoney(v, currency, { compact });
    case 'rate':
      return (v) => formatPercent(v);
    case 'count':
      return compact ? formatCompact : formatInteger;
  }
}

function hasNoData(report: OverviewReport): boolean {
  const m = report.metrics;
  return m.visitors.value === 0 && m.pageViews.value === 0 && m.orders.value === 0;
}

function TopLists({ store, params }: { store: Store; params: ReportQuery }) {
  const channels = useReport(store.id, 'sources', { ...params, limit: 6, extra: { dimension: 'channel' } });
  const pages = useReport(store.id, 'pages', { ...params, limit: 6 });
  return (
    <div class="grid grid-2">
      <Card
        title="Top channels"
        flush
        actions={
          <a class="btn btn-link btn-sm" href={hrefTo(['stores', store.id, 'acquisition'])}>
            All sources
          </a>
        }
      >
        <ResourceView state={channels} label="Loading channels" what="The sources report" rows={5}>
          {(data) => (
            <BreakdownTable
              caption="Top channels"
              label="Channel"
              rows={data.items}
              dimension="channel"
              metrics={['sessions', 'conversions', 'conversionRate']}
              exportName={[store.name, 'channels']}
            />
          )}
        </ResourceView>
      </Card>
      <Card
        title="Top pages"
        flush
        actions={
          <a class="btn btn-link btn-sm" href={hrefTo(['stores', store.id, 'pages'])}>
            All pages
          </a>
        }
      >
        <ResourceView state={pages} label="Loading pages" what="The pages report" rows={5}>
          {(data) => <PagesTable store={store} rows={data.items} compact caption="Top pages" />}
        </ResourceView>
      </Card>
    </div>
  );
}

function OverviewBody({
  store,
  report,
  compare,
}: {
  store: Store;
  report: OverviewReport;
  compare: boolean;
}) {
  const { can } = useWorkspace();
  const [selected, setSelected] = useState<OverviewMetricName>('visitors');
  const currency = report.currency || store.currency;
  const definition = OVERVIEW_KPIS.find((k) => k.key === selected) ?? OVERVIEW_KPIS[0]!;

  if (hasNoData(report)) {
    return (
      <EmptyState
        title="No visitors in this period yet"
        action={
          can('keys:read') ? (
            <a class="btn btn-primary" href={hrefTo(['stores', store.id, 'setup'])}>
              Open the install guide
            </a>
          ) : undefined
        }
      >
        Once the snippet is on your site, visitors, orders and revenue show up here within seconds. Try a
        longer date range if the store has been live for a while.
      </EmptyState>
    );
  }

  return (
    <>
      <KpiTiles
        label="Key figures"
        selected={selected}
        onSelect={(key) => setSelected(key as OverviewMetricName)}
        items={OVERVIEW_KPIS.map((k) => ({
          key: k.key,
          label: k.label,
          kind: k.kind,
          lowerIsBetter: k.lowerIsBetter,
          metric: compare ? report.metrics[k.key] : { ...report.metrics[k.key], previous: null },
          format: kpiFormatter(k.kind, currency, true),
        }))}
      />
      {report.unconvertedOrders > 0 && (
        <p class="notice notice-warning">
          {formatInteger(report.unconvertedOrders)} order{report.unconvertedOrders === 1 ? ' has' : 's have'}{' '}
          no exchange rate to {currency} and {report.unconvertedOrders === 1 ? 'is' : 'are'} left out of
          revenue.
        </p>
      )}
      <ChartCard
        title={definition.label}
        subtitle={`By ${report.granularity}, ${store.timeZone.replace(/_/g, ' ')} time`}
        buckets={report.series.map((b) => b.bucket)}
        series={[
          {
            label: definition.label,
            values: report.series.map(definition.series),
            tone: 'primary',
            integer: definition.kind === 'count',
            format: kpiFormatter(definition.kind, currency, true),
          },
        ]}
        interval={report.granularity}
        timeZone={store.timeZone}
        exportName={[store.name, definition.label]}
      />
    </>
  );
}

export function OverviewPage() {
  const store = useStore();
  const { range, params } = useReportContext(store);
  const report = useReport(store.id, 'overview', params);
  return (
    <div class="page">
      <ReportHeader title="Overview" range={range} />
      <ResourceView state={report} label="Loading the overview" what="The overview report" rows={6}>
        {(data) => (
          <>
            <OverviewBody store={store} report={data} compare={range.compare} />
            {!hasNoData(data) && <TopLists store={store} params={params} />}
          </>
        )}
      </ResourceView>
    </div>
  );
}
