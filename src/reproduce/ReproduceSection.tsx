import { runIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { SmallButton } from '../components/buttons';
import { CancelButton, JobError, JobLog, ProgressBar } from '../components/job';
import { EMPTY } from '../format';
import { useSignal } from '../hooks';
import { Mlops } from '../types';
import { ReproductionModel } from './model';
import {
  blocker,
  isActive,
  parseTolerance,
  pinLabel,
  progressText,
  progressValue,
  reproduceOptions,
  runPin,
  runRisks
} from './reproduction';
import { VerdictView } from './VerdictView';

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
    void model.start(reproduceOptions(toleranceValue, twice));
  };

  return (
    <div className="jp-mlops-reproduce">
      <PinSummary pin={pin} risks={runRisks(run)} />
      <div className="jp-mlops-reproduce-actions">
        <SmallButton
          variant="accept"
          icon={runIcon}
          disabled={why !== null || active || model.busy || badTolerance}
          aria-describedby={why ? `${uid}-why` : undefined}
          title={
            why ??
            'Run the pinned code again in a fresh kernel and compare the metrics'
          }
          onClick={start}
        >
          Reproduce
        </SmallButton>
        {actions}
        <ToleranceInput
          value={tolerance}
          onChange={setTolerance}
          invalid={badTolerance}
          describedBy={`${uid}-tolerance`}
          disabled={why !== null}
          onEnter={start}
        />
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
      {job && <ReproductionJob job={job} openRun={openRun} />}
    </div>
  );
}

/** What a reproduction would run, and what may keep it from giving the same result. */
function PinSummary(props: {
  pin: Mlops.IPin | null;
  risks: string[];
}): JSX.Element {
  const { pin, risks } = props;
  return (
    <>
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
    </>
  );
}

/** The relative tolerance typed for comparing metrics (empty: the server's default). */
function ToleranceInput(props: {
  value: string;
  onChange: (text: string) => void;
  invalid: boolean;
  /** The id of the message saying why the value is invalid. */
  describedBy: string;
  disabled: boolean;
  onEnter: () => void;
}): JSX.Element {
  const { value, onChange, invalid, describedBy, disabled, onEnter } = props;
  return (
    <label className="jp-mlops-reproduce-option">
      tolerance
      <input
        className="jp-mlops-tolerance jp-mod-styled"
        type="text"
        inputMode="decimal"
        size={7}
        placeholder="default"
        aria-invalid={invalid}
        aria-describedby={invalid ? describedBy : undefined}
        title="Relative tolerance when comparing metrics (empty: the server's default)"
        value={value}
        disabled={disabled}
        onChange={event => onChange(event.target.value)}
        onKeyDown={event => {
          if (event.key === 'Enter') {
            onEnter();
          }
        }}
      />
    </label>
  );
}

/** The reproduction job: progress in cells, the log's tail, and the verdict once it came. */
function ReproductionJob(props: {
  job: Mlops.IJob;
  openRun: (id: string) => void;
}): JSX.Element {
  const { job, openRun } = props;
  return (
    <div className="jp-mlops-job" data-job-id={job.id}>
      <ProgressBar
        state={job.state}
        {...progressValue(job)}
        text={progressText(job)}
        label="Reproduction progress"
      />
      <JobLog text={job.log_tail} label="Reproduction log (tail)" />
      {job.verdict && <VerdictView verdict={job.verdict} openRun={openRun} />}
    </div>
  );
}
