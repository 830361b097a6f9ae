import {
  CHART_POINTS,
  IDetailsClient,
  loadRunDetails,
  MAX_CHARTS
} from '../../details/load';
import { Mlops } from '../../types';

function info(key: string, count: number): Mlops.IMetricInfo {
  return { key, count, last: 1, last_step: count - 1 };
}

describe('loadRunDetails', () => {
  it('fetches the series of the metrics logged more than once, at most MAX_CHARTS', async () => {
    const metrics = [
      info('once', 1),
      ...Array.from({ length: MAX_CHARTS + 2 }, (_, i) => info(`m${i}`, 3))
    ];
    const asked: [string, string, number | undefined][] = [];
    const client = {
      run: async (id: string) => ({ id }) as unknown as Mlops.IRun,
      metrics: async () => ({ metrics }),
      metricSeries: async (id: string, key: string, points?: number) => {
        asked.push([id, key, points]);
        return {
          key,
          total: 2,
          downsampled: false,
          points: [
            [0, 1],
            [1, 'NaN']
          ]
        } as Mlops.IMetricSeries;
      }
    } as IDetailsClient;

    const data = await loadRunDetails(client, 'r1');

    expect(data.run.id).toBe('r1');
    expect(data.metrics).toBe(metrics);
    expect(asked).toHaveLength(MAX_CHARTS);
    expect(
      asked.every(
        ([id, key, points]) =>
          id === 'r1' && key !== 'once' && points === CHART_POINTS
      )
    ).toBe(true);
    expect(data.series.get('m0')).toEqual({
      steps: [0, 1],
      values: [[1, null]],
      nonFinite: [1]
    });
    expect(data.series.has('once')).toBe(false);
  });

  it('fails when the run cannot be read', async () => {
    const client = {
      run: async () => {
        throw new Error('gone');
      },
      metrics: async () => ({ metrics: [] }),
      metricSeries: async () => {
        throw new Error('not asked');
      }
    } as unknown as IDetailsClient;
    await expect(loadRunDetails(client, 'r1')).rejects.toThrow('gone');
  });
});
