import { Button } from '@jupyterlab/ui-components';
import React from 'react';

import { CancelButton, JobError, JobLog, ProgressBar } from '../components/job';
import { EMPTY } from '../format';
import { useSignal } from '../hooks';
import { Mlops } from '../types';
import { ReproductionModel } from './model';
import {
  blocker,
  isActive,
  nondeterminismText,
  parseTolerance,
  pinLabel,
  progressText,
  progressValue,
  runPin,
  runRisks,
  verdictMetricRows,
  verdictSummary
} from './reproduction';

/** A verdict's status as a badge: the word, with a colour that only reinforces it. */
export function VerdictBadge(props: {
  status: Mlops.VerdictStatus;
}): JSX.Element {
  return (
    <span className={`jp-mlops-verdict-badge jp-mlops-verdict-${props.status}`}>
      {props.status}
    </span>
  );
}

/** The progress of a reproduction: cells run of the notebook's cells. */
function JobProgress(props: { job: Mlops.IJob }): JSX.Element {
  const { job } = props;
  return (
    <ProgressBar
      state={job.state}
      {...progressValue(job)}
      text={progressText(job)}
      label="Reproduction progress"
    />
  );
}

/** The outcome of a reproduction: badge, causes, metrics side by side, notes, the new run. */
export function VerdictView(props: {
  verdict: Mlops.IVerdict;
  openRun: (id: string) => void;
}): JSX.Element {
  const { verdict, openRun } = props;
  const rows = verdictMetricRows(verdict);
  const nondeterminism = nondeterminismText(verdict.nondeterministic);
  return (
    <div
      className="jp-mlops-verdict"
      role="group"
      aria-label={`Verdict: ${verdict.status}`}
    >
      <div className="jp-mlops-verdict-head">
        <VerdictBadge status={verdict.status} />
        <span className="jp-mlops-verdict-summary">
          {verdictSummary(verdict)}
        </span>
        {verdict.pin && (
          <span className="jp-mlops-muted">{`(from ${pinLabel(verdict.pin)})`}</span>
        )}
      </div>
      {verdict.causes.length > 0 && (
        <>
          <h4>Likely causes, most likely first</h4>
          <ol className="jp-mlops-verdict-causes" aria-label="Likely causes">
            {verdict.causes.map((cause, i) => (
              <li key={i}>{cause}</li>
            ))}
          </ol>
        </>
      )}
      {rows.length > 0 && (
        <table
          className="jp-mlops-compare-table jp-mlops-verdict-metrics"
          aria-label="Metrics: original and reproduced"
        >
          <thead>
            <tr>
              <th scope="col">metric</th>
              <th scope="col">original</th>
              <th scope="col">reproduced</th>
              <th scope="col">equal</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(row => (
              <tr
                key={row.key}
                data-key={row.key}
                className={row.equal ? undefined : 'jp-mlops-differs'}
              >
                <th scope="row">{row.key}</th>
                <td className="jp-mlops-num">{row.original}</td>
                <td className="jp-mlops-num">{row.reproduced}</td>
                <td>
                  {row.equal ? (
                    'yes'
                  ) : (
                    <span className="jp-mlops-differs-marker">differs</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {nondeterminism && (
        <p className="jp-mlops-verdict-note">{nondeterminism}</p>
      )}
      {verdict.notes.length > 0 && (
        <>
          <h4>Notes</h4>
          <ul className="jp-mlops-verdict-notes" aria-label="Notes">
            {verdict.notes.map((note, i) => (
              <li key={i}>{note}</li>
            ))}
          </ul>
        </>
      )}
      {verdict.reproduction_run_id && (
        <Button
          className="jp-mlops-small-button"
          small
          title={`Open run ${verdict.reproduction_run_id}`}
          onClick={() => openRun(verdict.reproduction_run_id!)}
        >
          Open reproduction run
        </Button>
      )}
    </div>
  );
}

/** The Reproduction section of a run's details: pin, risks, the Reproduce button and the job. */
export function ReproduceSection(props: {
  run: Mlops.IRun;
  model: ReproductionModel;
  openRun: (id: string) => void;
  /** More buttons next to Reproduce (e.g. "Rerun with…"). */
  actions?: React.ReactNode;
}): JSX.Element {
  const { run, model, openRun, actions } = props;
  useSignal(model.changed);
  const [tolerance, setTolerance] = React.useState('');
  const [twice, setTwice] = React.useState(false);
  const uid = React.useId();
  const pin = runPin(run);
  const risks = runRisks(run);
  const why = blocker(run, pin);
  const job = model.job;
  const active = job !== null && isActive(job.state);
  const toleranceValue = parseTolerance(tolerance);
  const badTolerance =
    toleranceValue !== undefined && Number.isNaN(toleranceValue);

  const start = () => {
    if (why || badTolerance) {
      return;
    }
    void model.start({
      ...(toleranceValue !== undefined ? { tolerance: toleranceValue } : {}),
      ...(twice ? { twice: true } : {})
    });
  };

  return (
    <div className="jp-mlops-reproduce">
      <div className="jp-mlops-reproduce-pin">
        {'pinned to: '}
        <strong>{pin ? pinLabel(pin) : EMPTY}</strong>
      </div>
      {risks.length > 0 && (
        <div className="jp-mlops-reproduce-risks">
          <div>Risks to a faithful reproduction:</div>
          <ul aria-label="Reproduction risks">
            {risks.map((risk, i) => (
              <li key={i}>{risk}</li>
            ))}
          </ul>
        </div>
      )}
      <div className="jp-mlops-reproduce-actions">
        <Button
          className="jp-mlops-small-button"
          small
          disabled={why !== null || active || model.busy || badTolerance}
          aria-describedby={why ? `${uid}-why` : undefined}
          title={
            why ??
            'Run the pinned code again in a fresh kernel and compare the metrics'
          }
          onClick={start}
        >
          Reproduce
        </Button>
        {actions}
        <label className="jp-mlops-reproduce-option">
          tolerance
          <input
            className="jp-mlops-tolerance jp-mod-styled"
            type="text"
            inputMode="decimal"
            size={7}
            placeholder="default"
            aria-invalid={badTolerance}
            aria-describedby={badTolerance ? `${uid}-tolerance` : undefined}
            title="Relative tolerance when comparing metrics (empty: the server's default)"
            value={tolerance}
            disabled={why !== null}
            onChange={event => setTolerance(event.target.value)}
            onKeyDown={event => {
              if (event.key === 'Enter') {
                start();
              }
            }}
          />
        </label>
        <label className="jp-mlops-reproduce-option">
          <input
            type="checkbox"
            checked={twice}
            disabled={why !== null}
            onChange={event => setTwice(event.target.checked)}
          />
          twice (detect nondeterminism)
        </label>
        {active && <CancelButton model={model} />}
      </div>
      {why && (
        <div id={`${uid}-why`} className="jp-mlops-muted">
          {why}
        </div>
      )}
      {badTolerance && (
        <div id={`${uid}-tolerance`} className="jp-mlops-muted">
          {'The tolerance must be a number > 0 (or empty for the default).'}
        </div>
      )}
      <JobError model={model} />
      {job && (
        <div className="jp-mlops-job" data-job-id={job.id}>
          <JobProgress job={job} />
          <JobLog text={job.log_tail} label="Reproduction log (tail)" />
          {job.verdict && (
            <VerdictView verdict={job.verdict} openRun={openRun} />
          )}
        </div>
      )}
    </div>
  );
}
