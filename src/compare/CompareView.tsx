import { Button, ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { MlopsClient } from '../client';
import { ErrorAlert } from '../components/ErrorAlert';
import { MetricChart, runColor } from '../components/MetricChart';
import { alignSeries, IAlignedSeries } from '../components/series';
import { StatusBadge } from '../components/StatusBadge';
import { describeError, IErrorDescription } from '../errors';
import { formatNumber, formatValue, runLabel, shortId } from '../format';
import { Mlops } from '../types';
import { diffStats, notebookCodeText, sideBySide } from './diff';
import { axesOf, runPolylines } from './parallel';

/** A value cell of the compare table; metrics may be non-finite strings. */
function valueText(
  value: Mlops.JSONValue | undefined,
  metric: boolean
): string {
  if (value === undefined || value === null) {
    return '—';
  }
  if (metric && typeof value === 'number') {
    return formatNumber(value);
  }
  return formatValue(value);
}

/** Parameters and metrics of the runs side by side; differing rows are marked. */
function ValuesTable(props: {
  result: Mlops.ICompareResult;
  onlyDiffs: boolean;
}): JSX.Element {
  const { result, onlyDiffs } = props;
  const section = (
    title: string,
    rows: Mlops.ICompareRow[],
    metric: boolean
  ) => {
    const shown = onlyDiffs ? rows.filter(r => r.differs) : rows;
    return (
      <tbody key={title}>
        <tr className="jp-mlops-compare-section">
          <th colSpan={result.runs.length + 1} scope="rowgroup">
            {`${title} (${shown.length}${onlyDiffs ? ` of ${rows.length}` : ''})`}
          </th>
        </tr>
        {shown.map(row => (
          <tr
            key={`${title}:${row.key}`}
            className={row.differs ? 'jp-mlops-differs' : undefined}
            data-key={row.key}
          >
            <th scope="row">
              {row.differs && (
                <span className="jp-mlops-differs-marker" title="values differ">
                  <span aria-hidden="true">≠ </span>
                  <span className="jp-mlops-visually-hidden">differs: </span>
                </span>
              )}
              {row.key}
            </th>
            {row.values.map((value, i) => (
              <td key={i} className="jp-mlops-num">
                {valueText(value, metric)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    );
  };
  return (
    <table
      className="jp-mlops-compare-table"
      aria-label="Parameters and metrics"
    >
      <thead>
        <tr>
          <th scope="col">key</th>
          {result.runs.map((run, i) => (
            <th key={run.id} scope="col" title={run.id}>
              <span
                className="jp-mlops-swatch"
                style={{ background: runColor(i) }}
                aria-hidden="true"
              />
              {runLabel(run)}
            </th>
          ))}
        </tr>
      </thead>
      {section('Parameters', result.params, false)}
      {section('Metrics', result.metrics, true)}
    </table>
  );
}

/** One chart per metric with every run's series overlaid (500 points each at most). */
function Charts(props: {
  client: MlopsClient;
  result: Mlops.ICompareResult;
}): JSX.Element {
  const { client, result } = props;
  const [charts, setCharts] = React.useState<
    { key: string; data: IAlignedSeries }[] | null
  >(null);
  const [error, setError] = React.useState<IErrorDescription | null>(null);
  React.useEffect(() => {
    let cancelled = false;
    const keys = result.metrics.map(m => m.key).slice(0, 24);
    Promise.all(
      keys.map(async key => {
        const series = await Promise.all(
          result.runs.map(run =>
            run.metrics && key in run.metrics
              ? client
                  .metricSeries(run.id, key, 500)
                  .then(s => s.points)
                  .catch(() => [])
              : Promise.resolve([])
          )
        );
        return { key, data: alignSeries(series) };
      })
    )
      .then(c => !cancelled && setCharts(c))
      .catch(e => !cancelled && setError(describeError(e)));
    return () => {
      cancelled = true;
    };
  }, [client, result]);
  if (error) {
    return <ErrorAlert error={error} />;
  }
  if (!charts) {
    return <div className="jp-mlops-muted">Loading metric series…</div>;
  }
  if (charts.length === 0) {
    return <div className="jp-mlops-muted">No metrics recorded.</div>;
  }
  const labels = result.runs.map(runLabel);
  return (
    <div className="jp-mlops-charts">
      {charts.map(c => (
        <MetricChart key={c.key} title={c.key} labels={labels} data={c.data} />
      ))}
    </div>
  );
}

type NotebookState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready'; readonly texts: readonly string[] }
  | { readonly kind: 'error'; readonly error: IErrorDescription };

/** The code cells of the runs' notebook snapshots side by side, loaded on request. */
function NotebookDiff(props: {
  client: MlopsClient;
  result: Mlops.ICompareResult;
}): JSX.Element {
  const { client, result } = props;
  const [state, setState] = React.useState<NotebookState>({ kind: 'idle' });
  const available = result.notebooks.filter(nb => nb !== null).length;
  const load = () => {
    setState({ kind: 'loading' });
    // Snapshots can be large: fetched only when asked for.
    Promise.all(
      result.runs.map((run, i) =>
        result.notebooks[i]
          ? client.blob(run.id, 'notebook').then(nb => notebookCodeText(nb))
          : Promise.resolve('(no notebook snapshot)')
      )
    )
      .then(texts => setState({ kind: 'ready', texts }))
      .catch(error => setState({ kind: 'error', error: describeError(error) }));
  };
  if (available === 0) {
    return (
      <div className="jp-mlops-muted">
        None of these runs has a notebook snapshot.
      </div>
    );
  }
  switch (state.kind) {
    case 'idle':
      return <Button onClick={load}>Compare notebook snapshots</Button>;
    case 'loading':
      return <div className="jp-mlops-muted">Loading the snapshots…</div>;
    case 'error':
      return <ErrorAlert error={state.error} />;
    case 'ready':
      return (
        <SourceDiff result={result} texts={state.texts} label="Notebook diff" />
      );
  }
}

/**
 * Two runs' texts side by side, removed and added lines marked: the tracked cells by
 * default, or any text per run (the notebook snapshots).
 */
function SourceDiff(props: {
  result: Mlops.ICompareResult;
  texts?: readonly string[];
  label?: string;
}): JSX.Element {
  const { result } = props;
  const texts = props.texts ?? result.sources;
  const label = props.label ?? 'Source diff';
  const [left, setLeft] = React.useState(0);
  const [right, setRight] = React.useState(Math.min(1, result.runs.length - 1));
  const rows = React.useMemo(
    () => sideBySide(texts[left] ?? '', texts[right] ?? ''),
    [texts, left, right]
  );
  const stats = diffStats(rows);
  const picker = (value: number, set: (n: number) => void, label: string) => (
    <select
      className="jp-mod-styled"
      aria-label={label}
      value={value}
      onChange={e => set(Number(e.target.value))}
    >
      {result.runs.map((run, i) => (
        <option key={run.id} value={i}>
          {`${runLabel(run)} (${shortId(run.id)})`}
        </option>
      ))}
    </select>
  );
  const marker = { removed: '-', added: '+', same: ' ', empty: ' ' };
  return (
    <div className="jp-mlops-diff">
      {result.runs.length > 2 && (
        <div className="jp-mlops-diff-pickers">
          {picker(left, setLeft, 'Left run')}
          {picker(right, setRight, 'Right run')}
        </div>
      )}
      <div className="jp-mlops-muted">
        {stats.removed + stats.added === 0
          ? 'The sources are identical.'
          : `${stats.removed} line(s) removed, ${stats.added} line(s) added`}
      </div>
      <table className="jp-mlops-diff-table" aria-label={label}>
        <colgroup>
          <col className="jp-mlops-diff-lineno-col" />
          <col />
          <col className="jp-mlops-diff-lineno-col" />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th colSpan={2} scope="col">
              {runLabel(result.runs[left])}
            </th>
            <th colSpan={2} scope="col">
              {runLabel(result.runs[right])}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              <td className="jp-mlops-diff-lineno">{row.left.line ?? ''}</td>
              <td
                className={`jp-mlops-diff-line jp-mlops-diff-${row.left.kind}`}
                data-kind={row.left.kind}
              >
                <span className="jp-mlops-diff-marker" aria-hidden="true">
                  {marker[row.left.kind]}
                </span>
                {row.left.kind === 'removed' && (
                  <span className="jp-mlops-visually-hidden">removed: </span>
                )}
                {row.left.text}
              </td>
              <td className="jp-mlops-diff-lineno">{row.right.line ?? ''}</td>
              <td
                className={`jp-mlops-diff-line jp-mlops-diff-${row.right.kind}`}
                data-kind={row.right.kind}
              >
                <span className="jp-mlops-diff-marker" aria-hidden="true">
                  {marker[row.right.kind]}
                </span>
                {row.right.kind === 'added' && (
                  <span className="jp-mlops-visually-hidden">added: </span>
                )}
                {row.right.text}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Python, platform, git and package differences. */
function EnvDiff(props: { result: Mlops.ICompareResult }): JSX.Element {
  const { result } = props;
  const env = result.env;
  const row = (label: string, values: Mlops.ICompareValues | undefined) => (
    <tr
      key={label}
      className={values?.differs ? 'jp-mlops-differs' : undefined}
    >
      <th scope="row">
        {values?.differs && (
          <span className="jp-mlops-differs-marker" title="values differ">
            <span aria-hidden="true">≠ </span>
            <span className="jp-mlops-visually-hidden">differs: </span>
          </span>
        )}
        {label}
      </th>
      {result.runs.map((run, i) => (
        <td key={run.id}>{describeEnvValue(values?.values?.[i])}</td>
      ))}
    </tr>
  );
  const packages = env?.packages ?? { added: {}, removed: {}, changed: {} };
  const pkgRows: [string, string, string][] = [
    ...Object.entries(packages.removed ?? {}).map(
      ([n, v]) => [n, v, '—'] as [string, string, string]
    ),
    ...Object.entries(packages.added ?? {}).map(
      ([n, v]) => [n, '—', v] as [string, string, string]
    ),
    ...Object.entries(packages.changed ?? {}).map(
      ([n, [a, b]]) => [n, a, b] as [string, string, string]
    )
  ].sort((a, b) => a[0].localeCompare(b[0]));
  const first = result.runs[0];
  const last = result.runs[result.runs.length - 1];
  return (
    <div className="jp-mlops-env-diff">
      <table className="jp-mlops-compare-table" aria-label="Environment">
        <thead>
          <tr>
            <th scope="col">environment</th>
            {result.runs.map(run => (
              <th key={run.id} scope="col">
                {runLabel(run)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {row('python', env?.python)}
          {row('platform', env?.platform)}
          {row('git', env?.git)}
        </tbody>
      </table>
      <h4>{`Packages: ${runLabel(first)} → ${runLabel(last)}`}</h4>
      {pkgRows.length === 0 ? (
        <div className="jp-mlops-muted">Same packages and versions.</div>
      ) : (
        <table className="jp-mlops-compare-table" aria-label="Package changes">
          <thead>
            <tr>
              <th scope="col">package</th>
              <th scope="col">{runLabel(first)}</th>
              <th scope="col">{runLabel(last)}</th>
            </tr>
          </thead>
          <tbody>
            {pkgRows.map(([name, a, b]) => (
              <tr key={name} className="jp-mlops-differs">
                <th scope="row">{name}</th>
                <td>{a}</td>
                <td>{b}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** An environment value (an object such as `{commit, dirty}`) as one line of text. */
function describeEnvValue(value: Mlops.JSONValue | undefined): string {
  if (value === undefined || value === null) {
    return '—';
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    const parts = Object.entries(value)
      .filter(([, v]) => v !== null && v !== undefined && v !== '')
      .map(([k, v]) => {
        if (k === 'commit' && typeof v === 'string') {
          return v.slice(0, 10);
        }
        if (typeof v === 'boolean') {
          return v ? k : `not ${k}`;
        }
        return typeof v === 'string' ? v : JSON.stringify(v);
      });
    return parts.join(' · ') || '—';
  }
  return formatValue(value);
}

/** Parallel coordinates of differing numeric parameters and metrics (3+ runs). */
function ParallelCoordinates(props: {
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
  const height = 220;
  const pad = { left: 40, right: 40, top: 24, bottom: 30 };
  const lines = runPolylines(axes, result.runs.length, width, height);
  const step = width / (axes.length - 1);
  return (
    <svg
      className="jp-mlops-parallel"
      role="img"
      aria-label={`Parallel coordinates of ${result.runs.length} runs over ${axes.map(a => a.label).join(', ')}`}
      width={width + pad.left + pad.right}
      height={height + pad.top + pad.bottom}
    >
      <g transform={`translate(${pad.left},${pad.top})`}>
        {axes.map((axis, a) => (
          <g key={axis.id} transform={`translate(${a * step},0)`}>
            <line
              className="jp-mlops-parallel-axis"
              x1={0}
              y1={0}
              x2={0}
              y2={height}
            />
            <text
              className="jp-mlops-parallel-label"
              x={0}
              y={-8}
              textAnchor="middle"
            >
              {axis.label}
            </text>
            <text className="jp-mlops-parallel-tick" x={4} y={height}>
              {formatNumber(axis.min)}
            </text>
            <text className="jp-mlops-parallel-tick" x={4} y={10}>
              {formatNumber(axis.max)}
            </text>
          </g>
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
              <title>{runLabel(result.runs[r])}</title>
            </polyline>
          ))
        )}
      </g>
    </svg>
  );
}

/** What was loaded for the runs `key` (their ids as JSON); other runs are still loading. */
type Load =
  | { kind: 'error'; key: string; error: IErrorDescription }
  | { kind: 'ready'; key: string; result: Mlops.ICompareResult };

/** The compare view of several runs. */
export function CompareView(props: {
  client: MlopsClient;
  ids: string[];
  onOpenRun: (id: string) => void;
}): JSX.Element {
  const { client, ids, onOpenRun } = props;
  const [loaded, setLoaded] = React.useState<Load | null>(null);
  const [onlyDiffs, setOnlyDiffs] = React.useState(false);
  // Compared again when the ids change, not when an equal new array arrives.
  const key = JSON.stringify(ids);
  React.useEffect(() => {
    let cancelled = false;
    client
      .compare(JSON.parse(key) as string[])
      .then(result => !cancelled && setLoaded({ kind: 'ready', key, result }))
      .catch(
        error =>
          !cancelled &&
          setLoaded({ kind: 'error', key, error: describeError(error) })
      );
    return () => {
      cancelled = true;
    };
  }, [client, key]);

  const state = loaded?.key === key ? loaded : null;
  if (state === null) {
    return (
      <div className="jp-mlops-status-line">Comparing {ids.length} runs…</div>
    );
  }
  if (state.kind === 'error') {
    return <ErrorAlert error={state.error} />;
  }
  const { result } = state;
  return (
    <div className="jp-mlops-compare">
      <header className="jp-mlops-details-header">
        <h2 className="jp-mlops-details-title">{`Compare ${result.runs.length} runs`}</h2>
      </header>
      <ul className="jp-mlops-compare-runs">
        {result.runs.map((run, i) => (
          <li key={run.id}>
            <span
              className="jp-mlops-swatch"
              style={{ background: runColor(i) }}
              aria-hidden="true"
            />
            <Button
              className="jp-mlops-link-button"
              minimal
              small
              title={`Open details of ${run.id}`}
              onClick={() => onOpenRun(run.id)}
            >
              {runLabel(run)}
            </Button>
            <StatusBadge status={run.status} errorType={run.error_type} />
            <span className="jp-mlops-muted">{` ${shortId(run.id)} · ${run.experiment}`}</span>
          </li>
        ))}
      </ul>
      <section aria-label="Parameters and metrics">
        <h3>Parameters and metrics</h3>
        <label className="jp-mlops-toggle">
          <input
            type="checkbox"
            checked={onlyDiffs}
            onChange={e => setOnlyDiffs(e.target.checked)}
          />
          Only differences
        </label>
        <ValuesTable result={result} onlyDiffs={onlyDiffs} />
      </section>
      <section aria-label="Metric charts">
        <h3>Metrics by step</h3>
        <Charts client={client} result={result} />
      </section>
      <section aria-label="Source diff">
        <h3>Source</h3>
        <SourceDiff result={result} />
      </section>
      <section aria-label="Notebook diff">
        <h3>Notebook snapshots</h3>
        <NotebookDiff client={client} result={result} />
      </section>
      <section aria-label="Environment diff">
        <h3>Environment</h3>
        <EnvDiff result={result} />
      </section>
      {result.runs.length >= 3 && (
        <section aria-label="Parallel coordinates">
          <h3>Parallel coordinates</h3>
          <ParallelCoordinates result={result} />
        </section>
      )}
    </div>
  );
}

/** The main-area content comparing runs; `setIds` replaces the compared runs. */
export class CompareWidget extends ReactWidget {
  constructor(
    private readonly _client: MlopsClient,
    private _ids: string[],
    private readonly _onOpenRun: (id: string) => void
  ) {
    super();
    this.addClass('jp-mlops-compare-panel');
  }

  get ids(): string[] {
    return this._ids;
  }

  setIds(ids: string[]): void {
    this._ids = ids;
    this.update();
  }

  protected render(): JSX.Element {
    return (
      <CompareView
        client={this._client}
        ids={this._ids}
        onOpenRun={this._onOpenRun}
      />
    );
  }
}
