/**
 * What the Models panel's pages share: the client, where the panel is, and how to reach the
 * rest of JupyterLab.
 */
import { MlopsClient } from '../client';
import { ModelsNavigation } from './navigation';
import { ApprovalNotifier } from './notifier';
import { TriggerNotifier } from './triggerNotifier';

export interface IModelsContext {
  readonly client: MlopsClient;
  readonly navigation: ModelsNavigation;
  /** Opens a run's details in the main area (`mlops-jupyter:open-run`). */
  readonly openRun: (id: string) => void;
  /** The requests waiting for the user (null when notifications are off). */
  readonly notifier: ApprovalNotifier | null;
  /** The triggers' new firings (null when notifications are off). */
  readonly triggers?: TriggerNotifier | null;
}
