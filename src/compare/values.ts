/**
 * The compare view's values as text: parameter and metric cells, environment values, package
 * changes. Plain module (jest-tested).
 */
import { formatNumber, formatValue } from '../format';
import { labelList } from '../labels';
import { Mlops } from '../types';

const LABELS = new WeakMap<Mlops.ICompareResult, string[]>();

/**
 * The labels telling the compared runs apart (see `distinctLabels`), in the order of `runs`;
 * computed once per comparison.
 */
export function compareLabels(result: Mlops.ICompareResult): string[] {
  let labels = LABELS.get(result);
  if (!labels) {
    labels = labelList(result.runs);
    LABELS.set(result, labels);
  }
  return labels;
}

/** What a missing value shows. */
const MISSING = '—';

/** A value cell of the compare table; metrics may be non-finite strings. */
export function valueText(
  value: Mlops.JSONValue | undefined,
  metric: boolean
): string {
  if (value === undefined || value === null) {
    return MISSING;
  }
  if (metric && typeof value === 'number') {
    return formatNumber(value);
  }
  return formatValue(value);
}

/** An environment value (an object such as `{commit, dirty}`) as one line of text. */
export function describeEnvValue(value: Mlops.JSONValue | undefined): string {
  if (value === undefined || value === null) {
    return MISSING;
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    const parts = Object.entries(value)
      .filter(([, v]) => v !== null && v !== undefined && v !== '')
      .map(([k, v]) => {
        if (k === 'commit' && typeof v === 'string') {
          return v.slice(0, 10);
        }
        if (typeof v === 'boolean') {
          return v ? k : `not ${k}`;
        }
        return typeof v === 'string' ? v : JSON.stringify(v);
      });
    return parts.join(' · ') || MISSING;
  }
  return formatValue(value);
}

/** A package that differs between the first and the last run: name, version before, after. */
export type PackageChange = [string, string, string];

/** Removed, added and changed packages in one list by name (`—` where one side has none). */
export function packageChanges(
  packages: Mlops.ICompareResult['env']['packages'] | undefined
): PackageChange[] {
  const p = packages ?? { added: {}, removed: {}, changed: {} };
  return [
    ...Object.entries(p.removed ?? {}).map(
      ([n, v]) => [n, v, MISSING] as PackageChange
    ),
    ...Object.entries(p.added ?? {}).map(
      ([n, v]) => [n, MISSING, v] as PackageChange
    ),
    ...Object.entries(p.changed ?? {}).map(
      ([n, [a, b]]) => [n, a, b] as PackageChange
    )
  ].sort((a, b) => a[0].localeCompare(b[0]));
}

/**
 * Where each run's bar lies on a common scale from zero (in percent of the track): bars of
 * negative values go left of the zero line, positive ones right of it.
 */
export function barGeometry(values: ReadonlyArray<number | null>): {
  /** Where zero is on the track, in percent. */
  readonly zero: number;
  readonly bars: ({ readonly left: number; readonly width: number } | null)[];
} {
  const finite = values.filter((v): v is number => v !== null);
  const low = Math.min(0, ...finite);
  const high = Math.max(0, ...finite);
  const span = high - low || 1;
  const at = (v: number) => ((v - low) / span) * 100;
  const zero = at(0);
  return {
    zero,
    bars: values.map(v =>
      v === null
        ? null
        : { left: Math.min(zero, at(v)), width: Math.abs(at(v) - zero) }
    )
  };
}

/**
 * An input's status in words: `same`, `changed`, or which runs read it
 * (`only logreg · C=1, logreg · C=5`).
 */
export function inputStatusText(
  input: Mlops.ICompareInput,
  labels: ReadonlyArray<string>
): string {
  if (input.status !== 'only') {
    return input.status;
  }
  const readers = labels.filter((_, i) => input.values[i] !== null);
  return `only ${readers.join(', ')}`;
}
