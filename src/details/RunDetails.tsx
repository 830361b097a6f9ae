import { IEditorServices } from '@jupyterlab/codeeditor';
import { Button, ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { MlopsClient } from '../client';
import { ErrorAlert } from '../components/ErrorAlert';
import { describeError, IErrorDescription } from '../errors';
import { runLabel } from '../format';
import { DeterminismModel } from '../reproduce/determinismModel';
import { ReproductionModel } from '../reproduce/model';
import { SweepModel } from '../sweep/model';
import { JobSections } from './JobSections';
import { IRunDetailsData, loadRunDetails } from './load';
import {
  DetailsHeader,
  EnvironmentSection,
  ErrorSection,
  FilesSection,
  GitSection,
  MetricsSection,
  NotebookSection,
  OutputSection,
  ParamsSection,
  RunSummary,
  SourceSection
} from './sections';

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
  /** Registers the run's artifacts as a model version (asks which model and files). */
  readonly registerRun?: (id: string) => void;
}

interface IRunDetailsProps {
  id: string;
  context: IDetailsContext;
  /** The run's reproduction (owned by the tab so that closing it stops the polling). */
  reproduction?: ReproductionModel;
  /** Sweeps based on the run ("Rerun with…"), owned by the tab too. */
  sweep?: SweepModel;
  /** The run's determinism check, owned by the tab too. */
  determinism?: DeterminismModel;
}

type Load =
  | { kind: 'loading' }
  | { kind: 'error'; error: IErrorDescription }
  | ({ kind: 'ready' } & IRunDetailsData);

/** Everything recorded about one run, loaded again while it runs and on Refresh. */
export function RunDetails(props: IRunDetailsProps): JSX.Element {
  const { id, context } = props;
  const { client } = context;
  const [state, setState] = React.useState<Load>({ kind: 'loading' });
  const [tick, setTick] = React.useState(0);
  // null: open while a sweep of the run is known, until the user says otherwise.
  const [rerunOpen, setRerunOpen] = React.useState<boolean | null>(null);

  React.useEffect(() => {
    let cancelled = false;
    let timer = 0;
    loadRunDetails(client, id)
      .then(data => {
        if (cancelled) {
          return;
        }
        setState({ kind: 'ready', ...data });
        if (data.run.status === 'running') {
          // A running run changes: look again in a while.
          timer = window.setTimeout(() => setTick(t => t + 1), 2000);
        }
      })
      .catch(error => {
        if (!cancelled) {
          setState({ kind: 'error', error: describeError(error) });
        }
      });
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [id, client, tick]);

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
  return (
    <RunDetailsView
      {...props}
      data={state}
      rerunOpen={rerunOpen}
      setRerunOpen={setRerunOpen}
      onRefresh={() => setTick(tick + 1)}
    />
  );
}

/** The sections of a loaded run. */
function RunDetailsView(
  props: IRunDetailsProps & {
    data: IRunDetailsData;
    rerunOpen: boolean | null;
    setRerunOpen: (open: boolean) => void;
    onRefresh: () => void;
  }
): JSX.Element {
  const { context, data } = props;
  const { run } = data;
  return (
    <div className="jp-mlops-details" aria-label={`Run ${runLabel(run)}`}>
      <DetailsHeader
        run={run}
        onRefresh={props.onRefresh}
        onRegister={context.registerRun}
      />
      <RunSummary run={run} openRun={context.openRun} />
      <JobSections
        run={run}
        reproduction={props.reproduction}
        sweep={props.sweep}
        determinism={props.determinism}
        rerunOpen={props.rerunOpen}
        setRerunOpen={props.setRerunOpen}
        openRun={context.openRun}
        compare={context.compare}
      />
      {run.error && <ErrorSection error={run.error} />}
      <ParamsSection run={run} />
      <MetricsSection run={run} metrics={data.metrics} series={data.series} />
      <SourceSection
        source={run.source ?? ''}
        editorServices={context.editorServices}
      />
      <NotebookSection
        run={run}
        serverRoot={context.serverRoot}
        openNotebook={context.openNotebook}
      />
      <GitSection git={run.git} />
      <EnvironmentSection env={run.env} />
      <FilesSection
        run={run}
        artifactUrl={index => context.client.artifactUrl(run.id, index)}
      />
      {(run.stdout_tail || run.stderr_tail) && (
        <OutputSection stdout={run.stdout_tail} stderr={run.stderr_tail} />
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
    this.determinism = new DeterminismModel({
      client: _context.client,
      runId
    });
    void this.determinism.restore();
  }

  /** The determinism check of this run; its polling stops when the tab is closed. */
  readonly determinism: DeterminismModel;

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
    this.determinism.dispose();
    super.dispose();
  }

  protected render(): JSX.Element {
    return (
      <RunDetails
        id={this.runId}
        context={this._context}
        reproduction={this.reproduction}
        sweep={this.sweep}
        determinism={this.determinism}
      />
    );
  }
}
