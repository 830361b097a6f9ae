import React from 'react';

import { ErrorAlert } from '../components/ErrorAlert';
import { MetricChart, runColor } from '../components/MetricChart';
import { describeError, IErrorDescription } from '../errors';
import { formatNumber } from '../format';
import { Mlops } from '../types';
import {
  ICompareClient,
  IMetricCharts,
  ISingleMetric,
  loadMetricCharts
} from './load';
import { Swatch } from './RunList';
import { barGeometry, compareLabels } from './values';

/**
 * The metrics of the runs: a line chart per metric logged at several steps (every run's series
 * overlaid, 500 points each at most), and bars comparing the metrics logged once.
 */
export function MetricCharts(props: {
  client: ICompareClient;
  result: Mlops.ICompareResult;
}): JSX.Element {
  const { client, result } = props;
  const [charts, setCharts] = React.useState<IMetricCharts | null>(null);
  const [error, setError] = React.useState<IErrorDescription | null>(null);
  React.useEffect(() => {
    let cancelled = false;
    loadMetricCharts(client, result)
      .then(c => !cancelled && setCharts(c))
      .catch(e => !cancelled && setError(describeError(e)));
    return () => {
      cancelled = true;
    };
  }, [client, result]);
  if (error) {
    return <ErrorAlert error={error} />;
  }
  if (!charts) {
    return <div className="jp-mlops-muted">Loading metric series…</div>;
  }
  if (charts.series.length + charts.singles.length === 0) {
    return <div className="jp-mlops-muted">No metrics recorded.</div>;
  }
  const labels = compareLabels(result);
  return (
    <>
      {charts.singles.length > 0 && (
        <div className="jp-mlops-bars-grid">
          {charts.singles.map(metric => (
            <ValueBars key={metric.key} metric={metric} labels={labels} />
          ))}
        </div>
      )}
      {charts.series.length > 0 && (
        <div className="jp-mlops-charts">
          {charts.series.map(c => (
            <MetricChart
              key={c.key}
              title={c.key}
              labels={labels}
              data={c.data}
            />
          ))}
        </div>
      )}
    </>
  );
}

/** One metric logged once per run: a bar per run from zero, its value written beside it. */
function ValueBars(props: {
  metric: ISingleMetric;
  labels: ReadonlyArray<string>;
}): JSX.Element {
  const { metric, labels } = props;
  const { zero, bars } = barGeometry(metric.values);
  return (
    <figure className="jp-mlops-bars">
      <figcaption className="jp-mlops-chart-title">{metric.key}</figcaption>
      <table
        className="jp-mlops-bars-table"
        aria-label={`${metric.key} by run`}
      >
        <tbody>
          {metric.values.map((value, i) => {
            const bar = bars[i];
            const text = value === null ? '—' : formatNumber(value);
            return (
              <tr key={i} title={`${labels[i]}: ${metric.key} = ${text}`}>
                <th scope="row">
                  <Swatch index={i} />
                  {labels[i]}
                </th>
                <td className="jp-mlops-bar-track" aria-hidden="true">
                  <span
                    className="jp-mlops-bar-zero"
                    style={{ left: `${zero}%` }}
                  />
                  {bar && (
                    <span
                      className="jp-mlops-bar"
                      style={{
                        left: `${bar.left}%`,
                        width: `${bar.width}%`,
                        background: runColor(i)
                      }}
                    />
                  )}
                </td>
                <td className="jp-mlops-num">{text}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </figure>
  );
}
