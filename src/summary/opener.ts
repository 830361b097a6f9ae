/**
 * How the run summary under a cell opens a run. The summary is rendered by a MIME renderer
 * extension, which gets no application; the sidebar plugin (same bundle, same module) sets the
 * command that opens a run's details here when it starts.
 */

let opener: ((id: string) => void) | null = null;

/** Set what opening a run does (the sidebar plugin: its open-run command). */
export function setRunOpener(open: ((id: string) => void) | null): void {
  opener = open;
}

/** Whether a run can be opened (the sidebar plugin is active). */
export function canOpenRun(): boolean {
  return opener !== null;
}

/** Open a run's details; false when nothing can open it. */
export function openRun(id: string): boolean {
  if (!opener) {
    return false;
  }
  opener(id);
  return true;
}
