/**
 * Where the Models panel is: the list of models, a model, a version, the drift checks, one
 * check or the triggers. The panel reads `view` and re-renders on `changed`; commands (open a model from a
 * notification, a drift check from a model page) call `go`.
 */
import { ISignal, Signal } from '@lumino/signaling';

/** A page of the Models panel. */
export type ModelsView =
  | { readonly kind: 'models' }
  /** A model; `request` is an approval request to show (from a notification). */
  | { readonly kind: 'model'; readonly name: string; readonly request?: string }
  /** A version; `against` is the alias it is compared with. */
  | {
      readonly kind: 'version';
      readonly name: string;
      readonly version: number;
      readonly against?: string;
    }
  /** The recorded drift checks (of one model's versions with `model`). */
  | { readonly kind: 'drift'; readonly model?: string }
  | { readonly kind: 'check'; readonly id: number }
  /** The continuous-training triggers with their last firings. */
  | { readonly kind: 'triggers' };

/** The three tabs of the panel. */
export type ModelsTab = 'models' | 'drift' | 'triggers';

/** The tab a page belongs to. */
export function tabOf(view: ModelsView): ModelsTab {
  if (view.kind === 'triggers') {
    return 'triggers';
  }
  return view.kind === 'drift' || view.kind === 'check' ? 'drift' : 'models';
}

/** The pages above a page, for its breadcrumbs: `[label, view]`, the root first. */
export function crumbsOf(view: ModelsView): [string, ModelsView][] {
  switch (view.kind) {
    case 'model':
      return [['Models', { kind: 'models' }]];
    case 'version':
      return [
        ['Models', { kind: 'models' }],
        [view.name, { kind: 'model', name: view.name }]
      ];
    case 'check':
      return [['Drift checks', { kind: 'drift' }]];
    default:
      return [];
  }
}

/** The panel's current page and a revision that asks its views to load again. */
export class ModelsNavigation {
  /** Emitted when the page or the revision changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get view(): ModelsView {
    return this._view;
  }

  /** Bumped by `refresh`: views include it in what they load. */
  get revision(): number {
    return this._revision;
  }

  /** Show a page. */
  go(view: ModelsView): void {
    this._view = view;
    this._changed.emit();
  }

  /** Ask the views on screen to load again (the panel was shown, something changed). */
  refresh(): void {
    this._revision += 1;
    this._changed.emit();
  }

  private _view: ModelsView = { kind: 'models' };
  private _revision = 0;
  private readonly _changed = new Signal<this, void>(this);
}
