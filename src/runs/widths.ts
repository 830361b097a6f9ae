/**
 * Column widths of the run table: sized to their content between a minimum and a maximum, fitted
 * into the sidebar's width, or as the user dragged them. Plain module (jest-tested with a fake
 * text measure).
 *
 * When the columns do not fit, room is taken in this order: Started and Duration shrink to their
 * minimum, then the name, then Duration and Started are hidden, then the status, the parameter and
 * last the metric columns shrink (the columns the user chose win space over the start time and
 * duration). What still does not fit scrolls sideways. A column the user sized keeps its width.
 */
import { IColumnDef } from './table';

/** The smallest and largest automatic width of a column, in pixels. */
export interface IWidthLimits {
  readonly min: number;
  readonly max: number;
}

/** Limits of the base columns by id. */
export const BASE_LIMITS: { readonly [id: string]: IWidthLimits } = {
  select: { min: 24, max: 24 },
  status: { min: 56, max: 96 },
  name: { min: 100, max: 360 },
  started: { min: 70, max: 120 },
  duration: { min: 52, max: 90 }
};

/** Limits of a parameter or metric column. */
export const VALUE_LIMITS: IWidthLimits = { min: 48, max: 180 };

/** Widths a user can drag a column to. */
export const USER_MIN_WIDTH = 32;
export const USER_MAX_WIDTH = 640;

/** Columns hidden when nothing else helps, first to last. */
export const HIDE_ORDER: ReadonlyArray<string> = ['duration', 'started'];

/** Horizontal padding of a cell (4 px each side) and its border. */
export const CELL_PADDING = 9;

/** Room for the sort arrow after a header's title. */
export const SORT_MARK_ROOM = 14;

/** The limits of a column. */
export function limitsOf(id: string): IWidthLimits {
  return BASE_LIMITS[id] ?? VALUE_LIMITS;
}

/** A text's width in pixels (`bold` for headers). */
export type Measure = (text: string, bold: boolean) => number;

/**
 * The width each column's content needs: its header (bold, with room for the sort arrow) and its
 * widest cell among `cells`, plus padding, rounded up.
 *
 * @param cells the texts of a column's cells by column id (e.g. of the loaded runs)
 * @param extra pixels a column's cells need beyond their text (e.g. a badge's border)
 */
export function contentWidths(
  columns: ReadonlyArray<IColumnDef>,
  cells: (id: string) => Iterable<string>,
  measure: Measure,
  extra: { readonly [id: string]: number } = {}
): Map<string, number> {
  const widths = new Map<string, number>();
  const cache = new Map<string, number>();
  const width = (text: string) => {
    let w = cache.get(text);
    if (w === undefined) {
      w = measure(text, false);
      cache.set(text, w);
    }
    return w;
  };
  for (const column of columns) {
    let widest = 0;
    for (const text of cells(column.id)) {
      widest = Math.max(widest, width(text));
    }
    const header =
      column.sortKey === null
        ? 0
        : measure(column.title, true) + SORT_MARK_ROOM;
    widths.set(
      column.id,
      Math.ceil(
        Math.max(header, widest + (extra[column.id] ?? 0)) + CELL_PADDING
      )
    );
  }
  return widths;
}

/** The columns to show with their widths, and the ones hidden for lack of room. */
export interface IFittedColumns {
  readonly columns: IColumnDef[];
  readonly hidden: string[];
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/**
 * Fit the columns into `available` pixels (see the module's description).
 *
 * @param natural the width each column's content needs (`contentWidths`); a column without one
 *   keeps its default width
 * @param user widths the user dragged columns to, by id
 * @param available the table's visible width; 0 (not measured yet) fits nothing
 */
export function fitColumns(
  columns: ReadonlyArray<IColumnDef>,
  natural: ReadonlyMap<string, number>,
  user: { readonly [id: string]: number },
  available: number
): IFittedColumns {
  const sized = (id: string) => typeof user[id] === 'number';
  const widths = new Map<string, number>();
  for (const column of columns) {
    const { min, max } = limitsOf(column.id);
    widths.set(
      column.id,
      sized(column.id)
        ? clamp(user[column.id], USER_MIN_WIDTH, USER_MAX_WIDTH)
        : clamp(natural.get(column.id) ?? column.width, min, max)
    );
  }
  const hidden = new Set<string>();
  const total = () =>
    [...widths].reduce((sum, [id, w]) => sum + (hidden.has(id) ? 0 : w), 0);
  let excess = available > 0 ? total() - available : 0;
  const shrink = (ids: ReadonlyArray<string>) => {
    for (const id of ids) {
      if (excess <= 0 || sized(id) || hidden.has(id) || !widths.has(id)) {
        continue;
      }
      const w = widths.get(id)!;
      const take = Math.min(excess, w - limitsOf(id).min);
      if (take > 0) {
        widths.set(id, w - take);
        excess -= take;
      }
    }
  };
  const ids = columns.map(c => c.id);
  shrink(['started', 'duration']);
  shrink(['name']);
  for (const id of HIDE_ORDER) {
    if (excess > 0 && widths.has(id) && !sized(id)) {
      hidden.add(id);
      excess -= widths.get(id)!;
    }
  }
  shrink(['status']);
  shrink(ids.filter(id => id.startsWith('params.')));
  shrink(ids.filter(id => id.startsWith('metrics.')));
  return {
    columns: columns
      .filter(c => !hidden.has(c.id))
      .map(c => ({ ...c, width: widths.get(c.id)! })),
    hidden: [...hidden]
  };
}

/** A dragged width within the limits a user may drag to, in whole pixels. */
export function userWidth(width: number): number {
  return Math.round(clamp(width, USER_MIN_WIDTH, USER_MAX_WIDTH));
}

/** Validate a stored setting: widths by column id (anything else is dropped). */
export function parseWidths(value: unknown): { [id: string]: number } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {};
  }
  const widths: { [id: string]: number } = {};
  for (const [id, width] of Object.entries(value)) {
    if (typeof width === 'number' && Number.isFinite(width)) {
      widths[id] = userWidth(width);
    }
  }
  return widths;
}
