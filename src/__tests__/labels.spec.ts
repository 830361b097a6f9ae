import {
  distinctLabels,
  distinguishingParams,
  ILabelRun,
  labelList,
  labelValue
} from '../labels';

let counter = 0;

function run(partial: Partial<ILabelRun>): ILabelRun {
  counter += 1;
  return {
    id:
      partial.id ??
      `${String(counter).padStart(2, '0')}aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`,
    name: 'logreg',
    experiment: '/srv/nb.ipynb',
    started_at: `2026-11-29T14:0${counter % 10}:00+00:00`,
    params: {},
    reproduction_of: null,
    ...partial
  };
}

describe('distinctLabels', () => {
  it('keeps a unique name as it is', () => {
    const a = run({ name: 'baseline' });
    const b = run({ name: 'tuned' });
    const labels = distinctLabels([a, b]);
    expect(labels.get(a.id)).toBe('baseline');
    expect(labels.get(b.id)).toBe('tuned');
  });

  it('adds the parameter that differs to runs sharing a name', () => {
    const a = run({ params: { C: 1, solver: 'lbfgs' } });
    const b = run({ params: { C: 0.05, solver: 'lbfgs' } });
    expect(labelList([a, b])).toEqual(['logreg · C=1', 'logreg · C=0.05']);
  });

  it('takes a second parameter only when the first leaves runs alike', () => {
    const runs = [
      run({ params: { C: 1, tol: 0.1 } }),
      run({ params: { C: 1, tol: 0.2 } }),
      run({ params: { C: 2, tol: 0.1 } })
    ];
    expect(labelList(runs)).toEqual([
      'logreg · C=1, tol=0.1',
      'logreg · C=1, tol=0.2',
      'logreg · C=2, tol=0.1'
    ]);
  });

  it('numbers runs alike in their order of start', () => {
    const late = run({ started_at: '2026-11-29T15:00:00+00:00' });
    const early = run({ started_at: '2026-11-29T09:00:00+00:00' });
    expect(labelList([late, early])).toEqual(['logreg #2', 'logreg #1']);
  });

  it('numbers what the parameters leave alike', () => {
    const a = run({ params: { C: 1 }, started_at: '2026-11-29T10:00:00Z' });
    const b = run({ params: { C: 1 }, started_at: '2026-11-29T11:00:00Z' });
    const c = run({ params: { C: 2 }, started_at: '2026-11-29T12:00:00Z' });
    expect(labelList([a, b, c])).toEqual([
      'logreg · C=1 #1',
      'logreg · C=1 #2',
      'logreg · C=2'
    ]);
  });

  it('counts a missing parameter as a value', () => {
    const a = run({ params: { C: 1 } });
    const b = run({ params: {} });
    expect(labelList([a, b])).toEqual(['logreg · C=1', 'logreg · C=—']);
  });

  it('marks reproductions apart from their original', () => {
    const original = run({});
    const repro = run({ reproduction_of: original.id });
    expect(labelList([original, repro])).toEqual(['logreg', 'logreg ↻']);
    const again = run({
      reproduction_of: original.id,
      started_at: '2026-11-30T00:00:00Z'
    });
    expect(labelList([original, repro, again])).toEqual([
      'logreg',
      'logreg ↻ #1',
      'logreg ↻ #2'
    ]);
  });

  it('falls back to the short id across experiments', () => {
    const a = run({ id: 'a'.repeat(32), experiment: '/x.ipynb' });
    const b = run({ id: 'b'.repeat(32), experiment: '/y.ipynb' });
    const c = run({ id: 'c'.repeat(32), experiment: '/y.ipynb' });
    const labels = distinctLabels([a, b, c]);
    expect(labels.get(a.id)).toBe('logreg #1 (aaaaaaaa)');
    expect(new Set(labels.values()).size).toBe(3);
  });

  it('uses the short id of runs without a name', () => {
    const a = run({ name: null, id: 'a'.repeat(32) });
    const b = run({ name: null, id: 'b'.repeat(32) });
    expect(labelList([a, b])).toEqual(['aaaaaaaa', 'bbbbbbbb']);
  });

  it('gives every run of a sweep a different label', () => {
    const runs = [0.001, 0.01, 0.1, 1].flatMap(lr =>
      [16, 32].map(batch => run({ params: { lr, batch, epochs: 5 } }))
    );
    const labels = labelList(runs);
    expect(new Set(labels).size).toBe(runs.length);
    expect(labels[0]).toBe('logreg · lr=0.001, batch=16');
  });
});

describe('distinguishingParams', () => {
  it('prefers the parameter with the most distinct values', () => {
    const runs = [
      { params: { a: 1, b: 1 } },
      { params: { a: 1, b: 2 } },
      { params: { a: 2, b: 3 } }
    ];
    expect(distinguishingParams(runs)).toEqual(['b']);
  });

  it('is empty when no parameter differs', () => {
    expect(
      distinguishingParams([{ params: { a: 1 } }, { params: { a: 1 } }])
    ).toEqual([]);
  });
});

describe('labelValue', () => {
  it('cuts long values', () => {
    expect(labelValue('a-very-long-optimizer-name')).toBe('a-very-long…');
    expect(labelValue(0.05)).toBe('0.05');
    expect(labelValue([1, 2])).toBe('[1,2]');
  });
});
