/**
 * The flat row layout of the grouped, virtualized run table. Plain module (jest-tested).
 *
 * Rows are: a header per experiment group, followed (unless the group is collapsed) by one row per
 * run of the group. Runs are loaded in pages per group, so a run row is addressed by its group and
 * its offset inside the group.
 */

/** What the layout needs to know of a group. */
export interface IGroupExtent {
  readonly name: string;
  /** Runs in the group matching the filter. */
  readonly total: number;
  readonly collapsed: boolean;
}

/** A row of the table. */
export type LayoutRow =
  | { readonly kind: 'group'; readonly group: number }
  | { readonly kind: 'run'; readonly group: number; readonly offset: number };

/** A page to load: runs `[page * size, (page + 1) * size)` of a group. */
export interface IPageRef {
  readonly group: number;
  readonly page: number;
}

/** Maps row indices to groups and offsets with a binary search over group starts. */
export class RowLayout {
  constructor(readonly groups: ReadonlyArray<IGroupExtent>) {
    let start = 0;
    this._starts = groups.map(g => {
      const s = start;
      start += 1 + (g.collapsed ? 0 : g.total);
      return s;
    });
    this.count = start;
  }

  /** Number of rows. */
  readonly count: number;

  /** The row index of a group's header. */
  groupStart(group: number): number {
    return this._starts[group];
  }

  /** What row `index` shows, or null when out of range. */
  rowAt(index: number): LayoutRow | null {
    if (index < 0 || index >= this.count) {
      return null;
    }
    let lo = 0;
    let hi = this._starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this._starts[mid] <= index) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    const offset = index - this._starts[lo] - 1;
    return offset < 0
      ? { kind: 'group', group: lo }
      : { kind: 'run', group: lo, offset };
  }

  /** The pages holding the run rows in `[start, end)`. */
  pagesFor(start: number, end: number, pageSize: number): IPageRef[] {
    const pages: IPageRef[] = [];
    const seen = new Set<string>();
    for (let i = Math.max(0, start); i < Math.min(end, this.count); i++) {
      const row = this.rowAt(i);
      if (row?.kind !== 'run') {
        continue;
      }
      const page = Math.floor(row.offset / pageSize);
      const id = `${row.group}:${page}`;
      if (!seen.has(id)) {
        seen.add(id);
        pages.push({ group: row.group, page });
      }
      // Skip to the end of this page (or the group) rather than visiting each row.
      const group = this.groups[row.group];
      const pageEnd = Math.min((page + 1) * pageSize, group.total);
      i += pageEnd - row.offset - 1;
    }
    return pages;
  }

  private readonly _starts: number[];
}

/**
 * The window of rows to render for a scroll position, with `overscan` rows either side.
 */
export function visibleWindow(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  count: number,
  // 30 rows (~780 px) either side: one wheel step (~600 px) never reaches unrendered rows,
  // which painted a blank frame per step with 10 (benchmarks/bench_sidebar.py).
  overscan = 30
): { start: number; end: number } {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const last = Math.ceil((Math.max(0, scrollTop) + viewportHeight) / rowHeight);
  return {
    start: Math.max(0, first - overscan),
    end: Math.min(count, last + overscan)
  };
}
