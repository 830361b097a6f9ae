import { checkIcon, runIcon, userIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { SmallButton } from '../components/buttons';
import { MlopsClient } from '../client';
import { describeError } from '../errors';
import { Mlops } from '../types';
import { askApproval, IOutcome, promote } from './actions';
import { policyWords } from './AliasTimeline';
import { ISideBySide, sideBySide } from './gate';
import { parseRules, rulesText } from './rules';
import { GateBadge, PageSection } from './widgets';

/** Gate a version against an alias with rules typed as text. */
export async function runGate(
  client: MlopsClient,
  name: string,
  version: number,
  alias: string,
  rules: string[]
): Promise<IOutcome> {
  try {
    const result = await client.gate(name, version, {
      against: alias,
      ...(rules.length ? { rules } : {})
    });
    return result.passed
      ? {
          changed: true,
          message: `Gate ${result.gate_id ?? ''} passed against @${alias}.`,
          tone: 'success'
        }
      : {
          changed: true,
          message:
            result.same_eval_data === false
              ? `Gate ${result.gate_id ?? ''} refused to compare: the two versions were evaluated on different data.`
              : `Gate ${result.gate_id ?? ''} failed against @${alias}:`,
          reasons: result.reasons,
          tone: 'error'
        };
  } catch (error) {
    const { summary, action } = describeError(error);
    return { changed: false, message: `${summary} ${action}`, tone: 'error' };
  }
}

/** The aliases a version can be compared with: the model's, the policy's, `champion`. */
export function aliasChoices(
  model: Mlops.IModel,
  policy: Mlops.IPolicy | null
): string[] {
  return [
    ...new Set([
      'champion',
      ...Object.keys(model.aliases),
      ...Object.keys(policy?.aliases ?? {})
    ])
  ].sort();
}

/**
 * Champion vs challenger: this version against the version an alias holds (metrics, changes,
 * same evaluation data ✓/✗, bootstrap intervals), the Gate form, Request approval, Promote.
 */
export function GateView(props: {
  readonly client: MlopsClient;
  readonly model: Mlops.IModel;
  readonly version: Mlops.IModelVersion;
  readonly policy: Mlops.IPolicy | null;
  /** This version's gates, newest first. */
  readonly gates: ReadonlyArray<Mlops.IGateResult>;
  readonly against: string;
  readonly run: (action: () => Promise<IOutcome>) => void;
}): JSX.Element {
  const { client, model, version, policy, gates, run } = props;
  const [alias, setAlias] = React.useState(props.against);
  const holderVersion = model.aliases[alias];
  const holder = model.versions.find(v => v.version === holderVersion) ?? null;
  const gate = gates.find(g => g.against === alias) ?? null;
  const view = sideBySide({ alias, candidate: version, holder, gate });
  const rules = policy?.aliases[alias];
  return (
    <PageSection title="Champion vs challenger" className="jp-mlops-gate-view">
      <label className="jp-mlops-inline-field">
        <span>Compare with</span>
        <select
          className="jp-mod-styled"
          value={alias}
          onChange={e => setAlias(e.target.value)}
        >
          {aliasChoices(model, policy).map(a => (
            <option key={a} value={a}>
              {`@${a}${model.aliases[a] === undefined ? ' (unset)' : ` (v${model.aliases[a]})`}`}
            </option>
          ))}
        </select>
      </label>
      {rules && <div className="jp-mlops-muted">{policyWords(rules)}</div>}
      <SideBySideTable
        view={view}
        alias={alias}
        holder={holderVersion}
        candidate={version.version}
      />
      {gate && <GateBadge gate={gate} />}
      <GateForm
        key={alias}
        initial={rulesText(
          (rules?.rules?.length ? rules.rules : gate?.rules) ?? []
        )}
        onGate={lines =>
          run(() => runGate(client, model.name, version.version, alias, lines))
        }
      />
      <div className="jp-mlops-version-actions">
        {(rules?.approvals ?? 0) > 0 && (
          <SmallButton
            icon={userIcon}
            onClick={() =>
              run(() => askApproval(client, model.name, version.version, alias))
            }
          >
            Request approval…
          </SmallButton>
        )}
        <SmallButton
          variant="accept"
          icon={checkIcon}
          disabled={holderVersion === version.version}
          title={
            holderVersion === version.version
              ? `v${version.version} already holds @${alias}`
              : `Promote v${version.version} to @${alias}`
          }
          onClick={() =>
            run(() => promote(client, model.name, version.version, alias))
          }
        >
          {`Promote to @${alias}…`}
        </SmallButton>
      </div>
    </PageSection>
  );
}

function SideBySideTable(props: {
  readonly view: ISideBySide;
  readonly alias: string;
  readonly holder: number | undefined;
  readonly candidate: number;
}): JSX.Element {
  const { view, alias, holder, candidate } = props;
  return (
    <>
      {view.rows.length === 0 ? (
        <div className="jp-mlops-muted">No metrics to compare.</div>
      ) : (
        <table
          className="jp-mlops-compare-table jp-mlops-side-by-side"
          aria-label="Champion vs challenger"
        >
          <thead>
            <tr>
              <th scope="col">metric</th>
              <th scope="col">{`@${alias}${holder === undefined ? '' : ` v${holder}`}`}</th>
              <th scope="col">{`v${candidate}`}</th>
              <th scope="col">change</th>
            </tr>
          </thead>
          <tbody>
            {view.rows.map(row => (
              <tr key={row.metric} data-metric={row.metric}>
                <th scope="row">
                  {row.passed !== null && (
                    <span
                      className={`jp-mlops-gate-mark jp-mod-${row.passed ? 'passed' : 'failed'}`}
                      title={row.passed ? 'the rule passed' : 'the rule failed'}
                    >
                      {row.passed ? '✓ ' : '✗ '}
                    </span>
                  )}
                  {row.metric}
                </th>
                <td className="jp-mlops-num">{row.holder}</td>
                <td className="jp-mlops-num">{row.candidate}</td>
                <td className="jp-mlops-num">
                  {row.delta}
                  {row.interval && (
                    <div className="jp-mlops-muted">{row.interval}</div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div
        className={`jp-mlops-same-data jp-mod-${view.sameData === null ? 'unknown' : view.sameData ? 'same' : 'different'}`}
      >
        {view.sameDataText}
      </div>
      {view.stale && <div className="jp-mlops-stale">{view.stale}</div>}
    </>
  );
}

/** Rules as text, one per line, checked as typed; Gate sends them. */
function GateForm(props: {
  readonly initial: string;
  readonly onGate: (lines: string[]) => void;
}): JSX.Element {
  const [text, setText] = React.useState(props.initial);
  const parsed = parseRules(text);
  const empty = parsed.lines.length === 0;
  return (
    <form
      className="jp-mlops-gate-form"
      aria-label="Gate"
      onSubmit={event => {
        event.preventDefault();
        if (parsed.errors.length === 0 && !empty) {
          props.onGate(parsed.lines);
        }
      }}
    >
      <label className="jp-mlops-field">
        <span>Rules, one per line</span>
        <textarea
          className="jp-mod-styled jp-mlops-code-input"
          rows={3}
          value={text}
          placeholder="auc:higher,min=0.8,abs=0.01"
          spellCheck={false}
          aria-invalid={parsed.errors.length > 0}
          onChange={e => setText(e.target.value)}
        />
      </label>
      <div className="jp-mlops-form-hint">
        METRIC[:higher|:lower][,min=X][,max=X][,abs=X][,rel=X%]: bounds on this
        version, and its required improvement over the holder.
      </div>
      {parsed.errors.length > 0 && (
        <ul className="jp-mlops-form-problem" role="alert">
          {parsed.errors.map((e, i) => (
            <li key={i}>{e}</li>
          ))}
        </ul>
      )}
      <SmallButton
        type="submit"
        icon={runIcon}
        disabled={parsed.errors.length > 0 || empty}
        title={empty ? 'Type at least one rule' : 'Gate this version'}
      >
        Gate
      </SmallButton>
    </form>
  );
}
