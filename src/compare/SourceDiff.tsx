import React from 'react';

import { shortId } from '../format';
import { Mlops } from '../types';
import { diffStats, IDiffRow, ISideLine, sideBySide } from './diff';
import { compareLabels } from './values';

/**
 * Two runs' texts side by side, removed and added lines marked: the tracked cells by
 * default, or any text per run (the notebook snapshots). With more than two runs, two pickers
 * choose the runs.
 */
export function SourceDiff(props: {
  result: Mlops.ICompareResult;
  texts?: readonly string[];
  label?: string;
}): JSX.Element {
  const { result } = props;
  const texts = props.texts ?? result.sources;
  const label = props.label ?? 'Source diff';
  const [left, setLeft] = React.useState(0);
  const [right, setRight] = React.useState(Math.min(1, result.runs.length - 1));
  const rows = React.useMemo(
    () => sideBySide(texts[left] ?? '', texts[right] ?? ''),
    [texts, left, right]
  );
  const stats = diffStats(rows);
  return (
    <div className="jp-mlops-diff">
      {result.runs.length > 2 && (
        <div className="jp-mlops-diff-pickers">
          <RunPicker
            runs={result.runs}
            labels={compareLabels(result)}
            value={left}
            onChange={setLeft}
            label="Left run"
          />
          <RunPicker
            runs={result.runs}
            labels={compareLabels(result)}
            value={right}
            onChange={setRight}
            label="Right run"
          />
        </div>
      )}
      <div className="jp-mlops-muted">
        {stats.removed + stats.added === 0
          ? 'The sources are identical.'
          : `${stats.removed} line(s) removed, ${stats.added} line(s) added`}
      </div>
      <table className="jp-mlops-diff-table" aria-label={label}>
        <colgroup>
          <col className="jp-mlops-diff-lineno-col" />
          <col />
          <col className="jp-mlops-diff-lineno-col" />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th colSpan={2} scope="col">
              {compareLabels(result)[left]}
            </th>
            <th colSpan={2} scope="col">
              {compareLabels(result)[right]}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <DiffRow key={i} row={row} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Which run a side of the diff shows. */
function RunPicker(props: {
  runs: ReadonlyArray<Mlops.IRunSummary>;
  labels: ReadonlyArray<string>;
  value: number;
  onChange: (index: number) => void;
  label: string;
}): JSX.Element {
  return (
    <select
      className="jp-mod-styled"
      aria-label={props.label}
      value={props.value}
      onChange={e => props.onChange(Number(e.target.value))}
    >
      {props.runs.map((run, i) => (
        <option key={run.id} value={i}>
          {`${props.labels[i]} (${shortId(run.id)})`}
        </option>
      ))}
    </select>
  );
}

/** The marker before a line: `-` removed, `+` added. */
const MARKER: Record<ISideLine['kind'], string> = {
  removed: '-',
  added: '+',
  same: ' ',
  empty: ' '
};

/** A row of the diff: line number and line on each side. */
function DiffRow(props: { row: IDiffRow }): JSX.Element {
  const { left, right } = props.row;
  return (
    <tr>
      <td className="jp-mlops-diff-lineno">{left.line ?? ''}</td>
      <DiffLine side={left} announced="removed" />
      <td className="jp-mlops-diff-lineno">{right.line ?? ''}</td>
      <DiffLine side={right} announced="added" />
    </tr>
  );
}

/** One side's line; `announced` is the change this side says in words (removed on the left). */
function DiffLine(props: {
  side: ISideLine;
  announced: 'removed' | 'added';
}): JSX.Element {
  const { side, announced } = props;
  return (
    <td
      className={`jp-mlops-diff-line jp-mlops-diff-${side.kind}`}
      data-kind={side.kind}
    >
      <span className="jp-mlops-diff-marker" aria-hidden="true">
        {MARKER[side.kind]}
      </span>
      {side.kind === announced && (
        <span className="jp-mlops-visually-hidden">{`${announced}: `}</span>
      )}
      {side.text}
    </td>
  );
}
