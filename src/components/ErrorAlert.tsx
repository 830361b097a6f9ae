import React from 'react';

import { IErrorDescription } from '../errors';

/**
 * A failed request, said in words a user can act on: what happened, what to do, and any
 * control (e.g. Retry) passed as children. Rendered as text, announced as an alert.
 */
export function ErrorAlert(props: {
  readonly error: IErrorDescription;
  readonly children?: React.ReactNode;
  /** `alert` (default) for a failed request; `status` for a state the view is in meanwhile. */
  readonly role?: 'alert' | 'status';
}): JSX.Element {
  return (
    <div className="jp-mlops-error" role={props.role ?? 'alert'}>
      <div>{props.error.summary}</div>
      <div>{props.error.action}</div>
      {props.children}
    </div>
  );
}
