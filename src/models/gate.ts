/**
 * What a gate says, for people: the badge on a version (passed, failed, refused to compare),
 * the deltas behind it, and the champion-vs-challenger table. Plain module (jest-tested).
 */
import { EMPTY, formatMetric, formatNumber, metricNumber } from '../format';
import { Mlops } from '../types';

/** A gate's outcome as a badge shows it. */
export type GateBadgeKind = 'passed' | 'failed' | 'refused' | 'none';

/** One metric of a gate, in words. */
export interface IDeltaLine {
  readonly metric: string;
  /** `0.86 vs 0.8: +0.06 (+7.5 %)`, or the candidate's value alone when nothing was compared. */
  readonly text: string;
  readonly passed: boolean;
}

/** The badge of a version's latest gate. */
export interface IGateBadge {
  readonly kind: GateBadgeKind;
  /** `gate passed`, `gate failed`, `refused: different evaluation data`, `not gated`. */
  readonly label: string;
  /** `vs @champion v1`, `vs @champion (no holder: bounds only)`, '' when not gated. */
  readonly against: string;
  readonly deltas: IDeltaLine[];
  /** Why it failed or refused, in the server's words. */
  readonly reasons: string[];
  /** Everything above, one line each (the badge's tooltip). */
  readonly title: string;
}

/** A signed number: `+0.06`, `-1.2e-5`, `0`. */
export function signed(value: number): string {
  const text = formatNumber(value);
  return value > 0 ? `+${text}` : text;
}

/** A relative change as a percentage: `+7.5 %`. */
export function percent(value: number): string {
  return `${signed(Number((value * 100).toPrecision(3)))} %`;
}

/** A gate's metric in words (see `IDeltaLine.text`). */
export function deltaText(delta: Mlops.IGateDelta): string {
  const candidate = formatMetric(delta.candidate);
  if (delta.champion === null || delta.champion === undefined) {
    return candidate;
  }
  const parts = [`${candidate} vs ${formatMetric(delta.champion)}`];
  if (delta.delta !== null && delta.delta !== undefined) {
    const relative =
      delta.relative === null || delta.relative === undefined
        ? ''
        : ` (${percent(delta.relative)})`;
    parts.push(`${signed(delta.delta)}${relative}`);
  }
  return parts.join(': ');
}

/** The badge of a gate (null: the version was never gated). */
export function gateBadge(
  gate: Mlops.IGateSummary | Mlops.IGateResult | null | undefined
): IGateBadge {
  if (!gate) {
    return {
      kind: 'none',
      label: 'not gated',
      against: '',
      deltas: [],
      reasons: [],
      title: 'Not gated yet: no gate compared this version with an alias.'
    };
  }
  const kind: GateBadgeKind =
    gate.same_eval_data === false
      ? 'refused'
      : gate.passed
        ? 'passed'
        : 'failed';
  const label = {
    refused: 'refused: different evaluation data',
    passed: 'gate passed',
    failed: 'gate failed'
  }[kind];
  const against =
    gate.against_version === null
      ? `vs @${gate.against} (no holder: bounds only)`
      : `vs @${gate.against} v${gate.against_version}`;
  const deltas = Object.entries(gate.deltas ?? {}).map(([metric, d]) => ({
    metric,
    text: deltaText(d),
    passed: d.passed
  }));
  const reasons = gate.reasons ?? [];
  const title = [
    `${label} ${against}`,
    ...deltas.map(d => `${d.metric} ${d.text} ${d.passed ? '✓' : '✗'}`),
    ...reasons
  ].join('\n');
  return { kind, label, against, deltas, reasons, title };
}

/** One metric compared between the alias's holder and the candidate. */
export interface ISideBySideRow {
  readonly metric: string;
  readonly holder: string;
  readonly candidate: string;
  /** `+0.06 (+7.5 %)`, or `—`. */
  readonly delta: string;
  /** Whether the gate's rule passed; null when no gate judged it. */
  readonly passed: boolean | null;
  /** The bootstrap interval of the difference, in words, when the gate has one. */
  readonly interval: string | null;
}

/** Champion vs challenger: the rows and whether both were scored on the same data. */
export interface ISideBySide {
  readonly rows: ISideBySideRow[];
  /** true/false from a gate; null when no gate compared them (or there is no holder). */
  readonly sameData: boolean | null;
  /** `same evaluation data ✓ …`, `different evaluation data ✗ …`, or why it is unknown. */
  readonly sameDataText: string;
  /** Where the numbers come from. */
  readonly source: 'gate' | 'runs';
  /** Why the gate shown is stale (the alias moved since), or null. */
  readonly stale: string | null;
}

/** The data an evaluation read, in words: `data/march.csv (sha256 fa75b5c2…)`. */
export function evaluationData(evaluation: Mlops.IEvaluation | null): string {
  if (!evaluation) {
    return 'no evaluation';
  }
  const paths = (evaluation.data ?? [])
    .map(d => d.path)
    .filter((p): p is string => !!p);
  const digest = evaluation.data_digest
    ? `sha256 ${evaluation.data_digest.slice(0, 12)}…`
    : 'no data digest';
  return paths.length ? `${paths.join(', ')} (${digest})` : digest;
}

/** A bootstrap interval in words: `95 % interval of the difference [+0.01, +0.09], 1000 resamples`. */
export function intervalText(interval: Mlops.IBootstrapInterval): string {
  const level = Math.round((interval.level ?? 0.95) * 100);
  return `${level} % interval of the difference [${signed(interval.low)}, ${signed(interval.high)}], ${interval.resamples} resamples`;
}

function fromGate(gate: Mlops.IGateResult): ISideBySideRow[] {
  return Object.entries(gate.deltas ?? {}).map(([metric, d]) => {
    const interval = gate.bootstrap?.[metric];
    return {
      metric,
      holder: formatMetric(d.champion),
      candidate: formatMetric(d.candidate),
      delta:
        d.delta === null || d.delta === undefined
          ? EMPTY
          : `${signed(d.delta)}${d.relative === null || d.relative === undefined ? '' : ` (${percent(d.relative)})`}`,
      passed: d.passed,
      interval: interval ? intervalText(interval) : null
    };
  });
}

function fromRuns(
  candidate: Mlops.IModelVersion,
  holder: Mlops.IModelVersion | null
): ISideBySideRow[] {
  const keys = [
    ...new Set([
      ...Object.keys(holder?.metrics ?? {}),
      ...Object.keys(candidate.metrics ?? {})
    ])
  ].sort();
  return keys.map(metric => {
    const c = candidate.metrics?.[metric];
    const h = holder?.metrics?.[metric];
    const cv = metricNumber(c);
    const hv = metricNumber(h);
    const both = Number.isFinite(cv) && Number.isFinite(hv);
    return {
      metric,
      holder: formatMetric(h),
      candidate: formatMetric(c),
      delta: both
        ? `${signed(cv - hv)}${hv !== 0 ? ` (${percent((cv - hv) / Math.abs(hv))})` : ''}`
        : EMPTY,
      passed: null,
      interval: null
    };
  });
}

/**
 * The candidate against the version `alias` holds: from the candidate's latest gate against
 * that alias when there is one, else from both producing runs' metrics (not checked for the
 * same data, which the text says).
 */
export function sideBySide(options: {
  readonly alias: string;
  readonly candidate: Mlops.IModelVersion;
  readonly holder: Mlops.IModelVersion | null;
  readonly gate: Mlops.IGateResult | null;
}): ISideBySide {
  const { alias, candidate, holder, gate } = options;
  if (gate) {
    const holderNow = holder?.version ?? null;
    const stale =
      gate.against_version !== holderNow
        ? `The latest gate compared against ${gate.against_version === null ? 'no holder' : `v${gate.against_version}`}, but @${alias} now holds ${holderNow === null ? 'no version' : `v${holderNow}`}: gate again.`
        : null;
    const sameDataText =
      gate.same_eval_data === true
        ? `same evaluation data ✓ ${evaluationData(gate.candidate)}`
        : gate.same_eval_data === false
          ? `different evaluation data ✗ the candidate on ${evaluationData(gate.candidate)}, @${alias} on ${evaluationData(gate.champion)}`
          : `no holder to compare with: bounds only (candidate on ${evaluationData(gate.candidate)})`;
    return {
      rows: fromGate(gate),
      sameData: gate.same_eval_data,
      sameDataText,
      source: 'gate',
      stale
    };
  }
  return {
    rows: fromRuns(candidate, holder),
    sameData: null,
    sameDataText: holder
      ? 'not gated yet: the producing runs’ metrics, not checked for the same evaluation data'
      : `@${alias} holds no version: a gate checks the rules’ bounds only`,
    source: 'runs',
    stale: null
  };
}
