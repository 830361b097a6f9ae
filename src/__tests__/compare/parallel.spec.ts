import {
  axesOf,
  axisLabels,
  axisPosition,
  brushedRuns,
  brushRange,
  runPolylines,
  scaleColor
} from '../../compare/parallel';

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

describe('parallel coordinates brushing', () => {
  const axes = axesOf(
    [{ key: 'lr', values: [0.1, 0.01, 0.001, null], differs: true }],
    [{ key: 'acc', values: [0.9, 0.8, 0.7, 0.95] }]
  );

  it('turns a drag on an axis into a value range, low first', () => {
    const lr = axes[0];
    expect(brushRange(lr, 0, 100, 100)).toEqual([0.001, 0.1]);
    const [low, high] = brushRange(lr, 60, 40, 100);
    expect(low).toBeCloseTo(0.001 + 0.4 * 0.099);
    expect(high).toBeCloseTo(0.001 + 0.6 * 0.099);
    // Dragged past the ends: clamped.
    expect(brushRange(lr, -50, 500, 100)).toEqual([0.001, 0.1]);
  });

  it('highlights the runs inside every brush', () => {
    expect(brushedRuns(axes, new Map(), 4)).toEqual([true, true, true, true]);
    const brushes = new Map([
      ['metrics.acc', [0.75, 1] as const],
      ['params.lr', [0.005, 0.2] as const]
    ]);
    expect(brushedRuns(axes, brushes, 4)).toEqual([true, true, false, false]);
  });
});

describe('parallel coordinates labels and colours', () => {
  it('keeps short labels on one line', () => {
    expect(axisLabels(['lr', 'acc'], 120)).toEqual([
      { text: 'lr', row: 0 },
      { text: 'acc', row: 0 }
    ]);
  });

  it('alternates lines and cuts labels that would overlap', () => {
    const labels = axisLabels(
      ['learning_rate_schedule_warmup', 'val_accuracy', 'loss'],
      80
    );
    expect(labels.map(l => l.row)).toEqual([0, 1, 0]);
    expect(labels[0].text).toBe('learning_rate_schedu…');
    expect(labels[0].text.length * 7).toBeLessThanOrEqual(2 * 80 - 8);
    expect(labels[1].text).toBe('val_accuracy');
  });

  it('colours values from violet (low) to yellow-green (high)', () => {
    expect(scaleColor(0, 0, 10)).toBe('rgb(68, 1, 84)');
    expect(scaleColor(10, 0, 10)).toBe('rgb(189, 223, 38)');
    expect(scaleColor(5, 0, 10)).toBe('rgb(33, 145, 140)');
    expect(scaleColor(3, 3, 3)).toBe('rgb(33, 145, 140)');
    expect(scaleColor(-5, 0, 10)).toBe('rgb(68, 1, 84)');
  });
});
