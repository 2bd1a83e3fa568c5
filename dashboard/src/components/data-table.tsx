import type { ComponentChildren } from 'preact';
import { useContext, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { type CsvValue, csvFileName, downloadCsv, toCsv } from '../lib/csv.js';
import { IconArrowDown, IconArrowUp, IconDownload } from './icons.js';
import { CardExportContext } from './ui.js';

export interface Column<T> {
  key: string;
  label: string;
  /** The raw value: sorting and CSV use it. */
  value: (row: T) => CsvValue;
  /** What the cell shows; defaults to `format(value)` or the value as text. */
  render?: (row: T) => ComponentChildren;
  format?: (value: number) => string;
  numeric?: boolean;
  sortable?: boolean;
  /** Leave out of the CSV (action buttons). */
  exportable?: boolean;
  /** Hidden on narrow screens. */
  secondary?: boolean;
  /** Only in the CSV (e.g. a SKU already shown inside another cell). */
  hidden?: boolean;
}

export interface SortState {
  key: string;
  descending: boolean;
}

function compareValues(a: CsvValue, b: CsvValue): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });
}

/**
 * A sortable, exportable table. Every value is rendered as a text node — never as HTML — so event names,
 * paths and UTM values from the wild cannot inject markup. `bar` draws each row's share of the largest value
 * behind the first cell (SVG, so the strict CSP's no-inline-style rule holds).
 */
export function DataTable<T>({
  caption,
  rows,
  columns,
  rowKey,
  exportName,
  initialSort,
  bar,
  limit,
  empty,
  toolbar,
  hideCaption = true,
  rowClass,
}: {
  caption: string;
  rows: readonly T[];
  columns: readonly Column<T>[];
  rowKey: (row: T) => string;
  /** File name parts for the CSV; no export button when absent. */
  exportName?: string[];
  initialSort?: SortState;
  bar?: (row: T) => number;
  /** Show the first N rows with a "Show all" button. */
  limit?: number;
  empty?: ComponentChildren;
  toolbar?: ComponentChildren;
  hideCaption?: boolean;
  rowClass?: (row: T) => string | undefined;
}) {
  const [sort, setSort] = useState<SortState | null>(initialSort ?? null);
  const [expanded, setExpanded] = useState(false);

  const sorted = useMemo(() => {
    if (!sort) return rows;
    const column = columns.find((c) => c.key === sort.key);
    if (!column) return rows;
    const out = [...rows].sort((a, b) => compareValues(column.value(a), column.value(b)));
    return sort.descending ? out.reverse() : out;
  }, [rows, columns, sort]);

  const maxBar = useMemo(() => (bar ? Math.max(0, ...rows.map(bar)) : 0), [rows, bar]);
  const shown = limit && !expanded ? sorted.slice(0, limit) : sorted;
  const visibleColumns = columns.filter((c) => !c.hidden);

  const exportCsv = () => {
    const exported = columns.filter((c) => c.exportable !== false);
    const csv = toCsv(
      exported.map((c) => c.label),
      sorted.map((row) => exported.map((c) => c.value(row))),
    );
    downloadCsv(csvFileName(...(exportName ?? [caption]), new Date().toISOString().slice(0, 10)), csv);
  };

  // Inside a titled card the CSV button sits in the card's header; the latest rows and sort are exported.
  const registerExport = useContext(CardExportContext);
  const exportRef = useRef(exportCsv);
  exportRef.current = exportCsv;
  const inCardHeader = registerExport !== null && exportName !== undefined;
  const hasRows = rows.length > 0;
  useEffect(() => {
    if (!registerExport || !exportName || !hasRows) return;
    registerExport({ label: caption, run: () => exportRef.current() });
    return () => registerExport(null);
  }, [registerExport, caption, hasRows]);

  const toggleSort = (column: Column<T>) => {
    setSort((current) =>
      current?.key === column.key
        ? { key: column.key, descending: !current.descending }
        : { key: column.key, descending: column.numeric === true },
    );
  };

  return (
    <div class="table-block">
      {(toolbar || (exportName && !inCardHeader)) && (
        <div class="table-toolbar">
          <div class="table-toolbar-start">{toolbar}</div>
          {exportName && !inCardHeader && (
            <button
              type="button"
              class="btn btn-ghost btn-sm"
              onClick={exportCsv}
              disabled={rows.length === 0}
              aria-label={`Export ${caption} as CSV`}
            >
              <IconDownload /> CSV
            </button>
          )}
        </div>
      )}
      {rows.length === 0 ? (
        (empty ?? <p class="table-empty">No data for this period.</p>)
      ) : (
        <div class="table-scroll">
          <table class="table">
            <caption class={hideCaption ? 'sr-only' : 'table-caption'}>{caption}</caption>
            <thead>
              <tr>
                {visibleColumns.map((column) => {
                  const active = sort?.key === column.key;
                  const ariaSort = active ? (sort?.descending ? 'descending' : 'ascending') : undefined;
                  const classes = [column.numeric ? 'num' : '', column.secondary ? 'secondary' : '']
                    .filter(Boolean)
                    .join(' ');
                  return (
                    <th key={column.key} scope="col" class={classes || undefined} aria-sort={ariaSort}>
                      {column.sortable === false ? (
                        column.label
                      ) : (
                        <button type="button" class="th-sort" onClick={() => toggleSort(column)}>
                          {column.label}
                          <span class={`sort-mark${active ? ' active' : ''}`}>
                            {active && sort?.descending ? <IconArrowDown /> : <IconArrowUp />}
                          </span>
                        </button>
                      )}
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody>
              {shown.map((row) => (
                <tr key={rowKey(row)} class={rowClass?.(row)}>
                  {visibleColumns.map((column, index) => {
                    const raw = column.value(row);
                    const content = column.render
                      ? column.render(row)
                      : column.format && typeof raw === 'number'
                        ? column.format(raw)
                        : raw === null || raw === undefined
                          ? '—'
                          : String(raw);
                    const classes = [column.numeric ? 'num' : '', column.secondary ? 'secondary' : '']
                      .filter(Boolean)
                      .join(' ');
                    if (index === 0 && bar) {
                      const share = maxBar > 0 ? Math.max(0, bar(row)) / maxBar : 0;
                      return (
                        <th key={column.key} scope="row" class="cell-bar">
                          <svg
                            class="row-bar"
                            viewBox="0 0 100 10"
                            preserveAspectRatio="none"
                            aria-hidden="true"
                          >
                            <rect width={(share * 100).toFixed(2)} height="10" rx="0" />
                          </svg>
                          <span class="cell-bar-text">{content}</span>
                        </th>
                      );
                    }
                    return index === 0 ? (
                      <th key={column.key} scope="row" class={classes || undefined}>
                        {content}
                      </th>
                    ) : (
                      <td key={column.key} class={classes || undefined}>
                        {content}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {limit !== undefined && rows.length > limit && (
        <div class="table-more">
          <button
            type="button"
            class="btn btn-link"
            onClick={() => setExpanded((e) => !e)}
            aria-expanded={expanded}
          >
            {expanded ? 'Show fewer' : `Show all ${rows.length}`}
          </button>
        </div>
      )}
    </div>
  );
}
