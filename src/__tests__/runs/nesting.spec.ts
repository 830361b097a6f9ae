import { nestReproductions, reproductionText } from '../../runs/nesting';
import { Mlops } from '../../types';

function run(
  id: string,
  reproductionOf: string | null = null,
  name: string | null = id
): Mlops.IRunSummary {
  return {
    id,
    name,
    experiment: 'nb.ipynb',
    status: 'finished',
    started_at: '2026-01-01T00:00:00Z',
    ended_at: null,
    duration: 1,
    params: {},
    metrics: {},
    tags: {},
    reproduction_of: reproductionOf,
    sweep_id: null,
    git: null,
    notebook_path: null,
    error_type: null
  };
}

const ids = (rows: ReturnType<typeof nestReproductions>) =>
  rows.map(r => `${'  '.repeat(r.depth)}${r.run.id}${r.detached ? '*' : ''}`);

describe('nestReproductions', () => {
  it('keeps a page without reproductions as it is', () => {
    const page = [run('a'), run('b'), run('c')];
    const rows = nestReproductions(page);
    expect(ids(rows)).toEqual(['a', 'b', 'c']);
    expect(rows.every(r => r.parent === null && !r.detached)).toBe(true);
  });

  it('moves a reproduction directly below its original', () => {
    // Newest first: the reproduction was listed above its original.
    const page = [run('r1', 'b'), run('a'), run('b'), run('c')];
    const rows = nestReproductions(page);
    expect(ids(rows)).toEqual(['a', 'b', '  r1', 'c']);
    expect(rows[2].parent?.id).toBe('b');
  });

  it('keeps several reproductions of one run in page order, and nests deeper chains', () => {
    const page = [
      run('r2', 'a'),
      run('rr', 'r1'),
      run('r1', 'a'),
      run('a'),
      run('b')
    ];
    expect(ids(nestReproductions(page))).toEqual([
      'a',
      '  r2',
      '  r1',
      '    rr',
      'b'
    ]);
  });

  it('marks a reproduction whose original is not in the page, in place', () => {
    const page = [run('a'), run('r1', 'elsewhere'), run('b')];
    const rows = nestReproductions(page);
    expect(ids(rows)).toEqual(['a', 'r1*', 'b']);
    expect(rows[1].parent).toBeNull();
  });

  it('returns every run exactly once, even with a cycle or a self reference', () => {
    const page = [run('x', 'y'), run('y', 'x'), run('s', 's'), run('a')];
    const rows = nestReproductions(page);
    expect(rows).toHaveLength(4);
    expect(new Set(rows.map(r => r.run.id))).toEqual(
      new Set(['x', 'y', 's', 'a'])
    );
    expect(ids(nestReproductions([]))).toEqual([]);
  });

  it('describes the relation for an accessible label', () => {
    const rows = nestReproductions([
      run('a', null, 'base-a'),
      run('r1', 'a', 'base-a'),
      run('r2', '0123456789abcdef', null)
    ]);
    expect(rows.map(reproductionText)).toEqual([
      null,
      'reproduction of base-a',
      'reproduction of run 01234567'
    ]);
  });
});
