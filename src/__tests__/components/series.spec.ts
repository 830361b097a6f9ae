import { alignSeries, metricKeysOf } from '../../components/series';

describe('alignSeries', () => {
  it('aligns series on the union of steps, gaps as null', () => {
    const aligned = alignSeries([
      [
        [0, 1],
        [2, 0.5]
      ],
      [
        [1, 2],
        [2, 1],
        [3, 0.25]
      ]
    ]);
    expect(aligned.steps).toEqual([0, 1, 2, 3]);
    expect(aligned.values).toEqual([
      [1, null, 0.5, null],
      [null, 2, 1, 0.25]
    ]);
    expect(aligned.nonFinite).toEqual([0, 0]);
  });

  it('turns NaN and infinities into gaps and counts them', () => {
    const aligned = alignSeries([
      [
        [0, 'NaN'],
        [1, 'Infinity'],
        [2, 3]
      ]
    ]);
    expect(aligned.values).toEqual([[null, null, 3]]);
    expect(aligned.nonFinite).toEqual([2]);
  });

  it('sorts unordered steps and keeps the last duplicate', () => {
    const aligned = alignSeries([
      [
        [5, 1],
        [1, 2],
        [5, 3]
      ]
    ]);
    expect(aligned.steps).toEqual([1, 5]);
    expect(aligned.values).toEqual([[2, 3]]);
  });

  it('handles no series and empty series', () => {
    expect(alignSeries([])).toEqual({ steps: [], values: [], nonFinite: [] });
    expect(alignSeries([[]])).toEqual({
      steps: [],
      values: [[]],
      nonFinite: [0]
    });
  });
});

describe('metricKeysOf', () => {
  it('merges keys in first-seen order', () => {
    expect(
      metricKeysOf([
        [{ key: 'loss' }, { key: 'acc' }],
        [{ key: 'acc' }, { key: 'f1' }]
      ])
    ).toEqual(['loss', 'acc', 'f1']);
  });
});
