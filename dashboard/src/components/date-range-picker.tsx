import { useMemo } from 'preact/hooks';
import { type DateRange, PRESETS, previousPeriod, resolveRange } from '../lib/date-range.js';
import { formatDay } from '../lib/format.js';
import { updateQuery, useLocation } from '../lib/router.js';

/** The range in the URL, resolved against the store's time zone. */
export function useDateRange(timeZone: string): DateRange {
  const { query } = useLocation();
  const text = query.toString();
  return useMemo(() => resolveRange(query, timeZone), [text, timeZone]);
}

export function rangeLabel(range: { from: string; to: string }): string {
  return range.from === range.to
    ? formatDay(range.from)
    : `${formatDay(range.from)} – ${formatDay(range.to)}`;
}

/** Presets, a custom range and the comparison switch, all kept in the URL. */
export function DateRangePicker({ range }: { range: DateRange }) {
  const previous = previousPeriod(range.from, range.to);
  return (
    <div class="range-picker">
      <div class="range-controls">
        <label class="sr-only" for="range-preset">
          Date range
        </label>
        <select
          id="range-preset"
          class="select"
          value={range.preset}
          onChange={(event) => {
            const preset = event.currentTarget.value;
            updateQuery((q) => {
              q.set('range', preset);
              if (preset === 'custom') {
                q.set('from', range.from);
                q.set('to', range.to);
              } else {
                q.delete('from');
                q.delete('to');
              }
            });
          }}
        >
          {PRESETS.map((p) => (
            <option key={p.id} value={p.id}>
              {p.label}
            </option>
          ))}
        </select>
        {range.preset === 'custom' && (
          <span class="range-custom">
            <label class="sr-only" for="range-from">
              From
            </label>
            <input
              id="range-from"
              class="input input-date"
              type="date"
              value={range.from}
              max={range.to}
              onChange={(event) => {
                const value = event.currentTarget.value;
                if (value) updateQuery((q) => q.set('from', value), { replace: true });
              }}
            />
            <span aria-hidden="true">–</span>
            <label class="sr-only" for="range-to">
              To
            </label>
            <input
              id="range-to"
              class="input input-date"
              type="date"
              value={range.to}
              min={range.from}
              onChange={(event) => {
                const value = event.currentTarget.value;
                if (value) updateQuery((q) => q.set('to', value), { replace: true });
              }}
            />
          </span>
        )}
        <label class="toggle">
          <input
            type="checkbox"
            checked={range.compare}
            onChange={(event) => {
              const checked = event.currentTarget.checked;
              updateQuery((q) => {
                if (checked) q.delete('compare');
                else q.set('compare', '0');
              });
            }}
          />
          <span class="toggle-track" aria-hidden="true" />
          <span>Compare</span>
        </label>
      </div>
      <p class="range-caption">
        {rangeLabel(range)}
        {range.compare && <span class="range-vs"> vs {rangeLabel(previous)}</span>}
      </p>
    </div>
  );
}
