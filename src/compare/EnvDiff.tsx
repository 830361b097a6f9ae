import React from 'react';

import { Breakable } from '../components/Breakable';

import { Mlops } from '../types';
import { DiffersMarker } from './DiffersMarker';
import { compareLabels, describeEnvValue, packageChanges } from './values';

/** Python, platform, git and package differences. */
export function EnvDiff(props: { result: Mlops.ICompareResult }): JSX.Element {
  const { result } = props;
  const env = result.env;
  return (
    <div className="jp-mlops-env-diff">
      <table
        className="jp-mlops-compare-table jp-mlops-fixed-keys"
        aria-label="Environment"
      >
        <thead>
          <tr>
            <th scope="col">environment</th>
            {result.runs.map((run, i) => (
              <th key={run.id} scope="col" title={run.id}>
                {compareLabels(result)[i]}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <EnvRow label="python" runs={result.runs} values={env?.python} />
          <EnvRow label="platform" runs={result.runs} values={env?.platform} />
          <EnvRow label="git" runs={result.runs} values={env?.git} />
        </tbody>
      </table>
      <PackageChanges result={result} />
    </div>
  );
}

/** One aspect of the environment, a cell per run, marked when the runs differ. */
function EnvRow(props: {
  label: string;
  runs: ReadonlyArray<Mlops.IRunSummary>;
  values: Mlops.ICompareValues | undefined;
}): JSX.Element {
  const { label, runs, values } = props;
  return (
    <tr className={values?.differs ? 'jp-mlops-differs' : undefined}>
      <th scope="row">
        {values?.differs && <DiffersMarker />}
        {label}
      </th>
      {runs.map((run, i) => (
        <td key={run.id}>
          <Breakable text={describeEnvValue(values?.values?.[i])} />
        </td>
      ))}
    </tr>
  );
}

/** The packages added, removed or changed from the first run to the last. */
function PackageChanges(props: { result: Mlops.ICompareResult }): JSX.Element {
  const { result } = props;
  const changes = packageChanges(result.env?.packages);
  const labels = compareLabels(result);
  const first = labels[0];
  const last = labels[labels.length - 1];
  return (
    <>
      <h4>{`Packages: ${first} → ${last}`}</h4>
      {changes.length === 0 ? (
        <div className="jp-mlops-muted">Same packages and versions.</div>
      ) : (
        <table
          className="jp-mlops-compare-table jp-mlops-fixed-keys"
          aria-label="Package changes"
        >
          <thead>
            <tr>
              <th scope="col">package</th>
              <th scope="col">{first}</th>
              <th scope="col">{last}</th>
            </tr>
          </thead>
          <tbody>
            {changes.map(([name, a, b]) => (
              <tr key={name} className="jp-mlops-differs">
                <th scope="row">{name}</th>
                <td>{a}</td>
                <td>{b}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
