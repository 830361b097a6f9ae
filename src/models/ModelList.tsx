import React from 'react';

import { Time } from '../details/sections';
import { useRequest, useSignal } from '../hooks';
import { Mlops } from '../types';
import { IModelsContext } from './context';
import { AliasChip, LoadError, PageHeader } from './widgets';

/** The registered models: name, versions, latest, aliases; a click opens one. */
export function ModelList(props: {
  readonly context: IModelsContext;
}): JSX.Element {
  const { client, navigation } = props.context;
  const request = useRequest(
    () => client.models(),
    'models',
    navigation.revision
  );
  const models = request.data;
  return (
    <div className="jp-mlops-page" aria-label="Registered models">
      <PageHeader
        title="Registered models"
        loading={request.loading}
        onRefresh={request.reload}
      />
      <WaitingBanner context={props.context} />
      {request.error && (
        <LoadError error={request.error} onRetry={request.reload} />
      )}
      {!models && !request.error && (
        <div className="jp-mlops-muted">Loading models…</div>
      )}
      {models && models.length === 0 && (
        <div className="jp-mlops-empty">
          No registered model yet. Register one from a finished run: right-click
          it in Experiment runs and choose “Register as Model Version…”, or put
          %%track --register NAME on the training cell.
        </div>
      )}
      {models && models.length > 0 && (
        <ul className="jp-mlops-model-list" aria-label="Models">
          {models.map(model => (
            <ModelItem
              key={model.name}
              model={model}
              onOpen={() => navigation.go({ kind: 'model', name: model.name })}
            />
          ))}
        </ul>
      )}
    </div>
  );
}

function ModelItem(props: {
  readonly model: Mlops.IModelSummary;
  readonly onOpen: () => void;
}): JSX.Element {
  const { model, onOpen } = props;
  const aliases = Object.entries(model.aliases ?? {}).sort(([a], [b]) =>
    a.localeCompare(b)
  );
  return (
    <li className="jp-mlops-model-item" data-model={model.name}>
      <button
        type="button"
        className="jp-mlops-model-name"
        title={`Open model ${model.name}`}
        onClick={onOpen}
      >
        {model.name}
      </button>
      <div className="jp-mlops-model-facts">
        {`${model.versions} version${model.versions === 1 ? '' : 's'}`}
        {model.latest !== null && ` · latest v${model.latest}`}
        {model.updated_at && (
          <>
            {' · '}
            <Time iso={model.updated_at} />
          </>
        )}
      </div>
      {aliases.length > 0 && (
        <div className="jp-mlops-chips">
          {aliases.map(([alias, version]) => (
            <AliasChip key={alias} alias={alias} version={version} />
          ))}
        </div>
      )}
      {model.description && (
        <div className="jp-mlops-muted">{model.description}</div>
      )}
    </li>
  );
}

/** "2 approval requests wait for you", each opening its model. */
export function WaitingBanner(props: {
  readonly context: IModelsContext;
  readonly model?: string;
}): JSX.Element | null {
  const { notifier, navigation } = props.context;
  useSignal(notifier?.changed);
  const waiting = (notifier?.waiting ?? []).filter(
    r => !props.model || r.name === props.model
  );
  if (waiting.length === 0) {
    return null;
  }
  return (
    <div className="jp-mlops-waiting" role="status">
      <div>{`${waiting.length} approval request${waiting.length === 1 ? ' waits' : 's wait'} for you:`}</div>
      <ul>
        {waiting.map(r => (
          <li key={r.id}>
            <button
              type="button"
              className="jp-mlops-link"
              onClick={() =>
                navigation.go({ kind: 'model', name: r.name, request: r.id })
              }
            >
              {`${r.name} v${r.version} → @${r.alias}`}
            </button>
            {` asked by ${r.requester}`}
          </li>
        ))}
      </ul>
    </div>
  );
}
