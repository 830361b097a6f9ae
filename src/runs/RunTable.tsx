import React from 'react';

import { ErrorAlert } from '../components/ErrorAlert';
import { useSignal } from '../hooks';
import { Mlops } from '../types';
import { ColumnPicker } from './ColumnPicker';
import { resolveColumns } from './columns';
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

interface IRunTableProps {
  readonly model: RunsModel;
  readonly onOpen: (id: string) => void;
  readonly onCompare: (ids: string[]) => void;
  /** Compare the runs of a sweep; `loaded` are the ones of the sub-group. */
  readonly onCompareSweep?: (sweepId: string, loaded: string[]) => void;
}

/** The grouped, virtualized, sortable run table with its filter and toolbar. */
export function RunTable(props: IRunTableProps): JSX.Element {
  const { model, onOpen, onCompare, onCompareSweep } = props;
  useSignal(model.changed);
  const [pickerOpen, setPickerOpen] = React.useState(false);
  const [scrollTop, setScrollTop] = React.useState(0);
  const scrollRef = React.useRef<HTMLDivElement>(null);
  const { viewport, viewWidth } = useViewportSize(scrollRef);
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
  const columns = tableColumns(extra);
  const template = gridTemplate(columns);
  const minWidth = tableMinWidth(columns);
  const context: IRowsContext = {
    model,
    events,
    template,
    extra,
    viewWidth,
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

/** The height (400 until measured) and width (0 until measured) of the scrolling table. */
function useViewportSize(ref: React.RefObject<HTMLDivElement>): {
  viewport: number;
  viewWidth: number;
} {
  const [viewport, setViewport] = React.useState(400);
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
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [ref]);
  return { viewport, viewWidth };
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
