/**
 * Alignment of several runs' metric series on a common step axis for charting. Plain module
 * (jest-tested).
 */
import { metricNumber } from '../format';
import { Mlops } from '../types';

/** Series aligned on the union of their steps, ascending: what uPlot takes. */
export interface IAlignedSeries {
  readonly steps: number[];
  /** One array per input series, `null` where that run has no finite value at a step. */
  readonly values: (number | null)[][];
  /** Points dropped because their value was NaN or infinite, per series. */
  readonly nonFinite: number[];
}

/**
 * Align series of `[step, value]` points by step.
 *
 * Missing steps and non-finite values become `null` (a gap). When a series has several points at
 * the same step, the last one wins.
 */
export function alignSeries(
  series: ReadonlyArray<ReadonlyArray<readonly [number, Mlops.MetricValue]>>
): IAlignedSeries {
  const stepSet = new Set<number>();
  for (const points of series) {
    for (const [step] of points) {
      if (Number.isFinite(step)) {
        stepSet.add(step);
      }
    }
  }
  const steps = [...stepSet].sort((a, b) => a - b);
  const index = new Map(steps.map((s, i) => [s, i]));
  const nonFinite: number[] = [];
  const values = series.map(points => {
    const row: (number | null)[] = new Array(steps.length).fill(null);
    let dropped = 0;
    for (const [step, raw] of points) {
      const i = index.get(step);
      if (i === undefined) {
        continue;
      }
      const value = metricNumber(raw);
      if (Number.isFinite(value)) {
        row[i] = value;
      } else {
        row[i] = null;
        dropped += 1;
      }
    }
    nonFinite.push(dropped);
    return row;
  });
  return { steps, values, nonFinite };
}

/** The metric keys shared by several runs' metric lists, in first-seen order, then the rest. */
export function metricKeysOf(
  lists: ReadonlyArray<{ key: string }[]>
): string[] {
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const list of lists) {
    for (const { key } of list) {
      if (!seen.has(key)) {
        seen.add(key);
        keys.push(key);
      }
    }
  }
  return keys;
}
