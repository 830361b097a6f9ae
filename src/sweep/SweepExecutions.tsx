import React from 'react';

import { LinkButton } from '../components/buttons';
import { shortId } from '../format';
import { Mlops } from '../types';
import { executionLabel } from './sweeps';

/** The executions of a sweep: parameters, status and links to the runs they recorded. */
export function SweepExecutions(props: {
  sweep: Mlops.ISweep;
  openRun: (id: string) => void;
}): JSX.Element {
  const { sweep, openRun } = props;
  const executions = [...sweep.executions].sort((a, b) => a.index - b.index);
  return (
    <table
      className="jp-mlops-compare-table jp-mlops-sweep-executions"
      aria-label="Sweep executions"
    >
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">parameters</th>
          <th scope="col">status</th>
          <th scope="col">runs</th>
        </tr>
      </thead>
      <tbody>
        {executions.map(execution => (
          <tr key={execution.index} data-status={execution.status}>
            <td className="jp-mlops-num">{execution.index + 1}</td>
            <td>{executionLabel(execution)}</td>
            <td title={execution.error ?? undefined}>
              {execution.error
                ? `${execution.status}: ${execution.error}`
                : execution.status}
            </td>
            <td>
              {execution.run_ids.map(id => (
                <LinkButton
                  key={id}
                  title={`Open run ${id}`}
                  onClick={() => openRun(id)}
                >
                  {shortId(id)}
                </LinkButton>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
