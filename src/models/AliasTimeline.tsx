import { historyIcon, undoIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { SmallButton } from '../components/buttons';
import { Time } from '../details/sections';
import { useRequest } from '../hooks';
import { Mlops } from '../types';
import { IModelsContext } from './context';
import { rollbackTarget, timelineEntries } from './timeline';
import { AliasChip, LoadError } from './widgets';

/**
 * A model's aliases: each with the version it holds (a click shows its timeline), and the
 * timeline of the chosen one, oldest move first, with Roll back.
 */
export function AliasesView(props: {
  readonly context: IModelsContext;
  readonly model: Mlops.IModel;
  readonly policy: Mlops.IPolicy | null;
  readonly onRollback: (
    alias: string,
    holder: number | null,
    target: number | null | undefined
  ) => void;
}): JSX.Element {
  const { context, model, policy, onRollback } = props;
  const aliases = Object.entries(model.aliases).sort(([a], [b]) =>
    a.localeCompare(b)
  );
  const [chosen, setChosen] = React.useState<string | null>(null);
  const shown =
    chosen && chosen in model.aliases ? chosen : (aliases[0]?.[0] ?? null);
  if (aliases.length === 0) {
    return (
      <div className="jp-mlops-muted">
        No alias yet: point one at a version with “Move alias here…”.
      </div>
    );
  }
  return (
    <>
      <ul className="jp-mlops-aliases" aria-label="Aliases">
        {aliases.map(([alias, version]) => {
          const rules = policy?.aliases[alias];
          return (
            <li key={alias} data-alias={alias}>
              <button
                type="button"
                className="jp-mlops-alias-button"
                aria-pressed={alias === shown}
                title={`Show the timeline of @${alias}`}
                onClick={() => setChosen(alias)}
              >
                <AliasChip
                  alias={alias}
                  version={version}
                  protected={rules?.protected}
                />
              </button>
              <span className="jp-mlops-muted">{policyWords(rules)}</span>
            </li>
          );
        })}
      </ul>
      {shown && (
        <Timeline
          context={context}
          name={model.name}
          alias={shown}
          holder={model.aliases[shown] ?? null}
          onRollback={onRollback}
        />
      )}
    </>
  );
}

/** What moving to an alias takes under the policy, in a few words. */
export function policyWords(rules: Mlops.IAliasPolicy | undefined): string {
  if (!rules) {
    return '';
  }
  const needs = [
    rules.gate ? 'a passing gate' : '',
    rules.approvals ? `${rules.approvals} approval(s)` : ''
  ].filter(Boolean);
  const parts = [
    rules.protected ? 'protected: moves by Promote' : '',
    needs.length ? `promotion needs ${needs.join(' and ')}` : ''
  ].filter(Boolean);
  return parts.join('; ');
}

function Timeline(props: {
  readonly context: IModelsContext;
  readonly name: string;
  readonly alias: string;
  readonly holder: number | null;
  readonly onRollback: (
    alias: string,
    holder: number | null,
    target: number | null | undefined
  ) => void;
}): JSX.Element {
  const { context, name, alias, holder, onRollback } = props;
  const request = useRequest(
    () => context.client.history(name, alias),
    `history:${name}\u0000${alias}`,
    context.navigation.revision
  );
  const events = request.data ?? [];
  const target = rollbackTarget(events);
  const entries = timelineEntries(events);
  return (
    <div className="jp-mlops-timeline-box">
      <div className="jp-mlops-page-section-head">
        <h4>
          <historyIcon.react tag="span" elementSize="small" />
          {` Timeline of @${alias}`}
        </h4>
        <SmallButton
          variant="warn"
          icon={undoIcon}
          disabled={request.data !== null && target === undefined}
          title={
            target === undefined
              ? `@${alias} never pointed elsewhere: nothing to roll back to`
              : `Move @${alias} back to ${target === null ? 'none' : `v${target}`}`
          }
          onClick={() => onRollback(alias, holder, target)}
        >
          Roll back…
        </SmallButton>
      </div>
      {request.error && (
        <LoadError error={request.error} onRetry={request.reload} />
      )}
      <ol className="jp-mlops-timeline" aria-label={`Timeline of @${alias}`}>
        {entries.map(entry => (
          <li
            key={entry.seq}
            className={`jp-mlops-timeline-entry jp-mlops-event-${entry.kind}${entry.current ? ' jp-mod-current' : ''}`}
          >
            <div className="jp-mlops-timeline-title">{entry.title}</div>
            <div className="jp-mlops-muted">
              {`by ${entry.actor} · `}
              <Time iso={entry.at} />
            </div>
            {entry.reason && (
              <div className="jp-mlops-quote">{`“${entry.reason}”`}</div>
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}
