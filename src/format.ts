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

const MONTHS = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec'
];

/**
 * A moment in local time, short: `today 18:52`, `yesterday 09:05`, `Nov 29 14:03` this year,
 * `Nov 29, 2024` before. An unparsable value is returned as it is.
 *
 * @param now the reference time (injectable for tests)
 */
export function formatTime(
  iso: string | null | undefined,
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
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  if (date.toDateString() === now.toDateString()) {
    return `today ${time}`;
  }
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (date.toDateString() === yesterday.toDateString()) {
    return `yesterday ${time}`;
  }
  const day = `${MONTHS[date.getMonth()]} ${date.getDate()}`;
  if (date.getFullYear() === now.getFullYear()) {
    return `${day} ${time}`;
  }
  return `${day}, ${date.getFullYear()}`;
}

/**
 * The full value of a moment for a tooltip: local date and time to the second with the UTC
 * offset, then the recorded ISO string (`2026-11-29 14:03:12 UTC+01:00 · 2026-11-29T13:03:12.5+00:00`).
 */
export function formatFullTime(iso: string | null | undefined): string {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const zone = `UTC${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  const local =
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return `${local} ${zone} · ${iso}`;
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

/** An experiment name as shown: a folder part that may be cut, and a tail that stays visible. */
export interface IExperimentText {
  /** The leading folders (with their trailing `/`), '' when none. */
  readonly head: string;
  /** The notebook's file name, or the whole name when it is not a path. */
  readonly tail: string;
  /** The full name, for a tooltip. */
  readonly title: string;
}

/**
 * How an experiment is shown: relative to the server root when it is a path inside it, split
 * into the folders (shortened first when space is short) and the last part (kept visible).
 */
export function experimentText(
  name: string,
  serverRoot: string
): IExperimentText {
  const looksAbsolute = /^(\/|[A-Za-z]:[\\/])/.test(name);
  const relative = looksAbsolute ? relativeToRoot(name, serverRoot) : null;
  const shown = relative ?? name;
  const normalized = shown.replace(/\\/g, '/');
  // A trailing separator is not a name: keep it with the last part.
  const cut = normalized.replace(/\/+$/, '').lastIndexOf('/');
  return {
    head: cut >= 0 ? shown.slice(0, cut + 1) : '',
    tail: cut >= 0 ? shown.slice(cut + 1) : shown,
    title: name
  };
}
