import { launchIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { SmallButton } from '../components/buttons';
import { Mlops } from '../types';
import {
  IVerdictMetricRow,
  nondeterminismText,
  pinLabel,
  verdictMetricRows,
  verdictSummary
} from './reproduction';

/** A verdict's status as a badge: the word, with a colour that only reinforces it. */
export function VerdictBadge(props: {
  status: Mlops.VerdictStatus;
}): JSX.Element {
  return (
    <span className={`jp-mlops-verdict-badge jp-mlops-verdict-${props.status}`}>
      {props.status}
    </span>
  );
}

/** The outcome of a reproduction: badge, causes, metrics side by side, notes, the new run. */
export function VerdictView(props: {
  verdict: Mlops.IVerdict;
  openRun: (id: string) => void;
}): JSX.Element {
  const { verdict, openRun } = props;
  const rows = verdictMetricRows(verdict);
  const nondeterminism = nondeterminismText(verdict.nondeterministic);
  const reproductionId = verdict.reproduction_run_id;
  return (
    <div
      className="jp-mlops-verdict"
      role="group"
      aria-label={`Verdict: ${verdict.status}`}
    >
      <div className="jp-mlops-verdict-head">
        <VerdictBadge status={verdict.status} />
        <span className="jp-mlops-verdict-summary">
          {verdictSummary(verdict)}
        </span>
        {verdict.pin && (
          <span className="jp-mlops-muted">{`(from ${pinLabel(verdict.pin)})`}</span>
        )}
      </div>
      {verdict.causes.length > 0 && (
        <>
          <h4>Likely causes, most likely first</h4>
          <ol className="jp-mlops-verdict-causes" aria-label="Likely causes">
            {verdict.causes.map((cause, i) => (
              <li key={i}>{cause}</li>
            ))}
          </ol>
        </>
      )}
      {rows.length > 0 && <VerdictMetrics rows={rows} />}
      {nondeterminism && (
        <p className="jp-mlops-verdict-note">{nondeterminism}</p>
      )}
      {verdict.notes.length > 0 && (
        <>
          <h4>Notes</h4>
          <ul className="jp-mlops-verdict-notes" aria-label="Notes">
            {verdict.notes.map((note, i) => (
              <li key={i}>{note}</li>
            ))}
          </ul>
        </>
      )}
      {reproductionId && (
        <SmallButton
          icon={launchIcon}
          title={`Open run ${reproductionId}`}
          onClick={() => openRun(reproductionId)}
        >
          Open reproduction run
        </SmallButton>
      )}
    </div>
  );
}

/** The metrics of the original and of the reproduction side by side, unequal ones marked. */
function VerdictMetrics(props: {
  rows: ReadonlyArray<IVerdictMetricRow>;
}): JSX.Element {
  return (
    <table
      className="jp-mlops-compare-table jp-mlops-verdict-metrics"
      aria-label="Metrics: original and reproduced"
    >
      <thead>
        <tr>
          <th scope="col">metric</th>
          <th scope="col">original</th>
          <th scope="col">reproduced</th>
          <th scope="col">equal</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map(row => (
          <tr
            key={row.key}
            data-key={row.key}
            className={row.equal ? undefined : 'jp-mlops-differs'}
          >
            <th scope="row">{row.key}</th>
            <td className="jp-mlops-num">{row.original}</td>
            <td className="jp-mlops-num">{row.reproduced}</td>
            <td>
              {row.equal ? (
                'yes'
              ) : (
                <span className="jp-mlops-differs-marker">differs</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
