/**
 * The flat row layout of the grouped, virtualized run table. Plain module (jest-tested).
 *
 * Rows are: a header per experiment group, followed (unless the group is collapsed) by one row per
 * run of the group. Runs are loaded in pages per group, so a run row is addressed by its group and
 * its offset inside the group.
 *
 * A loaded page may show another number of rows than it has runs (sweep sub-group headers, runs of
 * a collapsed sweep hidden): its rows are then addressed as slots of the page.
 */

/** What the layout needs to know of a group. */
export interface IGroupExtent {
  readonly name: string;
  /** Runs in the group matching the filter. */
  readonly total: number;
  readonly collapsed: boolean;
  /** Rows shown by the pages that do not show one row per run, by page index. */
  readonly pageRows?: ReadonlyMap<number, number>;
}

/** A row of the table. */
export type LayoutRow =
  | { readonly kind: 'group'; readonly group: number }
  | { readonly kind: 'run'; readonly group: number; readonly offset: number }
  | {
      readonly kind: 'slot';
      readonly group: number;
      readonly page: number;
      /** The row's index among the page's rows. */
      readonly slot: number;
    };

/** A page to load: runs `[page * size, (page + 1) * size)` of a group. */
export interface IPageRef {
  readonly group: number;
  readonly page: number;
}

/** Maps row indices to groups and offsets with a binary search over group starts. */
export class RowLayout {
  /**
   * @param groups the groups in display order
   * @param pageSize runs per page (how `pageRows` pages are cut)
   */
  constructor(
    readonly groups: ReadonlyArray<IGroupExtent>,
    readonly pageSize = 200
  ) {
    let start = 0;
    this._pageStarts = groups.map(g =>
      !g.collapsed && g.pageRows && g.pageRows.size > 0
        ? this._cumulate(g)
        : null
    );
    this._starts = groups.map((g, i) => {
      const s = start;
      const pages = this._pageStarts[i];
      start +=
        1 + (g.collapsed ? 0 : pages ? pages[pages.length - 1] : g.total);
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
    if (offset < 0) {
      return { kind: 'group', group: lo };
    }
    const pages = this._pageStarts[lo];
    if (!pages) {
      return { kind: 'run', group: lo, offset };
    }
    const page = lastAtMost(pages, offset);
    const slot = offset - pages[page];
    return this.groups[lo].pageRows!.has(page)
      ? { kind: 'slot', group: lo, page, slot }
      : { kind: 'run', group: lo, offset: page * this.pageSize + slot };
  }

  /** The pages holding the run rows in `[start, end)`. */
  pagesFor(start: number, end: number, pageSize: number): IPageRef[] {
    const pages: IPageRef[] = [];
    const seen = new Set<string>();
    for (let i = Math.max(0, start); i < Math.min(end, this.count); i++) {
      const row = this.rowAt(i);
      if (!row || row.kind === 'group') {
        continue;
      }
      const page =
        row.kind === 'slot' ? row.page : Math.floor(row.offset / pageSize);
      const id = `${row.group}:${page}`;
      if (!seen.has(id)) {
        seen.add(id);
        pages.push({ group: row.group, page });
      }
      // Skip to the end of this page (or the group) rather than visiting each row.
      const starts = this._pageStarts[row.group];
      if (starts) {
        const local = i - this._starts[row.group] - 1;
        i += starts[page + 1] - local - 1;
      } else if (row.kind === 'run') {
        const group = this.groups[row.group];
        const pageEnd = Math.min((page + 1) * pageSize, group.total);
        i += pageEnd - row.offset - 1;
      }
    }
    return pages;
  }

  /** Row offsets where each page of a group starts, then the group's row count. */
  private _cumulate(group: IGroupExtent): number[] {
    const size = this.pageSize;
    const count = Math.ceil(group.total / size);
    const starts = new Array<number>(count + 1);
    let start = 0;
    for (let page = 0; page < count; page++) {
      starts[page] = start;
      start +=
        group.pageRows?.get(page) ?? Math.min(size, group.total - page * size);
    }
    starts[count] = start;
    return starts;
  }

  private readonly _starts: number[];
  /** Per group, when some of its pages show another number of rows than runs. */
  private readonly _pageStarts: (number[] | null)[];
}

/** The last index `i` of ascending `values` with `values[i] <= x` (0 if none). */
function lastAtMost(values: ReadonlyArray<number>, x: number): number {
  let lo = 0;
  let hi = values.length - 2; // the last entry is the total, not a page
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (values[mid] <= x) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
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
