import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { MlopsClient } from './client';
import { ApiError, describeError, IErrorDescription } from './errors';
import { isActive, latestJob } from './reproduce';
import { Mlops } from './types';

/** The client calls a reproduction needs (a fake in tests). */
export type IJobClient = Pick<
  MlopsClient,
  'reproduce' | 'job' | 'cancelJob' | 'jobs'
>;

export namespace ReproductionModel {
  export interface IOptions {
    readonly client: IJobClient;
    /** The run to reproduce. */
    readonly runId: string;
    /** Milliseconds between two looks at a running job. */
    readonly interval?: number;
    /** When the poll should stand by (default: while the browser tab is hidden). */
    readonly standby?: Poll.Standby | (() => boolean | Poll.Standby);
  }
}

/**
 * The reproduction of one run: starts a job, follows it every second until it ends, cancels it.
 *
 * Owned by the run's details tab; disposing it stops the polling.
 */
export class ReproductionModel implements IDisposable {
  constructor(options: ReproductionModel.IOptions) {
    this._client = options.client;
    this.runId = options.runId;
    this._interval = options.interval ?? 1000;
    this._standby = options.standby ?? 'when-hidden';
  }

  /** The run this model reproduces. */
  readonly runId: string;

  /** Emitted whenever the job, the error or `busy` change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The latest job of the run (running or finished), or null. */
  get job(): Mlops.IJob | null {
    return this._job;
  }

  /** Why the last request failed, or null. */
  get error(): IErrorDescription | null {
    return this._error;
  }

  /** True while a start or cancel request is on its way. */
  get busy(): boolean {
    return this._busy;
  }

  /** Whether the job is being followed. */
  get polling(): boolean {
    return this._poll !== null;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Show the run's latest job, if any (e.g. after the tab was closed and opened again), and follow
   * it if it is still active. Failures are only logged: this is a convenience.
   */
  async restore(): Promise<void> {
    let jobs: Mlops.IJob[];
    try {
      jobs = await this._client.jobs(this.runId);
    } catch (error) {
      console.warn(
        `mlops-jupyter: cannot list the jobs of run ${this.runId}: ${describeError(error).summary}`
      );
      return;
    }
    const job = latestJob(jobs);
    if (this._isDisposed || this._job !== null || job === null) {
      return; // a job started meanwhile wins
    }
    this._setJob(job);
  }

  /** Start reproducing the run; a job that is already active is followed instead. */
  async start(options: Mlops.IReproduceOptions = {}): Promise<void> {
    if (this._busy || (this._job && isActive(this._job.state))) {
      return;
    }
    this._busy = true;
    this._error = null;
    this._emit();
    try {
      const job = await this._client.reproduce(this.runId, options);
      this._setJob(job);
    } catch (error) {
      this._error = describeError(error);
    } finally {
      this._busy = false;
      this._emit();
    }
  }

  /** Cancel the active job. */
  async cancel(): Promise<void> {
    const job = this._job;
    if (!job || !isActive(job.state) || this._busy) {
      return;
    }
    this._busy = true;
    this._error = null;
    this._emit();
    try {
      this._setJob(await this._client.cancelJob(job.id));
    } catch (error) {
      this._error = describeError(error);
    } finally {
      this._busy = false;
      this._emit();
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._stopPolling();
    Signal.clearData(this);
  }

  /** Show a job and follow it while it is active. */
  private _setJob(job: Mlops.IJob): void {
    if (this._isDisposed) {
      return;
    }
    // A reply about an older job (e.g. a late poll answer) must not replace a newer one.
    if (
      this._job &&
      this._job.id !== job.id &&
      job.created_at < this._job.created_at
    ) {
      return;
    }
    this._job = job;
    if (isActive(job.state)) {
      this._startPolling();
    } else {
      this._stopPolling();
    }
    this._emit();
  }

  private _startPolling(): void {
    if (this._poll) {
      return;
    }
    this._poll = new Poll({
      auto: true,
      factory: () => this._tick(),
      frequency: { interval: this._interval, backoff: true, max: 10 * 1000 },
      name: `mlops-jupyter:job:${this.runId}`,
      standby: this._standby
    });
  }

  private _stopPolling(): void {
    const poll = this._poll;
    this._poll = null;
    poll?.dispose();
  }

  private async _tick(): Promise<void> {
    const job = this._job;
    if (!job || !isActive(job.state)) {
      this._stopPolling();
      return;
    }
    let next: Mlops.IJob;
    try {
      next = await this._client.job(job.id);
    } catch (error) {
      if (this._isDisposed) {
        return;
      }
      if (error instanceof ApiError && error.status === 404) {
        // The server no longer knows the job (e.g. it was restarted): nothing more to follow.
        this._error = {
          summary: `The server no longer knows the reproduction job ${job.id} (was the server restarted?).`,
          action: 'Start the reproduction again.'
        };
        this._stopPolling();
        this._emit();
        return;
      }
      this._error = describeError(error);
      this._emit();
      throw error; // the poll backs off
    }
    if (this._error) {
      this._error = null;
    }
    this._setJob(next);
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private readonly _client: IJobClient;
  private readonly _interval: number;
  private readonly _standby: Poll.Standby | (() => boolean | Poll.Standby);
  private readonly _changed = new Signal<this, void>(this);
  private _job: Mlops.IJob | null = null;
  private _error: IErrorDescription | null = null;
  private _busy = false;
  private _poll: Poll | null = null;
  private _isDisposed = false;
}
