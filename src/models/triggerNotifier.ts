/**
 * A JupyterLab notification for each new firing of a continuous-training trigger: a `Poll` of
 * `GET triggers` (each trigger's last firing), standing by while JupyterLab is hidden. The
 * first answer after the page loaded is the baseline: firings that existed then are never
 * notified. Each later firing is notified once per browser session (its number is remembered
 * in session storage), when its outcome is recorded.
 */
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { Mlops } from '../types';
import { latestFiring, newFirings } from './triggers';

/** Milliseconds between two looks for firings (half a minute). */
export const FIRING_INTERVAL = 30 * 1000;

/** Firing numbers kept as notified (the newest). */
const REMEMBERED = 200;

const KEY = 'mlops-jupyter:notified-firings';

export namespace TriggerNotifier {
  export interface IOptions {
    readonly client: { triggers(): Promise<Mlops.ITrigger[]> };
    /** Tell the user about a firing (a JupyterLab notification). */
    readonly notify: (firing: Mlops.ITriggerFiring) => void;
    readonly interval?: number;
    /** Where notified firings are remembered (null: only in memory). */
    readonly storage?: Pick<Storage, 'getItem' | 'setItem'> | null;
    /** Start polling at once (default true). */
    readonly auto?: boolean;
  }
}

/** Follows the triggers' last firings; notifies each new one once. */
export class TriggerNotifier implements IDisposable {
  constructor(options: TriggerNotifier.IOptions) {
    this._client = options.client;
    this._notify = options.notify;
    this._storage = options.storage ?? null;
    this._seen = this._load();
    this._poll = new Poll({
      auto: options.auto ?? true,
      factory: async () => this.observe(await this._client.triggers()),
      frequency: {
        interval: options.interval ?? FIRING_INTERVAL,
        backoff: true,
        max: 10 * 60 * 1000
      },
      name: 'mlops-jupyter:triggers',
      standby: 'when-hidden'
    });
  }

  /** Emitted when a new firing was seen (the Triggers view loads again). */
  get fired(): ISignal<this, void> {
    return this._fired;
  }

  /** The newest firing when the page loaded (null until the first answer). */
  get baseline(): number | null {
    return this._baseline;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** Look now. */
  refresh(): Promise<void> {
    return this._poll.refresh();
  }

  /**
   * Read the triggers as loaded (by the poll or by the Triggers view): the first answer sets
   * the baseline; later ones notify the firings that are new.
   */
  observe(triggers: ReadonlyArray<Mlops.ITrigger>): void {
    if (this.isDisposed) {
      return;
    }
    if (this._baseline === null) {
      this._baseline = latestFiring(triggers);
      return;
    }
    const fresh = newFirings(triggers, this._baseline, this._seen);
    for (const firing of fresh) {
      this._seen.add(firing.firing);
      this._notify(firing);
    }
    if (fresh.length) {
      this._save();
      this._fired.emit();
    }
  }

  dispose(): void {
    if (!this.isDisposed) {
      this._poll.dispose();
      Signal.clearData(this);
    }
  }

  private _load(): Set<number> {
    const seen = new Set<number>();
    try {
      const stored = JSON.parse(this._storage?.getItem(KEY) ?? '[]');
      if (Array.isArray(stored)) {
        stored.filter(n => Number.isInteger(n)).forEach(n => seen.add(n));
      }
    } catch {
      // A damaged entry is forgotten: at worst a firing is notified again.
    }
    return seen;
  }

  private _save(): void {
    try {
      this._storage?.setItem(
        KEY,
        JSON.stringify([...this._seen].slice(-REMEMBERED))
      );
    } catch {
      // Storage full or refused: the numbers stay in memory.
    }
  }

  private readonly _client: TriggerNotifier.IOptions['client'];
  private readonly _notify: (firing: Mlops.ITriggerFiring) => void;
  private readonly _storage: Pick<Storage, 'getItem' | 'setItem'> | null;
  private readonly _poll: Poll;
  private readonly _seen: Set<number>;
  private readonly _fired = new Signal<this, void>(this);
  private _baseline: number | null = null;
}
