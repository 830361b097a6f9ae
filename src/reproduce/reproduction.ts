/**
 * Reproduction: job states, pins, risks and verdicts in words. Plain functions, no JupyterLab
 * imports (jest-tested).
 */
import { EMPTY, formatMetric } from '../format';
import { Mlops } from '../types';

/** Job states after which nothing changes any more. */
const FINISHED: ReadonlySet<Mlops.JobState> = new Set([
  'succeeded',
  'failed',
  'cancelled'
]);

/** Whether a job has ended (succeeded, failed or was cancelled). */
export function isFinished(state: Mlops.JobState): boolean {
  return FINISHED.has(state);
}

/** Whether a job is waiting or running (it can be cancelled and is worth polling). */
export function isActive(state: Mlops.JobState): boolean {
  return state === 'queued' || state === 'running';
}

/** The progress of a job in words: `queued`, `running cell 2 of 5`, `cancelled`, ... */
export function progressText(job: Mlops.IJob): string {
  const { cell, total } = job.progress ?? { cell: 0, total: 0 };
  return jobStateText(
    job,
    total > 0
      ? `running cell ${Math.min(Math.max(cell, 0), total)} of ${total}`
      : 'starting the kernel'
  );
}

/**
 * A job's state in words, with `running` as what a running job is doing (a reproduction's
 * cell, a determinism check's executions): `queued, waiting to start`, `failed: …`, ...
 */
export function jobStateText(
  job: { readonly state: Mlops.JobState; readonly error?: string | null },
  running: string
): string {
  switch (job.state) {
    case 'queued':
      return 'queued, waiting to start';
    case 'running':
      return running;
    case 'succeeded':
      return 'finished';
    case 'failed':
      return job.error ? `failed: ${job.error}` : 'failed';
    case 'cancelled':
      return 'cancelled';
  }
  return String(job.state);
}

/** The progress of a job for a progress bar: `{ value, max }` (cells), clamped. */
export function progressValue(job: Mlops.IJob): { value: number; max: number } {
  const total = Math.max(0, Math.floor(job.progress?.total ?? 0));
  const cell = Math.max(0, Math.floor(job.progress?.cell ?? 0));
  if (job.state === 'succeeded' && total > 0) {
    return { value: total, max: total };
  }
  return { value: Math.min(cell, total), max: total };
}

/**
 * The newest job of a list (by `created_at`, then list order), preferring one still active.
 *
 * @returns null for an empty list
 */
export function latestJob<J extends Mlops.AnyJob>(
  jobs: ReadonlyArray<J>
): J | null {
  let best: J | null = null;
  for (const job of jobs) {
    if (
      best === null ||
      (isActive(job.state) && !isActive(best.state)) ||
      (isActive(job.state) === isActive(best.state) &&
        job.created_at >= best.created_at)
    ) {
      best = job;
    }
  }
  return best;
}

function isObject(
  value: Mlops.JSONValue | undefined
): value is { [key: string]: Mlops.JSONValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The pin of a run (`extra.pin`): what a reproduction would run; null when it cannot be reproduced. */
export function runPin(run: Pick<Mlops.IRun, 'extra'>): Mlops.IPin | null {
  const extra = run.extra;
  if (!isObject(extra)) {
    return null;
  }
  const pin = extra.pin;
  if (!isObject(pin) || typeof pin.kind !== 'string') {
    return null;
  }
  return pin as unknown as Mlops.IPin;
}

/** The reproduction risks recorded with a run (`extra.risks`), as text. */
export function runRisks(run: Pick<Mlops.IRun, 'extra'>): string[] {
  const extra = run.extra;
  if (!isObject(extra) || !Array.isArray(extra.risks)) {
    return [];
  }
  return extra.risks.map(risk =>
    typeof risk === 'string' ? risk : JSON.stringify(risk)
  );
}

/** What a pin reproduces from: `git commit abc1234`, `notebook snapshot`, `execution history`. */
export function pinLabel(pin: Mlops.IPin | null | undefined): string {
  if (!pin) {
    return 'nothing (this run cannot be reproduced)';
  }
  switch (pin.kind) {
    case 'git': {
      const commit = typeof pin.commit === 'string' ? pin.commit : '';
      return commit ? `git commit ${commit.slice(0, 7)}` : 'git commit';
    }
    case 'snapshot':
      return 'notebook snapshot';
    case 'history':
      return 'execution history';
  }
  return String((pin as { kind: unknown }).kind);
}

/** One row of a verdict's metric table. */
export interface IVerdictMetricRow {
  readonly key: string;
  readonly original: string;
  readonly reproduced: string;
  readonly equal: boolean;
}

/** A verdict's metrics as table rows: the unequal ones first, then by key. */
export function verdictMetricRows(
  verdict: Pick<Mlops.IVerdict, 'metrics'>
): IVerdictMetricRow[] {
  return Object.entries(verdict.metrics ?? {})
    .map(([key, m]) => ({
      key,
      original: formatMetric(m?.original),
      reproduced: formatMetric(m?.reproduced),
      equal: !!m?.equal
    }))
    .sort(
      (a, b) =>
        Number(a.equal) - Number(b.equal) ||
        (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
    );
}

/**
 * Where and how a reproduction failed: `cell 3: ValueError: bad input`, the cell counted as a
 * person counts the notebook's cells (from 1; `cell 0` is papermill's injected parameters cell).
 * An older server gives only the index from 0, which is one less.
 */
export function failureText(
  failure: Mlops.IReproductionFailure | null | undefined
): string {
  if (!failure) {
    return EMPTY;
  }
  const error = [failure.ename, failure.evalue].filter(Boolean).join(': ');
  const cell =
    typeof failure.cell === 'number' ? failure.cell : failure.cell_index + 1;
  const where =
    cell === 0 ? 'cell 0 (the injected parameters)' : `cell ${cell}`;
  return `${where}: ${error || 'error'}`;
}

/** A one-line summary of a verdict, e.g. `diverged: 1 of 3 metrics differ`. */
export function verdictSummary(verdict: Mlops.IVerdict): string {
  const rows = verdictMetricRows(verdict);
  const unequal = rows.filter(r => !r.equal).length;
  const metrics = (n: number) => `${n} metric${n === 1 ? '' : 's'}`;
  switch (verdict.status) {
    case 'reproduced':
      return rows.length
        ? `reproduced: ${metrics(rows.length)} equal`
        : 'reproduced (no metrics to compare)';
    case 'diverged':
      return rows.length
        ? `diverged: ${unequal} of ${metrics(rows.length)} differ`
        : 'diverged';
    case 'failed':
      return verdict.failure
        ? `failed at ${failureText(verdict.failure)}`
        : 'failed';
  }
  return String(verdict.status);
}

/** What the nondeterminism check found, or null when it did not run. */
export function nondeterminismText(
  value: boolean | null | undefined
): string | null {
  if (value === true) {
    return 'Two reproductions disagree: the code is nondeterministic.';
  }
  if (value === false) {
    return 'Two reproductions agree: the code looks deterministic.';
  }
  return null;
}

/**
 * A tolerance typed by a user (> 0): undefined when empty (server default), NaN when invalid.
 */
export function parseTolerance(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') {
    return undefined;
  }
  const value = Number(trimmed);
  return Number.isFinite(value) && value > 0 ? value : NaN;
}

/**
 * The body of a reproduce request: the tolerance when one was typed, `twice` when asked for.
 *
 * @param tolerance a valid tolerance (see `parseTolerance`), or undefined for the default
 */
export function reproduceOptions(
  tolerance: number | undefined,
  twice: boolean
): Mlops.IReproduceOptions {
  return {
    ...(tolerance !== undefined ? { tolerance } : {}),
    ...(twice ? { twice: true } : {})
  };
}

/** Why a run cannot be reproduced (or rerun) now, or null when it can. */
export function blocker(
  run: Mlops.IRun,
  pin: Mlops.IPin | null
): string | null {
  if (run.status === 'running') {
    return 'The run is still running: reproduce it once it has ended.';
  }
  if (!pin) {
    return 'This run cannot be reproduced: neither a git commit, a saved notebook snapshot nor the execution history pins its code.';
  }
  return null;
}
