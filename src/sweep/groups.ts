/**
 * Sub-groups of the runs of one sweep inside a page of the run table. Plain module (jest-tested).
 *
 * The list endpoint cannot filter by sweep, so sweeps are grouped client-side, page by page: the
 * runs of a sweep found in a loaded page are gathered under a header row (at the place of the
 * first of them), and hidden while the sweep is collapsed. A sweep whose runs span two pages shows
 * a header in each. A header is one more fixed-height row, so windowing keeps working.
 */
import { shortId } from '../format';
import { INestedRun } from '../runs/nesting';

/** The header of a sweep's runs in a page. */
export interface ISweepHeader {
  readonly kind: 'sweep';
  readonly sweepId: string;
  /** The runs of the sweep in this page (nested reproductions included). */
  readonly runIds: string[];
  readonly collapsed: boolean;
}

/** A run row; `sweepId` is set for a run shown inside a sweep's sub-group. */
export interface IRunRow {
  readonly kind: 'run';
  readonly entry: INestedRun;
  readonly sweepId: string | null;
}

/** A row of a page as displayed. */
export type PageRow = ISweepHeader | IRunRow;

/**
 * Gather the runs of each sweep of a page under a header, in the page's order otherwise. A run
 * keeps its nested reproductions right below it.
 *
 * @returns null when no run of the page belongs to a sweep (the page shows one row per run)
 */
export function groupSweeps(
  entries: ReadonlyArray<INestedRun>,
  collapsed: ReadonlySet<string>
): PageRow[] | null {
  // A block: a top-level run and the reproductions nested under it.
  const blocks: INestedRun[][] = [];
  for (const entry of entries) {
    if (entry.depth > 0 && blocks.length > 0) {
      blocks[blocks.length - 1].push(entry);
    } else {
      blocks.push([entry]);
    }
  }
  const bySweep = new Map<string, INestedRun[][]>();
  for (const block of blocks) {
    const sweepId = block[0].run.sweep_id;
    if (sweepId) {
      const list = bySweep.get(sweepId);
      if (list) {
        list.push(block);
      } else {
        bySweep.set(sweepId, [block]);
      }
    }
  }
  if (bySweep.size === 0) {
    return null;
  }
  const rows: PageRow[] = [];
  for (const block of blocks) {
    const sweepId = block[0].run.sweep_id;
    if (!sweepId) {
      rows.push(...block.map(entry => runRow(entry, null)));
      continue;
    }
    const members = bySweep.get(sweepId);
    if (!members) {
      continue; // already placed under its header
    }
    bySweep.delete(sweepId);
    const runs = members.flat();
    const folded = collapsed.has(sweepId);
    rows.push({
      kind: 'sweep',
      sweepId,
      runIds: runs.map(entry => entry.run.id),
      collapsed: folded
    });
    if (!folded) {
      rows.push(...runs.map(entry => runRow(entry, sweepId)));
    }
  }
  return rows;
}

function runRow(entry: INestedRun, sweepId: string | null): IRunRow {
  return { kind: 'run', entry, sweepId };
}

/** The text of a sweep's header: `sweep 1a2b3c4d (3 runs)`. */
export function sweepLabel(
  header: Pick<ISweepHeader, 'sweepId' | 'runIds'>
): string {
  const n = header.runIds.length;
  return `sweep ${shortId(header.sweepId)} (${n} run${n === 1 ? '' : 's'})`;
}
