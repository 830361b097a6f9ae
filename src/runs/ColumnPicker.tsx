import React from 'react';

import { SmallButton } from '../components/buttons';
import { ColumnId, resolveColumns, toggleColumn } from './columns';
import { RunsModel } from './model';

/** Checkboxes choosing the parameter and metric columns, and back to automatic. */
export function ColumnPicker(props: { model: RunsModel }): JSX.Element {
  const { model } = props;
  return (
    <div
      className="jp-mlops-columns"
      role="group"
      aria-label="Choose table columns"
    >
      <ColumnGroup model={model} kind="metrics" title="Metrics" />
      <ColumnGroup model={model} kind="params" title="Parameters" />
      <SmallButton onClick={() => model.setColumns(null)}>
        Automatic
      </SmallButton>
    </div>
  );
}

/** The checkboxes of the parameter or of the metric keys seen so far. */
function ColumnGroup(props: {
  model: RunsModel;
  kind: 'params' | 'metrics';
  title: string;
}): JSX.Element {
  const { model, kind, title } = props;
  const shown = resolveColumns(model.columns, model.keys);
  const keys = model.keys[kind];
  return (
    <fieldset className="jp-mlops-columns-group">
      <legend>{title}</legend>
      {keys.length === 0 && (
        <div className="jp-mlops-muted">none recorded yet</div>
      )}
      {keys.map(key => {
        const id = `${kind}.${key}` as ColumnId;
        return (
          <label key={id} className="jp-mlops-columns-item">
            <input
              type="checkbox"
              checked={shown.includes(id)}
              onChange={() =>
                model.setColumns(toggleColumn(model.columns, model.keys, id))
              }
            />
            {key}
          </label>
        );
      })}
    </fieldset>
  );
}
