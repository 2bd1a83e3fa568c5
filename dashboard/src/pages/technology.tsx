import { useReport } from '../api/hooks.js';
import type { ReportQuery, Store, TechnologyDimension } from '../api/types.js';
import { useStore } from '../app-context.js';
import { BreakdownTable } from '../components/breakdown-table.js';
import { ReportHeader, useReportContext } from '../components/report-frame.js';
import { ResourceView } from '../components/states.js';
import { Card } from '../components/ui.js';

const PANELS: readonly { dimension: TechnologyDimension; title: string; column: string }[] = [
  { dimension: 'device', title: 'Devices', column: 'Device' },
  { dimension: 'browser', title: 'Browsers', column: 'Browser' },
  { dimension: 'os', title: 'Operating systems', column: 'System' },
  { dimension: 'country', title: 'Countries', column: 'Country' },
];

function Panel({
  store,
  params,
  panel,
}: {
  store: Store;
  params: ReportQuery;
  panel: (typeof PANELS)[number];
}) {
  const report = useReport(store.id, 'technology', {
    ...params,
    limit: 50,
    extra: { dimension: panel.dimension },
  });
  return (
    <Card title={panel.title} flush>
      <ResourceView
        state={report}
        label={`Loading ${panel.title.toLowerCase()}`}
        what="The technology report"
        rows={4}
      >
        {(data) => (
          <BreakdownTable
            caption={panel.title}
            label={panel.column}
            rows={data.items}
            dimension={panel.dimension}
            metrics={['sessions', 'share', 'conversionRate']}
            exportName={[store.name, panel.title]}
            limit={8}
          />
        )}
      </ResourceView>
    </Card>
  );
}

export function TechnologyPage() {
  const store = useStore();
  const { range, params } = useReportContext(store);
  return (
    <div class="page">
      <ReportHeader
        title="Technology"
        description="Devices, browsers, systems and countries — where to test your checkout first."
        range={range}
      />
      <div class="grid grid-2">
        {PANELS.map((panel) => (
          <Panel key={panel.dimension} store={store} params={params} panel={panel} />
        ))}
      </div>
    </div>
  );
}
