/**
 * Widgets of a server job (a reproduction, a sweep): progress, log, cancel, request error.
 */
import { stopIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { Mlops } from '../types';
import { SmallButton } from './buttons';
import { ErrorAlert } from './ErrorAlert';

/** What a job model shows: its request error and whether a request is on its way. */
export interface IJobView {
  readonly error: { readonly summary: string; readonly action: string } | null;
  readonly busy: boolean;
  cancel(): Promise<void>;
}

/** Cancel the job of a model (shown while the job is active). */
export function CancelButton(props: { model: IJobView }): JSX.Element {
  const { model } = props;
  return (
    <SmallButton
      variant="warn"
      icon={stopIcon}
      disabled={model.busy}
      onClick={() => void model.cancel()}
    >
      Cancel
    </SmallButton>
  );
}

/** Why the last request of a job model failed, and what to do about it. */
export function JobError(props: { model: IJobView }): JSX.Element | null {
  const { error } = props.model;
  return error ? <ErrorAlert error={error} /> : null;
}

/** A job's progress: a bar of `value` out of `max` (indeterminate when `max` is 0) and `text`. */
export function ProgressBar(props: {
  state: Mlops.JobState;
  value: number;
  max: number;
  text: string;
  label: string;
}): JSX.Element {
  const { state, value, max, text, label } = props;
  const known = max > 0;
  return (
    <div className="jp-mlops-job-progress">
      <div
        className={`jp-mlops-progress jp-mlops-progress-${state}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={known ? max : undefined}
        aria-valuenow={known ? value : undefined}
        aria-valuetext={text}
      >
        <div
          className={`jp-mlops-progress-fill${known ? '' : ' jp-mod-indeterminate'}`}
          style={{ width: known ? `${(100 * value) / max}%` : undefined }}
        />
      </div>
      <div className="jp-mlops-job-status" role="status">
        {text}
      </div>
    </div>
  );
}

/** The tail of a job's log, when it has one. */
export function JobLog(props: {
  text: string;
  label: string;
}): JSX.Element | null {
  return props.text ? (
    <pre className="jp-mlops-pre jp-mlops-job-log" aria-label={props.label}>
      {props.text}
    </pre>
  ) : null;
}
