import { Button } from '@jupyterlab/ui-components';
import React from 'react';

import { ErrorAlert } from '../components/ErrorAlert';
import { describeError, IErrorDescription } from '../errors';
import { Mlops } from '../types';
import { ICompareClient, loadNotebookTexts } from './load';
import { SourceDiff } from './SourceDiff';

type NotebookState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready'; readonly texts: readonly string[] }
  | { readonly kind: 'error'; readonly error: IErrorDescription };

/** The code cells of the runs' notebook snapshots side by side, loaded on request. */
export function NotebookDiff(props: {
  client: ICompareClient;
  result: Mlops.ICompareResult;
}): JSX.Element {
  const { client, result } = props;
  const [state, setState] = React.useState<NotebookState>({ kind: 'idle' });
  const available = result.notebooks.filter(nb => nb !== null).length;
  const load = () => {
    setState({ kind: 'loading' });
    // Snapshots can be large: fetched only when asked for.
    loadNotebookTexts(client, result)
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
