import React from 'react';

import { RunsModel } from './model';

/** How long typing pauses before the filter applies (Enter applies it at once). */
const FILTER_DELAY = 400;

/** The filter box with the server's message for a bad expression under it. */
export function FilterBar(props: { model: RunsModel }): JSX.Element {
  const { model } = props;
  const [text, setText] = React.useState(model.filter);
  React.useEffect(() => {
    const timer = window.setTimeout(() => model.setFilter(text), FILTER_DELAY);
    return () => window.clearTimeout(timer);
  }, [text, model]);
  return (
    <div className="jp-mlops-filter">
      <input
        className="jp-mlops-filter-input jp-mod-styled"
        type="search"
        aria-label="Filter runs"
        aria-invalid={model.filterError !== null}
        aria-describedby={
          model.filterError !== null ? 'jp-mlops-filter-error' : undefined
        }
        placeholder='params.lr < 0.1 and status = "finished"'
        title='Filter, e.g. params.lr < 0.1 and metrics.acc >= 0.9 and status = "finished", name ~ "base"'
        spellCheck={false}
        value={text}
        onChange={event => setText(event.target.value)}
        onKeyDown={event => {
          if (event.key === 'Enter') {
            model.setFilter(text);
          }
        }}
      />
      {model.filterError !== null && (
        <div
          id="jp-mlops-filter-error"
          className="jp-mlops-filter-error"
          role="alert"
        >
          {model.filterError}
        </div>
      )}
    </div>
  );
}
