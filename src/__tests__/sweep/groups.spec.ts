import { RowLayout } from '../../runs/layout';
import { INestedRun, nestReproductions } from '../../runs/nesting';
import { groupSweeps, PageRow, sweepLabel } from '../../sweep/groups';
import { Mlops } from '../../types';

function run(
  id: string,
  sweep_id: string | null = null,
  reproduction_of: string | null = null
): Mlops.IRunSummary {
  return {
    id,
    name: id,
    experiment: 'nb.ipynb',
    status: 'finished',
    started_at: '2026-01-01T00:00:00Z',
    ended_at: null,
    duration: 1,
    params: {},
    metrics: {},
    tags: {},
    reproduction_of,
    sweep_id,
    git: null,
    notebook_path: null,
    error_type: null
  };
}

/** `S:id(n)` for a header, `id` or `>id` for a run in a sweep (`>` once per depth). */
function shape(rows: PageRow[] | null): string[] | null {
  return (
    rows?.map(row =>
      row.kind === 'sweep'
        ? `S:${row.sweepId}(${row.runIds.length})${row.collapsed ? '+' : ''}`
        : `${row.sweepId ? `[${row.sweepId}]` : ''}${'>'.repeat(row.entry.depth)}${row.entry.run.id}`
    ) ?? null
  );
}

const page = (...runs: Mlops.IRunSummary[]): INestedRun[] =>
  nestReproductions(runs);

describe('groupSweeps', () => {
  it('leaves a page without sweeps alone', () => {
    expect(groupSweeps(page(run('a'), run('b')), new Set())).toBeNull();
  });

  it('gathers the runs of a sweep under a header at the first one', () => {
    const rows = groupSweeps(
      page(run('a'), run('s1', 'x'), run('b'), run('s2', 'x'), run('t1', 'y')),
      new Set()
    );
    expect(shape(rows)).toEqual([
      'a',
      'S:x(2)',
      '[x]s1',
      '[x]s2',
      'b',
      'S:y(1)',
      '[y]t1'
    ]);
  });

  it('hides the runs of a collapsed sweep, not its header', () => {
    const rows = groupSweeps(
      page(run('s1', 'x'), run('a'), run('s2', 'x')),
      new Set(['x'])
    );
    expect(shape(rows)).toEqual(['S:x(2)+', 'a']);
    expect(rows?.[0]).toMatchObject({ runIds: ['s1', 's2'] });
  });

  it('keeps reproductions under their original', () => {
    const rows = groupSweeps(
      page(run('s1', 'x'), run('a'), run('r', null, 's1'), run('s2', 'x')),
      new Set()
    );
    expect(shape(rows)).toEqual(['S:x(3)', '[x]s1', '[x]>r', '[x]s2', 'a']);
  });

  it('labels a header with the short id and the count', () => {
    expect(
      sweepLabel({ sweepId: '0123456789abcdef', runIds: ['a', 'b'] })
    ).toBe('sweep 01234567 (2 runs)');
    expect(sweepLabel({ sweepId: 'abc', runIds: ['a'] })).toBe(
      'sweep abc (1 run)'
    );
  });
});

describe('RowLayout with sweep headers', () => {
  // Group 0: 5 runs in pages of 2; page 1 shows 3 rows (a header); group 1: 3 runs.
  const layout = new RowLayout(
    [
      { name: 'a', total: 5, collapsed: false, pageRows: new Map([[1, 3]]) },
      { name: 'b', total: 3, collapsed: false }
    ],
    2
  );

  it('counts the rows pages show', () => {
    expect(layout.count).toBe(1 + 6 + 1 + 3);
    expect(layout.groupStart(1)).toBe(7);
  });

  it('addresses rows of reshaped pages as slots', () => {
    expect(layout.rowAt(1)).toEqual({ kind: 'run', group: 0, offset: 0 });
    expect(layout.rowAt(2)).toEqual({ kind: 'run', group: 0, offset: 1 });
    expect(layout.rowAt(3)).toEqual({
      kind: 'slot',
      group: 0,
      page: 1,
      slot: 0
    });
    expect(layout.rowAt(5)).toEqual({
      kind: 'slot',
      group: 0,
      page: 1,
      slot: 2
    });
    expect(layout.rowAt(6)).toEqual({ kind: 'run', group: 0, offset: 4 });
    expect(layout.rowAt(7)).toEqual({ kind: 'group', group: 1 });
    expect(layout.rowAt(10)).toEqual({ kind: 'run', group: 1, offset: 2 });
  });

  it('lists the pages of a window', () => {
    expect(layout.pagesFor(0, 11, 2)).toEqual([
      { group: 0, page: 0 },
      { group: 0, page: 1 },
      { group: 0, page: 2 },
      { group: 1, page: 0 },
      { group: 1, page: 1 }
    ]);
    expect(layout.pagesFor(4, 7, 2)).toEqual([
      { group: 0, page: 1 },
      { group: 0, page: 2 }
    ]);
  });

  it('a collapsed group shows its header only', () => {
    const folded = new RowLayout(
      [{ name: 'a', total: 5, collapsed: true, pageRows: new Map([[1, 3]]) }],
      2
    );
    expect(folded.count).toBe(1);
  });

  it('is fast for 100k rows with reshaped pages', () => {
    const pageRows = new Map(
      Array.from({ length: 250 }, (_, i) => [2 * i, 201] as [number, number])
    );
    const big = new RowLayout(
      [{ name: 'e', total: 100000, collapsed: false, pageRows }],
      200
    );
    expect(big.count).toBe(1 + 100000 + 250);
    const t0 = Date.now();
    for (let i = 0; i < 100000; i++) {
      big.rowAt(i);
    }
    expect(Date.now() - t0).toBeLessThan(500);
    expect(big.rowAt(202)).toEqual({ kind: 'run', group: 0, offset: 200 });
  });
});
