/**
 * The sections of a run's details that show what was recorded, one component each.
 */
import { IEditorServices } from '@jupyterlab/codeeditor';
import {
  addIcon,
  downloadIcon,
  notebookIcon,
  refreshIcon
} from '@jupyterlab/ui-components';
import React from 'react';

import { Breakable } from '../components/Breakable';
import { LinkButton, SmallButton } from '../components/buttons';
import { MetricChart } from '../components/MetricChart';
import { PanelHeader } from '../components/PanelHeader';
import { IAlignedSeries } from '../components/series';
import { StatusBadge } from '../components/StatusBadge';
import {
  EMPTY,
  formatDuration,
  formatFullTime,
  formatTime,
  relativeToRoot,
  runLabel
} from '../format';
import { Mlops } from '../types';
import {
  artifactRows,
  environmentRows,
  gitRows,
  IArtifactRow,
  IInputRow,
  inputRows,
  metricRows,
  notebookRows,
  packageRows,
  paramRows
} from './rows';
import { KeyValues, Section } from './Section';
import { SourceView } from './SourceView';

/** The run's name and status, Refresh, and Register model… for a finished run with artifacts. */
export function DetailsHeader(props: {
  run: Mlops.IRun;
  onRefresh: () => void;
  onRegister?: (id: string) => void;
}): JSX.Element {
  const { run, onRefresh, onRegister } = props;
  const registrable = run.status === 'finished' && run.artifacts.length > 0;
  return (
    <PanelHeader title={runLabel(run)}>
      <StatusBadge status={run.status} errorType={run.error_type} />
      <SmallButton icon={refreshIcon} onClick={onRefresh}>
        Refresh
      </SmallButton>
      {onRegister && (
        <SmallButton
          icon={addIcon}
          disabled={!registrable}
          title={
            registrable
              ? "Register the run's artifacts as the next version of a model"
              : run.status !== 'finished'
                ? `Only a finished run's model is registered (this run is ${run.status})`
                : 'The run stored no artifact: record the model file with %%track --artifact PATH'
          }
          onClick={() => onRegister(run.id)}
        >
          Register model…
        </SmallButton>
      )}
    </PanelHeader>
  );
}

/** Id, experiment, times, seed, the original of a reproduction, the sweep and the tags. */
export function RunSummary(props: {
  run: Mlops.IRun;
  openRun: (id: string) => void;
}): JSX.Element {
  const { run, openRun } = props;
  const original = run.reproduction_of;
  return (
    <KeyValues
      label="Run"
      rows={[
        ['id', <code key="id">{run.id}</code>],
        ['experiment', run.experiment],
        ['started', <Time key="started" iso={run.started_at} />],
        ['ended', <Time key="ended" iso={run.ended_at} />],
        ['duration', formatDuration(run.duration)],
        ['seed', run.seed === null ? EMPTY : String(run.seed)],
        ...(original
          ? [
              [
                'reproduction of',
                <LinkButton
                  key="original"
                  title={`Open the original run ${original}`}
                  onClick={() => openRun(original)}
                >
                  {original}
                </LinkButton>
              ] as [string, React.ReactNode]
            ]
          : []),
        ...(run.sweep_id ? [['sweep', run.sweep_id] as [string, string]] : []),
        ...Object.entries(run.tags ?? {}).map(
          ([k, v]) => [`tag ${k}`, v] as [string, string]
        )
      ]}
    />
  );
}

/** A moment in local time ("today 18:52"), its full value on hover. */
export function Time(props: { iso: string | null }): JSX.Element {
  const { iso } = props;
  return (
    <time dateTime={iso ?? undefined} title={formatFullTime(iso)}>
      {formatTime(iso)}
    </time>
  );
}

/** The exception that ended a failed run, with its traceback. */
export function ErrorSection(props: { error: Mlops.IRunError }): JSX.Element {
  const { error } = props;
  return (
    <Section title="Error">
      <div className="jp-mlops-error-line">
        {`${error.type}: ${error.message}`}
      </div>
      <pre className="jp-mlops-pre jp-mlops-traceback">{error.traceback}</pre>
    </Section>
  );
}

export function ParamsSection(props: { run: Mlops.IRun }): JSX.Element {
  return (
    <Section title="Parameters">
      <KeyValues label="Parameters" rows={paramRows(props.run.params)} />
    </Section>
  );
}

/** Final metric values, and a chart of each metric logged at several steps. */
export function MetricsSection(props: {
  run: Mlops.IRun;
  metrics: Mlops.IMetricInfo[];
  series: Map<string, IAlignedSeries>;
}): JSX.Element {
  const { run, metrics, series } = props;
  return (
    <Section title="Metrics">
      <KeyValues label="Metrics" rows={metricRows(run, metrics)} />
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
  );
}

export function SourceSection(props: {
  source: string;
  editorServices: IEditorServices | null;
}): JSX.Element {
  return (
    <Section title="Source">
      <SourceView source={props.source} editorServices={props.editorServices} />
    </Section>
  );
}

/** Where the run's notebook is (opened at the tracked cell when it can be) and how it ran. */
export function NotebookSection(props: {
  run: Mlops.IRun;
  serverRoot: string;
  openNotebook: (path: string, cellId: string | null) => void;
}): JSX.Element {
  const { run, serverRoot, openNotebook } = props;
  const notebookPath = run.notebook?.path ?? run.notebook_path;
  if (!notebookPath) {
    return (
      <Section title="Notebook">
        <div className="jp-mlops-muted">Not run from a notebook.</div>
      </Section>
    );
  }
  const relative = relativeToRoot(notebookPath, serverRoot);
  return (
    <Section title="Notebook">
      <div className="jp-mlops-path">
        {relative !== null ? (
          <SmallButton
            icon={notebookIcon}
            title={`Open ${relative}`}
            onClick={() => openNotebook(relative, run.cell_id ?? null)}
          >
            Open notebook
          </SmallButton>
        ) : null}
        <code>{notebookPath}</code>
        {relative === null && (
          <span className="jp-mlops-muted">
            {' '}
            (outside the server root: cannot be opened here)
          </span>
        )}
      </div>
      <KeyValues label="Notebook" rows={notebookRows(run)} />
    </Section>
  );
}

export function GitSection(props: { git: Mlops.IGitInfo | null }): JSX.Element {
  const { git } = props;
  return (
    <Section title="Git">
      {git ? (
        <KeyValues label="Git" rows={gitRows(git)} />
      ) : (
        <div className="jp-mlops-muted">Not in a git repository.</div>
      )}
    </Section>
  );
}

/** Python, platform, hardware, and the packages folded away. */
export function EnvironmentSection(props: {
  env: Mlops.IEnvironment | null;
}): JSX.Element {
  const packages = packageRows(props.env);
  return (
    <Section title="Environment">
      <KeyValues label="Environment" rows={environmentRows(props.env)} />
      <details className="jp-mlops-packages">
        <summary>{`${packages.length} packages`}</summary>
        <KeyValues label="Packages" rows={packages} />
      </details>
    </Section>
  );
}

/** What the run read and what it stored; folded when there is neither. */
export function FilesSection(props: {
  run: Mlops.IRun;
  /** Where the browser downloads the artifact at an index. */
  artifactUrl: (index: number) => string;
}): JSX.Element {
  const { run, artifactUrl } = props;
  const inputs = inputRows(run.inputs);
  const artifacts = artifactRows(run.artifacts);
  return (
    <Section
      title="Inputs and artifacts"
      open={inputs.length + artifacts.length > 0}
    >
      <h4>{`Inputs (${inputs.length})`}</h4>
      {inputs.length === 0 ? (
        <div className="jp-mlops-muted">No input recorded.</div>
      ) : (
        <InputsTable rows={inputs} />
      )}
      <h4>{`Artifacts (${artifacts.length})`}</h4>
      {artifacts.length === 0 ? (
        <div className="jp-mlops-muted">No artifact stored.</div>
      ) : (
        <ArtifactsTable rows={artifacts} artifactUrl={artifactUrl} />
      )}
    </Section>
  );
}

/** The inputs: path (its time in the tooltip), kind, the cell that read it, size, hash, how it was learnt. */
function InputsTable(props: { rows: IInputRow[] }): JSX.Element {
  return (
    <table
      className="jp-mlops-compare-table jp-mlops-files"
      aria-label="Inputs"
    >
      <thead>
        <tr>
          <th scope="col">path</th>
          <th scope="col">kind</th>
          <th scope="col" title="The cell that first read it">
            cell
          </th>
          <th scope="col">size</th>
          <th scope="col">sha256</th>
          <th scope="col">learnt by</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row, i) => (
          <tr key={`${row.path}:${i}`} data-path={row.path}>
            <th
              scope="row"
              title={
                row.mtime === null
                  ? row.path
                  : `${row.path}, modified ${formatFullTime(new Date(row.mtime * 1000).toISOString())}`
              }
            >
              <Breakable text={row.path} />
            </th>
            <td>{row.kind}</td>
            <td className="jp-mlops-num">{row.cell}</td>
            <td className="jp-mlops-num">{row.size}</td>
            <td>
              <code>{row.hash}</code>
            </td>
            <td>{row.via}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The artifacts, each with a download link (saved as a file, never shown in the browser). */
function ArtifactsTable(props: {
  rows: IArtifactRow[];
  artifactUrl: (index: number) => string;
}): JSX.Element {
  return (
    <table
      className="jp-mlops-compare-table jp-mlops-files"
      aria-label="Artifacts"
    >
      <thead>
        <tr>
          <th scope="col">path</th>
          <th scope="col">size</th>
          <th scope="col">sha256</th>
          <th scope="col">
            <span className="jp-mlops-visually-hidden">download</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map(row => (
          <tr key={row.index} data-path={row.path}>
            <th scope="row">
              <Breakable text={row.path} />
            </th>
            <td className="jp-mlops-num">{row.size}</td>
            <td>
              <code>{row.hash}</code>
            </td>
            <td>
              <a
                className="jp-mlops-download"
                href={props.artifactUrl(row.index)}
                download={row.fileName}
                title={`Download ${row.path}`}
                aria-label={`Download ${row.path}`}
              >
                <downloadIcon.react tag="span" elementSize="small" />
                Download
              </a>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The tails of stdout and stderr, folded. */
export function OutputSection(props: {
  stdout: string | null;
  stderr: string | null;
}): JSX.Element {
  const { stdout, stderr } = props;
  return (
    <Section title="Output" open={false}>
      {stdout && (
        <>
          <h4>stdout (tail)</h4>
          <pre className="jp-mlops-pre">{stdout}</pre>
        </>
      )}
      {stderr && (
        <>
          <h4>stderr (tail)</h4>
          <pre className="jp-mlops-pre">{stderr}</pre>
        </>
      )}
    </Section>
  );
}
