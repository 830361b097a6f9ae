/**
 * What a run's details show, fetched in one go. Plain module (jest-tested with a fake client).
 */
import { MlopsClient } from '../client';
import { alignSeries, IAlignedSeries } from '../components/series';
import { Mlops } from '../types';

/** At most this many metrics get a chart. */
export const MAX_CHARTS = 12;

/** Points per chart (the server downsamples longer series, keeping spikes). */
export const CHART_POINTS = 500;

/** The client calls the details need (a fake in tests). */
export type IDetailsClient = Pick<
  MlopsClient,
  'run' | 'metrics' | 'metricSeries'
>;

/** A run, its metrics, and the series of the metrics logged more than once. */
export interface IRunDetailsData {
  readonly run: Mlops.IRun;
  readonly metrics: Mlops.IMetricInfo[];
  /** By metric key, in the order the series arrived. */
  readonly series: Map<string, IAlignedSeries>;
}

/** Fetch the run, its metric list and the series of its first `MAX_CHARTS` stepped metrics. */
export async function loadRunDetails(
  client: IDetailsClient,
  id: string
): Promise<IRunDetailsData> {
  const [run, list] = await Promise.all([client.run(id), client.metrics(id)]);
  const series = new Map<string, IAlignedSeries>();
  await Promise.all(
    list.metrics
      .filter(m => m.count > 1)
      .slice(0, MAX_CHARTS)
      .map(async m => {
        const s = await client.metricSeries(id, m.key, CHART_POINTS);
        series.set(m.key, alignSeries([s.points]));
      })
  );
  return { run, metrics: list.metrics, series };
}
