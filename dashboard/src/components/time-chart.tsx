import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import type { Granularity } from '../api/types.js';
import { bucketMs, bucketZone, formatBucket } from '../lib/format.js';
import { type Column, DataTable } from './data-table.js';
import { IconChart, IconTable } from './icons.js';

export type SeriesTone = 'primary' | 'previous' | 'secondary' | 'success' | 'danger';

export interface ChartSeries {
  label: string;
  values: readonly (number | null)[];
  tone: SeriesTone;
  /** Bars instead of a line (counts like orders next to a revenue line). */
  bars?: boolean;
  /** Right-hand axis, for a second unit. */
  scale?: 'y' | 'y2';
  /** Whole numbers only (orders, visitors): the axis then never shows 0.5, or two ticks both rounded to 1. */
  integer?: boolean;
  format: (value: number) => string;
}

/** Tick steps for an axis of whole numbers: 1, 2, 5, 10, 20, 50, … */
const INTEGER_INCRS = Array.from({ length: 30 }, (_, i) => [1, 2, 5][i % 3]! * 10 ** Math.floor(i / 3));

/** Chart colours come from the stylesheet (`--chart-*`), so the one CSS file stays the design's source. */
function cssColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

const TONES: Record<SeriesTone, [string, string]> = {
  primary: ['--chart-primary', '#4f46e5'],
  previous: ['--chart-previous', '#a3a9b6'],
  secondary: ['--chart-secondary', '#0ea5e9'],
  success: ['--chart-success', '#12b76a'],
  danger: ['--chart-danger', '#f04438'],
};

function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})$/i.exec(color);
  if (!hex?.[1]) return color;
  const n = Number.parseInt(hex[1], 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** Axis ticks: `14:00` for hours, `Nov 25` for days and weeks. */
function tickLabel(seconds: number, granularity: Granularity, storeTimeZone: string): string {
  const date = new Date(seconds * 1000);
  const options: Intl.DateTimeFormatOptions =
    granularity === 'hour' ? { hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric' };
  try {
    return new Intl.DateTimeFormat(undefined, {
      ...options,
      timeZone: bucketZone(granularity, storeTimeZone),
    }).format(date);
  } catch {
    return date.toISOString().slice(5, 10);
  }
}

function buildOptions(
  width: number,
  height: number,
  series: readonly ChartSeries[],
  interval: Granularity,
  timeZone: string,
): uPlot.Options {
  const grid = cssColor('--chart-grid', '#eef0f3');
  const axis = cssColor('--chart-axis', '#667085');
  const font = `12px ${cssColor('--font-chart', 'system-ui, sans-serif')}`;
  const hasY2 = series.some((s) => s.scale === 'y2');
  const formatOf = (scale: 'y' | 'y2') =>
    (series.find((s) => (s.scale ?? 'y') === scale) ?? series[0])?.format ?? String;
  const incrsOf = (scale: 'y' | 'y2') =>
    series.filter((s) => (s.scale ?? 'y') === scale).every((s) => s.integer) ? { incrs: INTEGER_INCRS } : {};
  return {
    width,
    height,
    padding: [12, hasY2 ? 8 : 16, 0, 4],
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), bucketZone(interval, timeZone)),
    legend: { show: true, live: true },
    cursor: { points: { size: 8, width: 2 }, drag: { x: false, y: false } },
    scales: {
      x: { time: true },
      y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      y2: { range: (_u, _min, max) => [0, max > 0 ? max * 1.2 : 1] },
    },
    axes: [
      {
        stroke: axis,
        font,
        grid: { show: false },
        ticks: { show: false },
        values: (_u, ticks) => ticks.map((t) => tickLabel(t, interval, timeZone)),
      },
      {
        stroke: axis,
        font,
        size: 64,
        gap: 8,
        grid: { stroke: grid, width: 1 },
        ticks: { show: false },
        values: (_u, ticks) => ticks.map((t) => formatOf('y')(t)),
        ...incrsOf('y'),
      },
      ...(hasY2
        ? [
            {
              scale: 'y2',
              side: 1,
              stroke: axis,
              font,
              size: 56,
              gap: 8,
              grid: { show: false },
              ticks: { show: false },
              values: (_u: uPlot, ticks: number[]) => ticks.map((t) => formatOf('y2')(t)),
              ...incrsOf('y2'),
            } satisfies uPlot.Axis,
          ]
        : []),
    ],
    series: [
      // Values show while hovering only; the legend is just the key otherwise (see .u-legend in styles.css).
      {
        value: (_u, ts) =>
          ts === null ? '' : formatBucket(new Date(ts * 1000).toISOString(), interval, timeZone),
      },
      ...series.map((s): uPlot.Series => {
        const [variable, fallback] = TONES[s.tone];
        const color = cssColor(variable, fallback);
        const common = {
          label: s.label,
          scale: s.scale ?? 'y',
          value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '' : s.format(v)),
        };
        if (s.bars) {
          return {
            ...common,
            stroke: color,
            fill: withAlpha(color, 0.55),
            width: 0,
            paths: uPlot.paths.bars?.({ size: [0.6, 24], gap: 2 }),
            points: { show: false },
          };
        }
        return {
          ...common,
          stroke: color,
          width: s.tone === 'previous' ? 1.5 : 2.25,
          dash: s.tone === 'previous' ? [5, 4] : undefined,
          fill: s.tone === 'primary' ? withAlpha(color, 0.08) : undefined,
          points: { show: false },
          spanGaps: false,
        };
      }),
    ],
  };
}

/**
 * A uPlot time series that follows its container's width. uPlot styles its own elements through the CSSOM
 * (element.style), which the strict CSP allows; its stylesheet is bundled into ours.
 */
export function TimeChart({
  buckets,
  series,
  interval,
  timeZone,
  height = 260,
  label,
}: {
  buckets: readonly string[];
  series: readonly ChartSeries[];
  interval: Granularity;
  timeZone: string;
  height?: number;
  label: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  // Parents build `series` afresh on each render; redraw only when what is drawn changes.
  const signature = JSON.stringify([
    buckets,
    series.map((s) => [s.label, s.tone, s.bars, s.scale, s.values]),
  ]);
  const latest = useRef({ buckets, series });
  latest.current = { buckets, series };

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const current = latest.current;
    const data: uPlot.AlignedData = [
      current.buckets.map((b) => bucketMs(b) / 1000),
      ...current.series.map((s) => current.buckets.map((_, i) => s.values[i] ?? null)),
    ];
    const width = Math.max(element.clientWidth, 280);
    const plot = new uPlot(buildOptions(width, height, current.series, interval, timeZone), data, element);
    const observer = new ResizeObserver(() => {
      const next = Math.max(element.clientWidth, 280);
      if (Math.abs(next - plot.width) > 1) plot.setSize({ width: next, height });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [signature, interval, timeZone, height]);

  return <div class="chart" ref={host} role="img" aria-label={label} />;
}

/** The accessible twin of a chart: the same numbers as a table, exportable like every table. */
export function ChartTable({
  buckets,
  series,
  interval,
  timeZone,
  caption,
  exportName,
}: {
  buckets: readonly string[];
  series: readonly ChartSeries[];
  interval: Granularity;
  timeZone: string;
  caption: string;
  exportName: string[];
}) {
  const rows = buckets.map((bucket, index) => ({ bucket, index }));
  const columns: Column<{ bucket: string; index: number }>[] = [
    {
      key: 'bucket',
      label: interval === 'hour' ? 'Hour' : interval === 'week' ? 'Week' : 'Day',
      value: (r) => r.bucket,
      render: (r) => formatBucket(r.bucket, interval, timeZone),
    },
    ...series.map(
      (s, si): Column<{ bucket: string; index: number }> => ({
        key: `s${si}`,
        label: s.label,
        numeric: true,
        value: (r) => s.values[r.index] ?? null,
        format: s.format,
      }),
    ),
  ];
  return (
    <DataTable
      caption={caption}
      rows={rows}
      columns={columns}
      rowKey={(r) => r.bucket}
      exportName={exportName}
    />
  );
}

/** A card with a chart and a Chart/Table switch, so every chart has a table view. */
export function ChartCard({
  title,
  subtitle,
  buckets,
  series,
  interval,
  timeZone,
  exportName,
  height,
  actions,
}: {
  title: string;
  subtitle?: string;
  buckets: readonly string[];
  series: readonly ChartSeries[];
  interval: Granularity;
  timeZone: string;
  exportName: string[];
  height?: number;
  actions?: ComponentChildren;
}) {
  const [view, setView] = useState<'chart' | 'table'>('chart');
  const summary = `${title}: ${series.map((s) => s.label).join(' and ')} by ${interval}, ${buckets.length} points. Switch to the table view for the values.`;
  return (
    <section class="card chart-card" aria-label={title}>
      <header class="card-header">
        <div>
          <h2 class="card-title">{title}</h2>
          {subtitle && <p class="card-subtitle">{subtitle}</p>}
        </div>
        <div class="card-actions">
          {actions}
          <fieldset class="segmented">
            <legend class="sr-only">{`${title} view`}</legend>
            <button
              type="button"
              class="segment"
              aria-pressed={view === 'chart'}
              onClick={() => setView('chart')}
            >
              <IconChart /> <span>Chart</span>
            </button>
            <button
              type="button"
              class="segment"
              aria-pressed={view === 'table'}
              onClick={() => setView('table')}
            >
              <IconTable /> <span>Table</span>
            </button>
          </fieldset>
        </div>
      </header>
      {buckets.length === 0 ? (
        <p class="table-empty">No data for this period.</p>
      ) : view === 'chart' ? (
        <TimeChart
          buckets={buckets}
          series={series}
          interval={interval}
          timeZone={timeZone}
          height={height}
          label={summary}
        />
      ) : (
        <ChartTable
          buckets={buckets}
          series={series}
          interval={interval}
          timeZone={timeZone}
          caption={title}
          exportName={exportName}
        />
      )}
    </section>
  );
}
