/**
 * Geometry and keyboard of the run table: columns, widths, sort marks, indentation, row
 * navigation. Plain module (jest-tested).
 */
import { ISort } from '../tokens';
import { Mlops } from '../types';
import { columnTitle, ColumnId } from './columns';

/** Height in pixels of every table row (fixed, for windowing). */
export const ROW_HEIGHT = 26;

/** Deepest indentation of nested reproductions (deeper ones line up with it). */
export const MAX_INDENT = 4;

/** Minimum width of the name column (it takes the rest of the width). */
export const NAME_MIN_WIDTH = 100;

/** Width of a parameter or metric column. */
export const VALUE_COLUMN_WIDTH = 76;

/** A column of the table. */
export interface IColumnDef {
  readonly id: string;
  readonly title: string;
  readonly sortKey: Mlops.SortKey | null;
  /** Pixels; for the name column, which takes the rest of the width, its minimum. */
  readonly width: number;
}

/** The columns every table shows, before the parameters and metrics. */
export const BASE_COLUMNS: ReadonlyArray<IColumnDef> = [
  { id: 'select', title: 'Select', sortKey: null, width: 24 },
  { id: 'status', title: 'Status', sortKey: 'status', width: 74 },
  { id: 'name', title: 'Name', sortKey: 'name', width: 0 },
  { id: 'started', title: 'Started', sortKey: 'started_at', width: 56 },
  { id: 'duration', title: 'Duration', sortKey: 'duration', width: 62 }
];

/** The base columns, then one sortable column per parameter or metric shown. */
export function tableColumns(extra: ReadonlyArray<ColumnId>): IColumnDef[] {
  return [
    ...BASE_COLUMNS,
    ...extra.map(id => ({
      id,
      title: columnTitle(id),
      sortKey: id as Mlops.SortKey,
      width: VALUE_COLUMN_WIDTH
    }))
  ];
}

/** The width of a column in the grid; the name column's is its minimum. */
function columnWidth(column: IColumnDef): number {
  return column.id === 'name'
    ? Math.max(column.width, NAME_MIN_WIDTH)
    : column.width;
}

/** The CSS grid template of the columns: fixed widths, the name column takes the rest. */
export function gridTemplate(columns: ReadonlyArray<IColumnDef>): string {
  return columns
    .map(c =>
      c.id === 'name'
        ? `minmax(${columnWidth(c)}px, 1fr)`
        : `${columnWidth(c)}px`
    )
    .join(' ');
}

/** The width below which the table scrolls sideways. */
export function tableMinWidth(columns: ReadonlyArray<IColumnDef>): number {
  return columns.reduce((sum, c) => sum + columnWidth(c), 0);
}

/** `aria-sort` of a column header: its order when sorted, `none` when sortable, else absent. */
export function ariaSort(
  column: IColumnDef,
  sort: ISort
): 'ascending' | 'descending' | 'none' | undefined {
  if (column.sortKey === null) {
    return undefined;
  }
  if (sort.key !== column.sortKey) {
    return 'none';
  }
  return sort.order === 'asc' ? 'ascending' : 'descending';
}

/** The arrow after a sorted column's title (` ▲` ascending, ` ▼` descending), else ''. */
export function sortMark(column: IColumnDef, sort: ISort): string {
  if (column.sortKey === null || sort.key !== column.sortKey) {
    return '';
  }
  return sort.order === 'asc' ? ' ▲' : ' ▼';
}

/**
 * The left padding of a run's name: one indent per nesting level, one more inside a sweep,
 * at most `MAX_INDENT`; undefined for a top-level run outside sweeps.
 */
export function nameIndent(
  depth: number,
  inSweep: boolean
): string | undefined {
  if (depth <= 0 && !inSweep) {
    return undefined;
  }
  const level = Math.min(depth + (inSweep ? 1 : 0), MAX_INDENT);
  return `calc(4px + ${level} * var(--jp-mlops-indent))`;
}

/** What a key pressed on a row does. */
export type RowKeyAction =
  /** Move the focus to this row (clamped to the table). */
  | { readonly kind: 'focus'; readonly index: number }
  /** Enter: open the run, or fold/unfold a header. */
  | { readonly kind: 'open' }
  /** Space: select the run, or fold/unfold a header. */
  | { readonly kind: 'select' };

/** The action of `key` on row `index` of `count` rows, or null for any other key. */
export function rowKeyAction(
  key: string,
  index: number,
  count: number
): RowKeyAction | null {
  const focus = (target: number): RowKeyAction => ({
    kind: 'focus',
    index: Math.max(0, Math.min(count - 1, target))
  });
  switch (key) {
    case 'ArrowDown':
      return focus(index + 1);
    case 'ArrowUp':
      return focus(index - 1);
    case 'Home':
      return focus(0);
    case 'End':
      return focus(count - 1);
    case 'Enter':
      return { kind: 'open' };
    case ' ':
      return { kind: 'select' };
  }
  return null;
}

/**
 * The scroll position that brings row `index` into view below the sticky header row, or null
 * when it is in view already.
 */
export function scrollToRow(
  index: number,
  scrollTop: number,
  clientHeight: number,
  rowHeight = ROW_HEIGHT
): number | null {
  const top = index * rowHeight;
  if (top < scrollTop) {
    return top;
  }
  if (top + 2 * rowHeight > scrollTop + clientHeight) {
    return top + 2 * rowHeight - clientHeight;
  }
  return null;
}
