import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { MlopsClient } from '../client';
import { ErrorAlert } from '../components/ErrorAlert';
import { PanelHeader } from '../components/PanelHeader';
import { describeError, IErrorDescription } from '../errors';
import { Mlops } from '../types';
import { EnvDiff } from './EnvDiff';
import { InputsDiff } from './InputsDiff';
import { MetricCharts } from './MetricCharts';
import { NotebookDiff } from './NotebookDiff';
import { ParallelCoordinates } from './ParallelCoordinates';
import { RunList } from './RunList';
import { SourceDiff } from './SourceDiff';
import { compareLabels } from './values';
import { ValuesTable } from './ValuesTable';

/** What was loaded for the runs `key` (their ids as JSON); other runs are still loading. */
type Load =
  | { kind: 'error'; key: string; error: IErrorDescription }
  | { kind: 'ready'; key: string; result: Mlops.ICompareResult };

/** The compare view of several runs. */
export function CompareView(props: {
  client: MlopsClient;
  ids: string[];
  onOpenRun: (id: string) => void;
}): JSX.Element {
  const { client, ids, onOpenRun } = props;
  const [loaded, setLoaded] = React.useState<Load | null>(null);
  // Kept when other runs are compared.
  const [onlyDiffs, setOnlyDiffs] = React.useState(false);
  // Compared again when the ids change, not when an equal new array arrives.
  const key = JSON.stringify(ids);
  React.useEffect(() => {
    let cancelled = false;
    client
      .compare(JSON.parse(key) as string[])
      .then(result => !cancelled && setLoaded({ kind: 'ready', key, result }))
      .catch(
        error =>
          !cancelled &&
          setLoaded({ kind: 'error', key, error: describeError(error) })
      );
    return () => {
      cancelled = true;
    };
  }, [client, key]);

  const state = loaded?.key === key ? loaded : null;
  if (state === null) {
    return (
      <div className="jp-mlops-status-line">Comparing {ids.length} runs…</div>
    );
  }
  if (state.kind === 'error') {
    return <ErrorAlert error={state.error} />;
  }
  return (
    <Comparison
      client={client}
      result={state.result}
      onOpenRun={onOpenRun}
      onlyDiffs={onlyDiffs}
      setOnlyDiffs={setOnlyDiffs}
    />
  );
}

/** The sections of a comparison; parallel coordinates from three runs on. */
function Comparison(props: {
  client: MlopsClient;
  result: Mlops.ICompareResult;
  onOpenRun: (id: string) => void;
  /** Whether the values table shows only the rows that differ. */
  onlyDiffs: boolean;
  setOnlyDiffs: (only: boolean) => void;
}): JSX.Element {
  const { client, result, onlyDiffs, setOnlyDiffs } = props;
  return (
    <div className="jp-mlops-compare">
      <PanelHeader title={`Compare ${result.runs.length} runs`} />
      <RunList
        runs={result.runs}
        labels={compareLabels(result)}
        onOpenRun={props.onOpenRun}
      />
      <section aria-label="Parameters and metrics">
        <h3>Parameters and metrics</h3>
        <label className="jp-mlops-toggle">
          <input
            type="checkbox"
            checked={onlyDiffs}
            onChange={e => setOnlyDiffs(e.target.checked)}
          />
          Only differences
        </label>
        <ValuesTable result={result} onlyDiffs={onlyDiffs} />
      </section>
      <section aria-label="Inputs diff">
        <h3>Inputs</h3>
        <InputsDiff result={result} />
      </section>
      <section aria-label="Metric charts">
        <h3>Metrics by step</h3>
        <MetricCharts client={client} result={result} />
      </section>
      <section aria-label="Source diff">
        <h3>Source</h3>
        <SourceDiff result={result} />
      </section>
      <section aria-label="Notebook diff">
        <h3>Notebook snapshots</h3>
        <NotebookDiff client={client} result={result} />
      </section>
      <section aria-label="Environment diff">
        <h3>Environment</h3>
        <EnvDiff result={result} />
      </section>
      {result.runs.length >= 3 && (
        <section aria-label="Parallel coordinates">
          <h3>Parallel coordinates</h3>
          <ParallelCoordinates result={result} />
        </section>
      )}
    </div>
  );
}

/** The main-area content comparing runs; `setIds` replaces the compared runs. */
export class CompareWidget extends ReactWidget {
  constructor(
    private readonly _client: MlopsClient,
    private _ids: string[],
    private readonly _onOpenRun: (id: string) => void
  ) {
    super();
    this.addClass('jp-mlops-compare-panel');
  }

  get ids(): string[] {
    return this._ids;
  }

  setIds(ids: string[]): void {
    this._ids = ids;
    this.update();
  }

  protected render(): JSX.Element {
    return (
      <CompareView
        client={this._client}
        ids={this._ids}
        onOpenRun={this._onOpenRun}
      />
    );
  }
}
