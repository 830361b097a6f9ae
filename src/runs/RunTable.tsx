import { Button } from '@jupyterlab/ui-components';
import React from 'react';

import { StatusBadge } from '../components/StatusBadge';
import { formatDuration, formatStarted, runLabel } from '../format';
import { useSignal } from '../hooks';
import { sweepLabel } from '../sweep/groups';
import { MAX_COMPARED_RUNS } from '../sweep/sweeps';
import { Mlops } from '../types';
import {
  columnTitle,
  columnValue,
  ColumnId,
  resolveColumns,
  toggleColumn
} from './columns';
import { visibleWindow } from './layout';
import { RunsModel } from './model';
import { reproductionText } from './nesting';

/** Height in pixels of every table row (fixed, for windowing). */
export const ROW_HEIGHT = 26;

interface IRunTableProps {
  readonly model: RunsModel;
  readonly onOpen: (id: string) => void;
  readonly onCompare: (ids: string[]) => void;
  /** Compare the runs of a sweep; `loaded` are the ones of the sub-group. */
  readonly onCompareSweep?: (sweepId: string, loaded: string[]) => void;
}

interface IColumnDef {
  readonly id: string;
  readonly title: string;
  readonly sortKey: Mlops.SortKey | null;
  /** Pixels; 0: the flexible name column. */
  readonly width: number;
}

const BASE_COLUMNS: IColumnDef[] = [
  { id: 'select', title: 'Select', sortKey: null, width: 24 },
  { id: 'status', title: 'Status', sortKey: 'status', width: 74 },
  { id: 'name', title: 'Name', sortKey: 'name', width: 0 },
  { id: 'started', title: 'Started', sortKey: 'started_at', width: 56 },
  { id: 'duration', title: 'Duration', sortKey: 'duration', width: 62 }
];

/** Deepest indentation of nested reproductions (deeper ones line up with it). */
const MAX_INDENT = 4;

/** Minimum width of the name column (it takes the rest of the width). */
const NAME_MIN_WIDTH = 100;

/** The filter box with the server's message for a bad expression under it. */
function FilterBox(props: { model: RunsModel }): JSX.Element {
  const { model } = props;
  const [text, setText] = React.useState(model.filter);
  React.useEffect(() => {
    const timer = window.setTimeout(() => model.setFilter(text), 400);
    return () => window.clearTimeout(timer);
  }, [text, model]);
  return (
    <div className="jp-mlops-filter">
      <input
        className="jp-mlops-filter-input jp-mod-styled"
        type="search"
        aria-label="Filter runs"
        aria-invalid={model.filterError !== null}
        aria-describedby={
          model.filterError !== null ? 'jp-mlops-filter-error' : undefined
        }
        placeholder='params.lr < 0.1 and status = "finished"'
        title='Filter, e.g. params.lr < 0.1 and metrics.acc >= 0.9 and status = "finished", name ~ "base"'
        spellCheck={false}
        value={text}
        onChange={event => setText(event.target.value)}
        onKeyDown={event => {
          if (event.key === 'Enter') {
            model.setFilter(text);
          }
        }}
      />
      {model.filterError !== null && (
        <div
          id="jp-mlops-filter-error"
          className="jp-mlops-filter-error"
          role="alert"
        >
          {model.filterError}
        </div>
      )}
    </div>
  );
}

/** Checkboxes choosing the parameter and metric columns. */
function ColumnChooser(props: { model: RunsModel }): JSX.Element {
  const { model } = props;
  const shown = resolveColumns(model.columns, model.keys);
  const section = (kind: 'params' | 'metrics', title: string) => {
    const keys = model.keys[kind];
    return (
      <fieldset className="jp-mlops-columns-group">
        <legend>{title}</legend>
        {keys.length === 0 && (
          <div className="jp-mlops-muted">none recorded yet</div>
        )}
        {keys.map(key => {
          const id = `${kind}.${key}` as ColumnId;
          return (
            <label key={id} className="jp-mlops-columns-item">
              <input
                type="checkbox"
                checked={shown.includes(id)}
                onChange={() =>
                  model.setColumns(toggleColumn(model.columns, model.keys, id))
                }
              />
              {key}
            </label>
          );
        })}
      </fieldset>
    );
  };
  return (
    <div
      className="jp-mlops-columns"
      role="group"
      aria-label="Choose table columns"
    >
      {section('metrics', 'Metrics')}
      {section('params', 'Parameters')}
      <Button
        className="jp-mlops-small-button"
        minimal
        small
        onClick={() => model.setColumns(null)}
      >
        Automatic
      </Button>
    </div>
  );
}

/** The grouped, virtualized, sortable run table with its toolbar. */
export function RunTable(props: IRunTableProps): JSX.Element {
  const { model, onOpen, onCompare, onCompareSweep } = props;
  useSignal(model.changed);
  const [chooserOpen, setChooserOpen] = React.useState(false);
  const [scrollTop, setScrollTop] = React.useState(0);
  const [viewport, setViewport] = React.useState(400);
  // Visible width of the table: a sweep header keeps its button within it (0: unknown).
  const [viewWidth, setViewWidth] = React.useState(0);
  const [focusIndex, setFocusIndex] = React.useState<number | null>(null);
  const scrollRef = React.useRef<HTMLDivElement>(null);

  const extra = resolveColumns(model.columns, model.keys);
  const columns: IColumnDef[] = [
    ...BASE_COLUMNS,
    ...extra.map(id => ({
      id,
      title: columnTitle(id),
      sortKey: id as Mlops.SortKey,
      width: 76
    }))
  ];
  const template = columns
    .map(c => (c.width ? `${c.width}px` : `minmax(${NAME_MIN_WIDTH}px, 1fr)`))
    .join(' ');
  const minWidth = columns.reduce(
    (sum, c) => sum + (c.width || NAME_MIN_WIDTH),
    0
  );
  const layout = model.layout;
  const { start, end } = visibleWindow(
    scrollTop,
    viewport - ROW_HEIGHT,
    ROW_HEIGHT,
    layout.count
  );

  React.useEffect(() => {
    model.setVisibleRange(start, end);
  }, [model, start, end, layout]);

  React.useEffect(() => {
    const node = scrollRef.current;
    if (!node) {
      return;
    }
    const observer = new ResizeObserver(() => {
      setViewport(node.clientHeight || 400);
      setViewWidth(node.clientWidth);
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, []);

  // Keep keyboard focus on the active row after it scrolled into the rendered window.
  React.useEffect(() => {
    if (focusIndex === null) {
      return;
    }
    const node = scrollRef.current?.querySelector<HTMLElement>(
      `[data-index="${focusIndex}"]`
    );
    if (node && document.activeElement !== node) {
      node.focus({ preventScroll: true });
    }
  });

  const moveFocus = (index: number) => {
    const target = Math.max(0, Math.min(layout.count - 1, index));
    const node = scrollRef.current;
    if (node) {
      // Row tops are below the sticky header row.
      const top = target * ROW_HEIGHT;
      if (top < node.scrollTop) {
        node.scrollTop = top;
      } else if (top + 2 * ROW_HEIGHT > node.scrollTop + node.clientHeight) {
        node.scrollTop = top + 2 * ROW_HEIGHT - node.clientHeight;
      }
    }
    setFocusIndex(target);
  };

  const onRowKey = (
    event: React.KeyboardEvent,
    index: number,
    run: Mlops.IRunSummary | undefined,
    toggle: (() => void) | null
  ) => {
    switch (event.key) {
      case 'ArrowDown':
        event.preventDefault();
        moveFocus(index + 1);
        break;
      case 'ArrowUp':
        event.preventDefault();
        moveFocus(index - 1);
        break;
      case 'Home':
        event.preventDefault();
        moveFocus(0);
        break;
      case 'End':
        event.preventDefault();
        moveFocus(layout.count - 1);
        break;
      case 'Enter':
        event.preventDefault();
        if (run) {
          onOpen(run.id);
        } else {
          toggle?.();
        }
        break;
      case ' ':
        event.preventDefault();
        if (run) {
          model.toggleSelected(run.id);
        } else {
          toggle?.();
        }
        break;
    }
  };

  const rows: JSX.Element[] = [];
  for (let index = start; index < end; index++) {
    const row = layout.rowAt(index);
    if (!row) {
      continue;
    }
    const group = model.groups[row.group];
    const style: React.CSSProperties = {
      top: index * ROW_HEIGHT,
      height: ROW_HEIGHT,
      gridTemplateColumns: template
    };
    if (row.kind === 'group') {
      rows.push(
        <div
          key={`g:${group.name}`}
          role="row"
          className="jp-mlops-group-row"
          data-index={index}
          tabIndex={0}
          aria-expanded={!group.collapsed}
          style={{ top: index * ROW_HEIGHT, height: ROW_HEIGHT }}
          onClick={() => model.toggleGroup(group.name)}
          onFocus={() => setFocusIndex(index)}
          onKeyDown={e =>
            onRowKey(e, index, undefined, () => model.toggleGroup(group.name))
          }
        >
          <span role="gridcell" className="jp-mlops-group-cell">
            <span className="jp-mlops-caret" aria-hidden="true">
              {group.collapsed ? '▸' : '▾'}
            </span>
            <span className="jp-mlops-group-name" title={group.name}>
              {group.name}
            </span>
            <span className="jp-mlops-group-count">{group.total}</span>
          </span>
        </div>
      );
      continue;
    }
    const item = model.rowEntry(row);
    if (item?.kind === 'sweep') {
      const label = sweepLabel(item);
      const toggle = () => model.toggleSweep(item.sweepId);
      rows.push(
        <div
          key={`s:${group.name}:${row.kind === 'slot' ? row.page : 0}:${item.sweepId}`}
          role="row"
          className="jp-mlops-sweep-row"
          data-index={index}
          data-sweep-id={item.sweepId}
          data-experiment={group.name}
          tabIndex={0}
          aria-expanded={!item.collapsed}
          aria-label={label}
          title={`${label}, sweep ${item.sweepId}: click to ${item.collapsed ? 'expand' : 'collapse'}`}
          style={{ top: index * ROW_HEIGHT, height: ROW_HEIGHT }}
          onClick={toggle}
          onFocus={() => setFocusIndex(index)}
          onKeyDown={e => onRowKey(e, index, undefined, toggle)}
        >
          <span
            role="gridcell"
            className="jp-mlops-group-cell jp-mlops-sweep-cell"
            style={
              viewWidth > 0
                ? {
                    maxWidth: `calc(${viewWidth}px - var(--jp-mlops-indent, 14px))`
                  }
                : undefined
            }
          >
            <span className="jp-mlops-caret" aria-hidden="true">
              {item.collapsed ? '▸' : '▾'}
            </span>
            <span className="jp-mlops-sweep-name">{label}</span>
            {onCompareSweep && (
              <button
                className="jp-mlops-sweep-compare"
                type="button"
                title={`Compare the runs of sweep ${item.sweepId} (at most ${MAX_COMPARED_RUNS})`}
                onClick={event => {
                  event.stopPropagation();
                  onCompareSweep(item.sweepId, item.runIds);
                }}
                onKeyDown={event => event.stopPropagation()}
              >
                Compare sweep
              </button>
            )}
          </span>
        </div>
      );
      continue;
    }
    const entry = item?.entry;
    const inSweep = item?.sweepId ?? null;
    const run = entry?.run;
    if (!entry || !run) {
      rows.push(
        <div
          key={`l:${group.name}:${row.kind === 'slot' ? `${row.page}:${row.slot}` : row.offset}`}
          role="row"
          className="jp-mlops-run-row jp-mlops-row-loading"
          data-index={index}
          tabIndex={-1}
          style={style}
          aria-busy="true"
        >
          <span role="gridcell" className="jp-mlops-muted">
            …
          </span>
        </div>
      );
      continue;
    }
    const selected = model.selected.includes(run.id);
    const label = runLabel(run);
    const nesting = reproductionText(entry);
    const rowLabel = nesting ? `${label}, ${nesting}` : label;
    rows.push(
      <div
        key={`r:${run.id}`}
        role="row"
        className={`jp-mlops-run-row${selected ? ' jp-mod-selected' : ''}${entry.depth > 0 ? ' jp-mlops-nested' : ''}`}
        data-index={index}
        data-run-id={run.id}
        data-experiment={run.experiment}
        data-reproduction-of={run.reproduction_of ?? undefined}
        data-sweep-id={run.sweep_id ?? undefined}
        tabIndex={0}
        aria-selected={selected}
        aria-label={rowLabel}
        title={`${label} (${run.id}): Enter or double-click for details, Space to select`}
        style={style}
        onFocus={() => setFocusIndex(index)}
        onDoubleClick={() => onOpen(run.id)}
        onKeyDown={e => onRowKey(e, index, run, null)}
      >
        <span role="gridcell" className="jp-mlops-cell">
          <input
            type="checkbox"
            tabIndex={-1}
            aria-label={`Select ${label}`}
            checked={selected}
            onChange={() => model.toggleSelected(run.id)}
            onDoubleClick={e => e.stopPropagation()}
          />
        </span>
        <span role="gridcell" className="jp-mlops-cell">
          <StatusBadge status={run.status} errorType={run.error_type} />
        </span>
        <span
          role="gridcell"
          className="jp-mlops-cell jp-mlops-run-name"
          title={nesting ? `${label} (${nesting})` : undefined}
          style={
            entry.depth > 0 || inSweep
              ? {
                  paddingLeft: `calc(4px + ${Math.min(entry.depth + (inSweep ? 1 : 0), MAX_INDENT)} * var(--jp-mlops-indent))`
                }
              : undefined
          }
        >
          {entry.depth > 0 && (
            <span className="jp-mlops-nest-glyph" aria-hidden="true">
              ↳{' '}
            </span>
          )}
          {label}
          {entry.detached && (
            <span className="jp-mlops-repro-marker" aria-hidden="true">
              ↻ reproduction
            </span>
          )}
        </span>
        <span
          role="gridcell"
          className="jp-mlops-cell"
          title={run.started_at ?? ''}
        >
          {formatStarted(run.started_at)}
        </span>
        <span role="gridcell" className="jp-mlops-cell jp-mlops-num">
          {formatDuration(run.duration)}
        </span>
        {extra.map(id => (
          <span
            key={id}
            role="gridcell"
            className="jp-mlops-cell jp-mlops-num"
            title={`${id} = ${columnValue(run, id)}`}
          >
            {columnValue(run, id)}
          </span>
        ))}
      </div>
    );
  }

  const selectedCount = model.selected.length;
  const empty = !model.loading && layout.count === 0 && !model.error;

  return (
    <div className="jp-mlops-runs">
      <FilterBox model={model} />
      <div className="jp-mlops-toolbar">
        <Button
          className="jp-mlops-small-button"
          small
          disabled={selectedCount < 2}
          title={
            selectedCount < 2
              ? 'Select two or more runs to compare them'
              : `Compare ${selectedCount} runs`
          }
          onClick={() => onCompare([...model.selected])}
        >
          {`Compare (${selectedCount})`}
        </Button>
        {selectedCount > 0 && (
          <Button
            className="jp-mlops-small-button"
            small
            minimal
            onClick={() => model.clearSelection()}
          >
            Clear
          </Button>
        )}
        <span className="jp-mlops-spacer" />
        <Button
          className="jp-mlops-small-button"
          small
          minimal
          aria-expanded={chooserOpen}
          onClick={() => setChooserOpen(!chooserOpen)}
        >
          Columns
        </Button>
      </div>
      {chooserOpen && <ColumnChooser model={model} />}
      {model.error && (
        <div className="jp-mlops-error" role="status">
          <div>{model.error.summary}</div>
          <div>{model.error.action}</div>
        </div>
      )}
      <div
        className="jp-mlops-table"
        ref={scrollRef}
        role="grid"
        aria-label="Experiment runs"
        aria-rowcount={layout.count + 1}
        aria-multiselectable="true"
        onScroll={event => setScrollTop(event.currentTarget.scrollTop)}
      >
        <div
          role="row"
          className="jp-mlops-header-row"
          style={{
            gridTemplateColumns: template,
            minWidth,
            height: ROW_HEIGHT
          }}
        >
          {columns.map(column => {
            const sorted =
              column.sortKey !== null && model.sort.key === column.sortKey;
            const ariaSort = sorted
              ? model.sort.order === 'asc'
                ? 'ascending'
                : 'descending'
              : column.sortKey
                ? 'none'
                : undefined;
            return (
              <div
                key={column.id}
                role="columnheader"
                aria-sort={ariaSort}
                className="jp-mlops-cell jp-mlops-header-cell"
                title={column.id.includes('.') ? column.id : column.title}
              >
                {column.sortKey ? (
                  <button
                    className="jp-mlops-sort-button"
                    onClick={() => model.setSort(column.sortKey!)}
                  >
                    <span className="jp-mlops-header-text">{column.title}</span>
                    <span aria-hidden="true">
                      {sorted ? (model.sort.order === 'asc' ? ' ▲' : ' ▼') : ''}
                    </span>
                  </button>
                ) : (
                  <span className="jp-mlops-visually-hidden">
                    {column.title}
                  </span>
                )}
              </div>
            );
          })}
        </div>
        <div
          className="jp-mlops-table-body"
          role="rowgroup"
          style={{ height: layout.count * ROW_HEIGHT, minWidth }}
        >
          {rows}
        </div>
      </div>
      {empty && (
        <div className="jp-mlops-empty">
          {model.filter.trim()
            ? 'No runs match the filter.'
            : 'No runs yet. Put %%track on a notebook cell to record one.'}
        </div>
      )}
    </div>
  );
}
