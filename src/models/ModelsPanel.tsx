import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import React from 'react';

import { DriftCheckPage } from '../drift/DriftCheckPage';
import { DriftList } from '../drift/DriftList';
import { useSignal } from '../hooks';
import { IModelsContext } from './context';
import { ModelList } from './ModelList';
import { ModelPage } from './ModelPage';
import { crumbsOf, ModelsTab, ModelsView, tabOf } from './navigation';
import { TriggersPage } from './TriggersPage';
import { VersionPage } from './VersionPage';

const TABS: ReadonlyArray<[ModelsTab, string, ModelsView]> = [
  ['models', 'Models', { kind: 'models' }],
  ['drift', 'Drift', { kind: 'drift' }],
  ['triggers', 'Triggers', { kind: 'triggers' }]
];

/** The panel: its three tabs (models, drift checks, triggers), the breadcrumbs, and the page shown. */
function ModelsApp(props: { readonly context: IModelsContext }): JSX.Element {
  const { context } = props;
  const { navigation } = context;
  useSignal(navigation.changed);
  const view = navigation.view;
  const tab = tabOf(view);
  const crumbs = crumbsOf(view);
  return (
    <>
      <div className="jp-mlops-header">Model lifecycle</div>
      <div
        className="jp-mlops-tabs"
        role="tablist"
        aria-label="Model lifecycle"
      >
        {TABS.map(([key, label, root]) => (
          <button
            key={key}
            type="button"
            role="tab"
            className="jp-mlops-tab"
            aria-selected={tab === key}
            onClick={() => navigation.go(root)}
          >
            {label}
          </button>
        ))}
      </div>
      {crumbs.length > 0 && (
        <nav className="jp-mlops-crumbs" aria-label="Breadcrumbs">
          {crumbs.map(([label, target], i) => (
            <React.Fragment key={i}>
              <button
                type="button"
                className="jp-mlops-link"
                onClick={() => navigation.go(target)}
              >
                {label}
              </button>
              <span aria-hidden="true"> › </span>
            </React.Fragment>
          ))}
        </nav>
      )}
      <div className="jp-mlops-models-body" role="tabpanel">
        <Page context={context} view={view} />
      </div>
    </>
  );
}

function Page(props: {
  readonly context: IModelsContext;
  readonly view: ModelsView;
}): JSX.Element {
  const { context, view } = props;
  switch (view.kind) {
    case 'models':
      return <ModelList context={context} />;
    case 'model':
      return (
        <ModelPage
          key={view.name}
          context={context}
          name={view.name}
          request={view.request}
        />
      );
    case 'version':
      return (
        <VersionPage
          key={`${view.name}/${view.version}/${view.against ?? ''}`}
          context={context}
          name={view.name}
          version={view.version}
          against={view.against}
        />
      );
    case 'drift':
      return (
        <DriftList
          key={view.model ?? ''}
          context={context}
          model={view.model}
        />
      );
    case 'check':
      return <DriftCheckPage key={view.id} context={context} id={view.id} />;
    case 'triggers':
      return <TriggersPage context={context} />;
  }
}

/**
 * The Models panel of the left sidebar: registered models, their versions, aliases with their
 * timelines, gates, approvals and promotion, lineage, the drift checks and the triggers.
 */
export class ModelsPanel extends ReactWidget {
  constructor(readonly context: IModelsContext) {
    super();
    this.addClass('jp-mlops-sidebar');
    this.addClass('jp-mlops-models');
  }

  /** Load the page shown again when the panel is shown. */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this._shown) {
      this.context.navigation.refresh();
    }
    this._shown = true;
  }

  protected render(): JSX.Element {
    return <ModelsApp context={this.context} />;
  }

  private _shown = false;
}
