import React from 'react';

/** The title line of a main-area panel (a run's details, the compare view) and its controls. */
export function PanelHeader(props: {
  readonly title: string;
  readonly children?: React.ReactNode;
}): JSX.Element {
  return (
    <header className="jp-mlops-details-header">
      <h2 className="jp-mlops-details-title">{props.title}</h2>
      {props.children}
    </header>
  );
}
