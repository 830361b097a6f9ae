import { MlopsClient } from '../client';
import { describeError, IErrorDescription } from '../errors';
import { JobModel } from '../reproduce/jobmodel';
import { Mlops } from '../types';
import { idFilter, IDS_PER_REQUEST } from './sweeps';

/** The client calls a sweep needs (a fake in tests). */
export type ISweepClient = Pick<
  MlopsClient,
  'startSweep' | 'sweep' | 'job' | 'cancelJob' | 'jobs' | 'runs'
>;

export namespace SweepModel {
  export interface IOptions extends JobModel.IOptions {
    readonly client: ISweepClient;
  }
}

/**
 * A sweep based on one run ("Rerun with…"): starts the job, follows its progress, cancels it, and
 * loads the sweep's executions (with the runs they recorded) as they end.
 *
 * Owned by the run's details tab; disposing it stops the polling.
 */
export class SweepModel extends JobModel<Mlops.ISweepJob> {
  constructor(options: SweepModel.IOptions) {
    super(options);
    this._api = options.client;
  }

  /** The sweep of the job with its executions, once loaded. */
  get sweep(): Mlops.ISweep | null {
    return this._sweep;
  }

  /** The runs the sweep recorded, by id, as far as they were listed (for their metrics). */
  get runs(): ReadonlyMap<string, Mlops.IRunSummary> {
    return this._runs;
  }

  /** Show the latest sweep based on this run, if any (failures are only logged). */
  restore(): Promise<void> {
    return this.restoreLatest(() => this._api.jobs(this.runId), 'sweep');
  }

  /** Start a sweep over `grid`; a sweep that is already active is followed instead. */
  start(grid: Mlops.ISweepGrid, workers?: number): Promise<void> {
    return this.launch(() =>
      this._api.startSweep({
        run_id: this.runId,
        grid,
        ...(workers !== undefined ? { workers } : {})
      })
    );
  }

  protected _setJob(job: Mlops.ISweepJob): void {
    const before = this.job;
    super._setJob(job);
    if (this.job !== job) {
      return; // ignored (older than the one shown)
    }
    // New executions ended: their runs are worth listing.
    if (
      before?.id !== job.id ||
      before.progress?.done !== job.progress?.done ||
      before.state !== job.state
    ) {
      void this._loadSweep(job.sweep_id);
    }
  }

  protected lostJob(job: Mlops.ISweepJob): IErrorDescription {
    return {
      summary: `The server no longer knows the sweep job ${job.id} (was the server restarted?).`,
      action: 'Start the sweep again.'
    };
  }

  private async _loadSweep(id: string): Promise<void> {
    const ticket = ++this._ticket;
    try {
      const sweep = await this._api.sweep(id);
      if (ticket === this._ticket && !this.isDisposed) {
        this._sweep = sweep;
        this._emit();
        await this._loadRuns(sweep);
      }
    } catch (error) {
      // The job's progress is still shown; only the list of runs is missing.
      console.warn(
        `mlops-jupyter: cannot load sweep ${id}: ${describeError(error).summary}`
      );
    }
  }

  /** List the runs of ended executions not listed yet, a few per request. */
  private async _loadRuns(sweep: Mlops.ISweep): Promise<void> {
    const ended = new Set(['finished', 'failed', 'interrupted']);
    const missing = sweep.executions
      .filter(e => ended.has(e.status))
      .flatMap(e => e.run_ids ?? [])
      .filter(id => !this._runs.has(id));
    for (let i = 0; i < missing.length; i += IDS_PER_REQUEST) {
      const ids = missing.slice(i, i + IDS_PER_REQUEST);
      try {
        const page = await this._api.runs({
          filter: idFilter(ids),
          limit: ids.length
        });
        if (this.isDisposed) {
          return;
        }
        page.runs.forEach(run => this._runs.set(run.id, run));
        this._emit();
      } catch (error) {
        // The executions are still shown, without their metrics.
        console.warn(
          `mlops-jupyter: cannot list the runs of sweep ${sweep.id}: ${describeError(error).summary}`
        );
        return;
      }
    }
  }

  private readonly _api: ISweepClient;
  private readonly _runs = new Map<string, Mlops.IRunSummary>();
  private _sweep: Mlops.ISweep | null = null;
  private _ticket = 0;
}
