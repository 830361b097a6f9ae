import { CodeEditor, IEditorServices } from '@jupyterlab/codeeditor';
import { Button, ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { MlopsClient } from '../client';
import { ErrorAlert } from '../components/ErrorAlert';
import { MetricChart } from '../components/MetricChart';
import { alignSeries, IAlignedSeries } from '../components/series';
import { StatusBadge } from '../components/StatusBadge';
import { describeError, IErrorDescription } from '../errors';
import {
  EMPTY,
  formatBytes,
  formatDuration,
  formatMetric,
  formatValue,
  relativeToRoot,
  runLabel
} from '../format';
import { useSignal } from '../hooks';
import { ReproductionModel } from '../reproduce/model';
import { ReproduceSection } from '../reproduce/ReproduceSection';
import { SweepModel } from '../sweep/model';
import { SweepSection } from '../sweep/SweepSection';
import { Mlops } from '../types';

/** What the details panel needs from the application. */
export interface IDetailsContext {
  readonly client: MlopsClient;
  /** Absolute path of the Jupyter server's root folder ('' if unknown). */
  readonly serverRoot: string;
  /**
   * Opens a notebook by its path relative to the server root and, when the cell with
   * `cellId` is still there, makes it the active cell.
   */
  readonly openNotebook: (path: string, cellId: string | null) => void;
  readonly editorServices: IEditorServices | null;
  /** Opens another run's details (e.g. a reproduction or its original). */
  readonly openRun: (id: string) => void;
  /** Opens the compare view with these runs (e.g. the runs of a sweep). */
  readonly compare?: (ids: string[]) => void;
}

/** The cell source, read-only, highlighted by JupyterLab's editor when available. */
export function SourceView(props: {
  source: string;
  editorServices: IEditorServices | null;
}): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const { source, editorServices } = props;
  React.useEffect(() => {
    if (!editorServices || !host.current) {
      return;
    }
    const model = new CodeEditor.Model({ mimeType: 'text/x-ipython' });
    model.sharedModel.setSource(source);
    const editor = editorServices.factoryService.newInlineEditor({
      host: host.current,
      model,
      config: { readOnly: true, lineNumbers: true, lineWrap: false }
    });
    return () => {
      editor.dispose();
      model.dispose();
    };
  }, [source, editorServices]);
  if (!editorServices) {
    return <pre className="jp-mlops-pre jp-mlops-source">{source}</pre>;
  }
  return (
    <div
      className="jp-mlops-source jp-mlops-editor"
      ref={host}
      aria-label="Cell source (read-only)"
    />
  );
}

/** A two-column key/value table; every value is text. */
export function KeyValues(props: {
  rows: [string, React.ReactNode][];
  label: string;
}): JSX.Element {
  if (props.rows.length === 0) {
    return <div className="jp-mlops-muted">{EMPTY}</div>;
  }
  return (
    <table className="jp-mlops-kv" aria-label={props.label}>
      <tbody>
        {props.rows.map(([key, value], i) => (
          <tr key={`${key}:${i}`}>
            <th scope="row">{key}</th>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Section(props: {
  title: string;
  children: React.ReactNode;
  open?: boolean;
}): JSX.Element {
  return (
    <details className="jp-mlops-section" open={props.open ?? true}>
      <summary>
        <h3>{props.title}</h3>
      </summary>
      <div className="jp-mlops-section-body">{props.children}</div>
    </details>
  );
}

type Load =
  | { kind: 'loading' }
  | { kind: 'error'; error: IErrorDescription }
  | {
      kind: 'ready';
      run: Mlops.IRun;
      metrics: Mlops.IMetricInfo[];
      series: Map<string, IAlignedSeries>;
    };

/** Everything recorded about one run. */
export function RunDetails(props: {
  id: string;
  context: IDetailsContext;
  /** The run's reproduction (owned by the tab so that closing it stops the polling). */
  reproduction?: ReproductionModel;
  /** Sweeps based on the run ("Rerun with…"), owned by the tab too. */
  sweep?: SweepModel;
}): JSX.Element {
  const { id, context, reproduction, sweep } = props;
  const [state, setState] = React.useState<Load>({ kind: 'loading' });
  const [tick, setTick] = React.useState(0);
  // null: open while a sweep of the run is known, until the user says otherwise.
  const [rerunOpen, setRerunOpen] = React.useState<boolean | null>(null);
  // A sweep restored with the tab opens its section.
  useSignal(sweep?.changed);

  React.useEffect(() => {
    let cancelled = false;
    let timer = 0;
    (async () => {
      try {
        const [run, list] = await Promise.all([
          context.client.run(id),
          context.client.metrics(id)
        ]);
        const series = new Map<string, IAlignedSeries>();
        await Promise.all(
          list.metrics
            .filter(m => m.count > 1)
            .slice(0, 12)
            .map(async m => {
              const s = await context.client.metricSeries(id, m.key, 500);
              series.set(m.key, alignSeries([s.points]));
            })
        );
        if (cancelled) {
          return;
        }
        setState({ kind: 'ready', run, metrics: list.metrics, series });
        if (run.status === 'running') {
          // A running run changes: look again in a while.
          timer = window.setTimeout(() => setTick(t => t + 1), 2000);
        }
      } catch (error) {
        if (!cancelled) {
          setState({ kind: 'error', error: describeError(error) });
        }
      }
    })();
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [id, context, tick]);

  if (state.kind === 'loading') {
    return <div className="jp-mlops-status-line">Loading run {id}…</div>;
  }
  if (state.kind === 'error') {
    return (
      <ErrorAlert error={state.error}>
        <Button
          className="jp-mlops-small-button"
          onClick={() => setTick(tick + 1)}
        >
          Retry
        </Button>
      </ErrorAlert>
    );
  }
  const { run, metrics, series } = state;
  const sweepShown = rerunOpen ?? (sweep?.job ?? null) !== null;
  const notebookPath = run.notebook?.path ?? run.notebook_path;
  const relative = notebookPath
    ? relativeToRoot(notebookPath, context.serverRoot)
    : null;
  const env = run.env;
  const packages = Object.entries(env?.packages ?? {}).sort(([a], [b]) =>
    a.localeCompare(b)
  );
  const lastByKey = new Map(metrics.map(m => [m.key, m]));
  const metricKeys = [
    ...new Set([...Object.keys(run.metrics ?? {}), ...lastByKey.keys()])
  ].sort();

  return (
    <div className="jp-mlops-details" aria-label={`Run ${runLabel(run)}`}>
      <header className="jp-mlops-details-header">
        <h2 className="jp-mlops-details-title">{runLabel(run)}</h2>
        <StatusBadge status={run.status} errorType={run.error_type} />
        <Button
          className="jp-mlops-small-button"
          small
          minimal
          onClick={() => setTick(tick + 1)}
        >
          Refresh
        </Button>
      </header>
      <KeyValues
        label="Run"
        rows={[
          ['id', <code key="id">{run.id}</code>],
          ['experiment', run.experiment],
          ['started', run.started_at ?? EMPTY],
          ['ended', run.ended_at ?? EMPTY],
          ['duration', formatDuration(run.duration)],
          ['seed', run.seed === null ? EMPTY : String(run.seed)],
          ...(run.reproduction_of
            ? [
                [
                  'reproduction of',
                  <Button
                    key="original"
                    className="jp-mlops-small-button jp-mlops-link-button"
                    small
                    minimal
                    title={`Open the original run ${run.reproduction_of}`}
                    onClick={() => context.openRun(run.reproduction_of!)}
                  >
                    {run.reproduction_of}
                  </Button>
                ] as [string, React.ReactNode]
              ]
            : []),
          ...(run.sweep_id
            ? [['sweep', run.sweep_id] as [string, string]]
            : []),
          ...Object.entries(run.tags ?? {}).map(
            ([k, v]) => [`tag ${k}`, v] as [string, string]
          )
        ]}
      />
      {reproduction && (
        <Section title="Reproduction">
          <ReproduceSection
            run={run}
            model={reproduction}
            openRun={context.openRun}
            actions={
              sweep && (
                <Button
                  className="jp-mlops-small-button"
                  small
                  aria-expanded={sweepShown}
                  title="Run this code again once per combination of other parameter values"
                  onClick={() => setRerunOpen(!sweepShown)}
                >
                  Rerun with…
                </Button>
              )
            }
          />
        </Section>
      )}
      {sweep && sweepShown && (
        <Section title="Rerun with other parameters">
          <SweepSection
            run={run}
            model={sweep}
            openRun={context.openRun}
            compare={context.compare}
          />
        </Section>
      )}
      {run.error && (
        <Section title="Error">
          <div className="jp-mlops-error-line">
            {`${run.error.type}: ${run.error.message}`}
          </div>
          <pre className="jp-mlops-pre jp-mlops-traceback">
            {run.error.traceback}
          </pre>
        </Section>
      )}
      <Section title="Parameters">
        <KeyValues
          label="Parameters"
          rows={Object.entries(run.params ?? {}).map(([k, v]) => [
            k,
            formatValue(v)
          ])}
        />
      </Section>
      <Section title="Metrics">
        <KeyValues
          label="Metrics"
          rows={metricKeys.map(k => {
            const info = lastByKey.get(k);
            const value = formatMetric(run.metrics?.[k] ?? info?.last);
            return [
              k,
              info && info.count > 1
                ? `${value} (last of ${info.count}, step ${info.last_step ?? EMPTY})`
                : value
            ];
          })}
        />
        <div className="jp-mlops-charts">
          {[...series.entries()].map(([key, data]) => (
            <MetricChart
              key={key}
              title={key}
              labels={[runLabel(run)]}
              data={data}
              height={160}
            />
          ))}
        </div>
      </Section>
      <Section title="Source">
        <SourceView
          source={run.source ?? ''}
          editorServices={context.editorServices}
        />
      </Section>
      <Section title="Notebook">
        {notebookPath ? (
          <>
            <div className="jp-mlops-path">
              {relative !== null ? (
                <Button
                  className="jp-mlops-small-button"
                  small
                  title={`Open ${relative}`}
                  onClick={() =>
                    context.openNotebook(relative, run.cell_id ?? null)
                  }
                >
                  Open notebook
                </Button>
              ) : null}
              <code>{notebookPath}</code>
              {relative === null && (
                <span className="jp-mlops-muted">
                  {' '}
                  (outside the server root: cannot be opened here)
                </span>
              )}
            </div>
            <KeyValues
              label="Notebook"
              rows={[
                ['cell id', run.cell_id ?? EMPTY],
                [
                  'execution count',
                  run.execution_count === null
                    ? EMPTY
                    : String(run.execution_count)
                ],
                [
                  'saved notebook has this cell',
                  run.notebook?.saved_matches_source === null ||
                  run.notebook?.saved_matches_source === undefined
                    ? 'unknown'
                    : run.notebook.saved_matches_source
                      ? 'yes'
                      : 'no (notebook not saved since the cell changed)'
                ],
                [
                  'cells ran out of order',
                  run.history_out_of_order ? 'yes' : 'no'
                ]
              ]}
            />
          </>
        ) : (
          <div className="jp-mlops-muted">Not run from a notebook.</div>
        )}
      </Section>
      <Section title="Git">
        {run.git ? (
          <KeyValues
            label="Git"
            rows={[
              ['commit', run.git.commit ?? EMPTY],
              ['branch', run.git.branch ?? EMPTY],
              ['dirty', run.git.dirty ? 'yes (uncommitted changes)' : 'no'],
              ['remote', run.git.remote ?? EMPTY],
              ['root', run.git.root ?? EMPTY],
              ...(run.git.diff_truncated
                ? [['diff', 'truncated'] as [string, string]]
                : [])
            ]}
          />
        ) : (
          <div className="jp-mlops-muted">Not in a git repository.</div>
        )}
      </Section>
      <Section title="Environment">
        <KeyValues
          label="Environment"
          rows={[
            [
              'python',
              [env?.python?.implementation, env?.python?.version]
                .filter(Boolean)
                .join(' ') || EMPTY
            ],
            ['executable', env?.python?.executable ?? EMPTY],
            [
              'platform',
              env?.platform?.platform ??
                ([
                  env?.platform?.system,
                  env?.platform?.release,
                  env?.platform?.machine
                ]
                  .filter(Boolean)
                  .join(' ') ||
                  EMPTY)
            ],
            [
              'cpu',
              env?.cpu
                ? `${env.cpu.model ?? 'unknown'} × ${env.cpu.count ?? '?'}`
                : EMPTY
            ],
            ['memory', formatBytes(env?.memory_total_bytes)],
            [
              'gpus',
              env?.gpus && env.gpus.length
                ? env.gpus.map(g => formatValue(g)).join('; ')
                : 'none'
            ]
          ]}
        />
        <details className="jp-mlops-packages">
          <summary>{`${packages.length} packages`}</summary>
          <KeyValues label="Packages" rows={packages} />
        </details>
      </Section>
      <Section
        title="Inputs and artifacts"
        open={run.inputs.length + run.artifacts.length > 0}
      >
        <KeyValues
          label="Inputs"
          rows={(run.inputs ?? []).map(input => [
            input.path,
            `${formatBytes(input.size)} · sha256 ${input.sha256.slice(0, 12)}`
          ])}
        />
        <h4>Artifacts</h4>
        <KeyValues
          label="Artifacts"
          rows={(run.artifacts ?? []).map((artifact, i) => {
            const a = (artifact ?? {}) as { [k: string]: Mlops.JSONValue };
            const path = typeof a.path === 'string' ? a.path : `#${i + 1}`;
            return [
              path,
              typeof a.size === 'number'
                ? `${formatBytes(a.size)}${typeof a.sha256 === 'string' ? ` · sha256 ${a.sha256.slice(0, 12)}` : ''}`
                : formatValue(artifact)
            ];
          })}
        />
      </Section>
      {(run.stdout_tail || run.stderr_tail) && (
        <Section title="Output" open={false}>
          {run.stdout_tail && (
            <>
              <h4>stdout (tail)</h4>
              <pre className="jp-mlops-pre">{run.stdout_tail}</pre>
            </>
          )}
          {run.stderr_tail && (
            <>
              <h4>stderr (tail)</h4>
              <pre className="jp-mlops-pre">{run.stderr_tail}</pre>
            </>
          )}
        </Section>
      )}
    </div>
  );
}

/** The main-area content showing a run. */
export class RunDetailsWidget extends ReactWidget {
  constructor(
    readonly runId: string,
    private readonly _context: IDetailsContext
  ) {
    super();
    this.addClass('jp-mlops-details-panel');
    this.reproduction = new ReproductionModel({
      client: _context.client,
      runId
    });
    void this.reproduction.restore();
    this.sweep = new SweepModel({ client: _context.client, runId });
    void this.sweep.restore();
  }

  /** Sweeps based on this run; the polling stops when the tab is closed. */
  readonly sweep: SweepModel;

  /** The reproduction of this run; its polling stops when the tab is closed. */
  readonly reproduction: ReproductionModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.reproduction.dispose();
    this.sweep.dispose();
    super.dispose();
  }

  protected render(): JSX.Element {
    return (
      <RunDetails
        id={this.runId}
        context={this._context}
        reproduction={this.reproduction}
        sweep={this.sweep}
      />
    );
  }
}
