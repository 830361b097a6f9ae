import { ISignal } from '@lumino/signaling';

/**
 * Resolve once `predicate` holds, checking now and after every `changed` emission of
 * `model`; reject after `timeout` ms.
 */
export function waitFor(
  model: { readonly changed: ISignal<any, any> },
  predicate: () => boolean,
  timeout = 3000
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), timeout);
    const check = () => {
      if (predicate()) {
        clearTimeout(timer);
        model.changed.disconnect(check);
        resolve();
      }
    };
    model.changed.connect(check);
    check();
  });
}
