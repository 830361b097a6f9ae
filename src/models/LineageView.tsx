import { launchIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { SmallButton } from '../components/buttons';
import { useRequest } from '../hooks';
import { IModelsContext } from './context';
import { lineageLayers } from './lineage';
import { LoadError } from './widgets';

/**
 * What a version was made from, as layers read top to bottom: data → code → run → version →
 * alias. A run opens its details.
 */
export function LineageView(props: {
  readonly context: IModelsContext;
  readonly name: string;
  readonly version: number;
  readonly aliases: ReadonlyArray<string>;
}): JSX.Element {
  const { context, name, version, aliases } = props;
  const ref = `${name}/${version}`;
  const request = useRequest(
    () => context.client.lineage(ref),
    `lineage:${ref}`,
    context.navigation.revision
  );
  if (request.error) {
    return <LoadError error={request.error} onRetry={request.reload} />;
  }
  if (!request.data) {
    return <div className="jp-mlops-muted">Walking the lineage…</div>;
  }
  const layers = lineageLayers(request.data, { [ref]: aliases });
  return (
    <div
      className="jp-mlops-lineage"
      role="list"
      aria-label={`Lineage of ${ref}`}
    >
      {layers.map((layer, i) => (
        <React.Fragment key={layer.key}>
          {i > 0 && (
            <div className="jp-mlops-lineage-arrow" aria-hidden="true">
              ↓
            </div>
          )}
          <div
            className="jp-mlops-lineage-layer"
            role="listitem"
            data-layer={layer.key}
          >
            <h4>{`${layer.title} (${layer.items.length})`}</h4>
            <ul aria-label={layer.title}>
              {layer.items.map(item => (
                <li
                  key={`${item.kind}:${item.id}`}
                  className={`jp-mlops-lineage-node jp-mlops-node-${item.kind}${item.root ? ' jp-mod-root' : ''}`}
                  data-kind={item.kind}
                  data-id={item.id}
                >
                  {item.runId ? (
                    <SmallButton
                      className="jp-mlops-link-button"
                      minimal
                      icon={launchIcon}
                      title={`Open the details of run ${item.runId}`}
                      onClick={() => context.openRun(item.runId!)}
                    >
                      {item.label}
                    </SmallButton>
                  ) : (
                    <div className="jp-mlops-lineage-label">{item.label}</div>
                  )}
                  {item.facts.map((fact, j) => (
                    <div key={j} className="jp-mlops-muted">
                      {fact}
                    </div>
                  ))}
                  {item.links.map((link, j) => (
                    <div key={`l${j}`} className="jp-mlops-lineage-link">
                      {`→ ${link}`}
                    </div>
                  ))}
                </li>
              ))}
            </ul>
          </div>
        </React.Fragment>
      ))}
      {request.data.truncated && (
        <div className="jp-mlops-muted">
          The walk stopped at 2000 nodes: the graph is larger.
        </div>
      )}
    </div>
  );
}
