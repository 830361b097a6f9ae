import React from 'react';

import { Mlops } from '../types';
import { PageSection } from '../models/widgets';
import {
  columnFacts,
  distributionBins,
  methodText,
  sharePercent,
  statusText
} from './report';

/**
 * A column's two distributions overlaid, bin by bin (a histogram on the reference's decile
 * bins for numbers, the top categories with OTHER and NEW for the others): the reference as an
 * outlined bar, the batch as a filled one on the same track, both shares written beside.
 */
export function ColumnDetail(props: {
  readonly name: string;
  readonly column: Mlops.IDriftColumn;
}): JSX.Element {
  const { name, column } = props;
  const distribution = distributionBins(column);
  const facts = columnFacts(column);
  return (
    <PageSection title={`Column ${name}`} className="jp-mlops-column-detail">
      <div>{`${methodText(column.method)}: ${statusText(column.status)}`}</div>
      {column.reason && (
        <div className="jp-mlops-column-reason">{column.reason}</div>
      )}
      <ul className="jp-mlops-facts">
        {facts.map((f, i) => (
          <li key={i}>{f}</li>
        ))}
      </ul>
      {distribution && (
        <figure className="jp-mlops-distribution">
          <figcaption>
            {distribution.kind === 'numeric'
              ? `Histogram on the reference’s decile bins`
              : 'Top categories'}
            <span className="jp-mlops-legend">
              <span className="jp-mlops-legend-reference" aria-hidden="true" />
              reference
              <span className="jp-mlops-legend-batch" aria-hidden="true" />
              batch
            </span>
          </figcaption>
          <table
            className="jp-mlops-distribution-table"
            aria-label={`Distributions of ${name}`}
          >
            <thead>
              <tr>
                <th scope="col">
                  {distribution.kind === 'numeric' ? 'bin' : 'category'}
                </th>
                <th scope="col">
                  <span className="jp-mlops-visually-hidden">bars</span>
                </th>
                <th scope="col">reference</th>
                <th scope="col">batch</th>
              </tr>
            </thead>
            <tbody>
              {distribution.bins.map((bin, i) => (
                <tr key={i}>
                  <th scope="row">{bin.label}</th>
                  <td className="jp-mlops-dist-track" aria-hidden="true">
                    <span
                      className="jp-mlops-dist-reference"
                      style={{
                        width: `${scale(bin.reference, distribution.max)}%`
                      }}
                    />
                    <span
                      className="jp-mlops-dist-batch"
                      style={{
                        width: `${scale(bin.batch, distribution.max)}%`
                      }}
                    />
                  </td>
                  <td className="jp-mlops-num">
                    {sharePercent(bin.reference)}
                  </td>
                  <td className="jp-mlops-num">{sharePercent(bin.batch)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {distribution.hidden > 0 && (
            <div className="jp-mlops-muted">{`${distribution.hidden} smaller categories not shown`}</div>
          )}
        </figure>
      )}
    </PageSection>
  );
}

function scale(value: number, max: number): number {
  return max > 0 ? (100 * value) / max : 0;
}
