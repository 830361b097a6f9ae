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
