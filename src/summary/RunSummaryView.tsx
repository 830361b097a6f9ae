import { launchIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { SmallButton } from '../components/buttons';
import { MetricChart } from '../components/MetricChart';
import { StatusBadge } from '../components/StatusBadge';
import { Mlops } from '../types';
import { IRunSummaryView } from './data';
import { canOpenRun, openRun } from './opener';

/** Statuses the badge knows. */
const STATUSES = new Set([
  'running',
  'finished',
  'failed',
  'interrupted',
  'crashed'
]);

/**
 * The run a tracked cell recorded, compact, every value as text: title, status, parameters,
 * metrics, inputs, error, "Open run"; while the cell runs, small charts of the logged metrics.
 */
export function RunSummaryView(props: { view: IRunSummaryView }): JSX.Element {
  const { view } = props;
  const id = view.id;
  return (
    <div
      className={`jp-mlops-summary${view.live ? ' jp-mod-live' : ''}`}
      role="group"
      aria-label={`Run ${view.title}`}
      data-run-id={id ?? undefined}
    >
      <div className="jp-mlops-summary-head">
        {STATUSES.has(view.status) ? (
          <StatusBadge
            status={view.status as Mlops.RunStatus}
            errorType={null}
          />
        ) : null}
        <span className="jp-mlops-summary-title">{view.title}</span>
        <span className="jp-mlops-muted">{view.statusText}</span>
        {view.live && (
          <span className="jp-mlops-summary-live" aria-live="polite">
            live
          </span>
        )}
        {id && (
          <SmallButton
            icon={launchIcon}
            disabled={!canOpenRun()}
            title={`Open run ${id} in the mlops-jupyter details`}
            onClick={() => openRun(id)}
          >
            Open run
          </SmallButton>
        )}
      </div>
      <SummaryLine label="params" items={view.params} />
      <SummaryLine label="metrics" items={view.metrics} />
      <SummaryLine label="inputs" items={view.inputs} />
      {view.error && (
        <div className="jp-mlops-summary-line jp-mlops-error-line">
          {view.error}
        </div>
      )}
      {view.registered && (
        <SummaryLine label="model" items={[`registered ${view.registered}`]} />
      )}
      {view.drift && <SummaryLine label="drift" items={[view.drift]} />}
      {view.reproductionOf && (
        <SummaryLine
          label="reproduction of"
          items={[view.reproductionOf.slice(0, 12)]}
        />
      )}
      {view.charts.length > 0 && (
        <div className="jp-mlops-summary-charts">
          {view.charts.map(chart => (
            <MetricChart
              key={chart.key}
              title={chart.key}
              labels={[chart.key]}
              data={chart.data}
              height={120}
            />
          ))}
          {view.moreCharts > 0 && (
            <div className="jp-mlops-muted">{`+${view.moreCharts} more metrics`}</div>
          )}
        </div>
      )}
    </div>
  );
}

/** `label: a, b, c` when there are items. */
function SummaryLine(props: {
  label: string;
  items: string[];
}): JSX.Element | null {
  if (props.items.length === 0) {
    return null;
  }
  return (
    <div className="jp-mlops-summary-line">
      <span className="jp-mlops-summary-label">{props.label}</span>
      {props.items.join(', ')}
    </div>
  );
}
