import { Mlops } from '../types';

/** A finished run as the list endpoint returns it, with `patch` applied. */
export function runSummary(
  id: string,
  patch: Partial<Mlops.IRunSummary> = {}
): Mlops.IRunSummary {
  return {
    id,
    name: id,
    experiment: 'nb.ipynb',
    status: 'finished',
    started_at: '2026-01-01T00:00:00Z',
    ended_at: null,
    duration: 1,
    params: {},
    metrics: {},
    tags: {},
    reproduction_of: null,
    sweep_id: null,
    git: null,
    notebook_path: null,
    error_type: null,
    ...patch
  };
}
