/**
 * The lifecycle's actions: a dialog asks what and why, the client sends it, and the outcome is
 * said in words. Each returns an `IOutcome` the page shows (and whether it must load again);
 * successes are also JupyterLab notifications.
 */
import { askText } from '../components/dialogs';
import { notifyError, notifySuccess } from '../components/notify';
import { MlopsClient } from '../client';
import { ApiError, describeError } from '../errors';
import { runLabel } from '../format';
import { Mlops } from '../types';
import { requestTarget } from './approvals';
import { askMove, askRegistration } from './forms';
import { aliasConflict } from './names';

/** What an action ended with, for the page to show. */
export interface IOutcome {
  /** Whether the page must load again (something moved, here or meanwhile). */
  readonly changed: boolean;
  /** A message in words: what went wrong and what to do. */
  readonly message?: string;
  /** Every reason a promotion was refused. */
  readonly reasons?: string[];
  readonly tone?: 'error' | 'warning' | 'success';
}

const NOTHING: IOutcome = { changed: false };

function failure(error: unknown): IOutcome {
  const { summary, action } = describeError(error);
  return { changed: false, message: `${summary} ${action}`, tone: 'error' };
}

/**
 * Register a run's artifacts as the next version of a model. The run must have finished and
 * stored artifacts; `open` shows the version made.
 */
export async function registerRun(
  client: MlopsClient,
  runId: string,
  open: (name: string, version: number) => void
): Promise<void> {
  let run: Mlops.IRun;
  let models: Mlops.IModelSummary[];
  try {
    [run, models] = await Promise.all([client.run(runId), client.models()]);
  } catch (error) {
    notifyError(`Reading run ${runId.slice(0, 8)}`, error);
    return;
  }
  const label = runLabel(run);
  if (run.status !== 'finished' || run.artifacts.length === 0) {
    notifyError(
      `Registering run ${label}`,
      new ApiError(
        409,
        run.status !== 'finished'
          ? `run ${label} is ${run.status}: only a finished run's model is registered`
          : `run ${label} stored no artifact: record the model file with %%track --artifact PATH`
      )
    );
    return;
  }
  const value = await askRegistration(run, models, label);
  if (!value) {
    return;
  }
  try {
    const version = await client.registerVersion(value.name, {
      run_id: run.id,
      artifacts: value.artifacts,
      ...(value.description.trim()
        ? { description: value.description.trim() }
        : {})
    });
    notifySuccess(
      `Registered ${version.name} v${version.version} from run ${label}.`,
      {
        label: 'Open',
        callback: () => open(version.name, version.version)
      }
    );
    open(version.name, version.version);
  } catch (error) {
    notifyError(`Registering ${value.name} from run ${label}`, error);
  }
}

/** A refused alias change (409) in words; anything else as a failure. */
function aliasFailure(error: unknown): IOutcome {
  if (error instanceof ApiError && error.status === 409) {
    const conflict = aliasConflict(error.message);
    return {
      changed: conflict.kind === 'moved',
      message: conflict.text,
      tone: conflict.kind === 'moved' ? 'warning' : 'error'
    };
  }
  return failure(error);
}

/** Point an alias at a version, sending the holder this page saw (a 409 if it moved). */
export async function moveAlias(
  client: MlopsClient,
  options: {
    readonly name: string;
    readonly version: number;
    readonly alias?: string;
    readonly aliases: { readonly [alias: string]: number };
    readonly policy: Mlops.IPolicy | null;
  }
): Promise<IOutcome> {
  const value = await askMove({ ...options, alias: options.alias ?? '' });
  if (!value) {
    return NOTHING;
  }
  const { name, version, aliases } = options;
  try {
    await client.setAlias(name, value.alias, {
      version,
      reason: value.reason,
      expect: aliases[value.alias] ?? null
    });
    notifySuccess(`${name}@${value.alias} now points at v${version}.`);
    return { changed: true };
  } catch (error) {
    return aliasFailure(error);
  }
}

/** Move an alias back to where it was before its last move, with a reason. */
export async function rollbackAlias(
  client: MlopsClient,
  options: {
    readonly name: string;
    readonly alias: string;
    readonly holder: number | null;
    /** Where it goes back to (undefined: unknown, null: unset). */
    readonly target: number | null | undefined;
  }
): Promise<IOutcome> {
  const { name, alias, holder, target } = options;
  const where =
    target === undefined
      ? `@${alias} goes back to the version it held before its last move.`
      : `@${alias} goes back from ${holder === null ? 'none' : `v${holder}`} to ${target === null ? 'none' : `v${target}`}.`;
  const reason = await askText({
    title: `Roll back ${name}@${alias}`,
    okLabel: 'Roll back',
    warn: true,
    label: 'Reason',
    required: true,
    hint: `${where} The rollback is recorded with its reason.`
  });
  if (reason === null) {
    return NOTHING;
  }
  try {
    const event = await client.rollback(name, alias, reason);
    notifySuccess(
      `${name}@${alias} rolled back to ${event.to_version === null ? 'none' : `v${event.to_version}`}.`
    );
    return { changed: true };
  } catch (error) {
    return aliasFailure(error);
  }
}

/** Ask for approval to promote a version to an alias. */
export async function askApproval(
  client: MlopsClient,
  name: string,
  version: number,
  alias: string
): Promise<IOutcome> {
  const comment = await askText({
    title: `Request approval: ${name} v${version} → @${alias}`,
    okLabel: 'Request approval',
    label: 'Comment',
    hint: 'The request is bound to this version and its latest gate against the alias: a later, different gate result makes it void.'
  });
  if (comment === null) {
    return NOTHING;
  }
  try {
    const request = await client.requestApproval(name, {
      version,
      alias,
      ...(comment ? { comment } : {})
    });
    notifySuccess(`Approval requested for ${name} ${requestTarget(request)}.`);
    return { changed: true };
  } catch (error) {
    return failure(error);
  }
}

/** Approve (comment optional) or reject (comment required) a request. */
export async function vote(
  client: MlopsClient,
  request: Mlops.IApprovalRequest,
  approve: boolean
): Promise<IOutcome> {
  const target = `${request.name} ${requestTarget(request)}`;
  const comment = await askText({
    title: `${approve ? 'Approve' : 'Reject'} ${target}`,
    okLabel: approve ? 'Approve' : 'Reject',
    warn: !approve,
    label: 'Comment',
    required: !approve,
    hint: `Requested by ${request.requester}${request.comment ? `: “${request.comment}”` : ''}.`
  });
  if (comment === null) {
    return NOTHING;
  }
  try {
    const state = approve
      ? await client.approve(request.id, comment || undefined)
      : await client.reject(request.id, comment);
    notifySuccess(
      `${approve ? 'Approved' : 'Rejected'} ${target}: the request is now ${state.status}.`
    );
    return { changed: true };
  } catch (error) {
    return { ...failure(error), changed: true };
  }
}

/** Promote a version to a gated alias; a refusal lists every missing condition. */
export async function promote(
  client: MlopsClient,
  name: string,
  version: number,
  alias: string
): Promise<IOutcome> {
  const reason = await askText({
    title: `Promote ${name} v${version} to @${alias}`,
    okLabel: 'Promote',
    label: 'Reason',
    required: true,
    hint: 'Promotion checks, at the moment it moves the alias, that the latest gate passed against the current holder and that the approvals the policy asks for are in.'
  });
  if (reason === null) {
    return NOTHING;
  }
  try {
    await client.promote(name, { version, alias, reason });
    notifySuccess(`${name} v${version} is now @${alias}.`);
    return {
      changed: true,
      message: `Promoted: @${alias} now holds v${version}.`,
      tone: 'success'
    };
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      return {
        changed: true,
        message: `Not promoted: @${alias} stays where it was. What is missing:`,
        reasons: error.reasons.length ? error.reasons : [error.message],
        tone: 'error'
      };
    }
    return failure(error);
  }
}
