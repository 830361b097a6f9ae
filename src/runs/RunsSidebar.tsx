import { Button, ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import React from 'react';

import { MlopsClient } from '../client';
import { ErrorAlert } from '../components/ErrorAlert';
import { describeError, IErrorDescription } from '../errors';
import { MAX_COMPARED_RUNS, sweepRunIds } from '../sweep/sweeps';
import { Mlops } from '../types';
import { RunsModel } from './model';
import { RunTable } from './RunTable';

type State =
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready'; readonly status: Mlops.IStatus }
  | { readonly kind: 'error'; readonly error: IErrorDescription };

interface IStatusViewProps {
  readonly client: MlopsClient;
}

/** Shows the server extension's version and store, or why they cannot be shown. */
function StatusView(props: IStatusViewProps): JSX.Element {
  const { client } = props;
  const [state, setState] = React.useState<State>({ kind: 'loading' });
  // Incremented by Retry: asks the server again.
  const [attempt, setAttempt] = React.useState(0);

  React.useEffect(() => {
    let cancelled = false;
    client
      .status()
      .then(status => !cancelled && setState({ kind: 'ready', status }))
      .catch(
        error =>
          !cancelled && setState({ kind: 'error', error: describeError(error) })
      );
    return () => {
      cancelled = true;
    };
  }, [client, attempt]);

  const retry = () => {
    setState({ kind: 'loading' });
    setAttempt(n => n + 1);
  };

  switch (state.kind) {
    case 'loading':
      return (
        <div className="jp-mlops-status" aria-live="polite">
          Connecting to the mlops-jupyter server extension…
        </div>
      );
    case 'ready':
      return (
        <div className="jp-mlops-status" aria-live="polite">
          {`mlops-jupyter ${state.status.version} · store: ${state.status.store.location}`}
        </div>
      );
    case 'error':
      return (
        <>
          <ErrorAlert error={state.error} />
          <Button className="jp-mlops-button" onClick={retry}>
            Retry
          </Button>
        </>
      );
  }
}

/** What the sidebar does when a run is opened or runs are compared. */
export interface IRunsSidebarHandlers {
  openRun(id: string): void;
  compare(ids: string[]): void;
}

/** The left sidebar panel of mlops-jupyter: status line and the run table. */
export class RunsSidebar extends ReactWidget {
  /**
   * @param _serverRoot absolute path of the Jupyter server's root ('' if unknown): experiments
   *   (notebook paths) inside it are shown relative to it
   */
  constructor(
    private readonly _client: MlopsClient,
    private readonly _serverRoot = ''
  ) {
    super();
    this.addClass('jp-mlops-sidebar');
    this.model = new RunsModel({
      client: _client,
      // Poll only while the runs are on screen.
      standby: () => !this.isVisible || document.hidden
    });
  }

  /** The runs shown in the table. */
  readonly model: RunsModel;

  /** Set what opening a run and comparing runs do. */
  setHandlers(handlers: IRunsSidebarHandlers): void {
    this._handlers = handlers;
  }

  dispose(): void {
    if (!this.isDisposed) {
      this.model.dispose();
    }
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.model.refresh();
  }

  protected render(): JSX.Element {
    return (
      <>
        <div className="jp-mlops-header">Experiment runs</div>
        <StatusView client={this._client} />
        <RunTable
          model={this.model}
          serverRoot={this._serverRoot}
          onOpen={id => this._handlers?.openRun(id)}
          onCompare={ids => this._handlers?.compare(ids)}
          onCompareSweep={(sweepId, loaded) =>
            void this._compareSweep(sweepId, loaded)
          }
        />
      </>
    );
  }

  /**
   * Compare the runs of a sweep (the first 20): all of them as the server lists them, or the ones
   * of the sub-group when the sweep cannot be read.
   */
  private async _compareSweep(
    sweepId: string,
    loaded: string[]
  ): Promise<void> {
    let ids = loaded.slice(0, MAX_COMPARED_RUNS);
    try {
      const all = sweepRunIds(
        await this._client.sweep(sweepId),
        MAX_COMPARED_RUNS
      );
      if (all.length > 0) {
        ids = all;
      }
    } catch (error) {
      console.warn(
        `mlops-jupyter: cannot read sweep ${sweepId}, comparing its loaded runs: ${describeError(error).summary}`
      );
    }
    if (ids.length >= 2) {
      this._handlers?.compare(ids);
    } else if (ids.length === 1) {
      this._handlers?.openRun(ids[0]);
    }
  }

  private _handlers: IRunsSidebarHandlers | null = null;
}
