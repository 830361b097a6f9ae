import React from 'react';

import { ISort } from '../tokens';
import { Mlops } from '../types';
import { ariaSort, IColumnDef, ROW_HEIGHT, sortMark } from './table';

/** The sticky header row: a sort button per sortable column. */
export function TableHeader(props: {
  columns: ReadonlyArray<IColumnDef>;
  template: string;
  minWidth: number;
  sort: ISort;
  onSort: (key: Mlops.SortKey) => void;
}): JSX.Element {
  const { columns, template, minWidth, sort, onSort } = props;
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
            title={column.id.includes('.') ? column.id : column.title}
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
          </div>
        );
      })}
    </div>
  );
}
