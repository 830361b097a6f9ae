import { ReactWidget } from '@jupyterlab/ui-components';
import { Button } from '@jupyterlab/ui-components';
import React from 'react';

import { MlopsClient } from './client';
import { describeError, IErrorDescription } from './errors';
import { Mlops } from './types';

type State =
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready'; readonly status: Mlops.IStatus }
  | { readonly kind: 'error'; readonly error: IErrorDescription };

interface IStatusViewProps {
  readonly client: MlopsClient;
}

/** Shows the server extension's version and store, or why they cannot be shown. */
function StatusView(props: IStatusViewProps): JSX.Element {
  const [state, setState] = React.useState<State>({ kind: 'loading' });

  const load = React.useCallback(() => {
    setState({ kind: 'loading' });
    props.client
      .status()
      .then(status => setState({ kind: 'ready', status }))
      .catch(error => setState({ kind: 'error', error: describeError(error) }));
  }, [props.client]);

  React.useEffect(load, [load]);

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
          <div className="jp-mlops-error" role="alert">
            <div>{state.error.summary}</div>
            <div>{state.error.action}</div>
          </div>
          <Button className="jp-mlops-button" onClick={load}>
            Retry
          </Button>
        </>
      );
  }
}

/** The left sidebar panel of mlops-jupyter. */
export class RunsSidebar extends ReactWidget {
  constructor(private readonly _client: MlopsClient) {
    super();
    this.addClass('jp-mlops-sidebar');
  }

  protected render(): JSX.Element {
    return (
      <>
        <div className="jp-mlops-header">Experiment runs</div>
        <StatusView client={this._client} />
      </>
    );
  }
}
