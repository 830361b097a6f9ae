import React from 'react';

/** "≠" before a row whose values differ, said in words to assistive technology. */
export function DiffersMarker(): JSX.Element {
  return (
    <span className="jp-mlops-differs-marker" title="values differ">
      <span aria-hidden="true">≠ </span>
      <span className="jp-mlops-visually-hidden">differs: </span>
    </span>
  );
}
