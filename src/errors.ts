/**
 * Errors of the mlops-jupyter REST API and the words a user sees for them.
 *
 * This module has no JupyterLab imports so that it can be unit-tested alone.
 */

/** An HTTP error from the mlops-jupyter server extension (status 0: no response at all). */
export class ApiError extends Error {
  /**
   * @param body the decoded answer, when there is one: a refused promotion (409) carries its
   *   `reasons` beside the `message`
   */
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown = null
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The reasons a refused change lists (`{"message", "reasons": [...]}`), else []. */
  get reasons(): string[] {
    const body = this.body as { reasons?: unknown } | null;
    return body && Array.isArray(body.reasons)
      ? body.reasons.filter((r): r is string => typeof r === 'string')
      : [];
  }
}

/** What to tell a user about a failed request: what happened and what to do about it. */
export interface IErrorDescription {
  readonly summary: string;
  readonly action: string;
}

/** The command that enables the server extension. */
export const ENABLE_COMMAND = 'jupyter server extension enable mlops_jupyter';

/** A 404 without a message of ours: the route itself is missing. */
function isGenericNotFound(message: string): boolean {
  const m = message.trim().toLowerCase();
  return m === '' || m === 'not found' || m.startsWith('<');
}

/**
 * Describe a failed API request in words a user can act on.
 *
 * @param error anything thrown by `requestAPI`
 */
export function describeError(error: unknown): IErrorDescription {
  if (error instanceof ApiError) {
    if (error.status === 404 && !isGenericNotFound(error.message)) {
      // Our handlers answer 404 with a message about what is missing (a run, a job).
      return {
        summary: error.message,
        action: 'Refresh the view: it may show something deleted meanwhile.'
      };
    }
    if (error.status === 404) {
      return {
        summary:
          'The mlops-jupyter server extension is not installed or not enabled.',
        action: `Run "${ENABLE_COMMAND}" in the environment that runs JupyterLab, then restart JupyterLab.`
      };
    }
    if (error.status === 0) {
      return {
        summary: `Could not reach the Jupyter server (${error.message}).`,
        action: 'Check that JupyterLab is still running, then retry.'
      };
    }
    if (error.status === 401 || error.status === 403) {
      return {
        summary: 'The Jupyter server refused the request (not authenticated).',
        action: 'Reload the page or log in again, then retry.'
      };
    }
    if (error.status === 503) {
      // The store's database (e.g. PostgreSQL) is down or unreachable: nothing is lost.
      return {
        summary: `The run database is unreachable: ${error.message}`,
        action:
          'Kernels keep the runs they record meanwhile and sync them when it is back; this view retries by itself.'
      };
    }
    if (error.status === 507) {
      return {
        summary: `The run database is full: ${error.message}`,
        action:
          'Free some space where the store lives; runs already stored are intact.'
      };
    }
    if (error.status >= 500) {
      return {
        summary: `The mlops-jupyter server extension failed: ${error.message}`,
        action: 'See the Jupyter server log for details, then retry.'
      };
    }
    return { summary: error.message, action: 'Correct the request and retry.' };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { summary: `Unexpected error: ${message}`, action: 'Retry.' };
}
