import { axesOf, axisPosition, runPolylines } from '../../compare/parallel';

describe('parallel coordinates', () => {
  const params = [
    { key: 'lr', values: [0.1, 0.01, 0.001], differs: true },
    { key: 'opt', values: ['adam', 'sgd', 'adam'], differs: true },
    { key: 'epochs', values: [3, 3, 3], differs: false }
  ];
  const metrics = [{ key: 'loss', values: [0.5, 'NaN', 0.25] }];

  it('keeps numeric differing params and numeric metrics', () => {
    const axes = axesOf(params, metrics);
    expect(axes.map(a => a.id)).toEqual(['params.lr', 'metrics.loss']);
    expect(axes[1].values).toEqual([0.5, null, 0.25]);
    expect(axes[1].min).toBe(0.25);
    expect(axes[1].max).toBe(0.5);
  });

  it('maps values to [0, 1] and a flat axis to the middle', () => {
    const axes = axesOf(params, metrics);
    expect(axisPosition(axes[0], 0.1)).toBe(1);
    expect(axisPosition(axes[0], 0.001)).toBe(0);
    expect(
      axisPosition({ id: 'x', label: 'x', min: 2, max: 2, values: [] }, 2)
    ).toBe(0.5);
  });

  it('breaks a run line where a value is missing', () => {
    const axes = axesOf(params, metrics);
    const lines = runPolylines(axes, 3, 100, 50);
    expect(lines[0]).toEqual([
      [
        [0, 0],
        [100, 0]
      ]
    ]);
    expect(lines[1]).toHaveLength(1);
    expect(lines[1][0]).toHaveLength(1);
  });
});
