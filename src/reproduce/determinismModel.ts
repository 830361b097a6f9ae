import { MlopsClient } from '../client';
import { IErrorDescription } from '../errors';
import { Mlops } from '../types';
import { JobModel } from './jobmodel';

/** The client calls a determinism check needs (a fake in tests). */
export type IDeterminismClient = Pick<
  MlopsClient,
  'checkDeterminism' | 'job' | 'cancelJob' | 'jobs'
>;

export namespace DeterminismModel {
  export interface IOptions extends JobModel.IOptions {
    readonly client: IDeterminismClient;
  }
}

/**
 * The determinism check of one run: starts the job, follows it every second until it ends,
 * cancels it. Owned by the run's details tab; disposing it stops the polling.
 */
export class DeterminismModel extends JobModel<Mlops.IDeterminismJob> {
  constructor(options: DeterminismModel.IOptions) {
    super(options);
    this._api = options.client;
  }

  /** Show the run's latest determinism check, if any, and follow it while it runs. */
  restore(): Promise<void> {
    return this.restoreLatest(() => this._api.jobs(this.runId), 'determinism');
  }

  /** Start checking the run; a check already active is followed instead. */
  start(options: Mlops.IDeterminismOptions = {}): Promise<void> {
    return this.launch(() => this._api.checkDeterminism(this.runId, options));
  }

  protected lostJob(job: Mlops.IDeterminismJob): IErrorDescription {
    return {
      summary: `The server no longer knows the determinism check ${job.id} (was the server restarted?).`,
      action: 'Check determinism again.'
    };
  }

  private readonly _api: IDeterminismClient;
}
