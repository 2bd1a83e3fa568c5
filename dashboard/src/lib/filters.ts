import type { Filter, FilterDimension, FilterDimensionKey } from '../api/types.js';

/**
 * Report filters live in the URL as repeated `filter=dimension:value` parameters and reach the reports API as
 * `?dimension=value` (equality; one value per dimension).
 */
export const DIMENSIONS: readonly FilterDimension[] = [
  { key: 'channel', label: 'Channel' },
  { key: 'referrerHost', label: 'Referrer' },
  { key: 'utmSource', label: 'UTM source' },
  { key: 'utmMedium', label: 'UTM medium' },
  { key: 'utmCampaign', label: 'UTM campaign' },
  { key: 'page', label: 'Entry page' },
  { key: 'device', label: 'Device' },
  { key: 'browser', label: 'Browser' },
  { key: 'os', label: 'Operating system' },
  { key: 'country', label: 'Country' },
  { key: 'product', label: 'Product id' },
];

function isDimension(value: string): value is FilterDimensionKey {
  return DIMENSIONS.some((d) => d.key === value);
}

export function parseFilter(text: string): Filter | null {
  const mark = text.indexOf(':');
  if (mark <= 0) return null;
  const dimension = text.slice(0, mark);
  const value = text.slice(mark + 1);
  if (!isDimension(dimension) || value.length === 0 || value.length > 1024) return null;
  return { dimension, value };
}

export function serializeFilter(filter: Filter): string {
  return `${filter.dimension}:${filter.value}`;
}

/** At most one value per dimension: the API filters by equality. The last one in the URL wins. */
export function parseFilters(query: URLSearchParams): Filter[] {
  const byDimension = new Map<FilterDimensionKey, Filter>();
  for (const text of query.getAll('filter')) {
    const filter = parseFilter(text);
    if (filter) byDimension.set(filter.dimension, filter);
  }
  return [...byDimension.values()];
}

export function dimensionLabel(key: string): string {
  return DIMENSIONS.find((d) => d.key === key)?.label ?? key;
}
