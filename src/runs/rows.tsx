/**
 * The rows of the run table: experiment group headers, sweep sub-group headers, runs, and
 * placeholders for runs whose page is still loading. Every row is absolutely placed at its index.
 */
import React from 'react';

import { StatusBadge } from '../components/StatusBadge';
import {
  experimentText,
  formatDuration,
  formatFullTime,
  formatTime
} from '../format';
import { ISweepHeader, sweepLabel } from '../sweep/groups';
import { MAX_COMPARED_RUNS } from '../sweep/sweeps';
import { IRunGroup } from '../tokens';
import { Mlops } from '../types';
import { columnValue, ColumnId } from './columns';
import { RunsModel } from './model';
import { INestedRun, reproductionText } from './nesting';
import { IColumnDef, nameIndent, ROW_HEIGHT } from './table';

/** What the table does when a row gets the focus or a key. */
export interface IRowEvents {
  focused(index: number): void;
  /** `run` for a run row; `toggle` folds or unfolds a header row. */
  keyDown(
    event: React.KeyboardEvent,
    index: number,
    run: Mlops.IRunSummary | undefined,
    toggle: (() => void) | null
  ): void;
}

/** What every row of the window is rendered with. */
export interface IRowsContext {
  readonly model: RunsModel;
  readonly events: IRowEvents;
  /** The grid template of the columns. */
  readonly template: string;
  /** The visible columns, in order. */
  readonly columns: ReadonlyArray<IColumnDef>;
  /** Visible width of the table (0: unknown). */
  readonly viewWidth: number;
  /** Absolute path of the Jupyter server's root ('' if unknown): experiments are shown below it. */
  readonly serverRoot: string;
  readonly onOpen: (id: string) => void;
  readonly onCompareSweep?: (sweepId: string, loaded: string[]) => void;
}

/** The rows `[start, end)` of the model's layout. */
export function TableRows(props: {
  context: IRowsContext;
  start: number;
  end: number;
}): JSX.Element {
  const { context, start, end } = props;
  const { model } = context;
  const rows: JSX.Element[] = [];
  for (let index = start; index < end; index++) {
    const row = model.layout.rowAt(index);
    if (!row) {
      continue;
    }
    const group = model.groups[row.group];
    if (row.kind === 'group') {
      rows.push(
        <GroupHeader
          key={`g:${group.name}`}
          context={context}
          group={group}
          index={index}
        />
      );
      continue;
    }
    const item = model.rowEntry(row);
    if (item?.kind === 'sweep') {
      const page = row.kind === 'slot' ? row.page : 0;
      rows.push(
        <SweepHeader
          key={`s:${group.name}:${page}:${item.sweepId}`}
          context={context}
          header={item}
          experiment={group.name}
          index={index}
        />
      );
      continue;
    }
    const entry = item?.entry;
    if (!entry || !entry.run) {
      const at = row.kind === 'slot' ? `${row.page}:${row.slot}` : row.offset;
      rows.push(
        <LoadingRow
          key={`l:${group.name}:${at}`}
          context={context}
          index={index}
        />
      );
      continue;
    }
    rows.push(
      <RunRow
        key={`r:${entry.run.id}`}
        context={context}
        entry={entry}
        inSweep={item?.sweepId ?? null}
        index={index}
      />
    );
  }
  return <>{rows}</>;
}

/** Where a row is: its top and height (and the columns for rows with cells). */
function rowStyle(index: number, template?: string): React.CSSProperties {
  const style = { top: index * ROW_HEIGHT, height: ROW_HEIGHT };
  return template === undefined
    ? style
    : { ...style, gridTemplateColumns: template };
}

/** An experiment: name and number of runs; click, Enter or Space folds it. */
function GroupHeader(props: {
  context: IRowsContext;
  group: IRunGroup;
  index: number;
}): JSX.Element {
  const { context, group, index } = props;
  const { model, events } = context;
  const toggle = () => model.toggleGroup(group.name);
  const text = experimentText(group.name, context.serverRoot);
  return (
    <div
      role="row"
      className="jp-mlops-group-row"
      data-index={index}
      tabIndex={0}
      aria-expanded={!group.collapsed}
      style={rowStyle(index)}
      onClick={toggle}
      onFocus={() => events.focused(index)}
      onKeyDown={e => events.keyDown(e, index, undefined, toggle)}
    >
      <span role="gridcell" className="jp-mlops-group-cell">
        <span className="jp-mlops-caret" aria-hidden="true">
          {group.collapsed ? '▸' : '▾'}
        </span>
        <span className="jp-mlops-group-name" title={text.title}>
          {text.head && (
            <span className="jp-mlops-group-head">{text.head}</span>
          )}
          <span className="jp-mlops-group-tail">{text.tail}</span>
        </span>
        <span className="jp-mlops-group-count">{group.total}</span>
      </span>
    </div>
  );
}

/** The runs of a sweep in a page: folds like a group, and compares the sweep's runs. */
function SweepHeader(props: {
  context: IRowsContext;
  header: ISweepHeader;
  experiment: string;
  index: number;
}): JSX.Element {
  const { context, header, experiment, index } = props;
  const { model, events, viewWidth, onCompareSweep } = context;
  const label = sweepLabel(header);
  const toggle = () => model.toggleSweep(header.sweepId);
  return (
    <div
      role="row"
      className="jp-mlops-sweep-row"
      data-index={index}
      data-sweep-id={header.sweepId}
      data-experiment={experiment}
      tabIndex={0}
      aria-expanded={!header.collapsed}
      aria-label={label}
      title={`${label}, sweep ${header.sweepId}: click to ${header.collapsed ? 'expand' : 'collapse'}`}
      style={rowStyle(index)}
      onClick={toggle}
      onFocus={() => events.focused(index)}
      onKeyDown={e => events.keyDown(e, index, undefined, toggle)}
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
          {header.collapsed ? '▸' : '▾'}
        </span>
        <span className="jp-mlops-sweep-name">{label}</span>
        {onCompareSweep && (
          <button
            className="jp-mlops-sweep-compare"
            type="button"
            title={`Compare the runs of sweep ${header.sweepId} (at most ${MAX_COMPARED_RUNS})`}
            onClick={event => {
              event.stopPropagation();
              onCompareSweep(header.sweepId, header.runIds);
            }}
            onKeyDown={event => event.stopPropagation()}
          >
            Compare sweep
          </button>
        )}
      </span>
    </div>
  );
}

/** A run whose page is not loaded yet. */
function LoadingRow(props: {
  context: IRowsContext;
  index: number;
}): JSX.Element {
  const { context, index } = props;
  return (
    <div
      role="row"
      className="jp-mlops-run-row jp-mlops-row-loading"
      data-index={index}
      tabIndex={-1}
      style={rowStyle(index, context.template)}
      aria-busy="true"
    >
      <span role="gridcell" className="jp-mlops-muted">
        …
      </span>
    </div>
  );
}

/** A run: one cell per visible column (checkbox, status, name, start, duration, chosen ones). */
function RunRow(props: {
  context: IRowsContext;
  entry: INestedRun;
  /** The sweep whose sub-group shows the run, or null. */
  inSweep: string | null;
  index: number;
}): JSX.Element {
  const { context, entry, inSweep, index } = props;
  const { model, events, onOpen } = context;
  const run = entry.run;
  const selected = model.selected.includes(run.id);
  const label = model.labelOf(run);
  const nesting = reproductionText(entry);
  return (
    <div
      role="row"
      className={`jp-mlops-run-row${selected ? ' jp-mod-selected' : ''}${entry.depth > 0 ? ' jp-mlops-nested' : ''}`}
      data-index={index}
      data-run-id={run.id}
      data-experiment={run.experiment}
      data-reproduction-of={run.reproduction_of ?? undefined}
      data-sweep-id={run.sweep_id ?? undefined}
      tabIndex={0}
      aria-selected={selected}
      aria-label={nesting ? `${label}, ${nesting}` : label}
      title={`${label} (${run.id}): Enter or double-click for details, Space to select`}
      style={rowStyle(index, context.template)}
      onFocus={() => events.focused(index)}
      onDoubleClick={() => onOpen(run.id)}
      onKeyDown={e => events.keyDown(e, index, run, null)}
    >
      {context.columns.map(column => (
        <RunCell
          key={column.id}
          id={column.id}
          context={context}
          entry={entry}
          inSweep={inSweep}
          label={label}
          nesting={nesting}
          selected={selected}
        />
      ))}
    </div>
  );
}

/** One cell of a run's row. */
function RunCell(props: {
  id: string;
  context: IRowsContext;
  entry: INestedRun;
  inSweep: string | null;
  label: string;
  nesting: string | null;
  selected: boolean;
}): JSX.Element {
  const { id, context, entry, inSweep, label, nesting, selected } = props;
  const run = entry.run;
  switch (id) {
    case 'select':
      return (
        <span role="gridcell" className="jp-mlops-cell">
          <input
            type="checkbox"
            tabIndex={-1}
            aria-label={`Select ${label}`}
            checked={selected}
            onChange={() => context.model.toggleSelected(run.id)}
            onDoubleClick={e => e.stopPropagation()}
          />
        </span>
      );
    case 'status':
      return (
        <span role="gridcell" className="jp-mlops-cell">
          <StatusBadge status={run.status} errorType={run.error_type} />
        </span>
      );
    case 'name': {
      const indent = nameIndent(entry.depth, !!inSweep);
      return (
        <span
          role="gridcell"
          className="jp-mlops-cell jp-mlops-run-name"
          title={nesting ? `${label} (${nesting})` : label}
          style={indent ? { paddingLeft: indent } : undefined}
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
      );
    }
    case 'started':
      return (
        <span
          role="gridcell"
          className="jp-mlops-cell"
          title={formatFullTime(run.started_at)}
        >
          {formatTime(run.started_at)}
        </span>
      );
    case 'duration':
      return (
        <span role="gridcell" className="jp-mlops-cell jp-mlops-num">
          {formatDuration(run.duration)}
        </span>
      );
  }
  const value = columnValue(run, id as ColumnId);
  return (
    <span
      role="gridcell"
      className="jp-mlops-cell jp-mlops-num"
      title={`${id} = ${value}`}
    >
      {value}
    </span>
  );
}
