import { useReport } from '../api/hooks.js';
import type { SourceDimension } from '../api/types.js';
import { useStore } from '../app-context.js';
import { BreakdownTable } from '../components/breakdown-table.js';
import { ReportHeader, useReportContext } from '../components/report-frame.js';
import { ResourceView } from '../components/states.js';
import { Card, Tabs } from '../components/ui.js';
import { currentLocation, hrefTo, useLocation } from '../lib/router.js';

const VIEWS: readonly { id: SourceDimension; label: string; column: string }[] = [
  { id: 'channel', label: 'Channels', column: 'Channel' },
  { id: 'referrerHost', label: 'Referrers', column: 'Referrer' },
  { id: 'utmSource', label: 'UTM source', column: 'Source' },
  { id: 'utmMedium', label: 'UTM medium', column: 'Medium' },
  { id: 'utmCampaign', label: 'UTM campaign', column: 'Campaign' },
];

/** Where visitors come from and which sources bring buyers: channels, referrers, UTM parameters. */
export function AcquisitionPage() {
  const store = useStore();
  const { query } = useLocation();
  const view = VIEWS.find((v) => v.id === query.get('view')) ?? VIEWS[0]!;
  const { range, params } = useReportContext(store, { dimension: view.id });
  const report = useReport(store.id, 'sources', { ...params, limit: 500 });
  const hrefFor = (id: string) => {
    const q = new URLSearchParams(currentLocation().query);
    q.set('view', id);
    return hrefTo(['stores', store.id, 'acquisition'], q);
  };
  return (
    <div class="page">
      <ReportHeader
        title="Acquisition"
        description="Which channels, sites and campaigns bring visitors — and which bring paying customers."
        range={range}
      />
      <Card flush tabs={<Tabs label="Source type" items={VIEWS} current={view.id} hrefFor={hrefFor} />}>
        <ResourceView state={report} label="Loading sources" what="The sources report" rows={6}>
          {(data) => (
            <BreakdownTable
              caption={view.label}
              label={view.column}
              rows={data.items}
              dimension={view.id}
              metrics={[
                'sessions',
                'change',
                'bounceRate',
                'avgSessionDurationS',
                'conversions',
                'conversionRate',
              ]}
              exportName={[store.name, view.label]}
            />
          )}
        </ResourceView>
      </Card>
    </div>
  );
}
