import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { MlopsClient } from '../client';
import { ApiError, describeError, IErrorDescription } from '../errors';
import { distinctLabels } from '../labels';
import { groupSweeps, PageRow } from '../sweep/groups';
import { IRunGroup, IRunsModel, ISort } from '../tokens';
import { Mlops } from '../types';
import { collectKeys, ColumnId, IColumnKeys, mergeKeys } from './columns';
import { LayoutRow, RowLayout } from './layout';
import { INestedRun, nestReproductions } from './nesting';

/** Runs per request when the table loads pages as the user scrolls. */
export const PAGE_SIZE = 200;

/** The default sort: newest first. */
export const DEFAULT_SORT: ISort = { key: 'started_at', order: 'desc' };

/** A page of runs, reproductions nested under their originals. */
interface ILoadedPage {
  readonly rows: INestedRun[];
  readonly generation: number;
  /** The rows shown with the runs of sweeps in sub-groups; null: one row per run. */
  readonly display: PageRow[] | null;
}

function loadedPage(
  runs: Mlops.IRunSummary[],
  generation: number,
  collapsedSweeps: ReadonlySet<string>
): ILoadedPage {
  const rows = nestReproductions(runs);
  return { rows, generation, display: groupSweeps(rows, collapsedSweeps) };
}

interface IGroupState extends IRunGroup {
  /** Loaded pages and the generation they were loaded in (older ones are stale but shown). */
  readonly pages: Map<number, ILoadedPage>;
}

export namespace RunsModel {
  export interface IOptions {
    readonly client: MlopsClient;
    /** When the poll should stand by, e.g. while the sidebar is hidden. */
    readonly standby?: () => boolean | Poll.Standby;
    /** Milliseconds between checks for new or updated runs. */
    readonly interval?: number;
    readonly pageSize?: number;
  }
}

/**
 * The runs shown in the sidebar: experiment groups, pages of runs loaded as the table scrolls,
 * filter, sort, selection and column choice.
 *
 * A `Poll` checks the store's `version` every second (standing by while the sidebar is hidden) and
 * reloads the groups and visible pages only when it changed, so new runs appear without a manual
 * refresh.
 */
export class RunsModel implements IRunsModel, IDisposable {
  constructor(options: RunsModel.IOptions) {
    this._client = options.client;
    this._pageSize = options.pageSize ?? PAGE_SIZE;
    this._poll = new Poll({
      auto: true,
      factory: () => this._tick(),
      frequency: {
        interval: options.interval ?? 1000,
        backoff: true,
        max: 30 * 1000
      },
      name: 'mlops-jupyter:runs',
      standby: options.standby ?? 'when-hidden'
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }
  get filter(): string {
    return this._filter;
  }
  get filterError(): string | null {
    return this._filterError;
  }
  get error(): IErrorDescription | null {
    return this._error;
  }
  get sort(): ISort {
    return this._sort;
  }
  get groups(): ReadonlyArray<IRunGroup> {
    return this._groups;
  }
  get layout(): RowLayout {
    return this._layout;
  }
  get selected(): ReadonlyArray<string> {
    return this._selected;
  }
  get keys(): IColumnKeys {
    return this._keys;
  }
  get columns(): ColumnId[] | null {
    return this._columns;
  }
  get columnWidths(): { readonly [id: string]: number } {
    return this._widths;
  }
  /** Changes whenever loaded runs change (for what is computed from them, e.g. widths). */
  get revision(): number {
    return this._revision;
  }
  get loading(): boolean {
    return this._loading;
  }
  /** Runs of the loaded pages whose record could not be read (left out of the table). */
  get skipped(): ReadonlyArray<Mlops.ISkippedRun> {
    return [...this._skipped].map(([id, reason]) => ({ id, reason }));
  }
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** The run shown at row offset `offset` of group `group`, if its page is loaded. */
  runAt(group: number, offset: number): Mlops.IRunSummary | undefined {
    return this.entryAt(group, offset)?.run;
  }

  /**
   * The run at row offset `offset` of group `group` with its nesting: a reproduction is shown
   * right below its original when both are in the same loaded page.
   */
  entryAt(group: number, offset: number): INestedRun | undefined {
    const state = this._groups[group];
    const page = state?.pages.get(Math.floor(offset / this._pageSize));
    return page?.rows[offset % this._pageSize];
  }

  /**
   * The label of a run telling it apart from the other loaded runs of its experiment group
   * (see `distinctLabels`); computed once per group until its pages change.
   */
  labelOf(run: Mlops.IRunSummary): string {
    let labels = this._labels.get(run.experiment);
    if (!labels) {
      const group = this._groups.find(g => g.name === run.experiment);
      const runs = group
        ? [...group.pages.values()].flatMap(page => page.rows.map(e => e.run))
        : [run];
      labels = distinctLabels(runs);
      this._labels.set(run.experiment, labels);
    }
    return labels.get(run.id) ?? distinctLabels([run]).get(run.id)!;
  }

  /** What a row of the layout shows: a run or a sweep's header (undefined while loading). */
  rowEntry(row: LayoutRow): PageRow | undefined {
    if (row.kind === 'group') {
      return undefined;
    }
    if (row.kind === 'slot') {
      return this._groups[row.group]?.pages.get(row.page)?.display?.[row.slot];
    }
    const entry = this.entryAt(row.group, row.offset);
    return entry ? { kind: 'run', entry, sweepId: null } : undefined;
  }

  /** Collapse or expand the sub-group of a sweep's runs. */
  toggleSweep(sweepId: string): void {
    if (this._collapsedSweeps.has(sweepId)) {
      this._collapsedSweeps.delete(sweepId);
    } else {
      this._collapsedSweeps.add(sweepId);
    }
    for (const group of this._groups) {
      for (const [index, page] of group.pages) {
        if (page.display) {
          group.pages.set(
            index,
            loadedPage(
              page.rows.map(entry => entry.run),
              page.generation,
              this._collapsedSweeps
            )
          );
        }
      }
    }
    this._relayout();
    this._changed.emit();
    this._loadVisible();
  }

  /** Whether a sweep's sub-group is collapsed. */
  isSweepCollapsed(sweepId: string): boolean {
    return this._collapsedSweeps.has(sweepId);
  }

  /** Apply a filter expression (reloads at once). */
  setFilter(filter: string): void {
    if (filter === this._filter) {
      return;
    }
    this._filter = filter;
    this._invalidate(true);
  }

  /** Sort by a key; sorting again by the same key flips the order. */
  setSort(key: Mlops.SortKey): void {
    const order: Mlops.SortOrder =
      this._sort.key === key
        ? this._sort.order === 'asc'
          ? 'desc'
          : 'asc'
        : key === 'started_at' ||
            key === 'ended_at' ||
            key.startsWith('metrics.')
          ? 'desc'
          : 'asc';
    this._sort = { key, order };
    this._invalidate(true);
  }

  /** Check or uncheck a run. */
  toggleSelected(id: string, selected?: boolean): void {
    const has = this._selected.includes(id);
    const want = selected ?? !has;
    if (want === has) {
      return;
    }
    this._selected = want
      ? [...this._selected, id]
      : this._selected.filter(s => s !== id);
    this._changed.emit();
  }

  clearSelection(): void {
    if (this._selected.length) {
      this._selected = [];
      this._changed.emit();
    }
  }

  /** Collapse or expand an experiment group. */
  toggleGroup(name: string): void {
    if (this._collapsed.has(name)) {
      this._collapsed.delete(name);
    } else {
      this._collapsed.add(name);
    }
    this._groups = this._groups.map(g => ({
      ...g,
      collapsed: this._collapsed.has(g.name)
    }));
    this._relayout();
    this._changed.emit();
    this._loadVisible();
  }

  /** The runs of the loaded pages, at most `limit` (for sizing columns to their content). */
  loadedRuns(limit = 2000): Mlops.IRunSummary[] {
    const runs: Mlops.IRunSummary[] = [];
    for (const group of this._groups) {
      for (const page of group.pages.values()) {
        for (const entry of page.rows) {
          if (runs.length >= limit) {
            return runs;
          }
          runs.push(entry.run);
        }
      }
    }
    return runs;
  }

  /** Set the widths the user gave columns, by id (replaces them all). */
  setColumnWidths(widths: { readonly [id: string]: number }): void {
    this._widths = { ...widths };
    this._changed.emit();
  }

  /** Set the width the user dragged a column to; null goes back to its content's width. */
  setColumnWidth(id: string, width: number | null): void {
    const widths = { ...this._widths };
    if (width === null) {
      delete widths[id];
    } else {
      widths[id] = width;
    }
    this.setColumnWidths(widths);
  }

  /** Set the column choice (null: automatic). */
  setColumns(columns: ColumnId[] | null): void {
    this._columns = columns;
    this._changed.emit();
  }

  /** Tell the model which rows are on screen: their pages are loaded if missing or stale. */
  setVisibleRange(start: number, end: number): void {
    this._visible = { start, end };
    this._loadVisible();
  }

  /** Check for changes now. */
  refresh(): Promise<void> {
    return this._poll.refresh();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poll.dispose();
    Signal.clearData(this);
  }

  /** Force a reload at the next tick; `now` also triggers that tick at once. */
  private _invalidate(now: boolean): void {
    this._dirty = true;
    this._generation += 1;
    if (now) {
      void this._poll.refresh();
    }
  }

  private async _tick(): Promise<void> {
    let version: string;
    try {
      version = (await this._client.runs({ limit: 1 })).version;
    } catch (error) {
      this._setError(describeError(error));
      throw error; // the poll backs off
    }
    if (version === this._version && !this._dirty) {
      return;
    }
    await this._reload(version);
  }

  /** Reload the experiment groups with their totals and first pages. */
  private async _reload(version: string): Promise<void> {
    if (this._dirty) {
      this._dirty = false;
    } else {
      this._generation += 1; // same query, new data: keep stale pages on screen
    }
    const generation = this._generation;
    const query = this._query();
    let experiments: Mlops.IExperiment[];
    let firsts: Mlops.IRunPage[];
    try {
      experiments = (await this._client.experiments()).experiments;
      firsts = await Promise.all(
        experiments.map(e =>
          this._client.runs({
            ...query,
            experiment: e.name,
            offset: 0,
            limit: this._collapsed.has(e.name) ? 1 : this._pageSize
          })
        )
      );
    } catch (error) {
      if (generation !== this._generation) {
        return;
      }
      this._loading = false;
      if (error instanceof ApiError && error.status === 400) {
        this._filterError = error.message;
        this._error = null;
        this._version = version;
        this._changed.emit();
        return;
      }
      this._setError(describeError(error));
      throw error;
    }
    if (generation !== this._generation) {
      return; // the query changed meanwhile
    }
    const previous = new Map(this._groups.map(g => [g.name, g]));
    const groups: IGroupState[] = [];
    experiments.forEach((experiment, i) => {
      const first = firsts[i];
      if (this._filter.trim() !== '' && first.total === 0) {
        return;
      }
      const old = previous.get(experiment.name);
      const pages: IGroupState['pages'] =
        old && this._sameQuery(query) ? new Map(old.pages) : new Map();
      if (first.runs.length >= Math.min(first.total, this._pageSize)) {
        pages.set(0, loadedPage(first.runs, generation, this._collapsedSweeps));
      }
      groups.push({
        name: experiment.name,
        total: first.total,
        collapsed: this._collapsed.has(experiment.name),
        pages
      });
      this._keys = mergeKeys(this._keys, collectKeys(first.runs));
    });
    this._skipped = new Map(
      firsts.flatMap(page => (page.skipped ?? []).map(s => [s.id, s.reason]))
    );
    this._lastQuery = query;
    this._groups = groups;
    this._labels.clear();
    this._revision += 1;
    this._version = version;
    this._filterError = null;
    this._error = null;
    this._loading = false;
    this._relayout();
    this._changed.emit();
    this._loadVisible();
  }

  private _query(): Mlops.IRunQuery {
    return {
      filter: this._filter.trim() || undefined,
      sort: this._sort.key,
      order: this._sort.order
    };
  }

  private _sameQuery(query: Mlops.IRunQuery): boolean {
    const last = this._lastQuery;
    return (
      !!last &&
      last.filter === query.filter &&
      last.sort === query.sort &&
      last.order === query.order
    );
  }

  private _relayout(): void {
    this._layout = new RowLayout(
      this._groups.map(group => {
        const pageRows = new Map<number, number>();
        for (const [index, page] of group.pages) {
          if (page.display) {
            pageRows.set(index, page.display.length);
          }
        }
        return { ...group, pageRows };
      }),
      this._pageSize
    );
  }

  /** Load the missing or stale pages of the visible rows. */
  private _loadVisible(): void {
    const { start, end } = this._visible;
    const generation = this._generation;
    const query = this._query();
    for (const ref of this._layout.pagesFor(start, end, this._pageSize)) {
      const group = this._groups[ref.group];
      const loaded = group.pages.get(ref.page);
      if (loaded && loaded.generation === generation) {
        continue;
      }
      const flight = `${generation}\u0000${group.name}\u0000${ref.page}`;
      if (this._inFlight.has(flight)) {
        continue;
      }
      this._inFlight.add(flight);
      this._client
        .runs({
          ...query,
          experiment: group.name,
          offset: ref.page * this._pageSize,
          limit: this._pageSize
        })
        .then(page => {
          if (generation !== this._generation || this._isDisposed) {
            return;
          }
          const current = this._groups.find(g => g.name === group.name);
          if (!current) {
            return;
          }
          const loaded = loadedPage(
            page.runs,
            generation,
            this._collapsedSweeps
          );
          const before = current.pages.get(ref.page);
          current.pages.set(ref.page, loaded);
          for (const s of page.skipped ?? []) {
            this._skipped.set(s.id, s.reason);
          }
          this._labels.delete(group.name);
          this._revision += 1;
          this._keys = mergeKeys(this._keys, collectKeys(page.runs));
          if (
            (before?.display?.length ?? null) !==
            (loaded.display?.length ?? null)
          ) {
            this._relayout(); // the page shows another number of rows
          }
          this._changed.emit();
        })
        .catch(error => this._setError(describeError(error)))
        .finally(() => this._inFlight.delete(flight));
    }
  }

  private _setError(error: IErrorDescription): void {
    this._error = error;
    this._loading = false;
    this._changed.emit();
  }

  private readonly _client: MlopsClient;
  private readonly _pageSize: number;
  private readonly _poll: Poll;
  private readonly _changed = new Signal<this, void>(this);
  private readonly _collapsed = new Set<string>();
  private readonly _collapsedSweeps = new Set<string>();
  private readonly _inFlight = new Set<string>();
  /** Labels of the loaded runs by experiment (cleared when pages change). */
  private readonly _labels = new Map<string, Map<string, string>>();
  private _filter = '';
  private _filterError: string | null = null;
  private _error: IErrorDescription | null = null;
  private _sort: ISort = DEFAULT_SORT;
  private _groups: IGroupState[] = [];
  private _layout = new RowLayout([]);
  private _selected: string[] = [];
  private _keys: IColumnKeys = { params: [], metrics: [] };
  private _columns: ColumnId[] | null = null;
  private _widths: { [id: string]: number } = {};
  private _revision = 0;
  private _loading = true;
  private _skipped = new Map<string, string>();
  private _version: string | null = null;
  private _dirty = true;
  private _generation = 0;
  private _lastQuery: Mlops.IRunQuery | null = null;
  private _visible = { start: 0, end: 50 };
  private _isDisposed = false;
}
