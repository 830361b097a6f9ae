import React from 'react';

import { Mlops } from '../types';

/** A run's status as a badge: text and a colour class (never colour alone). */
export function StatusBadge(props: {
  status: Mlops.RunStatus;
  errorType?: string | null;
}): JSX.Element {
  return (
    <span
      className={`jp-mlops-badge jp-mlops-badge-${props.status}`}
      title={
        props.errorType ? `${props.status}: ${props.errorType}` : props.status
      }
    >
      {props.status}
    </span>
  );
}
