/**
 * Outcomes of actions as JupyterLab notifications: a failure in words with a "Show details"
 * action (what happened and what to do), a success with an optional action.
 */
import { Notification, showErrorMessage } from '@jupyterlab/apputils';

import { describeError } from '../errors';

/** Tell that `what` failed (e.g. "Registering churn"), with the details a click away. */
export function notifyError(what: string, error: unknown): void {
  const { summary, action } = describeError(error);
  Notification.error(`${what} failed: ${summary}`, {
    autoClose: 8000,
    actions: [
      {
        label: 'Show details',
        callback: () =>
          void showErrorMessage(`${what} failed`, `${summary}\n\n${action}`)
      }
    ]
  });
}

/** Tell that something was done, with an optional action (e.g. open what was made). */
export function notifySuccess(
  message: string,
  action?: { label: string; callback: () => void }
): void {
  Notification.success(message, {
    autoClose: 5000,
    actions: action ? [action] : []
  });
}
