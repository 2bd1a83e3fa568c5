import { useState } from 'preact/hooks';
import type { Filter, FilterDimensionKey } from '../api/types.js';
import { DIMENSIONS, dimensionLabel, parseFilters, serializeFilter } from '../lib/filters.js';
import { updateQuery, useLocation } from '../lib/router.js';
import { IconFilter, IconPlus, IconX } from './icons.js';

export function useFilters(): Filter[] {
  const { query } = useLocation();
  return parseFilters(query);
}

/** Sets a filter; a dimension has one value at a time (the API filters by equality). */
export function addFilter(filter: Filter): void {
  updateQuery((q) => {
    const kept = q.getAll('filter').filter((f) => !f.startsWith(`${filter.dimension}:`));
    q.delete('filter');
    for (const f of [...kept, serializeFilter(filter)]) q.append('filter', f);
  });
}

function removeFilter(filter: Filter): void {
  updateQuery((q) => {
    const kept = q.getAll('filter').filter((f) => !f.startsWith(`${filter.dimension}:`));
    q.delete('filter');
    for (const f of kept) q.append('filter', f);
  });
}

/** Active filters as removable chips, and a small form to add one. Every report on every page applies them. */
export function FilterBar() {
  const filters = useFilters();
  const [open, setOpen] = useState(false);
  const [dimension, setDimension] = useState<FilterDimensionKey>('channel');
  const [value, setValue] = useState('');

  return (
    <div class="filter-bar">
      <ul class="chips" aria-label="Active filters">
        {filters.map((filter) => (
          <li key={serializeFilter(filter)} class="chip">
            <span class="chip-dim">{dimensionLabel(filter.dimension)}</span>
            <span class="chip-op">is</span>
            <span class="chip-value">{filter.value}</span>
            <button
              type="button"
              class="chip-remove"
              onClick={() => removeFilter(filter)}
              aria-label={`Remove filter ${dimensionLabel(filter.dimension)} is ${filter.value}`}
            >
              <IconX />
            </button>
          </li>
        ))}
      </ul>
      {open ? (
        <form
          class="filter-form"
          onSubmit={(event) => {
            event.preventDefault();
            const trimmed = value.trim();
            if (!trimmed) return;
            addFilter({ dimension, value: trimmed });
            setValue('');
            setOpen(false);
          }}
        >
          <label class="sr-only" for="filter-dimension">
            Dimension
          </label>
          <select
            id="filter-dimension"
            class="select select-sm"
            value={dimension}
            onChange={(e) => setDimension(e.currentTarget.value as FilterDimensionKey)}
          >
            {DIMENSIONS.map((d) => (
              <option key={d.key} value={d.key}>
                {d.label}
              </option>
            ))}
          </select>
          <span class="chip-op">is</span>
          <label class="sr-only" for="filter-value">
            Value
          </label>
          <input
            id="filter-value"
            class="input input-sm"
            value={value}
            maxLength={1024}
            placeholder="Value"
            onInput={(e) => setValue(e.currentTarget.value)}
          />
          <button type="submit" class="btn btn-primary btn-sm">
            Apply
          </button>
          <button type="button" class="btn btn-ghost btn-sm" onClick={() => setOpen(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <button
          type="button"
          class="btn btn-ghost btn-sm"
          onClick={() => setOpen(true)}
          aria-expanded={false}
        >
          {filters.length === 0 ? <IconFilter /> : <IconPlus />}{' '}
          {filters.length === 0 ? 'Filter' : 'Add filter'}
        </button>
      )}
    </div>
  );
}

/** A breakdown value as a button that filters every report by it. */
export function FilterLink({ dimension, value }: { dimension: FilterDimensionKey; value: string | null }) {
  if (value === null || value === '') return <span class="muted">(none)</span>;
  return (
    <button
      type="button"
      class="link-button"
      onClick={() => addFilter({ dimension, value })}
      title={`Filter by ${value}`}
    >
      {value}
    </button>
  );
}
