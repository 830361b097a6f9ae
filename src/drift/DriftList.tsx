import { searchIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { SmallButton } from '../components/buttons';
import { Time } from '../details/sections';
import { describeError } from '../errors';
import { formatNumber } from '../format';
import { useRequest } from '../hooks';
import { IModelsContext } from '../models/context';
import {
  LoadError,
  OutcomeView,
  PageHeader,
  PageSection
} from '../models/widgets';
import { IOutcome } from '../models/actions';
import { Mlops } from '../types';
import { checkTitle, verdictText } from './report';

/** The recorded drift checks, newest first, and a form checking a file. */
export function DriftList(props: {
  readonly context: IModelsContext;
  readonly model?: string;
}): JSX.Element {
  const { context, model } = props;
  const { client, navigation } = context;
  const request = useRequest(
    () => client.driftChecks({ model, limit: 100 }),
    `drift:${model ?? ''}`,
    navigation.revision
  );
  const checks = request.data;
  return (
    <div className="jp-mlops-page" aria-label="Drift checks">
      <PageHeader
        title={model ? `Drift checks of ${model}` : 'Drift checks'}
        loading={request.loading}
        onRefresh={request.reload}
      />
      {model && (
        <SmallButton onClick={() => navigation.go({ kind: 'drift' })}>
          Show every model’s checks
        </SmallButton>
      )}
      <CheckForm
        context={context}
        defaultAgainst={model ? `${model}@champion` : ''}
      />
      <PageSection title="Recorded checks">
        {request.error && (
          <LoadError error={request.error} onRetry={request.reload} />
        )}
        {checks && checks.length === 0 && (
          <div className="jp-mlops-empty">
            No drift check recorded yet. Check a file above, call
            mlops_jupyter.drift(df, against=&quot;NAME@champion&quot;) in a
            notebook, or run mlops-jupyter drift check.
          </div>
        )}
        {checks && checks.length > 0 && (
          <ul
            className="jp-mlops-check-list"
            aria-label="Recorded drift checks"
          >
            {checks.map(check => (
              <CheckItem
                key={check.check_id}
                check={check}
                onOpen={() =>
                  navigation.go({ kind: 'check', id: check.check_id })
                }
              />
            ))}
          </ul>
        )}
      </PageSection>
    </div>
  );
}

function CheckItem(props: {
  readonly check: Mlops.IDriftCheck;
  readonly onOpen: () => void;
}): JSX.Element {
  const { check, onOpen } = props;
  const drifted = check.drifted_columns ?? [];
  return (
    <li className="jp-mlops-check-item" data-check={check.check_id}>
      <div className="jp-mlops-check-head">
        <span className={`jp-mlops-verdict-chip jp-mod-${check.verdict}`}>
          {verdictText(check.verdict)}
        </span>
        <button type="button" className="jp-mlops-link" onClick={onOpen}>
          {checkTitle(check)}
        </button>
      </div>
      <div className="jp-mlops-muted">
        {`check ${check.check_id} · by ${check.actor} · `}
        <Time iso={check.at} />
        {check.reference?.version
          ? ` · reference ${check.reference.version}`
          : ''}
      </div>
      {drifted.length > 0 && (
        <div>
          {`drifted: ${drifted.join(', ')}`}
          {typeof check.drift_share === 'number' &&
            ` (${formatNumber(Number((check.drift_share * 100).toFixed(1)))} % of compared columns)`}
        </div>
      )}
    </li>
  );
}

/** Check a .csv or .parquet file under the server's root against a model or run. */
function CheckForm(props: {
  readonly context: IModelsContext;
  readonly defaultAgainst: string;
}): JSX.Element {
  const { context } = props;
  const [file, setFile] = React.useState('');
  const [against, setAgainst] = React.useState(props.defaultAgainst);
  const [busy, setBusy] = React.useState(false);
  const [outcome, setOutcome] = React.useState<IOutcome | null>(null);
  const ready = file.trim() !== '' && against.trim() !== '' && !busy;
  const submit = () => {
    setBusy(true);
    setOutcome(null);
    context.client
      .checkDrift({ file: file.trim(), against: against.trim() })
      .then(check => {
        context.navigation.go({ kind: 'check', id: check.check_id });
      })
      .catch(error => {
        const { summary, action } = describeError(error);
        setOutcome({
          changed: false,
          message: `${summary} ${action}`,
          tone: 'error'
        });
      })
      .finally(() => setBusy(false));
  };
  return (
    <PageSection title="Check a file">
      <form
        className="jp-mlops-check-form"
        aria-label="Check a file"
        onSubmit={event => {
          event.preventDefault();
          if (ready) {
            submit();
          }
        }}
      >
        <label className="jp-mlops-field">
          <span>File (.csv or .parquet, relative to the server’s root)</span>
          <input
            className="jp-mod-styled"
            value={file}
            placeholder="data/april.csv"
            onChange={e => setFile(e.target.value)}
          />
        </label>
        <label className="jp-mlops-field">
          <span>Against (NAME@alias, NAME/VERSION or a run id)</span>
          <input
            className="jp-mod-styled"
            value={against}
            placeholder="churn@champion"
            onChange={e => setAgainst(e.target.value)}
          />
        </label>
        <SmallButton
          type="submit"
          variant="accept"
          icon={searchIcon}
          disabled={!ready}
        >
          {busy ? 'Checking…' : 'Check'}
        </SmallButton>
      </form>
      <OutcomeView outcome={outcome} onDismiss={() => setOutcome(null)} />
    </PageSection>
  );
}
