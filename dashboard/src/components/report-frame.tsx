import type { ComponentChildren } from 'preact';
import { useMemo } from 'preact/hooks';
import type { Filter, ReportQuery, Store } from '../api/types.js';
import type { DateRange } from '../lib/date-range.js';
import { DateRangePicker, useDateRange } from './date-range-picker.js';
import { FilterBar, useFilters } from './filter-bar.js';
import { PageHeader } from './ui.js';

export interface ReportContext {
  range: DateRange;
  filters: Filter[];
  params: ReportQuery;
}

/** The range and filters in the URL, as the query every report takes. */
export function useReportContext(
  store: Store,
  extra?: Record<string, string | number | boolean>,
): ReportContext {
  const range = useDateRange(store.timeZone);
  const filters = useFilters();
  const extraKey = JSON.stringify(extra ?? {});
  const filterKey = JSON.stringify(filters);
  const params = useMemo(
    (): ReportQuery => ({
      from: range.from,
      to: range.to,
      compare: range.compare ? 'previous' : 'none',
      granularity: range.granularity,
      filters,
      extra,
    }),
    [range.from, range.to, range.compare, range.granularity, filterKey, extraKey],
  );
  return { range, filters, params };
}

/** Title, date range and filters: the top of every report page. */
export function ReportHeader({
  title,
  description,
  range,
  actions,
  filterable = true,
}: {
  title: string;
  description?: ComponentChildren;
  range: DateRange;
  actions?: ComponentChildren;
  filterable?: boolean;
}) {
  return (
    <PageHeader
      title={title}
      description={description}
      actions={
        <>
          {actions}
          <DateRangePicker range={range} />
        </>
      }
    >
      {filterable && <FilterBar />}
    </PageHeader>
  );
}
