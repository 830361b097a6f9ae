import { ISignal } from '@lumino/signaling';

import { IErrorDescription } from './errors';
import { ColumnId, IColumnKeys } from './runs/columns';
import { RowLayout } from './runs/layout';
import { Mlops } from './types';

/** The sort of the run table: a server sort key and an order. */
export interface ISort {
  readonly key: Mlops.SortKey;
  readonly order: Mlops.SortOrder;
}

/** One experiment group of the run table. */
export interface IRunGroup {
  readonly name: string;
  /** Runs of the group matching the filter. */
  readonly total: number;
  readonly collapsed: boolean;
}

/** The state behind the run table; see `RunsModel`. */
export interface IRunsModel {
  /** Emitted whenever anything below changes. */
  readonly changed: ISignal<IRunsModel, void>;
  /** The filter expression the rows match (the server's filter language). */
  readonly filter: string;
  /** The server's message for a bad filter (a 400), or null. */
  readonly filterError: string | null;
  /** Why the runs cannot be listed (other than a bad filter), or null. */
  readonly error: IErrorDescription | null;
  readonly sort: ISort;
  readonly groups: ReadonlyArray<IRunGroup>;
  /** The row layout of the groups. */
  readonly layout: RowLayout;
  /** Ids of the checked runs, in the order they were checked. */
  readonly selected: ReadonlyArray<string>;
  /** Parameter and metric keys seen in the loaded runs. */
  readonly keys: IColumnKeys;
  /** The user's column choice, or null for automatic. */
  readonly columns: ColumnId[] | null;
  /** True until the first listing arrived. */
  readonly loading: boolean;
}
