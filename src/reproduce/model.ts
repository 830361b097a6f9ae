import { MlopsClient } from '../client';
import { IErrorDescription } from '../errors';
import { Mlops } from '../types';
import { JobModel } from './jobmodel';

/** The client calls a reproduction needs (a fake in tests). */
export type IJobClient = Pick<
  MlopsClient,
  'reproduce' | 'job' | 'cancelJob' | 'jobs'
>;

export namespace ReproductionModel {
  export interface IOptions extends JobModel.IOptions {
    readonly client: IJobClient;
  }
}

/**
 * The reproduction of one run: starts a job, follows it every second until it ends, cancels it.
 *
 * Owned by the run's details tab; disposing it stops the polling.
 */
export class ReproductionModel extends JobModel<Mlops.IJob> {
  constructor(options: ReproductionModel.IOptions) {
    super(options);
    this._api = options.client;
  }

  /**
   * Show the run's latest reproduction job, if any (e.g. after the tab was closed and opened
   * again), and follow it if it is still active. Failures are only logged: this is a convenience.
   */
  restore(): Promise<void> {
    return this.restoreLatest(() => this._api.jobs(this.runId), 'reproduce');
  }

  /** Start reproducing the run; a job that is already active is followed instead. */
  start(options: Mlops.IReproduceOptions = {}): Promise<void> {
    return this.launch(() => this._api.reproduce(this.runId, options));
  }

  protected lostJob(job: Mlops.IJob): IErrorDescription {
    return {
      summary: `The server no longer knows the reproduction job ${job.id} (was the server restarted?).`,
      action: 'Start the reproduction again.'
    };
  }

  private readonly _api: IJobClient;
}
