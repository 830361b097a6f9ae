import React from 'react';

import { Mlops } from '../types';
import { DiffersMarker } from './DiffersMarker';
import { Swatch } from './RunList';
import { compareLabels, valueText } from './values';

/** Parameters and metrics of the runs side by side; differing rows are marked. */
export function ValuesTable(props: {
  result: Mlops.ICompareResult;
  onlyDiffs: boolean;
}): JSX.Element {
  const { result, onlyDiffs } = props;
  return (
    <table
      className="jp-mlops-compare-table"
      aria-label="Parameters and metrics"
    >
      <thead>
        <tr>
          <th scope="col">key</th>
          {result.runs.map((run, i) => (
            <th key={run.id} scope="col" title={run.id}>
              <Swatch index={i} />
              {compareLabels(result)[i]}
            </th>
          ))}
        </tr>
      </thead>
      <ValuesSection
        title="Parameters"
        rows={result.params}
        runCount={result.runs.length}
        onlyDiffs={onlyDiffs}
        metric={false}
      />
      <ValuesSection
        title="Metrics"
        rows={result.metrics}
        runCount={result.runs.length}
        onlyDiffs={onlyDiffs}
        metric={true}
      />
    </table>
  );
}

/** The rows of the parameters or of the metrics, under a heading that counts them. */
function ValuesSection(props: {
  title: string;
  rows: Mlops.ICompareRow[];
  runCount: number;
  onlyDiffs: boolean;
  metric: boolean;
}): JSX.Element {
  const { title, rows, runCount, onlyDiffs, metric } = props;
  const shown = onlyDiffs ? rows.filter(r => r.differs) : rows;
  return (
    <tbody>
      <tr className="jp-mlops-compare-section">
        <th colSpan={runCount + 1} scope="rowgroup">
          {`${title} (${shown.length}${onlyDiffs ? ` of ${rows.length}` : ''})`}
        </th>
      </tr>
      {shown.map(row => (
        <tr
          key={`${title}:${row.key}`}
          className={row.differs ? 'jp-mlops-differs' : undefined}
          data-key={row.key}
        >
          <th scope="row">
            {row.differs && <DiffersMarker />}
            {row.key}
          </th>
          {row.values.map((value, i) => (
            <td key={i} className="jp-mlops-num">
              {valueText(value, metric)}
            </td>
          ))}
        </tr>
      ))}
    </tbody>
  );
}
