/**
 * A JupyterLab notification when an approval request waits for the current user: a `Poll` of
 * `GET approvals?for_me=1` at a modest interval, standing by while JupyterLab is hidden; each
 * request is notified once (remembered across reloads in local storage).
 */
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { Mlops } from '../types';
import { newRequests } from './approvals';

/** Milliseconds between two looks for requests (a minute). */
export const NOTIFY_INTERVAL = 60 * 1000;

/** Request ids kept as notified (the newest). */
const REMEMBERED = 200;

export namespace ApprovalNotifier {
  export interface IOptions {
    readonly client: {
      approvals(query: Mlops.IApprovalQuery): Promise<Mlops.IApprovalList>;
    };
    /** Tell the user about a request (a JupyterLab notification). */
    readonly notify: (request: Mlops.IApprovalRequest) => void;
    readonly interval?: number;
    /** Where notified ids are remembered (null: only in memory). */
    readonly storage?: Pick<Storage, 'getItem' | 'setItem'> | null;
    /** Start polling at once (default true). */
    readonly auto?: boolean;
  }
}

/** The requests waiting for the user; notifies each new one once. */
export class ApprovalNotifier implements IDisposable {
  constructor(options: ApprovalNotifier.IOptions) {
    this._client = options.client;
    this._notify = options.notify;
    this._storage = options.storage ?? null;
    this._poll = new Poll({
      auto: options.auto ?? true,
      factory: () => this._tick(),
      frequency: {
        interval: options.interval ?? NOTIFY_INTERVAL,
        backoff: true,
        max: 10 * 60 * 1000
      },
      name: 'mlops-jupyter:approvals',
      standby: 'when-hidden'
    });
  }

  /** Emitted when the waiting requests change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Pending requests the user may approve, newest first. */
  get waiting(): ReadonlyArray<Mlops.IApprovalRequest> {
    return this._waiting;
  }

  /** The authenticated user, once known. */
  get user(): string | null {
    return this._user;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** Look now (after a vote, when the Models panel is shown). */
  refresh(): Promise<void> {
    return this._poll.refresh();
  }

  dispose(): void {
    if (!this.isDisposed) {
      this._poll.dispose();
      Signal.clearData(this);
    }
  }

  private async _tick(): Promise<void> {
    const answer = await this._client.approvals({ forMe: true });
    const changed =
      answer.user !== this._user ||
      answer.requests.map(r => r.id).join() !==
        this._waiting.map(r => r.id).join();
    this._user = answer.user;
    this._waiting = answer.requests;
    const notified = this._notified(answer.user);
    const fresh = newRequests(answer.requests, notified);
    for (const request of fresh) {
      notified.add(request.id);
      this._notify(request);
    }
    if (fresh.length) {
      this._remember(answer.user, notified);
    }
    if (changed) {
      this._changed.emit();
    }
  }

  private _key(user: string): string {
    return `mlops-jupyter:notified-requests:${user}`;
  }

  private _notified(user: string): Set<string> {
    let ids = this._seen.get(user);
    if (!ids) {
      ids = new Set<string>();
      try {
        const stored = JSON.parse(
          this._storage?.getItem(this._key(user)) ?? '[]'
        );
        if (Array.isArray(stored)) {
          stored.filter(s => typeof s === 'string').forEach(s => ids!.add(s));
        }
      } catch {
        // A damaged entry is forgotten: at worst a request is notified again.
      }
      this._seen.set(user, ids);
    }
    return ids;
  }

  private _remember(user: string, ids: Set<string>): void {
    try {
      this._storage?.setItem(
        this._key(user),
        JSON.stringify([...ids].slice(-REMEMBERED))
      );
    } catch {
      // Storage full or refused: the ids stay in memory.
    }
  }

  private readonly _client: ApprovalNotifier.IOptions['client'];
  private readonly _notify: (request: Mlops.IApprovalRequest) => void;
  private readonly _storage: Pick<Storage, 'getItem' | 'setItem'> | null;
  private readonly _poll: Poll;
  private readonly _seen = new Map<string, Set<string>>();
  private readonly _changed = new Signal<this, void>(this);
  private _waiting: Mlops.IApprovalRequest[] = [];
  private _user: string | null = null;
}
