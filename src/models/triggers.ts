/**
 * Continuous-training triggers in words: conditions, outcomes, the rows of the Triggers view and
 * which firings are new. Plain functions, no JupyterLab imports (jest-tested).
 */
import { EMPTY } from '../format';
import { Mlops } from '../types';

/** The outcomes a firing can come to (`running` until it is recorded). */
export const OUTCOMES: ReadonlyArray<Mlops.FiringOutcome> = [
  'running',
  'retrained',
  'gate_failed',
  'awaiting_approval',
  'promoted',
  'error'
];

/** The CLI command that adds a trigger (the empty state shows it). */
export const ADD_COMMAND =
  'mlops-jupyter triggers add NAME --when "metrics.accuracy < 0.9" --experiment EXPERIMENT --retrain MODEL@champion --register MODEL';

/** `churn/3` as `{ name: 'churn', version: 3 }`; null when it is not a version reference. */
export function parseVersionRef(
  ref: string | null | undefined
): { name: string; version: number } | null {
  if (typeof ref !== 'string') {
    return null;
  }
  const slash = ref.lastIndexOf('/');
  if (slash <= 0) {
    return null;
  }
  const version = Number(ref.slice(slash + 1));
  if (!Number.isInteger(version) || version <= 0) {
    return null;
  }
  return { name: ref.slice(0, slash), version };
}

/** The runs a metric condition reads, in words. */
function metricSource(trigger: Mlops.ITrigger): string {
  const window = Math.max(1, Math.floor(trigger.window || 1));
  const runs =
    window > 1
      ? `the mean of the last ${window} finished runs`
      : 'the latest finished run';
  if (trigger.model) {
    return `${runs} evaluating ${trigger.model}`;
  }
  if (trigger.experiment) {
    return `${runs} of experiment ${trigger.experiment}`;
  }
  return runs;
}

/**
 * A trigger's condition in words: `when metrics.accuracy < 0.9 on the latest finished run of
 * experiment churn`, `when a drift check of churn@champion finds drift`, `every 6h`, ...
 */
export function conditionText(trigger: Mlops.ITrigger): string {
  const when = (trigger.when ?? '').trim();
  switch (trigger.kind) {
    case 'metric':
      return `when ${when} on ${metricSource(trigger)}`;
    case 'drift': {
      const target = trigger.model ?? 'the model';
      const colon = when.indexOf(':');
      const column = colon >= 0 ? when.slice(colon + 1).trim() : '';
      return column
        ? `when column ${column} drifts in a drift check of ${target}`
        : `when a drift check of ${target} finds drift`;
    }
    case 'data': {
      const colon = when.indexOf(':');
      const path = colon >= 0 ? when.slice(colon + 1).trim() : when;
      return `when the content of ${path} changes`;
    }
    case 'schedule':
      return `on a schedule: ${when}`;
  }
  return when ? `when ${when}` : EMPTY;
}

/** What a trigger retrains and where the result goes, in words. */
export function actionText(trigger: Mlops.ITrigger): string {
  const parts = [`retrains ${trigger.retrain}`];
  if (trigger.register) {
    parts.push(`registers into ${trigger.register}`);
    parts.push(`gates against @${trigger.against}`);
    if (trigger.promote) {
      parts.push('promotes when no approval is needed');
    }
  }
  return parts.join(', ');
}

/** A firing's outcome in a few words, e.g. `gate failed`, `awaiting approval`. */
export function outcomeLabel(outcome: string | null | undefined): string {
  switch (outcome) {
    case 'running':
      return 'running';
    case 'retrained':
      return 'retrained';
    case 'gate_failed':
      return 'gate failed';
    case 'awaiting_approval':
      return 'awaiting approval';
    case 'promoted':
      return 'promoted';
    case 'error':
      return 'error';
  }
  return outcome ? String(outcome) : EMPTY;
}

/** The tone of an outcome: good news, something to look at, a failure, or still running. */
export type OutcomeTone = 'ok' | 'attention' | 'failure' | 'pending';

export function outcomeTone(outcome: string | null | undefined): OutcomeTone {
  switch (outcome) {
    case 'retrained':
    case 'promoted':
      return 'ok';
    case 'awaiting_approval':
      return 'attention';
    case 'gate_failed':
    case 'error':
      return 'failure';
  }
  return 'pending';
}

/** Why a firing failed: `cell 3: ValueError: bad` (the cell when it is known), or null. */
export function failureOf(firing: Mlops.ITriggerFiring): string | null {
  const error = firing.error;
  if (!error || typeof error !== 'object') {
    return null;
  }
  const message =
    typeof error.message === 'string' && error.message.trim()
      ? error.message.trim()
      : null;
  const cell = typeof error.cell === 'number' ? `cell ${error.cell}` : null;
  if (cell && message) {
    return `${cell}: ${message}`;
  }
  return cell ?? message;
}

/**
 * A firing's outcome as a sentence: `retrained churn/4`, `gate failed for churn/4: auc …`,
 * `error at cell 3: ValueError: …`.
 */
export function outcomeText(firing: Mlops.ITriggerFiring): string {
  const version = firing.version ? ` ${firing.version}` : '';
  const failure = failureOf(firing);
  switch (firing.outcome) {
    case 'running':
      return 'running: retraining now';
    case 'retrained':
      return `retrained${version}`;
    case 'gate_failed':
      return `gate failed${version ? ` for${version}` : ''}${failure ? `: ${failure}` : ''}`;
    case 'awaiting_approval':
      return `${version ? `${version.trim()} ` : ''}awaiting approval${firing.request_id ? ` (request ${firing.request_id})` : ''}`;
    case 'promoted':
      return `promoted${version}`;
    case 'error':
      return failure
        ? `error${failure.startsWith('cell ') ? ' at ' : ': '}${failure}`
        : 'error';
  }
  return outcomeLabel(firing.outcome);
}

/** One row of the Triggers view. */
export interface ITriggerRow {
  readonly name: string;
  /** The model the trigger registers into or watches, or `—`. */
  readonly model: string;
  readonly condition: string;
  readonly action: string;
  readonly enabled: boolean;
  /** The last firing's number, or null when it never fired. */
  readonly firing: number | null;
  /** ISO 8601 of the last firing, or null. */
  readonly firedAt: string | null;
  readonly cause: string | null;
  readonly outcome: string | null;
  readonly outcomeText: string | null;
  readonly tone: OutcomeTone | null;
  /** The version the last firing registered (opens the version page). */
  readonly version: { readonly name: string; readonly version: number } | null;
  /** The approval request the last firing opened (opens the model page on it). */
  readonly request: { readonly name: string; readonly id: string } | null;
}

/** A trigger and its last firing as a row of the Triggers view. */
export function triggerRow(trigger: Mlops.ITrigger): ITriggerRow {
  const last = trigger.last_firing ?? null;
  const modelName =
    trigger.register ??
    (trigger.model ? trigger.model.split('@')[0] : null) ??
    null;
  const version = last ? parseVersionRef(last.version) : null;
  const requestModel = version?.name ?? modelName;
  return {
    name: trigger.name,
    model: trigger.model ?? trigger.register ?? EMPTY,
    condition: conditionText(trigger),
    action: actionText(trigger),
    enabled: trigger.enabled !== false,
    firing: last ? last.firing : null,
    firedAt: last?.at ?? null,
    cause: last?.cause ?? null,
    outcome: last ? String(last.outcome) : null,
    outcomeText: last ? outcomeText(last) : null,
    tone: last ? outcomeTone(last.outcome) : null,
    version,
    request:
      last && last.outcome === 'awaiting_approval' && last.request_id
        ? requestModel
          ? { name: requestModel, id: String(last.request_id) }
          : null
        : null
  };
}

/** The rows of the Triggers view, by name. */
export function triggerRows(
  triggers: ReadonlyArray<Mlops.ITrigger>
): ITriggerRow[] {
  return triggers
    .map(triggerRow)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The newest firing number among the triggers' last firings (0 when none fired). */
export function latestFiring(triggers: ReadonlyArray<Mlops.ITrigger>): number {
  let latest = 0;
  for (const trigger of triggers) {
    const seq = trigger.last_firing?.firing;
    if (typeof seq === 'number' && seq > latest) {
      latest = seq;
    }
  }
  return latest;
}

/**
 * The last firings to notify: newer than `baseline` (the newest firing when the page loaded),
 * not yet notified (`seen`), and with their outcome recorded (a running firing waits for it).
 * Oldest first.
 */
export function newFirings(
  triggers: ReadonlyArray<Mlops.ITrigger>,
  baseline: number,
  seen: ReadonlySet<number>
): Mlops.ITriggerFiring[] {
  const fresh: Mlops.ITriggerFiring[] = [];
  for (const trigger of triggers) {
    const last = trigger.last_firing;
    if (
      last &&
      typeof last.firing === 'number' &&
      last.firing > baseline &&
      !seen.has(last.firing) &&
      last.outcome !== 'running'
    ) {
      fresh.push(last);
    }
  }
  return fresh.sort((a, b) => a.firing - b.firing);
}

/** A notification's text for a firing: `Trigger low-accuracy fired: gate failed for churn/4: …`. */
export function firingNotice(firing: Mlops.ITriggerFiring): string {
  const text = `Trigger ${firing.trigger} fired: ${outcomeText(firing)}`;
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}

/** What `Evaluate now` found: `No trigger fired.`, `1 trigger fired: …`. */
export function evaluationText(firings: ReadonlyArray<Mlops.ITriggerFiring>): {
  summary: string;
  lines: string[];
} {
  if (firings.length === 0) {
    return {
      summary: 'Evaluated: no trigger’s condition holds now, nothing fired.',
      lines: []
    };
  }
  return {
    summary: `Evaluated: ${firings.length} trigger${firings.length === 1 ? '' : 's'} fired.`,
    lines: firings.map(
      f =>
        `${f.trigger}: ${outcomeText(f)}${f.cause ? ` (because ${f.cause})` : ''}`
    )
  };
}
