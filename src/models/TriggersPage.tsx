/**
 * The Triggers tab of the Models panel: each continuous-training trigger with its condition,
 * whether it is enabled, its last firing and what came of it; enable/disable, remove, and
 * "Evaluate now". Everything shown is plain text (nothing typed by a user becomes HTML).
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { runIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { SmallButton } from '../components/buttons';
import { Time } from '../details/sections';
import { describeError } from '../errors';
import { useRequest } from '../hooks';
import { IOutcome } from './actions';
import { IModelsContext } from './context';
import {
  ADD_COMMAND,
  evaluationText,
  ITriggerRow,
  triggerRows
} from './triggers';
import { LoadError, OutcomeView, PageHeader, PageSection } from './widgets';

function failure(what: string, error: unknown): IOutcome {
  const { summary, action } = describeError(error);
  return {
    changed: false,
    message: `${what}: ${summary} ${action}`,
    tone: 'error'
  };
}

/** The triggers, their last firings, and what can be done with them. */
export function TriggersPage(props: {
  readonly context: IModelsContext;
}): JSX.Element {
  const { context } = props;
  const { client, navigation } = context;
  const notifier = context.triggers ?? null;
  // A new firing notified meanwhile shows at once.
  const [fired, setFired] = React.useState(0);
  React.useEffect(() => {
    if (!notifier) {
      return;
    }
    const slot = () => setFired(n => n + 1);
    notifier.fired.connect(slot);
    return () => {
      notifier.fired.disconnect(slot);
    };
  }, [notifier]);
  const request = useRequest(
    async () => {
      const triggers = await client.triggers();
      notifier?.observe(triggers);
      return triggers;
    },
    'triggers',
    navigation.revision + fired
  );
  const [outcome, setOutcome] = React.useState<IOutcome | null>(null);
  const [busy, setBusy] = React.useState<string | null>(null);
  const [evaluation, setEvaluation] = React.useState<string[]>([]);
  const rows = request.data ? triggerRows(request.data) : null;

  const act = (key: string, run: () => Promise<IOutcome>) => {
    setBusy(key);
    setOutcome(null);
    run()
      .then(result => {
        setOutcome(result);
        if (result.changed) {
          request.reload();
        }
      })
      .finally(() => setBusy(null));
  };

  const toggle = (row: ITriggerRow) =>
    act(`toggle:${row.name}`, () =>
      client.setTriggerEnabled(row.name, !row.enabled).then(
        trigger => ({
          changed: true,
          message: `Trigger ${trigger.name} is ${trigger.enabled ? 'enabled' : 'disabled'}.`,
          tone: 'success' as const
        }),
        error =>
          failure(
            `${row.enabled ? 'Disabling' : 'Enabling'} trigger ${row.name}`,
            error
          )
      )
    );

  const remove = (row: ITriggerRow) =>
    act(`remove:${row.name}`, async () => {
      const answer = await showDialog({
        title: `Remove trigger ${row.name}?`,
        body: `It is no longer evaluated; its firings stay in the lifecycle log. Its condition: ${row.condition}.`,
        buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Remove' })]
      });
      if (!answer.button.accept) {
        return { changed: false };
      }
      try {
        await client.removeTrigger(row.name);
      } catch (error) {
        return failure(`Removing trigger ${row.name}`, error);
      }
      return {
        changed: true,
        message: `Trigger ${row.name} removed.`,
        tone: 'success'
      };
    });

  const evaluate = () =>
    act('evaluate', async () => {
      setEvaluation([]);
      try {
        const { firings } = await client.runMonitor();
        const { summary, lines } = evaluationText(firings);
        setEvaluation(lines);
        return { changed: true, message: summary, tone: 'success' };
      } catch (error) {
        return failure('Evaluating the triggers', error);
      }
    });

  return (
    <div className="jp-mlops-page" aria-label="Triggers">
      <PageHeader
        title="Triggers"
        loading={request.loading}
        onRefresh={request.reload}
      >
        <SmallButton
          icon={runIcon}
          disabled={busy !== null}
          aria-busy={busy === 'evaluate'}
          title="Evaluate every enabled trigger now; those whose condition holds fire and retrain (as mlops-jupyter monitor run --once)"
          onClick={evaluate}
        >
          {busy === 'evaluate' ? 'Evaluating…' : 'Evaluate now'}
        </SmallButton>
      </PageHeader>
      <OutcomeView
        outcome={outcome}
        onDismiss={() => {
          setOutcome(null);
          setEvaluation([]);
        }}
      />
      {evaluation.length > 0 && (
        <ul className="jp-mlops-trigger-evaluation" aria-label="Firings now">
          {evaluation.map((line, i) => (
            <li key={i}>{line}</li>
          ))}
        </ul>
      )}
      {request.error && (
        <LoadError error={request.error} onRetry={request.reload} />
      )}
      {rows && rows.length === 0 && <NoTriggers />}
      {rows && rows.length > 0 && (
        <TriggerList
          rows={rows}
          busy={busy !== null}
          navigation={navigation}
          onToggle={toggle}
          onRemove={remove}
        />
      )}
    </div>
  );
}

/** What the tab says when no trigger is defined: what one is, and how to add one. */
function NoTriggers(): JSX.Element {
  return (
    <div className="jp-mlops-empty">
      <p>
        No trigger is defined. A trigger retrains a pinned notebook when a
        condition holds (a metric threshold, drift, new data or a schedule),
        registers the result, gates it and asks for approval. Add one in a
        terminal:
      </p>
      <pre className="jp-mlops-pre">{ADD_COMMAND}</pre>
    </div>
  );
}

function TriggerList(props: {
  readonly rows: ITriggerRow[];
  readonly busy: boolean;
  readonly navigation: IModelsContext['navigation'];
  readonly onToggle: (row: ITriggerRow) => void;
  readonly onRemove: (row: ITriggerRow) => void;
}): JSX.Element {
  const { navigation } = props;
  return (
    <PageSection title="Defined triggers">
      <ul className="jp-mlops-trigger-list" aria-label="Triggers list">
        {props.rows.map(row => (
          <TriggerItem
            key={row.name}
            row={row}
            busy={props.busy}
            onToggle={() => props.onToggle(row)}
            onRemove={() => props.onRemove(row)}
            openVersion={() =>
              row.version &&
              navigation.go({
                kind: 'version',
                name: row.version.name,
                version: row.version.version
              })
            }
            openRequest={() =>
              row.request &&
              navigation.go({
                kind: 'model',
                name: row.request.name,
                request: row.request.id
              })
            }
          />
        ))}
      </ul>
    </PageSection>
  );
}

function TriggerItem(props: {
  readonly row: ITriggerRow;
  readonly busy: boolean;
  readonly onToggle: () => void;
  readonly onRemove: () => void;
  readonly openVersion: () => void;
  readonly openRequest: () => void;
}): JSX.Element {
  const { row, busy } = props;
  return (
    <li
      className="jp-mlops-trigger"
      data-trigger={row.name}
      aria-label={`Trigger ${row.name}`}
    >
      <div className="jp-mlops-check-head">
        <strong className="jp-mlops-trigger-name">{row.name}</strong>
        <span
          className={`jp-mlops-chip jp-mlops-trigger-state${row.enabled ? '' : ' jp-mod-disabled'}`}
        >
          {row.enabled ? 'enabled' : 'disabled'}
        </span>
        <span className="jp-mlops-spacer" />
        <label className="jp-mlops-reproduce-option">
          <input
            type="checkbox"
            checked={row.enabled}
            disabled={busy}
            onChange={props.onToggle}
          />
          Enabled
        </label>
        <SmallButton variant="warn" disabled={busy} onClick={props.onRemove}>
          Remove
        </SmallButton>
      </div>
      <div>{`model: ${row.model}`}</div>
      <div>{row.condition}</div>
      <div className="jp-mlops-muted">{row.action}</div>
      <div className="jp-mlops-trigger-last">
        {row.firing === null ? (
          <span className="jp-mlops-muted">never fired</span>
        ) : (
          <>
            {'last fired '}
            <Time iso={row.firedAt} />
            {` (event ${row.firing})`}
            {row.cause && (
              <div className="jp-mlops-muted">{`because ${row.cause}`}</div>
            )}
            <div
              className={`jp-mlops-trigger-outcome jp-mod-${row.tone ?? 'pending'}`}
              data-outcome={row.outcome ?? ''}
            >
              <span className="jp-mlops-trigger-outcome-text">
                {row.outcomeText}
              </span>
            </div>
            {(row.version || row.request) && (
              <div className="jp-mlops-trigger-links">
                {row.version && (
                  <button
                    type="button"
                    className="jp-mlops-link"
                    onClick={props.openVersion}
                  >
                    {`Open ${row.version.name}/${row.version.version}`}
                  </button>
                )}
                {row.request && (
                  <>
                    {row.version && ' · '}
                    <button
                      type="button"
                      className="jp-mlops-link"
                      onClick={props.openRequest}
                    >
                      {`Review approval request ${row.request.id}`}
                    </button>
                  </>
                )}
              </div>
            )}
          </>
        )}
      </div>
    </li>
  );
}
