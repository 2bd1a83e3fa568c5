import type { BreakdownRow, FilterDimensionKey } from '../api/types.js';
import { changeOf, formatDuration, formatInteger, formatPercent } from '../lib/format.js';
import { type Column, DataTable } from './data-table.js';
import { FilterLink } from './filter-bar.js';

export type BreakdownMetric =
  | 'sessions'
  | 'share'
  | 'change'
  | 'pageViews'
  | 'bounceRate'
  | 'avgSessionDurationS'
  | 'conversions'
  | 'conversionRate';

/** `+12%` / `−3%` against the comparison period, or nothing when there is none. */
export function ChangeText({ value, previous }: { value: number; previous: number | null }) {
  const change = changeOf(value, previous);
  if (change === null) return <span class="muted">{previous === 0 && value > 0 ? 'new' : '—'}</span>;
  const text = `${change > 0 ? '+' : change < 0 ? '−' : ''}${Math.abs(change * 100).toFixed(0)}%`;
  return <span class={`change ${change > 0 ? 'up' : change < 0 ? 'down' : ''}`}>{text}</span>;
}

/**
 * A dimension's values with their metrics; each value is a button that filters every report by it. `share` is
 * the row's part of all sessions in the table, `change` its sessions against the comparison period.
 */
export function BreakdownTable({
  caption,
  label,
  rows,
  dimension,
  metrics,
  exportName,
  limit,
}: {
  caption: string;
  label: string;
  rows: readonly BreakdownRow[];
  /** The filter a value click sets; null = values are not filterable. */
  dimension: FilterDimensionKey | null;
  metrics: readonly BreakdownMetric[];
  exportName: string[];
  limit?: number;
}) {
  const total = rows.reduce((sum, r) => sum + r.sessions, 0);
  const all: Record<BreakdownMetric, Column<BreakdownRow>> = {
    sessions: {
      key: 'sessions',
      label: 'Sessions',
      numeric: true,
      value: (r) => r.sessions,
      format: formatInteger,
    },
    share: {
      key: 'share',
      label: 'Share',
      numeric: true,
      value: (r) => (total > 0 ? r.sessions / total : 0),
      format: (v) => formatPercent(v),
      secondary: true,
    },
    change: {
      key: 'change',
      label: 'Change',
      numeric: true,
      value: (r) => changeOf(r.sessions, r.previousSessions),
      render: (r) => <ChangeText value={r.sessions} previous={r.previousSessions} />,
      secondary: true,
    },
    pageViews: {
      key: 'pageViews',
      label: 'Page views',
      numeric: true,
      value: (r) => r.pageViews,
      format: formatInteger,
      secondary: true,
    },
    bounceRate: {
      key: 'bounceRate',
      label: 'Bounce',
      numeric: true,
      value: (r) => r.bounceRate,
      format: (v) => formatPercent(v),
      secondary: true,
    },
    avgSessionDurationS: {
      key: 'avgSessionDurationS',
      label: 'Avg. duration',
      numeric: true,
      value: (r) => r.avgSessionDurationS,
      format: formatDuration,
      secondary: true,
    },
    conversions: {
      key: 'conversions',
      label: 'Orders',
      numeric: true,
      value: (r) => r.conversions,
      format: formatInteger,
    },
    conversionRate: {
      key: 'conversionRate',
      label: 'Conversion',
      numeric: true,
      value: (r) => r.conversionRate,
      format: (v) => formatPercent(v),
    },
  };
  const columns: Column<BreakdownRow>[] = [
    {
      key: 'value',
      label,
      value: (r) => r.value,
      render: (r) =>
        dimension ? <FilterLink dimension={dimension} value={r.value} /> : (r.value ?? '(none)'),
    },
    ...metrics.map((m) => all[m]),
  ];
  return (
    <DataTable
      caption={caption}
      rows={rows}
      columns={columns}
      rowKey={(r) => r.value ?? '\u0000none'}
      exportName={exportName}
      bar={(r) => r.sessions}
      initialSort={{ key: 'sessions', descending: true }}
      limit={limit}
    />
  );
}
