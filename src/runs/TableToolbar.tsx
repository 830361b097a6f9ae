import {
  clearIcon,
  filterListIcon,
  tableRowsIcon
} from '@jupyterlab/ui-components';
import React from 'react';

import { SmallButton } from '../components/buttons';
import { RunsModel } from './model';

/** Compare the selected runs, clear the selection, open the column picker. */
export function TableToolbar(props: {
  model: RunsModel;
  onCompare: (ids: string[]) => void;
  pickerOpen: boolean;
  onTogglePicker: () => void;
}): JSX.Element {
  const { model, onCompare, pickerOpen, onTogglePicker } = props;
  const selectedCount = model.selected.length;
  return (
    <div className="jp-mlops-toolbar">
      <SmallButton
        variant="accept"
        icon={tableRowsIcon}
        disabled={selectedCount < 2}
        title={
          selectedCount < 2
            ? 'Select two or more runs to compare them'
            : `Compare ${selectedCount} runs`
        }
        onClick={() => onCompare([...model.selected])}
      >
        {`Compare (${selectedCount})`}
      </SmallButton>
      {selectedCount > 0 && (
        <SmallButton icon={clearIcon} onClick={() => model.clearSelection()}>
          Clear
        </SmallButton>
      )}
      <span className="jp-mlops-spacer" />
      <SmallButton
        icon={filterListIcon}
        aria-expanded={pickerOpen}
        onClick={onTogglePicker}
      >
        Columns
      </SmallButton>
    </div>
  );
}
