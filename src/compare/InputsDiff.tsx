import React from 'react';

import { Breakable } from '../components/Breakable';
import { Mlops } from '../types';
import { DiffersMarker } from './DiffersMarker';
import { compareLabels, inputStatusText } from './values';

/**
 * The inputs the runs read, by path: the start of each run's hash, and whether they read the
 * same content, another one, or only some of them read it.
 */
export function InputsDiff(props: {
  result: Mlops.ICompareResult;
}): JSX.Element {
  const { result } = props;
  const inputs = result.inputs ?? [];
  if (inputs.length === 0) {
    return <div className="jp-mlops-muted">No input recorded.</div>;
  }
  const labels = compareLabels(result);
  return (
    <table
      className="jp-mlops-compare-table jp-mlops-fixed-keys"
      aria-label="Inputs"
    >
      <thead>
        <tr>
          <th scope="col">input</th>
          <th scope="col">status</th>
          {result.runs.map((run, i) => (
            <th key={run.id} scope="col" title={run.id}>
              {labels[i]}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {inputs.map(input => (
          <tr
            key={input.path}
            data-path={input.path}
            data-status={input.status}
            className={input.status === 'same' ? undefined : 'jp-mlops-differs'}
          >
            <th scope="row">
              {input.status !== 'same' && <DiffersMarker />}
              <Breakable text={input.path} />
            </th>
            <td>{inputStatusText(input, labels)}</td>
            {input.values.map((value, i) => (
              <td key={i}>
                <code>
                  {value === null
                    ? '—'
                    : value === ''
                      ? '?'
                      : value.slice(0, 10)}
                </code>
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
