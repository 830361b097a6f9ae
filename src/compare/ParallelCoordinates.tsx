import React from 'react';

import { runColor } from '../components/MetricChart';
import { formatNumber } from '../format';
import { Mlops } from '../types';
import { axesOf, IAxis, runPolylines } from './parallel';
import { compareLabels } from './values';

/** Height of the axes in pixels. */
const HEIGHT = 220;

/** Room around the axes for their labels and ticks. */
const PAD = { left: 40, right: 40, top: 24, bottom: 30 };

/** Parallel coordinates of differing numeric parameters and metrics (3+ runs). */
export function ParallelCoordinates(props: {
  result: Mlops.ICompareResult;
}): JSX.Element {
  const { result } = props;
  const axes = axesOf(result.params, result.metrics);
  if (axes.length < 2) {
    return (
      <div className="jp-mlops-muted">
        Needs at least two numeric parameters or metrics.
      </div>
    );
  }
  const width = Math.max(320, axes.length * 120);
  const lines = runPolylines(axes, result.runs.length, width, HEIGHT);
  const step = width / (axes.length - 1);
  return (
    <svg
      className="jp-mlops-parallel"
      role="img"
      aria-label={`Parallel coordinates of ${result.runs.length} runs over ${axes.map(a => a.label).join(', ')}`}
      width={width + PAD.left + PAD.right}
      height={HEIGHT + PAD.top + PAD.bottom}
    >
      <g transform={`translate(${PAD.left},${PAD.top})`}>
        {axes.map((axis, a) => (
          <Axis key={axis.id} axis={axis} x={a * step} />
        ))}
        {lines.map((segments, r) =>
          segments.map((points, s) => (
            <polyline
              key={`${r}:${s}`}
              className="jp-mlops-parallel-line"
              fill="none"
              stroke={runColor(r)}
              points={points.map(([x, y]) => `${x},${y}`).join(' ')}
            >
              <title>{compareLabels(result)[r]}</title>
            </polyline>
          ))
        )}
      </g>
    </svg>
  );
}

/** A vertical axis at `x`: its label on top, its minimum at the bottom, its maximum at the top. */
function Axis(props: { axis: IAxis; x: number }): JSX.Element {
  const { axis, x } = props;
  return (
    <g transform={`translate(${x},0)`}>
      <line
        className="jp-mlops-parallel-axis"
        x1={0}
        y1={0}
        x2={0}
        y2={HEIGHT}
      />
      <text
        className="jp-mlops-parallel-label"
        x={0}
        y={-8}
        textAnchor="middle"
      >
        {axis.label}
      </text>
      <text className="jp-mlops-parallel-tick" x={4} y={HEIGHT}>
        {formatNumber(axis.min)}
      </text>
      <text className="jp-mlops-parallel-tick" x={4} y={10}>
        {formatNumber(axis.max)}
      </text>
    </g>
  );
}
