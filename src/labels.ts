/**
 * Labels that tell runs apart: runs of one experiment are often all called "logreg". Plain module
 * (jest-tested).
 *
 * A run keeps its name (or short id) when no other run shown beside it has the same one. Runs that
 * share a name get the parameters that differ between them (`logreg · C=0.05`), at most
 * `MAX_PARAMS`; those still alike get `#n`, their order of start among the runs shown with that
 * name in their experiment (`logreg #2`). A reproduction is marked `↻` and numbered among the
 * reproductions of that name. What is left alike (the same name and number in two experiments)
 * gets the short id.
 */
import { formatValue, runLabel, shortId } from './format';
import { Mlops } from './types';

/** At most this many differing parameters go into a label. */
export const MAX_PARAMS = 2;

/** A parameter value in a label is cut to this many characters. */
export const MAX_VALUE_CHARS = 12;

/** What a label is made of. */
export type ILabelRun = Pick<
  Mlops.IRunSummary,
  'id' | 'name' | 'experiment' | 'started_at' | 'params' | 'reproduction_of'
>;

/** A value as it appears in a label, cut to `MAX_VALUE_CHARS`. */
export function labelValue(value: Mlops.JSONValue | undefined): string {
  const text = formatValue(value);
  return text.length > MAX_VALUE_CHARS
    ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…`
    : text;
}

/**
 * The parameters that tell most of `runs` apart: keys whose values differ, the ones with the most
 * distinct values first (then by key), added until every run differs or `max` keys are taken.
 */
export function distinguishingParams(
  runs: ReadonlyArray<Pick<ILabelRun, 'params'>>,
  max = MAX_PARAMS
): string[] {
  // Distinct values per key, keyed by the raw value when it is a primitive (formatting every
  // value of thousands of runs costs more than the rest of the labels together).
  const distinct = new Map<string, Set<unknown>>();
  for (const run of runs) {
    for (const key in run.params ?? {}) {
      if (!distinct.has(key)) {
        distinct.set(key, new Set());
      }
    }
  }
  for (const [key, values] of distinct) {
    for (const run of runs) {
      const value = run.params?.[key];
      values.add(
        value !== null && typeof value === 'object'
          ? JSON.stringify(value)
          : value
      );
    }
  }
  const ranked = [...distinct.keys()]
    .filter(key => distinct.get(key)!.size > 1)
    .sort(
      (a, b) =>
        distinct.get(b)!.size - distinct.get(a)!.size || (a < b ? -1 : 1)
    );
  const chosen: string[] = [];
  for (const key of ranked) {
    if (chosen.length >= max) {
      break;
    }
    chosen.push(key);
    const texts = new Set(runs.map(run => paramsText(run, chosen)));
    if (texts.size === runs.length) {
      break;
    }
  }
  return chosen;
}

function paramsText(run: Pick<ILabelRun, 'params'>, keys: string[]): string {
  return keys.map(k => `${k}=${labelValue(run.params?.[k])}`).join(', ');
}

/** Start order: earliest first, then by id so that equal times still give a stable order. */
function byStart(a: ILabelRun, b: ILabelRun): number {
  const sa = a.started_at ?? '';
  const sb = b.started_at ?? '';
  return sa < sb ? -1 : sa > sb ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Group items by a key, keeping their order. */
function groupBy<T>(items: ReadonlyArray<T>, key: (item: T) => string) {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) {
      group.push(item);
    } else {
      groups.set(k, [item]);
    }
  }
  return groups;
}

/** Number the runs of each experiment in start order: `#1` is the first started. */
function numbered(runs: ReadonlyArray<ILabelRun>): Map<string, number> {
  const numbers = new Map<string, number>();
  for (const group of groupBy(runs, r => r.experiment).values()) {
    [...group].sort(byStart).forEach((run, i) => numbers.set(run.id, i + 1));
  }
  return numbers;
}

/**
 * A label per run id that tells the runs apart (see the module's description).
 *
 * @param runs the runs shown together (a table's experiment, the runs compared)
 */
export function distinctLabels(
  runs: ReadonlyArray<ILabelRun>
): Map<string, string> {
  const labels = new Map<string, string>();
  const sameName = groupBy(
    runs,
    run => `${run.reproduction_of ? '↻' : ''}\u0000${runLabel(run)}`
  );
  for (const group of sameName.values()) {
    const base = runLabel(group[0]);
    const repro = group[0].reproduction_of ? ' ↻' : '';
    if (group.length === 1) {
      labels.set(group[0].id, `${base}${repro}`);
      continue;
    }
    const keys = repro ? [] : distinguishingParams(group);
    const withParams = new Map(
      group.map(run => [
        run.id,
        keys.length ? `${base} · ${paramsText(run, keys)}` : `${base}${repro}`
      ])
    );
    for (const alike of groupBy(group, run =>
      withParams.get(run.id)!
    ).values()) {
      const numbers = alike.length > 1 ? numbered(alike) : null;
      for (const run of alike) {
        const text = withParams.get(run.id)!;
        labels.set(run.id, numbers ? `${text} #${numbers.get(run.id)}` : text);
      }
    }
  }
  // The same name and number in two experiments: the short id tells them apart.
  for (const alike of groupBy(runs, run => labels.get(run.id)!).values()) {
    if (alike.length > 1) {
      for (const run of alike) {
        labels.set(run.id, `${labels.get(run.id)} (${shortId(run.id)})`);
      }
    }
  }
  return labels;
}

/** The labels of `runs` in their order (for chart legends and table headers). */
export function labelList(runs: ReadonlyArray<ILabelRun>): string[] {
  const labels = distinctLabels(runs);
  return runs.map(run => labels.get(run.id) ?? runLabel(run));
}
