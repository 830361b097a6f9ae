import { launchIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { LinkButton } from '../components/buttons';
import { Time } from '../details/sections';
import { useRequest } from '../hooks';
import { IModelsContext } from '../models/context';
import { LoadError, PageHeader, PageSection } from '../models/widgets';
import { Mlops } from '../types';
import { ColumnDetail } from './Distribution';
import {
  checkTitle,
  IScoreRow,
  newCategoryTexts,
  schemaChangeText,
  scoreRows,
  THRESHOLD_AT,
  verdictSentences,
  verdictText
} from './report';

/**
 * One drift check: the verdict and why in words (never a silent "ok" for too little data),
 * schema changes and new categories named, each column's score against its threshold as a
 * bar; a clicked column shows both distributions overlaid.
 */
export function DriftCheckPage(props: {
  readonly context: IModelsContext;
  readonly id: number;
}): JSX.Element {
  const { context, id } = props;
  const request = useRequest(
    () => context.client.driftCheck(id),
    `check:${id}`,
    context.navigation.revision
  );
  const [column, setColumn] = React.useState<string | null>(null);
  const check = request.data;
  return (
    <div className="jp-mlops-page" aria-label={`Drift check ${id}`}>
      <PageHeader
        title={`Drift check ${id}`}
        loading={request.loading}
        onRefresh={request.reload}
      >
        {check && (
          <span className={`jp-mlops-verdict-chip jp-mod-${check.verdict}`}>
            {verdictText(check.verdict)}
          </span>
        )}
      </PageHeader>
      {request.error && (
        <LoadError error={request.error} onRetry={request.reload} />
      )}
      {!check && !request.error && (
        <div className="jp-mlops-muted">{`Loading drift check ${id}…`}</div>
      )}
      {check && (
        <CheckBody
          check={check}
          column={column}
          onColumn={setColumn}
          openRun={context.openRun}
        />
      )}
    </div>
  );
}

function CheckBody(props: {
  readonly check: Mlops.IDriftCheck;
  readonly column: string | null;
  readonly onColumn: (name: string | null) => void;
  readonly openRun: (id: string) => void;
}): JSX.Element {
  const { check, column, onColumn, openRun } = props;
  const report = check.report ?? null;
  const sentences = verdictSentences(check.verdict, report?.reasons ?? []);
  const changes = report?.schema_changes ?? check.schema_changes ?? [];
  const newCategories = newCategoryTexts(
    report?.new_categories ?? check.new_categories ?? {}
  );
  const rows = scoreRows(report?.columns ?? check.columns ?? {});
  const chosen = column && report?.columns[column] ? column : null;
  return (
    <>
      <div className="jp-mlops-check-about">
        <div className="jp-mlops-check-title">{checkTitle(check)}</div>
        <div className="jp-mlops-muted">
          {`by ${check.actor} · `}
          <Time iso={check.at} />
          {check.reference?.version &&
            ` · reference: the data of ${check.reference.version}`}
        </div>
        {check.reference?.run_id && (
          <LinkButton
            icon={launchIcon}
            title={`Open the reference run ${check.reference.run_id}`}
            onClick={() => openRun(check.reference.run_id!)}
          >
            {`reference run ${check.reference.run_id.slice(0, 8)}${check.reference.name ? ` (frame ${check.reference.name})` : ''}`}
          </LinkButton>
        )}
      </div>
      <div
        className={`jp-mlops-verdict-words jp-mod-${check.verdict}`}
        role="status"
        aria-label="Verdict"
      >
        {sentences.map((s, i) => (
          <p key={i}>{s}</p>
        ))}
      </div>
      {changes.length > 0 && (
        <PageSection title="Schema changes">
          <ul aria-label="Schema changes">
            {changes.map((c, i) => (
              <li key={i}>{schemaChangeText(c)}</li>
            ))}
          </ul>
        </PageSection>
      )}
      {newCategories.length > 0 && (
        <PageSection title="New categories">
          <ul aria-label="New categories">
            {newCategories.map((c, i) => (
              <li key={i}>{c}</li>
            ))}
          </ul>
        </PageSection>
      )}
      <PageSection title="Columns: score against threshold">
        <ScoreTable rows={rows} chosen={chosen} onChoose={onColumn} />
        {!report && (
          <div className="jp-mlops-muted">
            The full report of this check cannot be read: distributions are not
            shown.
          </div>
        )}
      </PageSection>
      {chosen && report && (
        <ColumnDetail name={chosen} column={report.columns[chosen]} />
      )}
    </>
  );
}

/** Each column's score as a bar against its threshold (the marks line up down the column). */
function ScoreTable(props: {
  readonly rows: ReadonlyArray<IScoreRow>;
  readonly chosen: string | null;
  readonly onChoose: (name: string | null) => void;
}): JSX.Element {
  const { rows, chosen, onChoose } = props;
  return (
    <table
      className="jp-mlops-score-table"
      aria-label="Scores against thresholds"
    >
      <thead>
        <tr>
          <th scope="col">column</th>
          <th scope="col">score / threshold</th>
          <th scope="col">status</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(row => (
          <tr
            key={row.name}
            data-column={row.name}
            className={`jp-mod-${row.status}${row.name === chosen ? ' jp-mod-chosen' : ''}`}
          >
            <th scope="row">
              {row.hasDistribution ? (
                <button
                  type="button"
                  className="jp-mlops-link"
                  aria-pressed={row.name === chosen}
                  title={`Show both distributions of ${row.name}`}
                  onClick={() =>
                    onChoose(row.name === chosen ? null : row.name)
                  }
                >
                  {row.name}
                </button>
              ) : (
                row.name
              )}
              {row.critical && (
                <span className="jp-mlops-muted"> critical</span>
              )}
            </th>
            <td>
              {row.bar ? (
                <div
                  className="jp-mlops-score-track"
                  role="img"
                  aria-label={`${row.name}: score ${row.score}, threshold ${row.threshold}`}
                  title={`${row.method}: ${row.score} (threshold ${row.threshold})`}
                >
                  <span
                    className={`jp-mlops-score-bar jp-mod-${row.status}`}
                    style={{ width: `${row.bar.width}%` }}
                  />
                  <span
                    className="jp-mlops-threshold-mark"
                    style={{ left: `${THRESHOLD_AT}%` }}
                  />
                  {row.bar.clipped && (
                    <span className="jp-mlops-score-clip" aria-hidden="true">
                      ▸
                    </span>
                  )}
                </div>
              ) : null}
              <div className="jp-mlops-score-text">
                {`${row.score} / ${row.threshold}`}
              </div>
            </td>
            <td>
              <span className={`jp-mlops-column-status jp-mod-${row.status}`}>
                {row.statusText}
              </span>
              {row.reason && (
                <div className="jp-mlops-column-reason">{row.reason}</div>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
