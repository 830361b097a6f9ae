import React from 'react';

import { LinkButton } from '../components/buttons';
import { shortId } from '../format';
import { Mlops } from '../types';
import { executionRows, resultMetrics, sweptParams } from './sweeps';

/**
 * The results of a sweep: a row per execution with the values it swept, its status, the key
 * metrics of the run it recorded, and links to its runs.
 */
export function SweepExecutions(props: {
  sweep: Mlops.ISweep;
  /** The run the sweep is based on (its metrics are the columns). */
  base: Mlops.IRun | null;
  /** The sweep's runs listed so far, by id. */
  runs: ReadonlyMap<string, Mlops.IRunSummary>;
  openRun: (id: string) => void;
}): JSX.Element {
  const { sweep, base, runs, openRun } = props;
  const params = sweptParams(sweep);
  const metrics = resultMetrics(base, runs.values());
  const rows = executionRows(sweep, runs, metrics);
  return (
    <table
      className="jp-mlops-compare-table jp-mlops-sweep-executions"
      aria-label="Sweep executions"
    >
      <thead>
        <tr>
          <th scope="col">#</th>
          {params.map(name => (
            <th key={`p:${name}`} scope="col" title={`parameter ${name}`}>
              {name}
            </th>
          ))}
          <th scope="col">status</th>
          {metrics.map(key => (
            <th
              key={`m:${key}`}
              scope="col"
              className="jp-mlops-num"
              title={`metric ${key}`}
            >
              {key}
            </th>
          ))}
          <th scope="col">runs</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(row => (
          <tr key={row.index} data-status={row.status}>
            <td className="jp-mlops-num">{row.index + 1}</td>
            {row.params.map((value, i) => (
              <td
                key={`p:${i}`}
                className="jp-mlops-num"
                data-param={params[i]}
              >
                {value}
              </td>
            ))}
            <td title={row.error ?? undefined}>
              {row.error ? `${row.status}: ${row.error}` : row.status}
            </td>
            {row.metrics.map((value, i) => (
              <td
                key={`m:${i}`}
                className="jp-mlops-num"
                data-metric={metrics[i]}
              >
                {value}
              </td>
            ))}
            <td>
              {row.runIds.map(id => (
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
