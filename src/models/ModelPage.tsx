import { editIcon, tableRowsIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { SmallButton } from '../components/buttons';
import { MlopsClient } from '../client';
import { Time } from '../details/sections';
import { checkTitle, verdictText } from '../drift/report';
import { useRequest } from '../hooks';
import { Mlops } from '../types';
import { IOutcome, moveAlias, rollbackAlias, vote } from './actions';
import { AliasesView } from './AliasTimeline';
import { IModelsContext } from './context';
import { WaitingBanner } from './ModelList';
import { RequestList } from './Requests';
import {
  AliasChips,
  GateBadge,
  LoadError,
  metricsLine,
  OutcomeView,
  PageHeader,
  PageSection
} from './widgets';

/** Everything a model's page shows. */
export interface IModelPageData {
  readonly model: Mlops.IModel;
  /** The effective policy (null when it cannot be read). */
  readonly policy: Mlops.IPolicy | null;
  readonly approvals: Mlops.IApprovalList;
  readonly checks: Mlops.IDriftCheck[];
}

/** Load a model with its policy, approval requests and latest drift checks. */
export async function loadModelPage(
  client: MlopsClient,
  name: string
): Promise<IModelPageData> {
  const [model, policy, approvals, checks] = await Promise.all([
    client.model(name),
    client.policy(name).catch(() => null),
    client.approvals({ name }),
    client.driftChecks({ model: name, limit: 5 }).catch(() => [])
  ]);
  return { model, policy, approvals, checks };
}

/**
 * Runs an action and shows its outcome; when something changed, every view loads again (and
 * the requests waiting for the user are looked at again).
 */
export function useAction(context: IModelsContext): {
  outcome: IOutcome | null;
  dismiss: () => void;
  run: (action: () => Promise<IOutcome>) => void;
} {
  const [outcome, setOutcome] = React.useState<IOutcome | null>(null);
  return {
    outcome,
    dismiss: () => setOutcome(null),
    run: action => {
      void action().then(result => {
        if (result.message || result.changed) {
          setOutcome(result.message ? result : null);
        }
        if (result.changed) {
          context.navigation.refresh();
          void context.notifier?.refresh();
        }
      });
    }
  };
}

/** A model: aliases with their timelines, versions, approval requests, drift checks. */
export function ModelPage(props: {
  readonly context: IModelsContext;
  readonly name: string;
  readonly request?: string;
}): JSX.Element {
  const { context, name } = props;
  const { client, navigation } = context;
  const request = useRequest(
    () => loadModelPage(client, name),
    `model:${name}`,
    navigation.revision
  );
  const action = useAction(context);
  const data = request.data;
  return (
    <div className="jp-mlops-page" aria-label={`Model ${name}`}>
      <PageHeader
        title={name}
        loading={request.loading}
        onRefresh={request.reload}
      />
      {request.error && (
        <LoadError error={request.error} onRetry={request.reload} />
      )}
      {!data && !request.error && (
        <div className="jp-mlops-muted">{`Loading ${name}…`}</div>
      )}
      <OutcomeView outcome={action.outcome} onDismiss={action.dismiss} />
      {data && (
        <ModelSections
          context={context}
          data={data}
          highlight={props.request}
          run={action.run}
        />
      )}
    </div>
  );
}

function ModelSections(props: {
  readonly context: IModelsContext;
  readonly data: IModelPageData;
  readonly highlight?: string;
  readonly run: (action: () => Promise<IOutcome>) => void;
}): JSX.Element {
  const { context, data, highlight, run } = props;
  const { client, navigation } = context;
  const { model, policy, approvals } = data;
  return (
    <>
      {model.description && (
        <div className="jp-mlops-muted">{model.description}</div>
      )}
      <WaitingBanner context={context} model={model.name} />
      <PageSection title="Aliases">
        <AliasesView
          context={context}
          model={model}
          policy={policy}
          onRollback={(alias, holder, target) =>
            run(() =>
              rollbackAlias(client, { name: model.name, alias, holder, target })
            )
          }
        />
      </PageSection>
      <PageSection title={`Versions (${model.versions.length})`}>
        <ul className="jp-mlops-versions" aria-label="Versions">
          {model.versions.map(version => (
            <VersionCard
              key={version.version}
              version={version}
              onOpen={against =>
                navigation.go({
                  kind: 'version',
                  name: model.name,
                  version: version.version,
                  against
                })
              }
              onMove={() =>
                run(() =>
                  moveAlias(client, {
                    name: model.name,
                    version: version.version,
                    aliases: model.aliases,
                    policy
                  })
                )
              }
            />
          ))}
        </ul>
      </PageSection>
      <PageSection
        title="Approval requests"
        actions={
          <span className="jp-mlops-muted">{`you are ${approvals.user}`}</span>
        }
      >
        <RequestList
          requests={approvals.requests}
          user={approvals.user}
          policy={policy}
          highlight={highlight}
          onVote={(r, approve) => run(() => vote(client, r, approve))}
        />
      </PageSection>
      <DriftChecks context={context} name={model.name} checks={data.checks} />
    </>
  );
}

/** A version: its number, alias chips, gate badge, facts, metrics and actions. */
function VersionCard(props: {
  readonly version: Mlops.IModelVersion;
  readonly onOpen: (against?: string) => void;
  readonly onMove: () => void;
}): JSX.Element {
  const { version, onOpen, onMove } = props;
  const metrics = metricsLine(version.metrics);
  return (
    <li
      className="jp-mlops-version"
      data-version={version.version}
      aria-label={`Version ${version.version}`}
    >
      <div className="jp-mlops-version-head">
        <button
          type="button"
          className="jp-mlops-version-name"
          title={`Open version ${version.version}: files, lineage, gate`}
          onClick={() => onOpen()}
        >
          {`v${version.version}`}
        </button>
        <AliasChips aliases={version.aliases} />
      </div>
      <GateBadge gate={version.gate} />
      <div className="jp-mlops-muted">
        {`${version.flavor} · ${version.files} file${version.files === 1 ? '' : 's'} · by ${version.created_by} · `}
        <Time iso={version.created_at} />
      </div>
      {metrics && <div className="jp-mlops-version-metrics">{metrics}</div>}
      {version.run_missing && (
        <div className="jp-mlops-muted">The producing run cannot be read.</div>
      )}
      <div className="jp-mlops-version-actions">
        <SmallButton icon={editIcon} onClick={onMove}>
          Move alias here…
        </SmallButton>
        <SmallButton
          icon={tableRowsIcon}
          title="Champion vs challenger: this version against an alias's holder, gate, approval, promotion"
          onClick={() => onOpen(version.gate?.against ?? 'champion')}
        >
          Gate and promote…
        </SmallButton>
      </div>
    </li>
  );
}

/** The model's latest drift checks, each opening its report. */
function DriftChecks(props: {
  readonly context: IModelsContext;
  readonly name: string;
  readonly checks: ReadonlyArray<Mlops.IDriftCheck>;
}): JSX.Element {
  const { context, name, checks } = props;
  const go = context.navigation.go.bind(context.navigation);
  return (
    <PageSection
      title="Drift checks"
      actions={
        <SmallButton onClick={() => go({ kind: 'drift', model: name })}>
          All checks…
        </SmallButton>
      }
    >
      {checks.length === 0 ? (
        <div className="jp-mlops-muted">
          No drift check of this model yet: check a batch in the Drift tab.
        </div>
      ) : (
        <ul
          className="jp-mlops-check-list"
          aria-label={`Drift checks of ${name}`}
        >
          {checks.map(check => (
            <li key={check.check_id}>
              <span className={`jp-mlops-verdict-chip jp-mod-${check.verdict}`}>
                {verdictText(check.verdict)}
              </span>
              <button
                type="button"
                className="jp-mlops-link"
                onClick={() => go({ kind: 'check', id: check.check_id })}
              >
                {checkTitle(check)}
              </button>
              <span className="jp-mlops-muted">
                <Time iso={check.at} />
              </span>
            </li>
          ))}
        </ul>
      )}
    </PageSection>
  );
}
