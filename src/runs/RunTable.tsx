import React from 'react';

import { ErrorAlert } from '../components/ErrorAlert';
import { useSignal } from '../hooks';
import { Mlops } from '../types';
import { ColumnPicker } from './ColumnPicker';
import { ColumnId, resolveColumns } from './columns';
import { FilterBar } from './FilterBar';
import { visibleWindow } from './layout';
import { RunsModel } from './model';
import { IRowEvents, IRowsContext, TableRows } from './rows';
import {
  gridTemplate,
  ROW_HEIGHT,
  rowKeyAction,
  scrollToRow,
  tableColumns,
  tableMinWidth
} from './table';
import { TableHeader } from './TableHeader';
import { TableToolbar } from './TableToolbar';
import { cellTexts, CELL_EXTRA, fontOf, textMeasure } from './measure';
import { contentWidths, fitColumns, IFittedColumns } from './widths';

interface IRunTableProps {
  readonly model: RunsModel;
  /** Absolute path of the Jupyter server's root ('' if unknown). */
  readonly serverRoot: string;
  readonly onOpen: (id: string) => void;
  readonly onCompare: (ids: string[]) => void;
  /** Compare the runs of a sweep; `loaded` are the ones of the sub-group. */
  readonly onCompareSweep?: (sweepId: string, loaded: string[]) => void;
}

/** The grouped, virtualized, sortable run table with its filter and toolbar. */
export function RunTable(props: IRunTableProps): JSX.Element {
  const { model, serverRoot, onOpen, onCompare, onCompareSweep } = props;
  useSignal(model.changed);
  const [pickerOpen, setPickerOpen] = React.useState(false);
  const [scrollTop, setScrollTop] = React.useState(0);
  const scrollRef = React.useRef<HTMLDivElement>(null);
  const { viewport, viewWidth, font } = useViewportSize(scrollRef);
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
  const events = useRowFocus(scrollRef, model, onOpen);

  const extra = resolveColumns(model.columns, model.keys);
  const { columns, hidden } = useFittedColumns(model, extra, viewWidth, font);
  const template = gridTemplate(columns);
  const minWidth = tableMinWidth(columns);
  const context: IRowsContext = {
    model,
    events,
    template,
    columns,
    viewWidth,
    serverRoot,
    onOpen,
    onCompareSweep
  };
  const empty = !model.loading && layout.count === 0 && !model.error;

  return (
    <div className="jp-mlops-runs">
      <FilterBar model={model} />
      <TableToolbar
        model={model}
        onCompare={onCompare}
        pickerOpen={pickerOpen}
        onTogglePicker={() => setPickerOpen(!pickerOpen)}
      />
      {pickerOpen && <ColumnPicker model={model} />}
      {model.error && <ErrorAlert error={model.error} role="status" />}
      <SkippedNotice skipped={model.skipped} />
      <div
        className="jp-mlops-table"
        ref={scrollRef}
        role="grid"
        aria-label="Experiment runs"
        aria-rowcount={layout.count + 1}
        aria-multiselectable="true"
        onScroll={event => setScrollTop(event.currentTarget.scrollTop)}
      >
        <TableHeader
          columns={columns}
          hidden={hidden}
          onResize={(id, width) => model.setColumnWidth(id, width)}
          template={template}
          minWidth={minWidth}
          sort={model.sort}
          onSort={key => model.setSort(key)}
        />
        <div
          className="jp-mlops-table-body"
          role="rowgroup"
          style={{ height: layout.count * ROW_HEIGHT, minWidth }}
        >
          <TableRows context={context} start={start} end={end} />
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

/**
 * A quiet notice when runs could not be read (damaged records, or written by something else
 * than mlops-jupyter): how many, and each one's id and reason on demand.
 */
export function SkippedNotice(props: {
  readonly skipped: ReadonlyArray<Mlops.ISkippedRun>;
}): JSX.Element | null {
  const { skipped } = props;
  if (skipped.length === 0) {
    return null;
  }
  return (
    <details className="jp-mlops-skipped" role="status">
      <summary>
        {`${skipped.length} run${skipped.length === 1 ? '' : 's'} could not be read and ${skipped.length === 1 ? 'is' : 'are'} not listed`}
      </summary>
      <div className="jp-mlops-muted">
        Their stored records are damaged or were written by something else than
        mlops-jupyter; every other run reads as usual. mlops-jupyter store check
        says more.
      </div>
      <ul>
        {skipped.map(s => (
          <li key={s.id}>
            <code>{s.id}</code>
            {`: ${s.reason}`}
          </li>
        ))}
      </ul>
    </details>
  );
}

/**
 * The columns to show and their widths: sized to the loaded runs' content, fitted into the
 * table's width, or as the user dragged them (measured again when runs or columns change).
 */
function useFittedColumns(
  model: RunsModel,
  extra: ReadonlyArray<ColumnId>,
  viewWidth: number,
  font: string | null
): IFittedColumns {
  const revision = model.revision;
  const extraKey = extra.join('\u0000');
  const natural = React.useMemo(() => {
    const columns = tableColumns(
      extraKey ? (extraKey.split('\u0000') as ColumnId[]) : []
    );
    const runs = model.loadedRuns();
    return contentWidths(
      columns,
      id => cellTexts(model, runs, id),
      textMeasure(font),
      CELL_EXTRA
    );
    // `revision` changes with the loaded runs, which `model` reads.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [model, revision, extraKey, font]);
  const widths = model.columnWidths;
  return React.useMemo(
    () => fitColumns(tableColumns(extra), natural, widths, viewWidth),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [natural, widths, viewWidth, extraKey]
  );
}

/**
 * The height (400 until measured), width (0 until measured) and font (null until measured) of the
 * scrolling table.
 */
function useViewportSize(ref: React.RefObject<HTMLDivElement>): {
  viewport: number;
  viewWidth: number;
  font: string | null;
} {
  const [viewport, setViewport] = React.useState(400);
  const [font, setFont] = React.useState<string | null>(null);
  // A sweep header keeps its button within the visible width.
  const [viewWidth, setViewWidth] = React.useState(0);
  React.useEffect(() => {
    const node = ref.current;
    if (!node) {
      return;
    }
    const observer = new ResizeObserver(() => {
      setViewport(node.clientHeight || 400);
      setViewWidth(node.clientWidth);
      setFont(fontOf(node));
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [ref]);
  return { viewport, viewWidth, font };
}

/**
 * Keyboard navigation of the rows: arrows, Home and End move the focus (scrolling the row into
 * view), Enter opens a run, Space selects it; both fold a header. The focused row keeps the
 * focus when it is rendered again after scrolling.
 */
function useRowFocus(
  scrollRef: React.RefObject<HTMLDivElement>,
  model: RunsModel,
  onOpen: (id: string) => void
): IRowEvents {
  const [focusIndex, setFocusIndex] = React.useState<number | null>(null);

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

  const keyDown = (
    event: React.KeyboardEvent,
    index: number,
    run: Mlops.IRunSummary | undefined,
    toggle: (() => void) | null
  ) => {
    const action = rowKeyAction(event.key, index, model.layout.count);
    if (action === null) {
      return;
    }
    event.preventDefault();
    if (action.kind === 'focus') {
      const node = scrollRef.current;
      const top = node
        ? scrollToRow(action.index, node.scrollTop, node.clientHeight)
        : null;
      if (node && top !== null) {
        node.scrollTop = top;
      }
      setFocusIndex(action.index);
    } else if (run) {
      if (action.kind === 'open') {
        onOpen(run.id);
      } else {
        model.toggleSelected(run.id);
      }
    } else {
      toggle?.();
    }
  };

  return { focused: setFocusIndex, keyDown };
}
