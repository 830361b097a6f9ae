import React from 'react';

import { ErrorAlert } from '../components/ErrorAlert';
import { MetricChart } from '../components/MetricChart';
import { describeError, IErrorDescription } from '../errors';
import { Mlops } from '../types';
import { ICompareClient, IMetricChart, loadMetricCharts } from './load';
import { compareLabels } from './values';

/** One chart per metric with every run's series overlaid (500 points each at most). */
export function MetricCharts(props: {
  client: ICompareClient;
  result: Mlops.ICompareResult;
}): JSX.Element {
  const { client, result } = props;
  const [charts, setCharts] = React.useState<IMetricChart[] | null>(null);
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
  if (charts.length === 0) {
    return <div className="jp-mlops-muted">No metrics recorded.</div>;
  }
  const labels = compareLabels(result);
  return (
    <div className="jp-mlops-charts">
      {charts.map(c => (
        <MetricChart key={c.key} title={c.key} labels={labels} data={c.data} />
      ))}
    </div>
  );
}
