import React from 'react';

import { Breakable } from '../components/Breakable';
import { EMPTY } from '../format';

/** A collapsible section of a run's details, open unless said otherwise. */
export function Section(props: {
  title: string;
  children: React.ReactNode;
  open?: boolean;
}): JSX.Element {
  return (
    <details className="jp-mlops-section" open={props.open ?? true}>
      <summary>
        <h3>{props.title}</h3>
      </summary>
      <div className="jp-mlops-section-body">{props.children}</div>
    </details>
  );
}

/**
 * A two-column key/value table; every value is text. The key column has a fixed width and long
 * text values wrap at their separators.
 */
export function KeyValues(props: {
  rows: [string, React.ReactNode][];
  label: string;
}): JSX.Element {
  if (props.rows.length === 0) {
    return <div className="jp-mlops-muted">{EMPTY}</div>;
  }
  return (
    <table className="jp-mlops-kv jp-mlops-kv-fixed" aria-label={props.label}>
      <tbody>
        {props.rows.map(([key, value], i) => (
          <tr key={`${key}:${i}`}>
            <th scope="row">{key}</th>
            <td>
              {typeof value === 'string' ? <Breakable text={value} /> : value}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
