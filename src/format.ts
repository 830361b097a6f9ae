/**
 * Formatting of run values for display. Plain functions, no JupyterLab imports (jest-tested).
 */
import { Mlops } from './types';

/** What an empty cell shows. */
export const EMPTY = '—';

/**
 * A duration in seconds as a short human string: `421 ms`, `4.2 s`, `12.3 s`, `3m 05s`, `2h 03m`, `1d 02h`.
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return EMPTY;
  }
  if (seconds < 0) {
    return EMPTY;
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 10) {
    return `${trimZeros(seconds.toFixed(2))} s`;
  }
  if (seconds < 60) {
    return `${trimZeros(seconds.toFixed(1))} s`;
  }
  const s = Math.floor(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) {
    return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  }
  return `${Math.floor(s / 86400)}d ${pad(Math.floor((s % 86400) / 3600))}h`;
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** A metric value on the wire as a JavaScript number (`"NaN"` → NaN, `"Infinity"` → Infinity). */
export function metricNumber(
  value: Mlops.MetricValue | null | undefined
): number {
  if (value === null || value === undefined) {
    return NaN;
  }
  if (typeof value === 'number') {
    return value;
  }
  if (value === 'Infinity') {
    return Infinity;
  }
  if (value === '-Infinity') {
    return -Infinity;
  }
  return NaN;
}

/** A number with about 4 significant digits: `0.1235`, `1234`, `1.235e-7`, `NaN`, `∞`, `-∞`. */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) {
    return 'NaN';
  }
  if (value === Infinity) {
    return '∞';
  }
  if (value === -Infinity) {
    return '-∞';
  }
  if (Number.isInteger(value) && Math.abs(value) < 1e9) {
    return String(value);
  }
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e9)) {
    const [mantissa, exponent] = value.toExponential(3).split('e');
    return `${trimZeros(mantissa)}e${exponent.replace('+', '')}`;
  }
  return trimZeros(value.toPrecision(4));
}

/** A metric value as shown in tables; missing metrics are empty. */
export function formatMetric(
  value: Mlops.MetricValue | null | undefined
): string {
  if (value === null || value === undefined) {
    return EMPTY;
  }
  return formatNumber(metricNumber(value));
}

/** A parameter value as shown in tables: strings as they are, anything else as JSON. */
export function formatValue(value: Mlops.JSONValue | undefined): string {
  if (value === undefined) {
    return EMPTY;
  }
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  return JSON.stringify(value);
}

/** The first 8 characters of a run id. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** The name of a run, or its short id when it has none. */
export function runLabel(run: { id: string; name: string | null }): string {
  return run.name && run.name.length > 0 ? run.name : shortId(run.id);
}

/**
 * A start time in a narrow column: `14:05` today, `Mar 3` this year, `2024-03-03` before.
 *
 * @param now the reference time (injectable for tests)
 */
export function formatStarted(
  iso: string | null,
  now: Date = new Date()
): string {
  if (!iso) {
    return EMPTY;
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  if (date.toDateString() === now.toDateString()) {
    return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  }
  if (date.getFullYear() === now.getFullYear()) {
    const month = date.toLocaleString('en', { month: 'short' });
    return `${month} ${date.getDate()}`;
  }
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** A byte count: `512 B`, `1.5 KiB`, `3.2 GiB`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) {
    return EMPTY;
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0
    ? `${value} B`
    : `${trimZeros(value.toFixed(1))} ${units[unit]}`;
}

/**
 * The path of `path` relative to the server root, or null when it lies outside it.
 *
 * Both are absolute POSIX or Windows paths; a trailing separator on the root is ignored.
 */
export function relativeToRoot(path: string, root: string): string | null {
  if (!path || !root) {
    return null;
  }
  const norm = (p: string) => p.replace(/\\/g, '/').replace(/\/+$/, '');
  const p = norm(path);
  const r = norm(root);
  if (r === '') {
    // The server root is the file system root.
    return p.startsWith('/') ? p.slice(1) : null;
  }
  if (!p.startsWith(`${r}/`)) {
    return null;
  }
  const rel = p.slice(r.length + 1);
  if (rel.split('/').some(part => part === '..')) {
    return null;
  }
  return rel;
}
