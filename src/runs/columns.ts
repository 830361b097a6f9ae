/**
 * Which parameter and metric columns the run table shows. Plain module (jest-tested).
 *
 * A column id is `params.<key>` or `metrics.<key>`, the same spelling as the server's sort keys.
 * The choice is `null` ("automatic": the first metrics seen) until the user picks columns.
 */
import { formatMetric, formatValue } from '../format';
import { Mlops } from '../types';

export type ColumnId = `params.${string}` | `metrics.${string}`;

/** How many metric columns the automatic choice shows. */
export const AUTO_METRICS = 2;

/** The parameter and metric keys present in some runs, sorted. */
export interface IColumnKeys {
  readonly params: string[];
  readonly metrics: string[];
}

/** Collect the parameter and metric keys of runs. */
export function collectKeys(runs: Iterable<Mlops.IRunSummary>): IColumnKeys {
  const params = new Set<string>();
  const metrics = new Set<string>();
  for (const run of runs) {
    Object.keys(run.params ?? {}).forEach(k => params.add(k));
    Object.keys(run.metrics ?? {}).forEach(k => metrics.add(k));
  }
  const sort = (s: Set<string>) => [...s].sort((a, b) => a.localeCompare(b));
  return { params: sort(params), metrics: sort(metrics) };
}

/** Merge key sets (e.g. the keys seen so far with those of a new page). */
export function mergeKeys(a: IColumnKeys, b: IColumnKeys): IColumnKeys {
  const merge = (x: string[], y: string[]) =>
    [...new Set([...x, ...y])].sort((p, q) => p.localeCompare(q));
  return {
    params: merge(a.params, b.params),
    metrics: merge(a.metrics, b.metrics)
  };
}

/** Validate a stored setting: a list of column ids, or null for automatic. */
export function parseColumns(value: unknown): ColumnId[] | null {
  if (!Array.isArray(value)) {
    return null;
  }
  const ids = value.filter(
    (v): v is ColumnId =>
      typeof v === 'string' && /^(params|metrics)\..+/.test(v)
  );
  return [...new Set(ids)];
}

/** The columns to show: the user's choice, or the first metrics when automatic. */
export function resolveColumns(
  chosen: ColumnId[] | null,
  keys: IColumnKeys
): ColumnId[] {
  if (chosen !== null) {
    return chosen;
  }
  return keys.metrics
    .slice(0, AUTO_METRICS)
    .map(k => `metrics.${k}` as ColumnId);
}

/** Show or hide one column; an automatic choice becomes explicit. */
export function toggleColumn(
  chosen: ColumnId[] | null,
  keys: IColumnKeys,
  id: ColumnId
): ColumnId[] {
  const current = resolveColumns(chosen, keys);
  return current.includes(id)
    ? current.filter(c => c !== id)
    : [...current, id];
}

/** Split a column id into its kind and key. */
export function splitColumn(id: ColumnId): {
  kind: 'params' | 'metrics';
  key: string;
} {
  const dot = id.indexOf('.');
  return {
    kind: id.slice(0, dot) as 'params' | 'metrics',
    key: id.slice(dot + 1)
  };
}

/** A column's header text: the key, prefixed for parameters to tell them apart. */
export function columnTitle(id: ColumnId): string {
  const { kind, key } = splitColumn(id);
  return kind === 'params' ? `${key} (param)` : key;
}

/** The text of a run's cell in a column. */
export function columnValue(run: Mlops.IRunSummary, id: ColumnId): string {
  const { kind, key } = splitColumn(id);
  if (kind === 'params') {
    return formatValue(run.params?.[key]);
  }
  return formatMetric(run.metrics?.[key]);
}
