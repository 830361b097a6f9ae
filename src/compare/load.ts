/**
 * What the compare view fetches beyond the comparison: metric series and notebook snapshots.
 * Plain module (jest-tested with a fake client).
 */
import { MlopsClient } from '../client';
import { alignSeries, IAlignedSeries } from '../components/series';
import { Mlops } from '../types';
import { notebookCodeText } from './diff';

/** At most this many metrics get a chart. */
export const MAX_CHARTS = 24;

/** Points per run and chart (the server downsamples longer series, keeping spikes). */
export const CHART_POINTS = 500;

/** The client calls the compare view needs (a fake in tests). */
export type ICompareClient = Pick<MlopsClient, 'metricSeries' | 'blob'>;

/** A metric with every run's series aligned on the steps. */
export interface IMetricChart {
  readonly key: string;
  readonly data: IAlignedSeries;
}

/**
 * The series of the first `MAX_CHARTS` metrics for every run; a run without the metric, or whose
 * series cannot be read, has an empty series.
 */
export function loadMetricCharts(
  client: ICompareClient,
  result: Mlops.ICompareResult
): Promise<IMetricChart[]> {
  const keys = result.metrics.map(m => m.key).slice(0, MAX_CHARTS);
  return Promise.all(
    keys.map(async key => {
      const series = await Promise.all(
        result.runs.map(run =>
          run.metrics && key in run.metrics
            ? client
                .metricSeries(run.id, key, CHART_POINTS)
                .then(s => s.points)
                .catch(() => [])
            : Promise.resolve([])
        )
      );
      return { key, data: alignSeries(series) };
    })
  );
}

/** What stands for a run without a notebook snapshot in the notebook diff. */
export const NO_SNAPSHOT = '(no notebook snapshot)';

/** The code cells of each run's notebook snapshot as one text (snapshots can be large). */
export function loadNotebookTexts(
  client: ICompareClient,
  result: Mlops.ICompareResult
): Promise<string[]> {
  return Promise.all(
    result.runs.map((run, i) =>
      result.notebooks[i]
        ? client.blob(run.id, 'notebook').then(nb => notebookCodeText(nb))
        : Promise.resolve(NO_SNAPSHOT)
    )
  );
}
