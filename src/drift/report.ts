/**
 * A drift check in words and shapes: the verdict and why, each column's score against its
 * threshold as a bar, both distributions of a column as bins, schema changes and new
 * categories named. Plain module (jest-tested); the report's keys are those of
 * mlops_jupyter/drift/check.py (`DriftReport.to_json`, `_category_distribution`).
 */
import { EMPTY, formatNumber } from '../format';
import { Mlops } from '../types';

/** A verdict in words. */
export function verdictText(verdict: string): string {
  switch (verdict) {
    case 'ok':
      return 'no drift';
    case 'drift':
      return 'drift';
    case 'insufficient_data':
      return 'insufficient data';
    default:
      return verdict;
  }
}

/** `april.csv (3000 rows) vs churn@champion` */
export function checkTitle(check: Mlops.IDriftCheck): string {
  const batch = check.batch?.name || 'a batch';
  const rows =
    typeof check.batch?.rows === 'number' ? ` (${check.batch.rows} rows)` : '';
  const against =
    check.reference?.ref || check.reference?.name || 'a reference';
  return `${batch}${rows} vs ${against}`;
}

/**
 * The headline of a check: what the verdict means, then the report's reasons. An
 * insufficient-data verdict says plainly that it is not an "ok".
 */
export function verdictSentences(
  verdict: string,
  reasons: ReadonlyArray<string>
): string[] {
  const head =
    verdict === 'insufficient_data'
      ? 'Not enough data to tell whether the data drifted: this is not an “ok”.'
      : verdict === 'drift'
        ? 'The data drifted.'
        : 'No drift found.';
  return [
    head,
    ...reasons.map(r => `${r.charAt(0).toUpperCase()}${r.slice(1)}.`)
  ];
}

/** A column's status in words. */
export function statusText(status: string): string {
  switch (status) {
    case 'ok':
      return 'ok';
    case 'drift':
      return 'drift';
    case 'insufficient':
      return 'too few values to tell';
    case 'not_compared':
      return 'not compared';
    default:
      return status;
  }
}

/** A method in words. */
export function methodText(method: string): string {
  switch (method) {
    case 'wasserstein':
      return 'Wasserstein distance / std';
    case 'jensen_shannon':
      return 'Jensen–Shannon distance';
    case 'none':
      return 'not compared';
    default:
      return method;
  }
}

/** Where a score's bar ends and the threshold's mark is, in % of the track. */
export interface IScoreBar {
  /** The bar's width (the threshold is at `THRESHOLD_AT`). */
  readonly width: number;
  /** Whether the score lies beyond the track (more than twice the threshold). */
  readonly clipped: boolean;
}

/** The threshold's mark sits here on every track, so the marks line up down the column. */
export const THRESHOLD_AT = 50;

/** The bar of a score against its threshold (null when either is missing). */
export function scoreBar(
  score: number | null | undefined,
  threshold: number | null | undefined
): IScoreBar | null {
  if (
    score === null ||
    score === undefined ||
    threshold === null ||
    threshold === undefined ||
    !Number.isFinite(score) ||
    !(threshold > 0)
  ) {
    return null;
  }
  const ratio = Math.max(0, score) / threshold;
  const width = Math.min(100, ratio * THRESHOLD_AT);
  return { width, clipped: ratio * THRESHOLD_AT > 100 };
}

/** One column of a check, as the score bars show it. */
export interface IScoreRow {
  readonly name: string;
  readonly status: string;
  readonly statusText: string;
  readonly method: string;
  readonly score: string;
  readonly threshold: string;
  readonly bar: IScoreBar | null;
  /** Why it is not ok, in words (full reports only). */
  readonly reason: string | null;
  readonly critical: boolean;
  /** Whether the full report has both distributions for it. */
  readonly hasDistribution: boolean;
}

type AnyColumn = Mlops.IDriftColumn | Mlops.IDriftCheck['columns'][string];

/** The columns of a check (its full report's when given), in the reference's order. */
export function scoreRows(columns: {
  readonly [name: string]: AnyColumn;
}): IScoreRow[] {
  return Object.entries(columns).map(([name, column]) => {
    const full = column as Mlops.IDriftColumn;
    return {
      name,
      status: column.status,
      statusText: statusText(column.status),
      method: methodText(column.method),
      score:
        column.score === null || column.score === undefined
          ? EMPTY
          : formatNumber(column.score),
      threshold:
        column.threshold === null || column.threshold === undefined
          ? EMPTY
          : formatNumber(column.threshold),
      bar: scoreBar(column.score, column.threshold),
      reason: full.reason ?? null,
      critical: full.critical === true,
      hasDistribution: !!full.distribution
    };
  });
}

/** One bin of a column's two distributions (shares from 0 to 1). */
export interface IBin {
  readonly label: string;
  readonly reference: number;
  readonly batch: number;
}

/** Both distributions of a column, ready to draw. */
export interface IDistribution {
  readonly kind: 'numeric' | 'categorical';
  readonly bins: IBin[];
  /** The largest share of either side (the scale of the bars). */
  readonly max: number;
  /** Named categories left out (beyond `maxCategories`). */
  readonly hidden: number;
}

function isNumeric(
  d: Mlops.INumericDistribution | Mlops.ICategoricalDistribution
): d is Mlops.INumericDistribution {
  return Array.isArray((d as Mlops.INumericDistribution).edges);
}

function share(values: ReadonlyArray<number> | undefined, i: number): number {
  const v = values?.[i];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/**
 * A column's distributions as bins: a numeric column's decile bins of the reference
 * (`< e1`, `e1 – e2`, …, `≥ ek`), or a categorical column's top categories (by the larger
 * share) then its OTHER and NEW buckets when either side has any.
 */
export function distributionBins(
  column: Mlops.IDriftColumn,
  maxCategories = 12
): IDistribution | null {
  const d = column.distribution;
  if (!d) {
    return null;
  }
  let bins: IBin[];
  let hidden = 0;
  if (isNumeric(d)) {
    const e = d.edges.map(formatNumber);
    const count = d.edges.length + 1;
    bins = Array.from({ length: count }, (_, i) => ({
      label:
        i === 0
          ? `< ${e[0]}`
          : i === count - 1
            ? `≥ ${e[count - 2]}`
            : `${e[i - 1]} – ${e[i]}`,
      reference: share(d.reference, i),
      batch: share(d.batch, i)
    }));
  } else {
    const named = d.categories.map((label, i) => ({
      label,
      reference: share(d.reference, i),
      batch: share(d.batch, i)
    }));
    named.sort(
      (a, b) => Math.max(b.reference, b.batch) - Math.max(a.reference, a.batch)
    );
    hidden = Math.max(0, named.length - maxCategories);
    bins = named.slice(0, maxCategories);
    for (const [key, label] of [
      ['other', 'other (not named in the reference)'],
      ['new', 'new (never seen in the reference)']
    ] as const) {
      const bucket = d[key];
      if (bucket && (bucket.reference > 0 || bucket.batch > 0)) {
        bins.push({ label, reference: bucket.reference, batch: bucket.batch });
      }
    }
  }
  const max = Math.max(0, ...bins.map(b => Math.max(b.reference, b.batch)));
  return {
    kind: isNumeric(d) ? 'numeric' : 'categorical',
    bins,
    max,
    hidden
  };
}

/** A share as a percentage: `12.3 %`. */
export function sharePercent(value: number): string {
  return `${formatNumber(Number((value * 100).toFixed(1)))} %`;
}

/** A schema change in words: `column age removed (was int64)`. */
export function schemaChangeText(change: Mlops.ISchemaChange): string {
  switch (change.change) {
    case 'removed':
      return `column ${change.column} removed (was ${change.reference ?? 'unknown type'})`;
    case 'added':
      return `column ${change.column} added (${change.batch ?? 'unknown type'})`;
    case 'retyped':
      return `column ${change.column} retyped: ${change.reference ?? '?'} → ${change.batch ?? '?'}`;
    default:
      return `column ${change.column} ${change.change}`;
  }
}

/** New categories named: `plan: “enterprise” 5 % of the batch`. */
export function newCategoryTexts(newCategories: {
  readonly [column: string]: { readonly [category: string]: number };
}): string[] {
  return Object.entries(newCategories ?? {}).flatMap(([column, categories]) =>
    Object.entries(categories).map(
      ([category, value]) =>
        `${column}: new category “${category}”, ${sharePercent(value)} of the batch`
    )
  );
}

/** More facts about a column: sizes, missing values, PSI, the thresholds behind its limit. */
export function columnFacts(column: Mlops.IDriftColumn): string[] {
  const facts: string[] = [];
  if (column.n) {
    facts.push(
      `${column.n.batch} values in the batch, ${column.n.reference} in the reference`
    );
  }
  if (column.missing && column.missing.change !== 0) {
    facts.push(
      `missing: ${sharePercent(column.missing.reference)} → ${sharePercent(column.missing.batch)}`
    );
  }
  if (column.psi !== null && column.psi !== undefined) {
    facts.push(
      `PSI ${formatNumber(column.psi)}${column.psi_band ? ` (${column.psi_band})` : ''}`
    );
  }
  const t = column.thresholds;
  if (t) {
    const parts = [
      t.fixed !== null ? `fixed ${formatNumber(t.fixed)}` : null,
      t.calibrated !== null ? `calibrated ${formatNumber(t.calibrated)}` : null,
      t.noise !== null ? `noise floor ${formatNumber(t.noise)}` : null
    ].filter(Boolean);
    if (parts.length) {
      facts.push(`threshold: the highest of ${parts.join(', ')}`);
    }
  }
  return facts;
}
