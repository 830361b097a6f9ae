/**
 * React hooks shared by the views.
 */
import { ISignal } from '@lumino/signaling';
import React from 'react';

import { describeError, IErrorDescription } from './errors';

/**
 * Re-render the component whenever `signal` is emitted, e.g. a model's `changed`.
 *
 * An absent signal (an optional model) connects nothing. The slot is disconnected when the signal
 * changes or the component unmounts.
 */
export function useSignal<T, U>(
  signal: ISignal<T, U> | null | undefined
): void {
  const [, rerender] = React.useReducer((n: number) => n + 1, 0);
  React.useEffect(() => {
    if (!signal) {
      return;
    }
    const slot = () => rerender();
    signal.connect(slot);
    return () => {
      signal.disconnect(slot);
    };
  }, [signal]);
}

/** What a view's request gave: its data (kept while it reloads), its error, whether it runs. */
export interface IRequest<T> {
  /** The last answer for the same key (kept while a reload runs), or null. */
  readonly data: T | null;
  /** Why the last attempt failed, or null. */
  readonly error: IErrorDescription | null;
  /** Whether an answer for the current key and attempt is still awaited. */
  readonly loading: boolean;
  /** Ask again (the data stays on screen meanwhile). */
  reload(): void;
}

interface IAnswer<T> {
  readonly key: string;
  /** The attempt and revision it answers. */
  readonly round: string;
  readonly data: T | null;
  readonly error: IErrorDescription | null;
}

/**
 * Load data for a view: `load` runs whenever `key` or `revision` changes or `reload` is
 * called; answers of earlier keys or attempts that arrive late are dropped.
 *
 * @param key everything `load` depends on, as a string (e.g. the model's name): the data of
 *   another key is never shown
 * @param revision bumped to load again with the data kept on screen (e.g. the panel was shown)
 */
export function useRequest<T>(
  load: () => Promise<T>,
  key: string,
  revision = 0
): IRequest<T> {
  const [attempt, setAttempt] = React.useState(0);
  const [answer, setAnswer] = React.useState<IAnswer<T> | null>(null);
  const round = `${attempt}:${revision}`;
  React.useEffect(() => {
    let cancelled = false;
    load()
      .then(data => {
        if (!cancelled) {
          setAnswer({ key, round, data, error: null });
        }
      })
      .catch(error => {
        if (!cancelled) {
          setAnswer(previous => ({
            key,
            round,
            data: previous?.key === key ? previous.data : null,
            error: describeError(error)
          }));
        }
      });
    return () => {
      cancelled = true;
    };
    // `load` is a new function on every render; `key` says what it depends on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, round]);
  const same = answer?.key === key;
  return {
    data: same ? answer.data : null,
    error: same ? answer.error : null,
    loading: !same || answer.round !== round,
    reload: () => setAttempt(n => n + 1)
  };
}
