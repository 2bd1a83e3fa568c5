import { useMemo, useState } from 'preact/hooks';
import { useReport } from '../api/hooks.js';
import type { ProductRow } from '../api/types.js';
import { useStore } from '../app-context.js';
import { ChangeText } from '../components/breakdown-table.js';
import { type Column, DataTable } from '../components/data-table.js';
import { FilterLink } from '../components/filter-bar.js';
import { IconSearch } from '../components/icons.js';
import { ReportHeader, useReportContext } from '../components/report-frame.js';
import { EmptyState, ResourceView } from '../components/states.js';
import { Card } from '../components/ui.js';
import { changeOf, formatInteger, formatMoney, formatPercent } from '../lib/format.js';

/** Best and worst sellers: views, adds to cart, purchases and the view→purchase rate, sortable. */
export function ProductsPage() {
  const store = useStore();
  const { range, params } = useReportContext(store);
  const report = useReport(store.id, 'products', { ...params, limit: 500 });
  const [search, setSearch] = useState('');
  const currency = report.data?.currency || store.currency;

  const columns: Column<ProductRow>[] = [
    {
      key: 'name',
      label: 'Product',
      value: (r) => r.name,
      render: (r) => (
        <span class="product-cell">
          <span class="product-name">{r.name}</span>
          {r.productId && (
            <span class="product-meta">
              <FilterLink dimension="product" value={r.productId} />
            </span>
          )}
        </span>
      ),
    },
    { key: 'productId', label: 'Product id', value: (r) => r.productId, hidden: true },
    { key: 'views', label: 'Views', numeric: true, value: (r) => r.views, format: formatInteger },
    {
      key: 'adds',
      label: 'Added to cart',
      numeric: true,
      value: (r) => r.adds,
      format: formatInteger,
      secondary: true,
    },
    {
      key: 'checkouts',
      label: 'Checkouts',
      numeric: true,
      value: (r) => r.checkouts,
      format: formatInteger,
      secondary: true,
    },
    { key: 'purchases', label: 'Purchases', numeric: true, value: (r) => r.purchases, format: formatInteger },
    {
      key: 'units',
      label: 'Units',
      numeric: true,
      value: (r) => r.units,
      format: formatInteger,
      secondary: true,
    },
    {
      key: 'revenue',
      label: 'Revenue',
      numeric: true,
      value: (r) => r.revenue,
      format: (v) => formatMoney(v, currency),
    },
    {
      key: 'change',
      label: 'Change',
      numeric: true,
      value: (r) => changeOf(r.revenue, r.previousRevenue),
      render: (r) => <ChangeText value={r.revenue} previous={r.previousRevenue} />,
      secondary: true,
    },
    {
      key: 'viewToPurchaseRate',
      label: 'View → purchase',
      numeric: true,
      value: (r) => r.viewToPurchaseRate,
      format: (v) => formatPercent(v),
    },
    { key: 'removals', label: 'Removed from cart', value: (r) => r.removals, hidden: true },
  ];

  const needle = search.trim().toLowerCase();
  const items = report.data?.items;
  const rows = useMemo(
    () =>
      (items ?? []).filter(
        (p) =>
          !needle ||
          p.name.toLowerCase().includes(needle) ||
          (p.productId ?? '').toLowerCase().includes(needle),
      ),
    [items, needle],
  );

  return (
    <div class="page">
      <ReportHeader
        title="Products"
        description="Which products sell, and which are viewed but not bought."
        range={range}
      />
      <Card flush>
        <ResourceView
          state={report}
          label="Loading products"
          what="The products report"
          rows={8}
          isEmpty={(d) => d.items.length === 0}
          empty={
            <EmptyState title="No product activity in this period">
              Products appear when your store sends <span class="mono">Product Viewed</span>,{' '}
              <span class="mono">Product Added</span> and <span class="mono">Order Completed</span> events
              with product ids.
            </EmptyState>
          }
        >
          {() => (
            <DataTable
              caption="Products"
              rows={rows}
              columns={columns}
              rowKey={(r) => r.productId ?? r.name}
              bar={(r) => r.revenue}
              initialSort={{ key: 'revenue', descending: true }}
              exportName={[store.name, 'products']}
              limit={25}
              toolbar={
                <div class="search">
                  <IconSearch />
                  <label class="sr-only" for="product-search">
                    Search products
                  </label>
                  <input
                    id="product-search"
                    class="input input-sm"
                    type="search"
                    placeholder="Search name or product id"
                    value={search}
                    onInput={(e) => setSearch(e.currentTarget.value)}
                  />
                </div>
              }
              empty={<p class="table-empty">No product matches “{search}”.</p>}
            />
          )}
        </ResourceView>
      </Card>
    </div>
  );
}
