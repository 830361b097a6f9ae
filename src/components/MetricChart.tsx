import React from 'react';
import uPlot from 'uplot';

import { formatNumber } from '../format';
import { IAlignedSeries } from './series';

/** Distinct line colours that read on light and dark backgrounds (Tableau 10). */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac'
];

/** The colour of the i-th run in charts. */
export function runColor(index: number): string {
  return PALETTE[index % PALETTE.length];
}

/** A theme variable's current value (canvas cannot use CSS variables directly). */
function themeColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

interface IMetricChartProps {
  readonly title: string;
  readonly labels: string[];
  readonly data: IAlignedSeries;
  readonly height?: number;
}

/** A value in the legend: about 4 significant digits, a dash where there is none. */
function legendValue(_u: uPlot, value: number | null): string {
  return value === null || value === undefined ? '—' : formatNumber(value);
}

/**
 * One metric of several runs overlaid, step on x, drawn by uPlot on a canvas. The canvas carries
 * an accessible label; the values are also in the compare table.
 *
 * Hovering shows each run's value at the nearest step it has a value for (runs logged at other
 * steps leave gaps, which uPlot's legend would show as `--`). New data for the same runs (a live
 * view) is set into the existing plot rather than drawing a new one.
 */
export function MetricChart(props: IMetricChartProps): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const plotRef = React.useRef<uPlot | null>(null);
  const { title, labels, data } = props;
  const height = props.height ?? 200;
  // Rebuilt when the labels' text changes, not when a caller passes an equal new array.
  const labelKey = JSON.stringify(labels);
  const few = data.steps.length <= 30;

  React.useEffect(() => {
    const names = JSON.parse(labelKey) as string[];
    const node = host.current;
    if (!node) {
      return;
    }
    const axisColor = themeColor('--jp-ui-font-color2', '#888');
    const gridColor = themeColor('--jp-border-color2', '#ddd');
    const axis: uPlot.Axis = {
      stroke: axisColor,
      grid: { stroke: gridColor, width: 1 },
      ticks: { stroke: gridColor, width: 1 },
      values: (_u, splits) =>
        splits.map(v => (v === null ? '' : formatNumber(v)))
    };
    const width = Math.max(240, node.clientWidth || 400);
    const plot = new uPlot(
      {
        width,
        height,
        legend: { show: true, live: true },
        cursor: {
          drag: { x: true, y: false },
          // Gaps (null) are skipped: the legend shows the nearest value of each run.
          hover: { skip: [null, undefined], prox: Infinity }
        },
        scales: { x: { time: false } },
        axes: [{ ...axis, label: 'step' }, { ...axis }],
        series: [
          { label: 'step', value: legendValue },
          ...names.map((label, i) => ({
            label,
            stroke: runColor(i),
            width: 1.5,
            spanGaps: true,
            value: legendValue,
            points: { show: few }
          }))
        ]
      },
      [[], ...names.map(() => [])] as unknown as uPlot.AlignedData,
      node
    );
    plotRef.current = plot;
    const canvas = node.querySelector('canvas');
    canvas?.setAttribute('role', 'img');
    canvas?.setAttribute('aria-label', `Chart of ${title} by step`);
    const observer = new ResizeObserver(() => {
      const w = node.clientWidth;
      if (w > 0 && Math.abs(w - plot.width) > 4) {
        plot.setSize({ width: Math.max(240, w), height });
      }
    });
    observer.observe(node);
    return () => {
      observer.disconnect();
      plotRef.current = null;
      plot.destroy();
    };
  }, [title, labelKey, height, few]);

  React.useEffect(() => {
    plotRef.current?.setData([data.steps, ...data.values] as uPlot.AlignedData);
  }, [data, title, labelKey, height, few]);

  return (
    <figure className="jp-mlops-chart">
      <figcaption className="jp-mlops-chart-title">{title}</figcaption>
      <div className="jp-mlops-chart-host" ref={host} />
      {data.nonFinite.some(n => n > 0) && (
        <div className="jp-mlops-muted">
          {`Not drawn (NaN or infinite): ${data.nonFinite
            .map((n, i) => (n ? `${labels[i]}: ${n}` : ''))
            .filter(Boolean)
            .join(', ')}`}
        </div>
      )}
    </figure>
  );
}
