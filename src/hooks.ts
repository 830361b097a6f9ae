/**
 * React hooks shared by the views.
 */
import { ISignal } from '@lumino/signaling';
import React from 'react';

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
