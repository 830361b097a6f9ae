/**
 * The run summary a `%%track` cell displays (`application/vnd.mlops-jupyter.run+json`, written by
 * mlops_jupyter/summary.py), read into what the renderer shows. Plain module (jest-tested).
 *
 * The bundle comes from the kernel, that is from user code: every field is checked and anything
 * unexpected is left out rather than trusted. While the cell runs the kernel updates the same
 * display with `live: true` and `series: {metric: [[step, value], ...]}` (downsampled, at most
 * twice a second), then replaces it with the final summary (`live: false`).
 */
import { alignSeries, IAlignedSeries } from '../components/series';
import { formatDuration, formatMetric, formatValue, shortId } from '../format';
import { Mlops } from '../types';

/** The MIME type of the run summary. */
export const RUN_MIME_TYPE = 'application/vnd.mlops-jupyter.run+json';

/** At most this many metrics get a chart under a running cell. */
export const MAX_LIVE_CHARTS = 4;

/** At most this many points per chart are drawn (the kernel downsamples before). */
export const MAX_LIVE_POINTS = 2000;

/** A live chart: one metric's series. */
export interface ISummaryChart {
  readonly key: string;
  readonly data: IAlignedSeries;
}

/** What the summary under a cell shows, every field text. */
export interface IRunSummaryView {
  /** The run id, or null when the bundle has none (nothing to open). */
  readonly id: string | null;
  /** `baseline · 1a2b3c4d` */
  readonly title: string;
  readonly experiment: string | null;
  /** A run status, or 'unknown'. */
  readonly status: string;
  /** `finished in 4.21 s`, `running for 3m 05s`. */
  readonly statusText: string;
  readonly live: boolean;
  /** `lr=0.01`, then `(+3 more)` when the kernel left some out. */
  readonly params: string[];
  readonly metrics: string[];
  readonly inputs: string[];
  /** `ValueError: bad input`, or null. */
  readonly error: string | null;
  /** The original of a reproduction, or null. */
  readonly reproductionOf: string | null;
  /** The model version the cell registered (`churn/3`), or null. */
  readonly registered: string | null;
  /** The one-line drift summary of the frames the cell logged, or null. */
  readonly drift: string | null;
  readonly charts: ISummaryChart[];
  /** Charts left out (more metrics than `MAX_LIVE_CHARTS`). */
  readonly moreCharts: number;
}

type Bundle = { readonly [key: string]: unknown };

function isObject(value: unknown): value is Bundle {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0
    ? value
    : null;
}

/** `k=v` items of a mapping, then `(+n more)` when the total says some were left out. */
function items(
  mapping: unknown,
  total: unknown,
  show: (value: unknown) => string
): string[] {
  if (!isObject(mapping)) {
    return [];
  }
  const shown = Object.entries(mapping).map(([k, v]) => `${k}=${show(v)}`);
  const all = count(total);
  if (all !== null && all > shown.length) {
    shown.push(`(+${all - shown.length} more)`);
  }
  return shown;
}

function metricText(value: unknown): string {
  return typeof value === 'number' ||
    value === 'NaN' ||
    value === 'Infinity' ||
    value === '-Infinity'
    ? formatMetric(value as Mlops.MetricValue)
    : formatValue(value as Mlops.JSONValue);
}

/** The points of a series that are `[step, value]` pairs, the last `MAX_LIVE_POINTS`. */
function points(raw: unknown): [number, Mlops.MetricValue][] {
  if (!Array.isArray(raw)) {
    return [];
  }
  const valid = raw.filter(
    (p): p is [number, Mlops.MetricValue] =>
      Array.isArray(p) &&
      p.length >= 2 &&
      typeof p[0] === 'number' &&
      Number.isFinite(p[0]) &&
      (typeof p[1] === 'number' || typeof p[1] === 'string')
  );
  return valid.slice(-MAX_LIVE_POINTS).map(([step, value]) => [step, value]);
}

/** The charts of a bundle's `series`: metrics with at least one point, in the bundle's order. */
function charts(series: unknown): ISummaryChart[] {
  if (!isObject(series)) {
    return [];
  }
  return Object.entries(series)
    .map(([key, raw]) => ({ key, pts: points(raw) }))
    .filter(({ pts }) => pts.length > 0)
    .map(({ key, pts }) => ({ key, data: alignSeries([pts]) }));
}

function statusText(status: string, duration: unknown, live: boolean): string {
  const seconds = typeof duration === 'number' ? duration : null;
  if (live || status === 'running') {
    return seconds === null
      ? 'running'
      : `running for ${formatDuration(seconds)}`;
  }
  return seconds === null ? status : `${status} in ${formatDuration(seconds)}`;
}

/** Read a bundle into what the summary shows (see the module's description). */
export function summaryView(data: unknown): IRunSummaryView {
  const bundle = isObject(data) ? data : {};
  const id = text(bundle.id);
  const name = text(bundle.name);
  const live = bundle.live === true;
  const status = text(bundle.status) ?? (live ? 'running' : 'unknown');
  const error = isObject(bundle.error)
    ? [text(bundle.error.type), text(bundle.error.message)]
        .filter(Boolean)
        .join(': ') || null
    : null;
  const inputs = Array.isArray(bundle.inputs)
    ? bundle.inputs.filter((p): p is string => typeof p === 'string')
    : [];
  const inputsTotal = count(bundle.inputs_total);
  if (inputsTotal !== null && inputsTotal > inputs.length) {
    inputs.push(`(+${inputsTotal - inputs.length} more)`);
  }
  const all = charts(bundle.series);
  return {
    id,
    title: [name, id ? shortId(id) : null].filter(Boolean).join(' · ') || 'run',
    experiment: text(bundle.experiment),
    status,
    statusText: statusText(status, bundle.duration, live),
    live,
    params: items(bundle.params, bundle.params_total, v =>
      formatValue(v as Mlops.JSONValue)
    ),
    metrics: items(bundle.metrics, bundle.metrics_total, metricText),
    inputs,
    error,
    reproductionOf: text(bundle.reproduction_of),
    registered: text(bundle.registered),
    drift: text(bundle.drift),
    charts: all.slice(0, MAX_LIVE_CHARTS),
    moreCharts: Math.max(0, all.length - MAX_LIVE_CHARTS)
  };
}
