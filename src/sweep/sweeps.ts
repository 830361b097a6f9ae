/**
 * Parameter sweeps: the grid a user types, its validation, and how a sweep job reads. Plain module
 * (jest-tested).
 */
import { formatMetric } from '../format';
import { isActive } from '../reproduce/reproduction';
import { Mlops } from '../types';

/** The server runs at most this many combinations in one sweep. */
export const MAX_COMBINATIONS = 256;

/** Workers a sweep may use at a time. */
export const MIN_WORKERS = 1;
export const MAX_WORKERS = 8;

/** The compare view shows at most this many runs of a sweep. */
export const MAX_COMPARED_RUNS = 20;

/** Names the server accepts as parameters: Python identifiers (ASCII). */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether a parameter name can be swept. */
export function isSweepable(name: string): boolean {
  return IDENTIFIER.test(name);
}

/**
 * Split a comma-separated list at its top-level commas: commas inside quotes, brackets or braces
 * belong to their item (`"a,b", [1, 2]` is two items). Items are trimmed; empty ones dropped.
 */
export function splitList(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      current += c;
      if (c === '\\' && i + 1 < text.length) {
        current += text[++i];
      } else if (c === quote) {
        quote = null;
      }
      continue;
    }
    if (c === '"') {
      quote = c;
    } else if (c === '[' || c === '{') {
      depth += 1;
    } else if ((c === ']' || c === '}') && depth > 0) {
      depth -= 1;
    } else if (c === ',' && depth === 0) {
      items.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  items.push(current.trim());
  return items.filter(item => item.length > 0);
}

/** One item of a list: a JSON literal when it is one (`0.01`, `true`, `"x"`, `[1, 2]`), else a string. */
export function parseItem(item: string): Mlops.JSONValue {
  try {
    return JSON.parse(item) as Mlops.JSONValue;
  } catch {
    return item;
  }
}

/** The values of a comma-separated list: `0.001, 0.01` → numbers; `adam, sgd` → strings. */
export function parseValueList(text: string): Mlops.JSONValue[] {
  return splitList(text).map(parseItem);
}

/**
 * A value as an item of the list input, so that parsing it gives the value back: strings stay bare
 * unless they would read as something else (`0.1`, `true`) or hold a comma or a quote.
 */
export function formatItem(value: Mlops.JSONValue): string {
  if (typeof value === 'string') {
    const bare =
      value.trim() === value &&
      value.length > 0 &&
      !/[,"[\]{}]/.test(value) &&
      parseItem(value) === value;
    return bare ? value : JSON.stringify(value);
  }
  return JSON.stringify(value);
}

/** The number of combinations of lists of these lengths (1 for no list). */
export function combinationCount(lengths: ReadonlyArray<number>): number {
  return lengths.reduce((product, n) => product * n, 1);
}

/** A parameter row of the form: its name and the list typed for it. */
export interface IGridInput {
  readonly name: string;
  readonly text: string;
}

/** What the form would send, and why it cannot yet. */
export interface IGridCheck {
  readonly grid: Mlops.ISweepGrid;
  /** Combinations of the grid (0 when a list is empty). */
  readonly count: number;
  readonly workers: number | null;
  /** What to correct, in words; empty when the sweep can start. */
  readonly errors: string[];
}

/** The workers typed in the form, or null when not a whole number in 1..8. */
export function parseWorkers(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) {
    return null;
  }
  const n = Number(trimmed);
  return n >= MIN_WORKERS && n <= MAX_WORKERS ? n : null;
}

/** Parse and check the form: every list non-empty, at most 256 combinations, 1..8 workers. */
export function checkGrid(
  inputs: ReadonlyArray<IGridInput>,
  workersText: string
): IGridCheck {
  const errors: string[] = [];
  const grid: { [param: string]: Mlops.JSONValue[] } = {};
  for (const { name, text } of inputs) {
    if (!isSweepable(name)) {
      continue; // shown as fixed: the server only sweeps identifiers
    }
    const values = parseValueList(text);
    if (values.length === 0) {
      errors.push(`${name}: give at least one value.`);
    }
    grid[name] = values;
  }
  const names = Object.keys(grid);
  if (names.length === 0) {
    errors.push('This run has no parameters to vary.');
  }
  const count = combinationCount(names.map(name => grid[name].length));
  if (count > MAX_COMBINATIONS) {
    errors.push(
      `${count} combinations: a sweep runs at most ${MAX_COMBINATIONS}.`
    );
  }
  const workers = parseWorkers(workersText);
  if (workers === null) {
    errors.push(
      `Workers must be a whole number from ${MIN_WORKERS} to ${MAX_WORKERS}.`
    );
  }
  return { grid, count, workers, errors };
}

/** `1 combination`, `6 combinations`. */
export function combinationsText(count: number): string {
  return `${count} combination${count === 1 ? '' : 's'}`;
}

/** Executions ended (`done` counts the failed ones too) and the total, for a progress bar. */
export function sweepProgressValue(job: Mlops.ISweepJob): {
  value: number;
  max: number;
} {
  const p = job.progress ?? { done: 0, running: 0, failed: 0, total: 0 };
  const max = Math.max(0, Math.floor(p.total ?? 0));
  const value = Math.max(0, Math.floor(p.done ?? 0));
  return { value: Math.min(value, max), max };
}

/** A sweep job's progress in words: `2 / 4 done, 1 running, 1 failed`, `cancelled: 1 / 4 done`. */
export function sweepProgressText(job: Mlops.ISweepJob): string {
  const p = job.progress ?? { done: 0, running: 0, failed: 0, total: 0 };
  const counts = [
    `${p.done} / ${p.total} done`,
    ...(p.running > 0 && isActive(job.state) ? [`${p.running} running`] : []),
    ...(p.failed > 0 ? [`${p.failed} failed`] : [])
  ].join(', ');
  switch (job.state) {
    case 'queued':
      return `queued, waiting to start (${combinationsText(p.total)})`;
    case 'running':
      return counts;
    case 'succeeded':
      return `finished: ${counts}`;
    case 'failed':
      return job.error
        ? `failed: ${job.error} (${counts})`
        : `failed: ${counts}`;
    case 'cancelled':
      return `cancelled: ${counts}`;
  }
}

/** The runs a sweep recorded, in the order of its executions, at most `cap` of them. */
export function sweepRunIds(
  sweep: Pick<Mlops.ISweep, 'executions'>,
  cap = Infinity
): string[] {
  const ids: string[] = [];
  const seen = new Set<string>();
  const executions = [...(sweep.executions ?? [])].sort(
    (a, b) => a.index - b.index
  );
  for (const execution of executions) {
    for (const id of execution.run_ids ?? []) {
      if (!seen.has(id)) {
        seen.add(id);
        ids.push(id);
      }
    }
  }
  return ids.slice(0, cap);
}

/** An execution's parameters as text: `lr=0.1, opt=adam`. */
export function executionLabel(execution: Mlops.ISweepExecution): string {
  return Object.entries(execution.params ?? {})
    .map(([key, value]) => `${key}=${formatItem(value)}`)
    .join(', ');
}

/** At most this many metrics are columns of a sweep's results. */
export const MAX_RESULT_METRICS = 3;

/** Run ids per request when a sweep's runs are listed. */
export const IDS_PER_REQUEST = 25;

/** A filter of the run list matching these run ids: `id = "a" or id = "b"`. */
export function idFilter(ids: ReadonlyArray<string>): string {
  return ids.map(id => `id = ${JSON.stringify(id)}`).join(' or ');
}

/**
 * The parameters a sweep varied: its grid's, else (a list of combinations) the parameters whose
 * values differ between its executions, in first-seen order.
 */
export function sweptParams(
  sweep: Pick<Mlops.ISweep, 'grid' | 'executions'>
): string[] {
  if (sweep.grid && Object.keys(sweep.grid).length > 0) {
    return Object.keys(sweep.grid);
  }
  const keys: string[] = [];
  for (const execution of sweep.executions ?? []) {
    for (const key of Object.keys(execution.params ?? {})) {
      if (!keys.includes(key)) {
        keys.push(key);
      }
    }
  }
  return keys.filter(
    key =>
      new Set(
        (sweep.executions ?? []).map(e => JSON.stringify(e.params?.[key]))
      ).size > 1
  );
}

/**
 * The metrics worth a column: the base run's (it is what the sweep varies around), else the
 * ones the sweep's runs recorded; sorted, at most `MAX_RESULT_METRICS`.
 */
export function resultMetrics(
  base: Pick<Mlops.IRunSummary, 'metrics'> | null,
  runs: Iterable<Pick<Mlops.IRunSummary, 'metrics'>>
): string[] {
  const keys = new Set(Object.keys(base?.metrics ?? {}));
  if (keys.size === 0) {
    for (const run of runs) {
      Object.keys(run.metrics ?? {}).forEach(k => keys.add(k));
    }
  }
  return [...keys].sort().slice(0, MAX_RESULT_METRICS);
}

/** A row of a sweep's results: an execution, its swept values and its run's metrics. */
export interface IExecutionRow {
  readonly index: number;
  /** The swept parameters' values as text, in the order of `sweptParams`. */
  readonly params: string[];
  readonly status: Mlops.ExecutionStatus;
  readonly error: string | null;
  readonly runIds: string[];
  /** The first run's metrics as text, in the order asked for ('' while unknown). */
  readonly metrics: string[];
}

/** The results of a sweep as rows (by execution index), with the metrics of the runs known. */
export function executionRows(
  sweep: Pick<Mlops.ISweep, 'grid' | 'executions'>,
  runs: ReadonlyMap<string, Pick<Mlops.IRunSummary, 'metrics'>>,
  metrics: ReadonlyArray<string>
): IExecutionRow[] {
  const params = sweptParams(sweep);
  return [...(sweep.executions ?? [])]
    .sort((a, b) => a.index - b.index)
    .map(execution => {
      const run = (execution.run_ids ?? [])
        .map(id => runs.get(id))
        .find(Boolean);
      return {
        index: execution.index,
        params: params.map(key =>
          key in (execution.params ?? {})
            ? formatItem(execution.params[key])
            : '—'
        ),
        status: execution.status,
        error: execution.error,
        runIds: execution.run_ids ?? [],
        metrics: metrics.map(key =>
          run ? formatMetric(run.metrics?.[key]) : ''
        )
      };
    });
}
