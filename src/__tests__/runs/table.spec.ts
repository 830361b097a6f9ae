import {
  ariaSort,
  BASE_COLUMNS,
  gridTemplate,
  nameIndent,
  rowKeyAction,
  ROW_HEIGHT,
  scrollToRow,
  sortMark,
  tableColumns,
  tableMinWidth
} from '../../runs/table';

describe('run table geometry', () => {
  it('adds a sortable column per parameter or metric after the base columns', () => {
    const columns = tableColumns(['metrics.acc', 'params.lr']);
    expect(columns.slice(0, BASE_COLUMNS.length)).toEqual(BASE_COLUMNS);
    expect(columns.slice(BASE_COLUMNS.length)).toEqual([
      { id: 'metrics.acc', title: 'acc', sortKey: 'metrics.acc', width: 76 },
      { id: 'params.lr', title: 'lr (param)', sortKey: 'params.lr', width: 76 }
    ]);
  });

  it('lets the name column take the rest of the width', () => {
    const columns = tableColumns(['metrics.acc']);
    expect(gridTemplate(columns)).toBe(
      '24px 74px minmax(100px, 1fr) 56px 62px 76px'
    );
    expect(tableMinWidth(columns)).toBe(24 + 74 + 100 + 56 + 62 + 76);
  });

  it('marks the sorted column for assistive technology and the eye', () => {
    const [select, status, name] = BASE_COLUMNS;
    const sort = { key: 'status', order: 'asc' } as const;
    expect(ariaSort(select, sort)).toBeUndefined();
    expect(ariaSort(status, sort)).toBe('ascending');
    expect(ariaSort(status, { ...sort, order: 'desc' })).toBe('descending');
    expect(ariaSort(name, sort)).toBe('none');
    expect(sortMark(status, sort)).toBe(' ▲');
    expect(sortMark(status, { ...sort, order: 'desc' })).toBe(' ▼');
    expect(sortMark(name, sort)).toBe('');
    expect(sortMark(select, sort)).toBe('');
  });

  it('indents nested reproductions and runs of a sweep, up to a limit', () => {
    expect(nameIndent(0, false)).toBeUndefined();
    expect(nameIndent(0, true)).toBe('calc(4px + 1 * var(--jp-mlops-indent))');
    expect(nameIndent(2, true)).toBe('calc(4px + 3 * var(--jp-mlops-indent))');
    expect(nameIndent(9, false)).toBe('calc(4px + 4 * var(--jp-mlops-indent))');
  });
});

describe('run table keyboard', () => {
  it('moves the focus within the rows', () => {
    expect(rowKeyAction('ArrowDown', 3, 10)).toEqual({
      kind: 'focus',
      index: 4
    });
    expect(rowKeyAction('ArrowDown', 9, 10)).toEqual({
      kind: 'focus',
      index: 9
    });
    expect(rowKeyAction('ArrowUp', 0, 10)).toEqual({ kind: 'focus', index: 0 });
    expect(rowKeyAction('Home', 5, 10)).toEqual({ kind: 'focus', index: 0 });
    expect(rowKeyAction('End', 5, 10)).toEqual({ kind: 'focus', index: 9 });
    expect(rowKeyAction('End', 0, 0)).toEqual({ kind: 'focus', index: 0 });
  });

  it('opens with Enter, selects with Space, ignores other keys', () => {
    expect(rowKeyAction('Enter', 1, 10)).toEqual({ kind: 'open' });
    expect(rowKeyAction(' ', 1, 10)).toEqual({ kind: 'select' });
    expect(rowKeyAction('a', 1, 10)).toBeNull();
  });

  it('scrolls a row into view below the sticky header', () => {
    const h = ROW_HEIGHT;
    expect(scrollToRow(2, 5 * h, 10 * h)).toBe(2 * h);
    expect(scrollToRow(8, 0, 10 * h)).toBeNull();
    expect(scrollToRow(9, 0, 10 * h)).toBe(h);
  });
});
