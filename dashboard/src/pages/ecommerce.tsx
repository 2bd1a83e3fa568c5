import { useReport } from '../api/hooks.js';
import type { EcommerceReport, Store } from '../api/types.js';
import { useStore } from '../app-context.js';
import { type Column, DataTable } from '../components/data-table.js';
import { KpiTiles } from '../components/kpi-tiles.js';
import { ReportHeader, useReportContext } from '../components/report-frame.js';
import { EmptyState, ResourceView } from '../components/states.js';
import { ChartCard } from '../components/time-chart.js';
import { Card } from '../components/ui.js';
import { formatCompact, formatInteger, formatMoney, formatPercent } from '../lib/format.js';
import { kpiFormatter } from './overview.js';

type CurrencyRow = EcommerceReport['byCurrency'][number];
type CouponRow = EcommerceReport['coupons'][number];
interface SegmentRow {
  segment: string;
  orders: number;
}

function EcommerceBody({
  store,
  report,
  compare,
}: {
  store: Store;
  report: EcommerceReport;
  compare: boolean;
}) {
  const currency = report.currency || store.currency;
  const money = (v: number) => formatMoney(v, currency);
  const t = report.totals;
  const metric = (m: EcommerceReport['totals'][keyof EcommerceReport['totals']]) =>
    compare ? m : { ...m, previous: null };

  if (t.orders.value === 0 && t.revenue.value === 0 && t.refunds.value === 0) {
    return (
      <EmptyState title="No orders in this period">
        Orders appear when your store sends <span class="mono">Order Completed</span> events — from the
        snippet's eCommerce helpers or from your backend through the HTTP API.
      </EmptyState>
    );
  }

  const currencyColumns: Column<CurrencyRow>[] = [
    { key: 'currency', label: 'Currency', value: (r) => r.currency },
    { key: 'orders', label: 'Orders', numeric: true, value: (r) => r.orders, format: formatInteger },
    {
      key: 'revenue',
      label: 'Revenue (charged)',
      numeric: true,
      value: (r) => r.revenue,
      render: (r) => formatMoney(r.revenue, r.currency),
    },
    {
      key: 'converted',
      label: `In ${currency}`,
      numeric: true,
      value: (r) => r.revenueConverted,
      format: money,
    },
    {
      key: 'unconverted',
      label: 'Without rate',
      numeric: true,
      value: (r) => r.unconvertedOrders,
      format: formatInteger,
      secondary: true,
      // Only worth a column when some order lacks a rate.
      hidden: !report.byCurrency.some((r) => r.unconvertedOrders > 0),
    },
  ];
  const couponColumns: Column<CouponRow>[] = [
    {
      key: 'coupon',
      label: 'Coupon',
      value: (r) => r.coupon,
      render: (r) => <span class="mono">{r.coupon}</span>,
    },
    { key: 'orders', label: 'Orders', numeric: true, value: (r) => r.orders, format: formatInteger },
    { key: 'discounts', label: 'Discounts', numeric: true, value: (r) => r.discounts, format: money },
    { key: 'revenue', label: 'Revenue', numeric: true, value: (r) => r.revenue, format: money },
  ];
  const segments: SegmentRow[] = [
    { segment: 'New customers', orders: t.newCustomerOrders.value },
    { segment: 'Returning customers', orders: t.returningCustomerOrders.value },
  ];
  const segmentTotal = segments.reduce((sum, r) => sum + r.orders, 0);
  const segmentColumns: Column<SegmentRow>[] = [
    { key: 'segment', label: 'Orders from', value: (r) => r.segment },
    { key: 'orders', label: 'Orders', numeric: true, value: (r) => r.orders, format: formatInteger },
    {
      key: 'share',
      label: 'Share',
      numeric: true,
      value: (r) => (segmentTotal > 0 ? r.orders / segmentTotal : 0),
      format: (v) => formatPercent(v),
    },
  ];

  return (
    <>
      <KpiTiles
        label="eCommerce figures"
        items={[
          {
            key: 'revenue',
            label: 'Revenue',
            kind: 'money',
            metric: metric(t.revenue),
            format: kpiFormatter('money', currency, true),
          },
          { key: 'orders', label: 'Orders', kind: 'count', metric: metric(t.orders), format: formatCompact },
          {
            key: 'aov',
            label: 'Avg. order value',
            kind: 'money',
            metric: metric(t.aov),
            format: kpiFormatter('money', currency),
          },
          {
            key: 'refunds',
            label: 'Refunded',
            kind: 'money',
            lowerIsBetter: true,
            metric: metric(t.refunds),
            format: kpiFormatter('money', currency, true),
          },
          {
            key: 'discounts',
            label: 'Discounts',
            kind: 'money',
            lowerIsBetter: true,
            metric: metric(t.discounts),
            format: kpiFormatter('money', currency, true),
          },
          {
            key: 'repeat',
            label: 'Repeat purchase rate',
            kind: 'rate',
            metric: metric(t.repeatPurchaseRate),
            format: (v) => formatPercent(v),
          },
        ]}
      />
      <ChartCard
        title="Revenue and orders"
        subtitle={`Net of refunds, in ${currency}`}
        buckets={report.series.map((b) => b.bucket)}
        interval={report.granularity}
        timeZone={store.timeZone}
        exportName={[store.name, 'revenue and orders']}
        series={[
          {
            label: 'Orders',
            values: report.series.map((b) => b.orders),
            tone: 'secondary',
            bars: true,
            scale: 'y2',
            integer: true,
            format: formatCompact,
          },
          {
            label: 'Revenue',
            values: report.series.map((b) => b.revenue),
            tone: 'primary',
            format: (v) => formatMoney(v, currency, { compact: true }),
          },
          {
            label: 'Refunds',
            values: report.series.map((b) => b.refunds),
            tone: 'danger',
            format: (v) => formatMoney(v, currency, { compact: true }),
          },
        ]}
      />
      <div class="grid grid-2">
        <Card
          title="New vs returning"
          subtitle={`${formatInteger(t.customers.value)} customers, ${formatInteger(t.repeatCustomers.value)} bought more than once`}
          flush
        >
          <DataTable
            caption="Orders from new and returning customers"
            rows={segments}
            columns={segmentColumns}
            rowKey={(r) => r.segment}
            bar={(r) => r.orders}
            exportName={[store.name, 'new vs returning']}
          />
        </Card>
        <Card title="Currencies" subtitle={`Converted to ${currency} at the rates recorded`} flush>
          <DataTable
            caption="Revenue by currency"
            rows={report.byCurrency}
            columns={currencyColumns}
            rowKey={(r) => r.currency}
            bar={(r) => r.revenueConverted}
            initialSort={{ key: 'converted', descending: true }}
            exportName={[store.name, 'currencies']}
          />
        </Card>
        <Card
          title="Coupons"
          subtitle={`${formatInteger(t.couponOrders.value)} orders used one; ${money(t.discounts.value)} discounted`}
          flush
        >
          <DataTable
            caption="Coupons"
            rows={report.coupons}
            columns={couponColumns}
            rowKey={(r) => r.coupon}
            bar={(r) => r.revenue}
            initialSort={{ key: 'orders', descending: true }}
            exportName={[store.name, 'coupons']}
            empty={<p class="table-empty">No coupons were used in this period.</p>}
          />
        </Card>
        <Card title="Refunds and gross revenue">
          <dl class="figures">
            <div>
              <dt>Gross revenue</dt>
              <dd>{money(t.grossRevenue.value)}</dd>
            </div>
            <div>
              <dt>Refunded</dt>
              <dd class={t.refunds.value > 0 ? 'negative' : undefined}>
                {t.refunds.value > 0 ? '−' : ''}
                {money(t.refunds.value)}
              </dd>
            </div>
            <div>
              <dt>Net revenue</dt>
              <dd>{money(t.revenue.value)}</dd>
            </div>
            <div>
              <dt>Refund rate</dt>
              <dd>{formatPercent(t.grossRevenue.value > 0 ? t.refunds.value / t.grossRevenue.value : 0)}</dd>
            </div>
          </dl>
        </Card>
      </div>
    </>
  );
}

export function EcommercePage() {
  const store = useStore();
  const { range, params } = useReportContext(store);
  const report = useReport(store.id, 'ecommerce', params);
  return (
    <div class="page">
      <ReportHeader
        title="eCommerce"
        description="Revenue, orders, refunds, coupons and customers."
        range={range}
      />
      <ResourceView state={report} label="Loading eCommerce" what="The eCommerce report" rows={6}>
        {(data) => <EcommerceBody store={store} report={data} compare={range.compare} />}
      </ResourceView>
    </div>
  );
}
