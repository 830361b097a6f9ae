import { Button } from '@jupyterlab/ui-components';
import React from 'react';

import { runColor } from '../components/MetricChart';
import { StatusBadge } from '../components/StatusBadge';
import { shortId } from '../format';
import { Mlops } from '../types';

/** The compared runs with their colour, status, short id and experiment; a name opens the run. */
export function RunList(props: {
  runs: ReadonlyArray<Mlops.IRunSummary>;
  /** What tells each run apart, in the order of `runs`. */
  labels: ReadonlyArray<string>;
  onOpenRun: (id: string) => void;
}): JSX.Element {
  const { runs, labels, onOpenRun } = props;
  return (
    <ul className="jp-mlops-compare-runs">
      {runs.map((run, i) => (
        <li key={run.id}>
          <Swatch index={i} />
          <Button
            className="jp-mlops-link-button"
            minimal
            small
            title={`Open details of ${run.id}`}
            onClick={() => onOpenRun(run.id)}
          >
            {labels[i]}
          </Button>
          <StatusBadge status={run.status} errorType={run.error_type} />
          <span className="jp-mlops-muted">{` ${shortId(run.id)} · ${run.experiment}`}</span>
        </li>
      ))}
    </ul>
  );
}

/** The colour of the i-th run in the charts. */
export function Swatch(props: { index: number }): JSX.Element {
  return (
    <span
      className="jp-mlops-swatch"
      style={{ background: runColor(props.index) }}
      aria-hidden="true"
    />
  );
}
