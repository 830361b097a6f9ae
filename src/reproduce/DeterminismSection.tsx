/**
 * "Check determinism" in a run's details: a small dialog (how many executions, strict), the
 * job's progress, and the report in words.
 */
import React from 'react';

import { SmallButton } from '../components/buttons';
import { FieldProblem, IFormProps, showForm } from '../components/dialogs';
import { CancelButton, JobError, JobLog, ProgressBar } from '../components/job';
import { useSignal } from '../hooks';
import { Mlops } from '../types';
import {
  determinismOptions,
  determinismProgress,
  MAX_REPEATS,
  MIN_REPEATS,
  parseRepeats,
  reportLists,
  reportSummary
} from './determinism';
import { DeterminismModel } from './determinismModel';
import { isActive } from './reproduction';

interface IDeterminismForm {
  readonly repeats: string;
  readonly strict: boolean;
}

function repeatsProblem(value: IDeterminismForm): string | null {
  return Number.isNaN(parseRepeats(value.repeats))
    ? `Executions: a whole number from ${MIN_REPEATS} to ${MAX_REPEATS}.`
    : null;
}

function DeterminismForm(props: IFormProps<IDeterminismForm>): JSX.Element {
  const [value, setValue] = React.useState(props.initial);
  const update = (next: IDeterminismForm) => {
    setValue(next);
    props.onChange(next);
  };
  const problem = repeatsProblem(value) ?? props.error;
  return (
    <div className="jp-mlops-form-fields">
      <p className="jp-mlops-form-hint">
        Executes the notebook the run pinned several times in fresh kernels and
        compares parameters, every metric’s series and the artifacts’ sha256.
      </p>
      <label className="jp-mlops-field">
        <span>Executions</span>
        <input
          className="jp-mod-styled"
          type="number"
          min={MIN_REPEATS}
          max={MAX_REPEATS}
          value={value.repeats}
          aria-invalid={problem !== null}
          aria-describedby={problem ? 'jp-mlops-repeats-problem' : undefined}
          onChange={event => update({ ...value, repeats: event.target.value })}
        />
      </label>
      <label className="jp-mlops-reproduce-option">
        <input
          type="checkbox"
          checked={value.strict}
          onChange={event => update({ ...value, strict: event.target.checked })}
        />
        strict: one more execution per setting that should not matter
        (PYTHONHASHSEED, thread counts, working directory)
      </label>
      <FieldProblem id="jp-mlops-repeats-problem" problem={problem} />
    </div>
  );
}

/** Ask how to check; null when cancelled. */
export async function askDeterminism(): Promise<Mlops.IDeterminismOptions | null> {
  const value = await showForm<IDeterminismForm>({
    title: 'Check determinism',
    okLabel: 'Check',
    initial: { repeats: String(MIN_REPEATS), strict: false },
    form: props => <DeterminismForm {...props} />,
    problem: repeatsProblem
  });
  return value === null
    ? null
    : determinismOptions(parseRepeats(value.repeats), value.strict);
}

/** The "Check determinism" button (disabled with the reason when the run cannot be reproduced). */
export function DeterminismButton(props: {
  model: DeterminismModel;
  /** Why the run cannot be re-executed now, or null. */
  blocker: string | null;
}): JSX.Element {
  const { model, blocker } = props;
  useSignal(model.changed);
  const active = model.job !== null && isActive(model.job.state);
  return (
    <SmallButton
      disabled={blocker !== null || active || model.busy}
      title={
        blocker ??
        'Execute the pinned notebook several times and tell whether the results are the same'
      }
      onClick={() =>
        void askDeterminism().then(options => {
          if (options) {
            void model.start(options);
          }
        })
      }
    >
      Check determinism
    </SmallButton>
  );
}

/** The determinism check's job and report (nothing until one was started). */
export function DeterminismView(props: {
  model: DeterminismModel;
  openRun: (id: string) => void;
}): JSX.Element | null {
  const { model, openRun } = props;
  useSignal(model.changed);
  const job = model.job;
  if (!job && !model.error) {
    return null;
  }
  return (
    <div className="jp-mlops-determinism" aria-label="Determinism check">
      <JobError model={model} />
      {job && (
        <div className="jp-mlops-job" data-job-id={job.id}>
          <ProgressBar
            state={job.state}
            value={job.progress?.done ?? 0}
            max={job.progress?.total ?? 0}
            text={determinismProgress(job)}
            label="Determinism check progress"
          />
          {isActive(job.state) && <CancelButton model={model} />}
          <JobLog text={job.log_tail} label="Determinism check log (tail)" />
          {job.verdict && (
            <DeterminismReport report={job.verdict} openRun={openRun} />
          )}
        </div>
      )}
    </div>
  );
}

function TextList(props: {
  label: string;
  items: string[];
}): JSX.Element | null {
  return props.items.length ? (
    <>
      <div>{`${props.label}:`}</div>
      <ul aria-label={props.label}>
        {props.items.map((item, i) => (
          <li key={i}>{item}</li>
        ))}
      </ul>
    </>
  ) : null;
}

/** The report: the verdict, the differences, the likely causes and notes, all as text. */
export function DeterminismReport(props: {
  report: Mlops.IDeterminismReport;
  openRun: (id: string) => void;
}): JSX.Element {
  const { report, openRun } = props;
  const lists = reportLists(report);
  const runs = (report.executions ?? []).filter(e => e.run_id);
  return (
    <div
      className={`jp-mlops-determinism-report jp-mod-${report.verdict}`}
      data-verdict={report.verdict}
    >
      <div role="status">
        <strong>{reportSummary(report)}</strong>
      </div>
      <TextList label="Differences" items={lists.differences} />
      <TextList label="Likely causes" items={lists.causes} />
      <TextList label="Executions that failed" items={lists.failures} />
      <TextList label="Notes" items={lists.notes} />
      {runs.length > 0 && (
        <div className="jp-mlops-muted">
          {'Executions: '}
          {runs.map((e, i) => (
            <React.Fragment key={e.index}>
              {i > 0 && ', '}
              <button
                type="button"
                className="jp-mlops-link"
                onClick={() => openRun(e.run_id as string)}
              >
                {`#${e.index}${e.varied ? ` (${e.varied})` : ''}`}
              </button>
            </React.Fragment>
          ))}
        </div>
      )}
    </div>
  );
}
