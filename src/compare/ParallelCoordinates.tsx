import React from 'react';

import { runColor } from '../components/MetricChart';
import { formatNumber } from '../format';
import { Mlops } from '../types';
import {
  axesOf,
  axisLabels,
  Brush,
  brushedRuns,
  brushRange,
  IAxis,
  runPolylines,
  scaleColor
} from './parallel';
import { compareLabels } from './values';

/** Height of the axes in pixels. */
const HEIGHT = 220;

/** Pixels between two axes. */
const STEP = 130;

/** Room above the axes for two lines of labels, below for the minimum. */
const PAD = { top: 40, bottom: 24 };

/** Average width of a label's character (for laying labels out). */
const CHAR_WIDTH = 7;

/** A drag that moved less than this is a click: it clears the axis' brush. */
const CLICK_PIXELS = 3;

/**
 * Parallel coordinates of differing numeric parameters and metrics (3+ runs). Dragging along an
 * axis brushes a range: only the runs inside every brush stay highlighted (listed below the
 * plot); a click on an axis clears its brush. Lines are coloured by run, or by a chosen metric.
 */
export function ParallelCoordinates(props: {
  result: Mlops.ICompareResult;
}): JSX.Element {
  const { result } = props;
  const axes = axesOf(result.params, result.metrics);
  const [brushes, setBrushes] = React.useState<ReadonlyMap<string, Brush>>(
    new Map()
  );
  const [colorBy, setColorBy] = React.useState('');
  if (axes.length < 2) {
    return (
      <div className="jp-mlops-muted">
        Needs at least two numeric parameters or metrics.
      </div>
    );
  }
  const labels = compareLabels(result);
  const runCount = result.runs.length;
  const highlighted = brushedRuns(axes, brushes, runCount);
  const colorAxis = axes.find(a => a.id === colorBy) ?? null;
  const color = (r: number) => {
    const value = colorAxis?.values[r];
    if (!colorAxis) {
      return runColor(r);
    }
    return value === null || value === undefined
      ? 'var(--jp-ui-font-color3)'
      : scaleColor(value, colorAxis.min, colorAxis.max);
  };
  const setBrush = (id: string, brush: Brush | null) => {
    const next = new Map(brushes);
    if (brush) {
      next.set(id, brush);
    } else {
      next.delete(id);
    }
    setBrushes(next);
  };
  const kept = highlighted.filter(Boolean).length;
  return (
    <div className="jp-mlops-parallel-view">
      <ParallelControls
        axes={axes}
        colorBy={colorAxis?.id ?? ''}
        setColorBy={setColorBy}
        brushed={brushes.size > 0}
        clear={() => setBrushes(new Map())}
      />
      <ParallelPlot
        axes={axes}
        labels={labels}
        brushes={brushes}
        setBrush={setBrush}
        highlighted={highlighted}
        color={color}
      />
      <div className="jp-mlops-parallel-kept" role="status">
        {brushes.size === 0
          ? `${runCount} runs; drag along an axis to keep a range.`
          : `${kept} of ${runCount} runs in the brushed ranges${kept ? ': ' : '.'}${labels
              .filter((_, r) => highlighted[r])
              .join(', ')}`}
      </div>
    </div>
  );
}

/** "Colour by" and "Clear brushes". */
function ParallelControls(props: {
  axes: ReadonlyArray<IAxis>;
  colorBy: string;
  setColorBy: (id: string) => void;
  brushed: boolean;
  clear: () => void;
}): JSX.Element {
  const { axes, colorBy, setColorBy, brushed, clear } = props;
  const axis = axes.find(a => a.id === colorBy);
  return (
    <div className="jp-mlops-parallel-controls">
      <label className="jp-mlops-reproduce-option">
        colour by
        <select
          className="jp-mod-styled"
          aria-label="Colour lines by"
          value={colorBy}
          onChange={e => setColorBy(e.target.value)}
        >
          <option value="">run</option>
          {axes.map(a => (
            <option key={a.id} value={a.id}>
              {a.id.startsWith('params.') ? `${a.label} (param)` : a.label}
            </option>
          ))}
        </select>
      </label>
      {axis && (
        <span className="jp-mlops-parallel-legend" aria-hidden="true">
          {formatNumber(axis.min)}
          <span className="jp-mlops-parallel-gradient" />
          {formatNumber(axis.max)}
        </span>
      )}
      {brushed && (
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-small jp-mlops-small-button jp-mlops-button-default"
          onClick={clear}
        >
          Clear brushes
        </button>
      )}
    </div>
  );
}

/** The axes and the runs' lines; the brushed-out ones dimmed. */
function ParallelPlot(props: {
  axes: IAxis[];
  labels: ReadonlyArray<string>;
  brushes: ReadonlyMap<string, Brush>;
  setBrush: (id: string, brush: Brush | null) => void;
  highlighted: boolean[];
  color: (run: number) => string;
}): JSX.Element {
  const { axes, labels, brushes, setBrush, highlighted, color } = props;
  const width = (axes.length - 1) * STEP;
  const texts = axisLabels(
    axes.map(a => a.label),
    STEP,
    CHAR_WIDTH
  );
  const side = Math.max(
    40,
    ...texts.map(t => (t.text.length * CHAR_WIDTH) / 2 + 4)
  );
  const lines = runPolylines(axes, labels.length, width, HEIGHT);
  // Dimmed lines first, so the highlighted ones are drawn on top.
  const order = labels
    .map((_, r) => r)
    .sort((a, b) => Number(highlighted[a]) - Number(highlighted[b]));
  return (
    <svg
      className="jp-mlops-parallel"
      role="img"
      aria-label={`Parallel coordinates of ${labels.length} runs over ${axes.map(a => a.label).join(', ')}`}
      width={width + 2 * side}
      height={HEIGHT + PAD.top + PAD.bottom}
    >
      <g transform={`translate(${side},${PAD.top})`}>
        {order.map(r =>
          lines[r].map((points, s) => (
            <polyline
              key={`${r}:${s}`}
              className={`jp-mlops-parallel-line${highlighted[r] ? '' : ' jp-mod-dimmed'}`}
              fill="none"
              stroke={color(r)}
              points={points.map(([x, y]) => `${x},${y}`).join(' ')}
            >
              <title>{labels[r]}</title>
            </polyline>
          ))
        )}
        {axes.map((axis, a) => (
          <Axis
            key={axis.id}
            axis={axis}
            x={a * STEP}
            label={texts[a]}
            brush={brushes.get(axis.id) ?? null}
            setBrush={brush => setBrush(axis.id, brush)}
          />
        ))}
      </g>
    </svg>
  );
}

/** The pixel height (from the top) of a value on an axis. */
function yOf(axis: IAxis, value: number): number {
  return axis.max === axis.min
    ? HEIGHT / 2
    : HEIGHT - ((value - axis.min) / (axis.max - axis.min)) * HEIGHT;
}

/**
 * A vertical axis at `x`: its label on top (on the second line when neighbours would overlap),
 * its maximum at the top and minimum at the bottom, and a brush dragged along it.
 */
function Axis(props: {
  axis: IAxis;
  x: number;
  label: { text: string; row: 0 | 1 };
  brush: Brush | null;
  setBrush: (brush: Brush | null) => void;
}): JSX.Element {
  const { axis, x, label, brush, setBrush } = props;
  const startBrush = (event: React.PointerEvent<SVGRectElement>) => {
    event.preventDefault();
    const target = event.currentTarget;
    const top = target.getBoundingClientRect().top;
    const y0 = event.clientY - top;
    target.setPointerCapture(event.pointerId);
    const move = (e: PointerEvent) =>
      setBrush(brushRange(axis, y0, e.clientY - top, HEIGHT));
    const end = (e: PointerEvent) => {
      if (Math.abs(e.clientY - top - y0) < CLICK_PIXELS) {
        setBrush(null);
      }
      target.removeEventListener('pointermove', move);
      target.removeEventListener('pointerup', end);
    };
    target.addEventListener('pointermove', move);
    target.addEventListener('pointerup', end);
  };
  return (
    <g
      transform={`translate(${x},0)`}
      className="jp-mlops-parallel-axis-group"
      data-axis={axis.id}
    >
      <title>{`${axis.label}: drag to keep a range, click to clear`}</title>
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
        y={label.row ? -24 : -8}
        textAnchor="middle"
      >
        {label.text}
      </text>
      <text className="jp-mlops-parallel-tick" x={4} y={HEIGHT + 14}>
        {formatNumber(axis.min)}
      </text>
      <text className="jp-mlops-parallel-tick" x={4} y={10}>
        {formatNumber(axis.max)}
      </text>
      {brush && (
        <rect
          className="jp-mlops-parallel-brush"
          x={-7}
          width={14}
          y={yOf(axis, brush[1])}
          height={Math.max(2, yOf(axis, brush[0]) - yOf(axis, brush[1]))}
        />
      )}
      <rect
        className="jp-mlops-parallel-hit"
        x={-10}
        y={0}
        width={20}
        height={HEIGHT}
        onPointerDown={startBrush}
      />
    </g>
  );
}
