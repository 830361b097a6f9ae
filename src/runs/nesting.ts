/**
 * Nesting of reproduction runs under their originals in a page of the run table. Plain module
 * (jest-tested).
 *
 * Only the order inside one page changes, never the number of rows, so the windowed row layout
 * (one row per run, pages by offset) keeps working.
 */
import { runLabel, shortId } from '../format';
import { Mlops } from '../types';

/** A run of a page with its place in the reproduction tree. */
export interface INestedRun {
  readonly run: Mlops.IRunSummary;
  /** 0 for a top-level row, 1 for a reproduction right under its original, ... */
  readonly depth: number;
  /** The original of a nested reproduction (it is in the same page), else null. */
  readonly parent: Mlops.IRunSummary | null;
  /** A reproduction whose original is not in this page: shown at top level with a marker. */
  readonly detached: boolean;
}

/**
 * Reorder a page so that every reproduction comes directly below its original (after the
 * original's earlier reproductions), keeping the server's order otherwise.
 *
 * @returns as many entries as `runs`, each run once
 */
export function nestReproductions(
  runs: ReadonlyArray<Mlops.IRunSummary>
): INestedRun[] {
  const byId = new Map(runs.map(run => [run.id, run]));
  const children = new Map<string, Mlops.IRunSummary[]>();
  const roots: Mlops.IRunSummary[] = [];
  for (const run of runs) {
    const parent = run.reproduction_of;
    if (parent && parent !== run.id && byId.has(parent)) {
      const list = children.get(parent);
      if (list) {
        list.push(run);
      } else {
        children.set(parent, [run]);
      }
    } else {
      roots.push(run);
    }
  }

  const out: INestedRun[] = [];
  const placed = new Set<string>();
  const visit = (
    run: Mlops.IRunSummary,
    depth: number,
    parent: Mlops.IRunSummary | null
  ) => {
    if (placed.has(run.id)) {
      return;
    }
    placed.add(run.id);
    out.push({
      run,
      depth,
      parent,
      detached: parent === null && !!run.reproduction_of
    });
    for (const child of children.get(run.id) ?? []) {
      visit(child, depth + 1, run);
    }
  };
  for (const root of roots) {
    visit(root, 0, null);
  }
  // Runs in a cycle of reproductions (not possible in a sane store) stay where they were.
  for (const run of runs) {
    visit(run, 0, null);
  }
  return out;
}

/** How a row relates to its original: `reproduction of base-a`, or null for an original. */
export function reproductionText(entry: INestedRun): string | null {
  if (entry.parent) {
    return `reproduction of ${runLabel(entry.parent)}`;
  }
  if (entry.run.reproduction_of) {
    return `reproduction of run ${shortId(entry.run.reproduction_of)}`;
  }
  return null;
}
