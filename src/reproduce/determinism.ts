/**
 * Determinism checks in words: a job's progress, the report's verdict, its differences and
 * likely causes. Plain functions, no JupyterLab imports (jest-tested).
 */
import { formatValue } from '../format';
import { Mlops } from '../types';
import { jobStateText } from './reproduction';

/** The fewest and most executions with the run's own settings (the server's bounds). */
export const MIN_REPEATS = 2;
export const MAX_REPEATS = 10;

/** A repeat count typed by a user: an integer 2..10, else NaN. */
export function parseRepeats(text: string): number {
  const trimmed = text.trim();
  const value = Number(trimmed);
  return trimmed !== '' &&
    Number.isInteger(value) &&
    value >= MIN_REPEATS &&
    value <= MAX_REPEATS
    ? value
    : NaN;
}

/** The body of a determinism request: the defaults left out. */
export function determinismOptions(
  repeats: number,
  strict: boolean
): Mlops.IDeterminismOptions {
  return {
    ...(repeats !== MIN_REPEATS ? { repeats } : {}),
    ...(strict ? { strict: true } : {})
  };
}

function values(d: Mlops.IDeterminismDifference): [string, string] {
  const [one, two] = d.values ?? [];
  return [formatValue(one ?? null), formatValue(two ?? null)];
}

/** Which executions differed and what they varied: ` (executions 1 and 3, varied PYTHONHASHSEED)`. */
function between(d: Mlops.IDeterminismDifference): string {
  const parts: string[] = [];
  if (d.executions && d.executions.length >= 2) {
    parts.push(`executions ${d.executions.join(' and ')}`);
  }
  if (d.varied && d.varied.length) {
    parts.push(`varied ${d.varied.join(', ')}`);
  } else if (d.executions && d.executions.length >= 2) {
    parts.push('same settings');
  }
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** One difference in words, as the CLI says it: `score at step 0: 5 vs 7`. */
export function differenceText(d: Mlops.IDeterminismDifference): string {
  const [one, two] = values(d);
  let text: string;
  switch (d.kind) {
    case 'metric':
      text = `${d.metric} at step ${d.step}: ${one} vs ${two}`;
      break;
    case 'missing':
      text = `${d.metric} was logged by one execution only`;
      break;
    case 'steps':
      text = `${d.metric} logged other steps from step ${d.step}`;
      break;
    case 'param':
      text = `parameter ${d.param}: ${one} vs ${two}`;
      break;
    case 'artifact': {
      const [a, b] = d.values ?? [];
      text = `artifact ${d.path}: sha256 ${String(a ?? 'none').slice(0, 12)} vs ${String(b ?? 'none').slice(0, 12)}`;
      break;
    }
    default:
      text = `${d.kind}: ${one} vs ${two}`;
  }
  return text + between(d);
}

/** The report's verdict in a sentence. */
export function reportSummary(report: Mlops.IDeterminismReport): string {
  const runs = `${report.repeats} executions${report.strict ? ` plus ${report.varied.length} varying one setting each` : ''}`;
  switch (report.verdict) {
    case 'deterministic':
      return `Deterministic: ${runs} gave the same parameters, metric series and artifacts.`;
    case 'nondeterministic': {
      const n = report.differences.length;
      return `Not deterministic: ${runs} differ (${n} difference${n === 1 ? '' : 's'}).`;
    }
    case 'failed':
      return 'Failed: an execution with the run’s own settings failed, so nothing could be compared.';
  }
  return String(report.verdict);
}

/** The executions that failed, in words: `execution 2 (PYTHONHASHSEED): failed: …`. */
export function failedExecutions(report: Mlops.IDeterminismReport): string[] {
  return (report.executions ?? [])
    .filter(e => e.status !== 'finished' || e.error)
    .map(
      e =>
        `execution ${e.index}${e.varied ? ` (${e.varied} varied)` : ''}: ${e.status}${e.error ? `: ${e.error}` : ''}`
    );
}

/** What the report shows as lists: differences (the first one first), causes, notes, failures. */
export function reportLists(report: Mlops.IDeterminismReport): {
  differences: string[];
  causes: string[];
  notes: string[];
  failures: string[];
} {
  const differences = (report.differences ?? []).map(differenceText);
  if (differences.length === 0 && report.first_difference) {
    differences.push(differenceText(report.first_difference));
  }
  return {
    differences,
    causes: [...(report.causes ?? [])],
    notes: [...(report.notes ?? [])],
    failures: failedExecutions(report)
  };
}

/** A determinism job's progress in words: `2 of 3 executions done`, `failed: …`. */
export function determinismProgress(job: Mlops.IDeterminismJob): string {
  const p = job.progress ?? { done: 0, running: 0, failed: 0, total: 0 };
  return jobStateText(
    job,
    p.total > 0
      ? `${p.done} of ${p.total} executions done${p.running ? `, ${p.running} running` : ''}`
      : 'starting the kernels'
  );
}
