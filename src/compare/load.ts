/**
 * What the compare view fetches beyond the comparison: metric series and notebook snapshots.
 * Plain module (jest-tested with a fake client).
 */
import { MlopsClient } from '../client';
import { alignSeries, IAlignedSeries } from '../components/series';
import { metricNumber } from '../format';
import { Mlops } from '../types';
import { notebookCodeText } from './diff';

/** At most this many metrics get a chart. */
export const MAX_CHARTS = 24;

/** Points per run and chart (the server downsamples longer series, keeping spikes). */
export const CHART_POINTS = 500;

/** The client calls the compare view needs (a fake in tests). */
export type ICompareClient = Pick<
  MlopsClient,
  'metrics' | 'metricSeries' | 'blob'
>;

/** A metric logged at several steps by some run: every run's series aligned on the steps. */
export interface IMetricChart {
  readonly key: string;
  readonly data: IAlignedSeries;
}

/** A metric every run logged once (or not at all): one value per run, compared as bars. */
export interface ISingleMetric {
  readonly key: string;
  /** One per run, in the order of the comparison; null where a run has no finite value. */
  readonly values: (number | null)[];
}

/** What the metric section of the compare view shows. */
export interface IMetricCharts {
  /** Metrics with series: line charts. */
  readonly series: IMetricChart[];
  /** Single values: bars. */
  readonly singles: ISingleMetric[];
}

/**
 * Sort the first `MAX_CHARTS` metrics into series (some run logged it at several steps: every
 * run's series is fetched, a run without it or whose series cannot be read has an empty one) and
 * single values (read from the comparison, no further request). A run whose metric list cannot
 * be read counts as logging nothing more than its final values.
 */
export async function loadMetricCharts(
  client: ICompareClient,
  result: Mlops.ICompareResult
): Promise<IMetricCharts> {
  const rows = result.metrics.slice(0, MAX_CHARTS);
  const lists = await Promise.all(
    result.runs.map(run =>
      client
        .metrics(run.id)
        .then(list => list.metrics)
        .catch(() => [] as Mlops.IMetricInfo[])
    )
  );
  const stepped = new Set(
    lists.flatMap(list => list.filter(m => m.count > 1).map(m => m.key))
  );
  const series = await Promise.all(
    rows
      .filter(row => stepped.has(row.key))
      .map(async ({ key }) => {
        const points = await Promise.all(
          result.runs.map(run =>
            run.metrics && key in run.metrics
              ? client
                  .metricSeries(run.id, key, CHART_POINTS)
                  .then(s => s.points)
                  .catch(() => [])
              : Promise.resolve([])
          )
        );
        return { key, data: alignSeries(points) };
      })
  );
  const singles = rows
    .filter(row => !stepped.has(row.key))
    .map(row => ({
      key: row.key,
      values: row.values.map(v => {
        const n = metricNumber(v as Mlops.MetricValue | null);
        return Number.isFinite(n) ? n : null;
      })
    }));
  return { series, singles };
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
