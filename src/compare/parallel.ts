/**
 * Geometry of a parallel-coordinates plot. Plain module (jest-tested).
 */
import { metricNumber } from '../format';
import { Mlops } from '../types';

/** An axis: a numeric parameter or metric and its range over the runs. */
export interface IAxis {
  readonly id: string;
  readonly label: string;
  readonly min: number;
  readonly max: number;
  /** One value per run; null where the run has no finite number. */
  readonly values: (number | null)[];
}

function asNumber(value: Mlops.JSONValue | undefined): number | null {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : null;
  }
  if (typeof value === 'boolean') {
    return value ? 1 : 0;
  }
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') {
    const n = metricNumber(value);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/**
 * The axes of runs: parameters with numeric values that differ, then all numeric metrics.
 */
export function axesOf(
  params: ReadonlyArray<{
    key: string;
    values: Mlops.JSONValue[];
    differs: boolean;
  }>,
  metrics: ReadonlyArray<{ key: string; values: Mlops.JSONValue[] }>
): IAxis[] {
  const axes: IAxis[] = [];
  const add = (id: string, label: string, raw: Mlops.JSONValue[]) => {
    const values = raw.map(asNumber);
    const finite = values.filter((v): v is number => v !== null);
    if (finite.length === 0) {
      return;
    }
    axes.push({
      id,
      label,
      min: Math.min(...finite),
      max: Math.max(...finite),
      values
    });
  };
  params
    .filter(p => p.differs)
    .forEach(p => add(`params.${p.key}`, p.key, p.values));
  metrics.forEach(m => add(`metrics.${m.key}`, m.key, m.values));
  return axes;
}

/** Vertical position in [0, 1] (0 at the bottom) of a value on an axis; a flat axis maps to 0.5. */
export function axisPosition(axis: IAxis, value: number): number {
  if (axis.max === axis.min) {
    return 0.5;
  }
  return (value - axis.min) / (axis.max - axis.min);
}

/**
 * The polyline of each run through the axes, in plot coordinates; a run missing a value has a
 * break there (separate segments).
 */
export function runPolylines(
  axes: IAxis[],
  runCount: number,
  width: number,
  height: number
): [number, number][][][] {
  const step = axes.length > 1 ? width / (axes.length - 1) : 0;
  const lines: [number, number][][][] = [];
  for (let r = 0; r < runCount; r++) {
    const segments: [number, number][][] = [];
    let current: [number, number][] = [];
    axes.forEach((axis, a) => {
      const value = axis.values[r];
      if (value === null) {
        if (current.length) {
          segments.push(current);
        }
        current = [];
        return;
      }
      current.push([a * step, height - axisPosition(axis, value) * height]);
    });
    if (current.length) {
      segments.push(current);
    }
    lines.push(segments);
  }
  return lines;
}
