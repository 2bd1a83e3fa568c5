import type { Metric } from '../api/types.js';
import { changeOf } from '../lib/format.js';
import { IconArrowDown, IconArrowUp } from './icons.js';

export interface KpiSpec {
  key: string;
  label: string;
  metric: Metric;
  format: (value: number) => string;
  /** Rates change in percentage points; counts and money in percent. */
  kind: 'count' | 'money' | 'rate';
  /** Bounce rate, refunds: a fall is good news. */
  lowerIsBetter?: boolean;
}

function deltaOf(
  spec: KpiSpec,
): { text: string; spoken: string; tone: 'up' | 'down' | 'flat'; good: boolean } | null {
  const { value, previous } = spec.metric;
  if (previous === null) return null;
  let change: number | null;
  let text: string;
  if (spec.kind === 'rate') {
    change = (value - previous) * 100;
    text = `${Math.abs(change).toFixed(1)} pp`;
  } else {
    change = changeOf(value, previous);
    if (change === null)
      return { text: 'new', spoken: 'new this period', tone: 'up', good: !spec.lowerIsBetter };
    text = `${Math.abs(change * 100).toFixed(change !== 0 && Math.abs(change) < 0.1 ? 1 : 0)}%`;
  }
  const tone = Math.abs(change) < 1e-9 ? 'flat' : change > 0 ? 'up' : 'down';
  const good = tone === 'flat' ? true : (tone === 'up') !== (spec.lowerIsBetter === true);
  const spoken =
    tone === 'flat' ? 'unchanged from the previous period' : `${tone} ${text} from the previous period`;
  return { text, spoken, tone, good };
}

function Tile({ spec, selected, onSelect }: { spec: KpiSpec; selected: boolean; onSelect?: () => void }) {
  const delta = deltaOf(spec);
  const body = (
    <>
      <span class="kpi-label">{spec.label}</span>
      <span class="kpi-value">{spec.format(spec.metric.value)}</span>
      {delta ? (
        <span class={`kpi-delta ${delta.tone === 'flat' ? 'flat' : delta.good ? 'good' : 'bad'}`}>
          {delta.tone === 'up' ? <IconArrowUp /> : delta.tone === 'down' ? <IconArrowDown /> : null}
          <span aria-hidden="true">{delta.text}</span>
          <span class="sr-only">{delta.spoken}</span>
        </span>
      ) : (
        <span class="kpi-delta flat">
          <span aria-hidden="true">–</span>
          <span class="sr-only">no comparison</span>
        </span>
      )}
      {spec.metric.previous !== null && (
        <span class="kpi-previous">vs {spec.format(spec.metric.previous)}</span>
      )}
    </>
  );
  return onSelect ? (
    <button
      type="button"
      class={`kpi${selected ? ' selected' : ''}`}
      aria-pressed={selected}
      onClick={onSelect}
    >
      {body}
    </button>
  ) : (
    <div class="kpi">{body}</div>
  );
}

/** KPI tiles with deltas against the previous period; selecting one charts it. */
export function KpiTiles({
  items,
  selected,
  onSelect,
  label,
}: {
  items: readonly KpiSpec[];
  selected?: string;
  onSelect?: (key: string) => void;
  label: string;
}) {
  return (
    <section class={`kpis kpis-${items.length}`} aria-label={label}>
      {items.map((spec) => (
        <Tile
          key={spec.key}
          spec={spec}
          selected={selected === spec.key}
          onSelect={onSelect ? () => onSelect(spec.key) : undefined}
        />
      ))}
    </section>
  );
}
