import { runIcon, tableRowsIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { SmallButton } from '../components/buttons';
import { CancelButton, JobError, JobLog, ProgressBar } from '../components/job';
import { formatValue } from '../format';
import { useSignal } from '../hooks';
import { blocker, isActive, runPin } from '../reproduce/reproduction';
import { Mlops } from '../types';
import { SweepModel } from './model';
import { SweepExecutions } from './SweepExecutions';
import {
  checkGrid,
  combinationsText,
  formatItem,
  isSweepable,
  MAX_COMPARED_RUNS,
  MAX_WORKERS,
  MIN_WORKERS,
  sweepProgressText,
  sweepProgressValue,
  sweepRunIds
} from './sweeps';

/** Workers proposed by the form. */
const DEFAULT_WORKERS = '2';

/** "Rerun with…": a list of values per parameter, workers, the count, Start; then the job. */
export function SweepSection(props: {
  run: Mlops.IRun;
  model: SweepModel;
  openRun: (id: string) => void;
  compare?: (ids: string[]) => void;
}): JSX.Element {
  const { run, model, openRun, compare } = props;
  useSignal(model.changed);
  const uid = React.useId();
  const params = Object.entries(run.params ?? {});
  const [texts, setTexts] = React.useState<Record<string, string>>(() =>
    Object.fromEntries(params.map(([k, v]) => [k, formatItem(v)]))
  );
  const [workers, setWorkers] = React.useState(DEFAULT_WORKERS);
  const check = checkGrid(
    params.map(([name]) => ({ name, text: texts[name] ?? '' })),
    workers
  );
  const why = blocker(run, runPin(run));
  const job = model.job;
  const active = job !== null && isActive(job.state);
  const canStart = why === null && check.errors.length === 0 && !active;

  const start = () => {
    if (!canStart || model.busy) {
      return;
    }
    void model.start(check.grid, check.workers ?? undefined);
  };

  return (
    <div className="jp-mlops-sweep">
      <form
        className="jp-mlops-sweep-form"
        aria-label="Rerun with other parameters"
        onSubmit={event => {
          event.preventDefault();
          start();
        }}
      >
        <GridTable
          params={params}
          texts={texts}
          onChange={(name, text) => setTexts({ ...texts, [name]: text })}
          disabled={why !== null}
        />
        <div className="jp-mlops-reproduce-actions">
          <label className="jp-mlops-reproduce-option">
            workers
            <input
              className="jp-mlops-sweep-workers jp-mod-styled"
              type="number"
              min={MIN_WORKERS}
              max={MAX_WORKERS}
              step={1}
              aria-label="Workers"
              value={workers}
              disabled={why !== null}
              onChange={event => setWorkers(event.target.value)}
            />
          </label>
          <span
            className="jp-mlops-sweep-count"
            role="status"
            aria-label="Combinations"
          >
            {combinationsText(check.count)}
          </span>
          <SmallButton
            variant="accept"
            icon={runIcon}
            type="submit"
            disabled={!canStart || model.busy}
            aria-describedby={
              check.errors.length || why ? `${uid}-errors` : undefined
            }
            title={
              why ??
              `Run the pinned code once per combination (${combinationsText(check.count)})`
            }
          >
            Start
          </SmallButton>
          {active && <CancelButton model={model} />}
        </div>
        {(why || check.errors.length > 0) && (
          <ul id={`${uid}-errors`} className="jp-mlops-sweep-errors">
            {why && <li>{why}</li>}
            {check.errors.map((error, i) => (
              <li key={i}>{error}</li>
            ))}
          </ul>
        )}
      </form>
      <JobError model={model} />
      {job && (
        <SweepJob
          job={job}
          model={model}
          base={run}
          openRun={openRun}
          compare={compare}
        />
      )}
    </div>
  );
}

/** A row per parameter: its name, current value, and the values to try (identifiers only). */
function GridTable(props: {
  params: [string, Mlops.JSONValue][];
  texts: Record<string, string>;
  onChange: (name: string, text: string) => void;
  disabled: boolean;
}): JSX.Element {
  const { params, texts, onChange, disabled } = props;
  return (
    <table className="jp-mlops-kv jp-mlops-sweep-grid">
      <thead>
        <tr>
          <th scope="col">parameter</th>
          <th scope="col">current</th>
          <th scope="col">values (comma-separated)</th>
        </tr>
      </thead>
      <tbody>
        {params.map(([name, value]) => (
          <tr key={name} data-param={name}>
            <th scope="row">{name}</th>
            <td>{formatValue(value)}</td>
            <td>
              {isSweepable(name) ? (
                <input
                  className="jp-mlops-sweep-values jp-mod-styled"
                  type="text"
                  spellCheck={false}
                  aria-label={`Values of ${name}`}
                  title='Comma-separated values: JSON literals (0.01, true, "text", [1, 2]) or bare text'
                  value={texts[name] ?? ''}
                  disabled={disabled}
                  onChange={event => onChange(name, event.target.value)}
                />
              ) : (
                <span className="jp-mlops-muted">
                  fixed (not an identifier)
                </span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The sweep job: progress, the log's tail, the executions, and comparing their runs. */
function SweepJob(props: {
  job: Mlops.ISweepJob;
  model: SweepModel;
  /** The run the sweep is based on. */
  base: Mlops.IRun;
  openRun: (id: string) => void;
  compare?: (ids: string[]) => void;
}): JSX.Element {
  const { job, model, base, openRun, compare } = props;
  const active = isActive(job.state);
  const sweep =
    model.sweep && job.sweep_id === model.sweep.id ? model.sweep : null;
  const runIds = sweep ? sweepRunIds(sweep) : [];
  return (
    <div
      className="jp-mlops-job"
      data-job-id={job.id}
      data-sweep-id={job.sweep_id}
    >
      <ProgressBar
        state={job.state}
        {...sweepProgressValue(job)}
        text={sweepProgressText(job)}
        label="Sweep progress"
      />
      <JobLog text={job.log_tail} label="Sweep log (tail)" />
      {sweep && (
        <SweepExecutions
          sweep={sweep}
          base={base}
          runs={model.runs}
          openRun={openRun}
        />
      )}
      {!active && compare && runIds.length >= 2 && (
        <SmallButton
          icon={tableRowsIcon}
          title={
            runIds.length > MAX_COMPARED_RUNS
              ? `Compare the first ${MAX_COMPARED_RUNS} of ${runIds.length} runs`
              : `Compare the ${runIds.length} runs of the sweep`
          }
          onClick={() => compare(runIds.slice(0, MAX_COMPARED_RUNS))}
        >
          Compare sweep runs
        </SmallButton>
      )}
    </div>
  );
}
