import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { MlopsClient } from '../client';
import { ApiError, describeError, IErrorDescription } from '../errors';
import { Mlops } from '../types';
import { isActive, latestJob } from './reproduction';

/** The client calls following a job needs (a fake in tests). */
export type IJobFollowClient = Pick<MlopsClient, 'job' | 'cancelJob'>;

export namespace JobModel {
  export interface IOptions {
    readonly client: IJobFollowClient;
    /** The run the jobs are about. */
    readonly runId: string;
    /** Milliseconds between two looks at a running job. */
    readonly interval?: number;
    /** When the poll should stand by (default: while the browser tab is hidden). */
    readonly standby?: Poll.Standby | (() => boolean | Poll.Standby);
  }
}

/**
 * A background job of the server about one run: starts it, follows it every second until it
 * ends, cancels it. Subclasses say how a job starts (`launch`) and what kind they follow.
 *
 * Owned by the run's details tab; disposing it stops the polling.
 */
export abstract class JobModel<J extends Mlops.AnyJob> implements IDisposable {
  constructor(options: JobModel.IOptions) {
    this._client = options.client;
    this.runId = options.runId;
    this._interval = options.interval ?? 1000;
    this._standby = options.standby ?? 'when-hidden';
  }

  /** The run the jobs are about. */
  readonly runId: string;

  /** Emitted whenever the job, the error or `busy` change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The latest job (running or finished), or null. */
  get job(): J | null {
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
      const next = await this._client.cancelJob(job.id);
      if (next.kind === job.kind) {
        this._setJob(next as J);
      }
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

  /**
   * Show the latest job of `kind` among the run's jobs, if any (e.g. after the tab was closed and
   * opened again), and follow it if it is still active. Failures are only logged: this is a
   * convenience.
   */
  protected async restoreLatest(
    list: () => Promise<Mlops.AnyJob[]>,
    kind: J['kind']
  ): Promise<void> {
    let jobs: Mlops.AnyJob[];
    try {
      jobs = await list();
    } catch (error) {
      console.warn(
        `mlops-jupyter: cannot list the jobs of run ${this.runId}: ${describeError(error).summary}`
      );
      return;
    }
    // Jobs listed without a kind predate sweeps: reproductions.
    const job = latestJob(
      jobs.filter(j => (j.kind ?? 'reproduce') === kind)
    ) as J | null;
    if (this._isDisposed || this._job !== null || job === null) {
      return; // a job started meanwhile wins
    }
    this._setJob(job);
  }

  /** What the user reads when the server forgot the followed job. */
  protected abstract lostJob(job: J): IErrorDescription;

  /** Start a job with `launch` unless one is active; an active job is followed instead. */
  protected async launch(launch: () => Promise<J>): Promise<void> {
    if (this._busy || (this._job && isActive(this._job.state))) {
      return;
    }
    this._busy = true;
    this._error = null;
    this._emit();
    try {
      this._setJob(await launch());
    } catch (error) {
      this._error = describeError(error);
    } finally {
      this._busy = false;
      this._emit();
    }
  }

  /** Show a job and follow it while it is active. */
  protected _setJob(job: J): void {
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

  protected _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
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
    let next: Mlops.AnyJob;
    try {
      next = await this._client.job(job.id);
    } catch (error) {
      if (this._isDisposed) {
        return;
      }
      if (error instanceof ApiError && error.status === 404) {
        // The server no longer knows the job (e.g. it was restarted): nothing more to follow.
        this._error = this.lostJob(job);
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
    if (next.kind === job.kind) {
      this._setJob(next as J);
    }
  }

  private readonly _client: IJobFollowClient;
  private readonly _interval: number;
  private readonly _standby: Poll.Standby | (() => boolean | Poll.Standby);
  private readonly _changed = new Signal<this, void>(this);
  private _job: J | null = null;
  private _error: IErrorDescription | null = null;
  private _busy = false;
  private _poll: Poll | null = null;
  private _isDisposed = false;
}
