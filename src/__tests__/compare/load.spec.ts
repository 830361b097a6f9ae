import {
  CHART_POINTS,
  ICompareClient,
  loadMetricCharts,
  loadNotebookTexts,
  MAX_CHARTS,
  NO_SNAPSHOT
} from '../../compare/load';
import { Mlops } from '../../types';
import { runSummary } from '../fixtures';

function result(patch: Partial<Mlops.ICompareResult>): Mlops.ICompareResult {
  return {
    runs: [],
    params: [],
    metrics: [],
    sources: [],
    notebooks: [],
    env: {
      python: { values: [], differs: false },
      platform: { values: [], differs: false },
      git: { values: [], differs: false },
      packages: { added: {}, removed: {}, changed: {} },
      packages_by_run: []
    },
    ...patch
  } as Mlops.ICompareResult;
}

describe('compare loading', () => {
  it('charts series of metrics some run logged at several steps; missing or unreadable series are empty', async () => {
    const asked: string[] = [];
    const client = {
      metrics: async (id: string) => ({
        metrics:
          id === 'a'
            ? [
                { key: 'loss', count: 3 },
                { key: 'acc', count: 1 }
              ]
            : [{ key: 'loss', count: 1 }]
      }),
      metricSeries: async (id: string, key: string, points?: number) => {
        asked.push(`${id}/${key}/${points}`);
        if (id === 'c') {
          throw new Error('gone');
        }
        return {
          key,
          total: 1,
          downsampled: false,
          points: [[id === 'a' ? 0 : 1, 0.5]]
        };
      },
      blob: async () => null
    } as unknown as ICompareClient;
    const charts = await loadMetricCharts(
      client,
      result({
        runs: [
          runSummary('a', { metrics: { loss: 1, acc: 0.5 } }),
          runSummary('b', { metrics: { loss: 2, acc: 0.75 } }),
          runSummary('c', { metrics: { loss: 3 } }),
          runSummary('d')
        ],
        metrics: [
          { key: 'acc', values: [0.5, 0.75, null, 'NaN'], differs: true },
          { key: 'loss', values: [1, 2, 3, null], differs: true }
        ]
      })
    );
    expect(asked).toEqual([
      `a/loss/${CHART_POINTS}`,
      `b/loss/${CHART_POINTS}`,
      `c/loss/${CHART_POINTS}`
    ]);
    expect(charts.series).toEqual([
      {
        key: 'loss',
        data: {
          steps: [0, 1],
          values: [
            [0.5, null],
            [null, 0.5],
            [null, null],
            [null, null]
          ],
          nonFinite: [0, 0, 0, 0]
        }
      }
    ]);
    // Logged once by every run: compared as values, no series fetched.
    expect(charts.singles).toEqual([
      { key: 'acc', values: [0.5, 0.75, null, null] }
    ]);
  });

  it('takes a run whose metric list cannot be read as logging single values', async () => {
    const client = {
      metrics: async () => {
        throw new Error('gone');
      },
      metricSeries: async () => ({ points: [] })
    } as unknown as ICompareClient;
    const charts = await loadMetricCharts(
      client,
      result({
        runs: [runSummary('a', { metrics: { acc: 1 } })],
        metrics: [{ key: 'acc', values: [1], differs: false }]
      })
    );
    expect(charts).toEqual({
      series: [],
      singles: [{ key: 'acc', values: [1] }]
    });
  });

  it('charts at most MAX_CHARTS metrics', async () => {
    const client = {
      metrics: async () => ({ metrics: [] }),
      metricSeries: async () => ({ points: [] })
    } as unknown as ICompareClient;
    const metrics = Array.from({ length: MAX_CHARTS + 3 }, (_, i) => ({
      key: `m${i}`,
      values: [],
      differs: false
    }));
    const charts = await loadMetricCharts(client, result({ metrics }));
    expect(charts.singles.map(c => c.key)).toEqual(
      metrics.slice(0, MAX_CHARTS).map(m => m.key)
    );
  });

  it('reads the code of the notebook snapshots that exist', async () => {
    const asked: string[] = [];
    const client = {
      blob: async (id: string, kind: string) => {
        asked.push(`${id}/${kind}`);
        return { cells: [{ cell_type: 'code', source: 'x = 1' }] };
      }
    } as unknown as ICompareClient;
    const texts = await loadNotebookTexts(
      client,
      result({
        runs: [runSummary('a'), runSummary('b')],
        notebooks: [{ sha256: 'abc' }, null]
      })
    );
    expect(asked).toEqual(['a/notebook']);
    expect(texts[0]).toContain('x = 1');
    expect(texts[1]).toBe(NO_SNAPSHOT);
  });
});
