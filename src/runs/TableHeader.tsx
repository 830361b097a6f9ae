import React from 'react';

import { ISort } from '../tokens';
import { Mlops } from '../types';
import { ariaSort, IColumnDef, ROW_HEIGHT, sortMark } from './table';
import { userWidth } from './widths';

/** Pixels an arrow key moves a column's edge. */
const KEY_STEP = 8;

/** What a hidden column is called in the hint. */
const HIDDEN_NAMES: { readonly [id: string]: string } = {
  started: 'Started',
  duration: 'Duration'
};

/** The sticky header row: a sort button per sortable column, a handle to resize each. */
export function TableHeader(props: {
  columns: ReadonlyArray<IColumnDef>;
  /** Columns left out for lack of room. */
  hidden: ReadonlyArray<string>;
  template: string;
  minWidth: number;
  sort: ISort;
  onSort: (key: Mlops.SortKey) => void;
  /** A column was resized by the user (null: back to its content's width). */
  onResize: (id: string, width: number | null) => void;
}): JSX.Element {
  const { columns, hidden, template, minWidth, sort, onSort, onResize } = props;
  const hint = hidden.length
    ? ` (${hidden.map(id => HIDDEN_NAMES[id] ?? id).join(' and ')} hidden for lack of room: widen the sidebar)`
    : '';
  return (
    <div
      role="row"
      className="jp-mlops-header-row"
      style={{ gridTemplateColumns: template, minWidth, height: ROW_HEIGHT }}
    >
      {columns.map(column => {
        const sortKey = column.sortKey;
        return (
          <div
            key={column.id}
            role="columnheader"
            aria-sort={ariaSort(column, sort)}
            className="jp-mlops-cell jp-mlops-header-cell"
            data-column={column.id}
            title={`${column.id.includes('.') ? column.id : column.title}${column.id === 'name' ? hint : ''}`}
          >
            {sortKey ? (
              <button
                className="jp-mlops-sort-button"
                onClick={() => onSort(sortKey)}
              >
                <span className="jp-mlops-header-text">{column.title}</span>
                <span aria-hidden="true">{sortMark(column, sort)}</span>
              </button>
            ) : (
              <span className="jp-mlops-visually-hidden">{column.title}</span>
            )}
            {column.id !== 'select' && (
              <ResizeHandle
                column={column}
                onResize={width => onResize(column.id, width)}
              />
            )}
          </div>
        );
      })}
    </div>
  );
}

/**
 * The right edge of a header cell: drag it (or focus it and press the arrow keys) to resize the
 * column; double-click or Enter gives the column back its content's width. The width is kept in
 * the settings.
 */
function ResizeHandle(props: {
  column: IColumnDef;
  onResize: (width: number | null) => void;
}): JSX.Element {
  const { column, onResize } = props;
  const startDrag = (event: React.PointerEvent<HTMLDivElement>) => {
    event.preventDefault();
    event.stopPropagation();
    const handle = event.currentTarget;
    const cell = handle.parentElement!;
    const left = cell.getBoundingClientRect().left;
    handle.setPointerCapture(event.pointerId);
    const move = (e: PointerEvent) => onResize(userWidth(e.clientX - left));
    const end = () => {
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', end);
      handle.removeEventListener('pointercancel', end);
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', end);
    handle.addEventListener('pointercancel', end);
  };
  const width = Math.round(column.width);
  return (
    <div
      className="jp-mlops-resize-handle"
      role="separator"
      aria-orientation="vertical"
      aria-label={`Resize ${column.title}`}
      aria-valuenow={width}
      tabIndex={0}
      title={`Drag to resize ${column.title}; double-click for its content's width`}
      onPointerDown={startDrag}
      onClick={event => event.stopPropagation()}
      onDoubleClick={() => onResize(null)}
      onKeyDown={event => {
        const step =
          event.key === 'ArrowLeft'
            ? -KEY_STEP
            : event.key === 'ArrowRight'
              ? KEY_STEP
              : 0;
        if (step) {
          event.preventDefault();
          onResize(userWidth(width + step));
        } else if (event.key === 'Enter') {
          event.preventDefault();
          onResize(null);
        }
      }}
    />
  );
}
