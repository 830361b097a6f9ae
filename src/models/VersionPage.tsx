import { downloadIcon, editIcon, launchIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { Breakable } from '../components/Breakable';
import { LinkButton, SmallButton } from '../components/buttons';
import { MlopsClient } from '../client';
import { Time } from '../details/sections';
import { KeyValues } from '../details/Section';
import { formatBytes, formatMetric, formatValue } from '../format';
import { useRequest } from '../hooks';
import { Mlops } from '../types';
import { moveAlias, vote } from './actions';
import { IModelsContext } from './context';
import { GateView } from './GateView';
import { LineageView } from './LineageView';
import { useAction } from './ModelPage';
import { RequestList } from './Requests';
import {
  AliasChips,
  GateBadge,
  LoadError,
  OutcomeView,
  PageHeader,
  PageSection
} from './widgets';

/** Everything a version's page shows. */
export interface IVersionPageData {
  readonly detail: Mlops.IVersionDetail;
  readonly model: Mlops.IModel;
  readonly policy: Mlops.IPolicy | null;
  readonly approvals: Mlops.IApprovalList;
  /** This version's gates, newest first. */
  readonly gates: Mlops.IGateResult[];
}

/** Load a version with its model (aliases, the holders' metrics), policy, requests, gates. */
export async function loadVersionPage(
  client: MlopsClient,
  name: string,
  version: number
): Promise<IVersionPageData> {
  const [detail, model, policy, approvals, gates] = await Promise.all([
    client.modelVersion(name, version),
    client.model(name),
    client.policy(name).catch(() => null),
    client.approvals({ name }),
    client.gates(name, { version })
  ]);
  return { detail, model, policy, approvals, gates };
}

/**
 * A version: champion vs challenger with Gate, Request approval and Promote; its approval
 * requests; its files (downloads); the run that made it; its lineage.
 */
export function VersionPage(props: {
  readonly context: IModelsContext;
  readonly name: string;
  readonly version: number;
  readonly against?: string;
}): JSX.Element {
  const { context, name, version } = props;
  const { client, navigation } = context;
  const request = useRequest(
    () => loadVersionPage(client, name, version),
    `version:${name}/${version}`,
    navigation.revision
  );
  const action = useAction(context);
  const data = request.data;
  const listed = data?.model.versions.find(v => v.version === version);
  return (
    <div
      className="jp-mlops-page"
      aria-label={`Model ${name} version ${version}`}
    >
      <PageHeader
        title={`${name} v${version}`}
        loading={request.loading}
        onRefresh={request.reload}
      >
        {data && <AliasChips aliases={data.detail.aliases} />}
      </PageHeader>
      {request.error && (
        <LoadError error={request.error} onRetry={request.reload} />
      )}
      {!data && !request.error && (
        <div className="jp-mlops-muted">{`Loading ${name} v${version}…`}</div>
      )}
      <OutcomeView outcome={action.outcome} onDismiss={action.dismiss} />
      {data && listed && (
        <>
          <GateBadge gate={listed.gate} />
          <div className="jp-mlops-version-actions">
            <SmallButton
              icon={editIcon}
              onClick={() =>
                action.run(() =>
                  moveAlias(client, {
                    name,
                    version,
                    aliases: data.model.aliases,
                    policy: data.policy
                  })
                )
              }
            >
              Move alias here…
            </SmallButton>
          </div>
          <GateView
            client={client}
            model={data.model}
            version={listed}
            policy={data.policy}
            gates={data.gates}
            against={props.against ?? listed.gate?.against ?? 'champion'}
            run={action.run}
          />
          <PageSection title="Approval requests">
            <RequestList
              requests={data.approvals.requests.filter(
                r => r.version === version
              )}
              user={data.approvals.user}
              policy={data.policy}
              onVote={(r, approve) =>
                action.run(() => vote(client, r, approve))
              }
            />
          </PageSection>
          <FilesSection client={client} detail={data.detail} />
          <RunSection detail={data.detail} openRun={context.openRun} />
          <PageSection title="Lineage">
            <LineageView
              context={context}
              name={name}
              version={version}
              aliases={data.detail.aliases}
            />
          </PageSection>
          <AboutSection detail={data.detail} />
        </>
      )}
    </div>
  );
}

/** The version's files, each downloaded as an attachment (never shown in the browser). */
function FilesSection(props: {
  readonly client: MlopsClient;
  readonly detail: Mlops.IVersionDetail;
}): JSX.Element {
  const { client, detail } = props;
  return (
    <PageSection title={`Files (${detail.manifest.length})`}>
      {detail.manifest_error && (
        <div className="jp-mlops-error" role="alert">
          {`The manifest cannot be read: ${detail.manifest_error}`}
        </div>
      )}
      <table
        className="jp-mlops-compare-table jp-mlops-model-files"
        aria-label="Files"
      >
        <thead>
          <tr>
            <th scope="col">path</th>
            <th scope="col">size</th>
            <th scope="col">format</th>
            <th scope="col">
              <span className="jp-mlops-visually-hidden">download</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {detail.manifest.map((file, index) => (
            <tr key={index} data-path={file.path}>
              <th scope="row" title={`sha256 ${file.sha256}`}>
                <Breakable text={file.path} />
                <div className="jp-mlops-muted">
                  <code>{`sha256 ${file.sha256.slice(0, 12)}…`}</code>
                </div>
              </th>
              <td className="jp-mlops-num">{formatBytes(file.size)}</td>
              <td>
                {file.flavor !== file.format
                  ? `${file.format} (${file.flavor})`
                  : file.format}
              </td>
              <td>
                <a
                  className="jp-mlops-download"
                  href={client.modelFileUrl(detail.name, detail.version, index)}
                  download={file.path.split('/').pop()}
                  title={`Download ${file.path}`}
                  aria-label={`Download ${file.path}`}
                >
                  <downloadIcon.react tag="span" elementSize="small" />
                  Download
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </PageSection>
  );
}

/** The run that produced the version: a link to its details, its parameters and metrics. */
function RunSection(props: {
  readonly detail: Mlops.IVersionDetail;
  readonly openRun: (id: string) => void;
}): JSX.Element {
  const run = props.detail.run;
  return (
    <PageSection title="Producing run">
      {!run ? (
        <div className="jp-mlops-muted">
          Registered from files, not from a run.
        </div>
      ) : run.missing ? (
        <div className="jp-mlops-muted">{`Run ${run.id} cannot be found any more.`}</div>
      ) : (
        <>
          <LinkButton
            icon={launchIcon}
            title={`Open the details of run ${run.id}`}
            onClick={() => props.openRun(run.id)}
          >
            {`${run.name || run.id.slice(0, 8)} (${run.id.slice(0, 8)})`}
          </LinkButton>
          <KeyValues
            label="Producing run"
            rows={[
              ['status', run.status ?? ''],
              ['experiment', run.experiment ?? ''],
              ...Object.entries(run.params ?? {}).map(
                ([k, v]) => [`param ${k}`, formatValue(v)] as [string, string]
              ),
              ...Object.entries(run.metrics ?? {}).map(
                ([k, v]) => [`metric ${k}`, formatMetric(v)] as [string, string]
              )
            ]}
          />
        </>
      )}
    </PageSection>
  );
}

/** Flavor, signature, description, tags, who registered it and when, the manifest's hash. */
function AboutSection(props: {
  readonly detail: Mlops.IVersionDetail;
}): JSX.Element {
  const { detail } = props;
  const inputs = detail.signature?.inputs ?? [];
  return (
    <PageSection title="About this version">
      <KeyValues
        label="About this version"
        rows={[
          ['flavor', detail.flavor],
          ['size', formatBytes(detail.size)],
          ['registered by', detail.created_by],
          ['registered', <Time key="at" iso={detail.created_at} />],
          ['description', detail.description || '—'],
          [
            'signature',
            inputs.length
              ? inputs
                  .map(i => `${i.name}${i.dtype ? `: ${i.dtype}` : ''}`)
                  .join(', ')
              : '—'
          ],
          ...Object.entries(detail.tags ?? {}).map(
            ([k, v]) => [`tag ${k}`, v] as [string, string]
          ),
          ['manifest sha256', detail.manifest_sha256]
        ]}
      />
    </PageSection>
  );
}
