import {
  MAX_LIVE_CHARTS,
  MAX_LIVE_POINTS,
  summaryView
} from '../../summary/data';

const ID = '0123456789abcdef0123456789abcdef';

/** A final summary as mlops_jupyter/summary.py writes it. */
const FINAL = {
  id: ID,
  name: 'baseline',
  experiment: '/srv/nb.ipynb',
  status: 'finished',
  duration: 4.213,
  params: { lr: 0.01, opt: 'adam' },
  params_total: 10,
  metrics: { acc: 0.91234, loss: 'NaN' },
  metrics_total: 2,
  inputs: ['data/train.csv'],
  inputs_total: 3,
  error: null,
  reproduction_of: null
};

describe('summaryView', () => {
  it('shows the final summary as text', () => {
    const view = summaryView(FINAL);
    expect(view).toMatchObject({
      id: ID,
      title: 'baseline · 01234567',
      experiment: '/srv/nb.ipynb',
      status: 'finished',
      statusText: 'finished in 4.21 s',
      live: false,
      params: ['lr=0.01', 'opt=adam', '(+8 more)'],
      metrics: ['acc=0.9123', 'loss=NaN'],
      inputs: ['data/train.csv', '(+2 more)'],
      error: null,
      reproductionOf: null,
      charts: [],
      moreCharts: 0
    });
  });

  it('shows the version the cell registered and its drift line, as text', () => {
    const view = summaryView({
      ...FINAL,
      registered: 'churn/3',
      drift:
        "train vs the last run's (run 8752244f): drift in age (1 of 3 columns)"
    });
    expect(view.registered).toBe('churn/3');
    expect(view.drift).toBe(
      "train vs the last run's (run 8752244f): drift in age (1 of 3 columns)"
    );
    expect(summaryView(FINAL)).toMatchObject({ registered: null, drift: null });
    expect(summaryView({ ...FINAL, registered: 3, drift: {} })).toMatchObject({
      registered: null,
      drift: null
    });
  });

  it('says why a run failed', () => {
    const view = summaryView({
      ...FINAL,
      status: 'failed',
      error: { type: 'ValueError', message: '<b>bad</b> input' }
    });
    expect(view.error).toBe('ValueError: <b>bad</b> input');
    expect(view.statusText).toBe('failed in 4.21 s');
  });

  it('charts the series of a live display', () => {
    const view = summaryView({
      id: ID,
      name: null,
      status: 'running',
      duration: 65,
      live: true,
      series: {
        loss: [
          [0, 1.0],
          [1, 0.5],
          [2, 'NaN']
        ],
        acc: [[0, 0.3]],
        empty: []
      }
    });
    expect(view.title).toBe('01234567');
    expect(view.live).toBe(true);
    expect(view.statusText).toBe('running for 1m 05s');
    expect(view.charts.map(c => c.key)).toEqual(['loss', 'acc']);
    expect(view.charts[0].data).toEqual({
      steps: [0, 1, 2],
      values: [[1.0, 0.5, null]],
      nonFinite: [1]
    });
  });

  it('draws no chart without a series', () => {
    expect(summaryView({ ...FINAL, live: true }).charts).toEqual([]);
    expect(summaryView({ ...FINAL, series: {} }).charts).toEqual([]);
    expect(summaryView({ ...FINAL, series: { loss: [] } }).charts).toEqual([]);
  });

  it('keeps a few charts and the latest points', () => {
    const series: { [k: string]: [number, number][] } = {};
    for (let m = 0; m < MAX_LIVE_CHARTS + 2; m++) {
      series[`m${m}`] = Array.from(
        { length: MAX_LIVE_POINTS + 10 },
        (_, i) => [i, i] as [number, number]
      );
    }
    const view = summaryView({ id: ID, live: true, series });
    expect(view.charts).toHaveLength(MAX_LIVE_CHARTS);
    expect(view.moreCharts).toBe(2);
    expect(view.charts[0].data.steps).toHaveLength(MAX_LIVE_POINTS);
    expect(view.charts[0].data.steps[0]).toBe(10);
  });

  it('leaves out what is not what the kernel writes', () => {
    const view = summaryView({
      id: 42,
      name: ['x'],
      status: { evil: true },
      params: 'lr=1',
      metrics: [1, 2],
      inputs: ['ok.csv', 3, null],
      error: 'boom',
      series: { loss: [[0, 1], ['x', 2], [1], 'bad', [2, { v: 1 }], [NaN, 3]] }
    });
    expect(view).toMatchObject({
      id: null,
      title: 'run',
      status: 'unknown',
      params: [],
      metrics: [],
      inputs: ['ok.csv'],
      error: null
    });
    expect(view.charts[0].data.steps).toEqual([0]);
    expect(summaryView(null).title).toBe('run');
    expect(summaryView('text').id).toBeNull();
  });
});
