import { useReport } from '../api/hooks.js';
import type { PageRow, Store } from '../api/types.js';
import { useStore } from '../app-context.js';
import { ChangeText } from '../components/breakdown-table.js';
import { type Column, DataTable } from '../components/data-table.js';
import { FilterLink } from '../components/filter-bar.js';
import { ReportHeader, useReportContext } from '../components/report-frame.js';
import { ResourceView } from '../components/states.js';
import { Card } from '../components/ui.js';
import { changeOf, formatInteger, formatPercent } from '../lib/format.js';

/** Pages by views; a path filters every report by sessions that entered on it. */
export function PagesTable({
  store,
  rows,
  compact,
  caption,
}: {
  store: Store;
  rows: readonly PageRow[];
  compact?: boolean;
  caption: string;
}) {
  const columns: Column<PageRow>[] = [
    {
      key: 'path',
      label: 'Page',
      value: (r) => r.path,
      render: (r) => <FilterLink dimension="page" value={r.path} />,
    },
    {
      key: 'pageViews',
      label: 'Page views',
      numeric: true,
      value: (r) => r.pageViews,
      format: formatInteger,
    },
    { key: 'entrances', label: 'Entrances', numeric: true, value: (r) => r.entrances, format: formatInteger },
    ...(compact
      ? []
      : [
          {
            key: 'bounceRate',
            label: 'Bounce',
            numeric: true,
            value: (r: PageRow) => r.bounceRate,
            format: (v: number) => formatPercent(v),
            secondary: true,
          },
          {
            key: 'change',
            label: 'Change',
            numeric: true,
            value: (r: PageRow) => changeOf(r.pageViews, r.previousPageViews),
            render: (r: PageRow) => <ChangeText value={r.pageViews} previous={r.previousPageViews} />,
            secondary: true,
          } satisfies Column<PageRow>,
        ]),
  ];
  return (
    <DataTable
      caption={caption}
      rows={rows}
      columns={columns}
      rowKey={(r) => r.path}
      bar={(r) => r.pageViews}
      initialSort={{ key: 'pageViews', descending: true }}
      exportName={[store.name, caption]}
      limit={25}
    />
  );
}

export function PagesPage() {
  const store = useStore();
  const { range, params } = useReportContext(store);
  const report = useReport(store.id, 'pages', { ...params, limit: 500 });
  return (
    <div class="page">
      <ReportHeader
        title="Pages"
        description="What visitors look at, and where their visits begin."
        range={range}
      />
      <Card title="Pages" subtitle="By page views; entrances are visits that began on the page" flush>
        <ResourceView state={report} label="Loading pages" what="The pages report" rows={8}>
          {(data) => <PagesTable store={store} rows={data.items} caption="Pages" />}
        </ResourceView>
      </Card>
    </div>
  );
}
