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

/** A brushed range of an axis, in its values: `[low, high]`. */
export type Brush = readonly [number, number];

/**
 * The value range of a brush dragged from `y0` to `y1` (pixels from the top of an axis of
 * `height` pixels), low first.
 */
export function brushRange(
  axis: IAxis,
  y0: number,
  y1: number,
  height: number
): Brush {
  const value = (y: number) => {
    const t = 1 - Math.min(height, Math.max(0, y)) / height;
    return axis.max === axis.min
      ? axis.min
      : axis.min + t * (axis.max - axis.min);
  };
  const [a, b] = [value(y0), value(y1)];
  return a <= b ? [a, b] : [b, a];
}

/**
 * Which runs every brush keeps: a run is highlighted when its value on each brushed axis lies in
 * the brush (a run without a value there is not). No brush highlights every run.
 */
export function brushedRuns(
  axes: ReadonlyArray<IAxis>,
  brushes: ReadonlyMap<string, Brush>,
  runCount: number
): boolean[] {
  return Array.from({ length: runCount }, (_, r) =>
    axes.every(axis => {
      const brush = brushes.get(axis.id);
      if (!brush) {
        return true;
      }
      const value = axis.values[r];
      // A flat axis maps every value to the middle: a brush over it keeps them all.
      return value !== null && value >= brush[0] && value <= brush[1];
    })
  );
}

/** An axis label as drawn: cut to what fits, on the first or the second line. */
export interface IAxisLabel {
  readonly text: string;
  /** 0: just above the axis, 1: one line higher (neighbours that would overlap alternate). */
  readonly row: 0 | 1;
}

/**
 * Lay the axis labels out so that they never overlap: a label wider than the space between axes
 * alternates lines with its neighbours, and is cut (with `…`) to twice that space; the full label
 * is the axis' tooltip.
 *
 * @param step pixels between two axes
 * @param charWidth the average width of a character
 */
export function axisLabels(
  labels: ReadonlyArray<string>,
  step: number,
  charWidth = 7
): IAxisLabel[] {
  const fits = (text: string, room: number) => text.length * charWidth <= room;
  const crowded = labels.some(label => !fits(label, step - 8));
  const room = crowded ? 2 * step - 8 : step - 8;
  const max = Math.max(3, Math.floor(room / charWidth));
  return labels.map((label, i) => ({
    text: label.length > max ? `${label.slice(0, max - 1)}…` : label,
    row: crowded ? ((i % 2) as 0 | 1) : 0
  }));
}

/**
 * Stops of the colour scale (viridis up to 90 %): dark violet for low values, yellow-green for
 * high ones (viridis' last, light yellow, hardly shows on a light theme).
 */
const SCALE = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [189, 223, 38]
];

/** The colour of `value` on a scale from `min` to `max` (a flat scale is its middle). */
export function scaleColor(value: number, min: number, max: number): string {
  const t =
    max === min ? 0.5 : Math.min(1, Math.max(0, (value - min) / (max - min)));
  const x = t * (SCALE.length - 1);
  const i = Math.min(SCALE.length - 2, Math.floor(x));
  const f = x - i;
  const [r, g, b] = SCALE[i].map((c, k) =>
    Math.round(c + f * (SCALE[i + 1][k] - c))
  );
  return `rgb(${r}, ${g}, ${b})`;
}
