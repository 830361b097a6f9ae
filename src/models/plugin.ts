/**
 * The model lifecycle in JupyterLab: the Models panel in the left sidebar, the commands that
 * open it on a model, a version or a drift check, "Register as Model Version…" on a run (the
 * run table's context menu and the run details), a notification when an approval request
 * waits for the user, and one when a trigger fires.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';

import { MlopsClient } from '../client';
import { CommandIDs } from '../commands';
import { modelsIcon } from '../icons';
import { Mlops } from '../types';
import { registerRun } from './actions';
import { requestNotice } from './approvals';
import { ModelsPanel } from './ModelsPanel';
import { ModelsNavigation } from './navigation';
import { ApprovalNotifier } from './notifier';
import { TriggerNotifier } from './triggerNotifier';
import { firingNotice, outcomeTone } from './triggers';

const PANEL_ID = 'mlops-jupyter-models';

/** The run id of the run row a context menu was opened on, if any. */
function runOfContextMenu(app: JupyterFrontEnd): string | null {
  const row = app.contextMenuHitTest(
    node => node.classList.contains('jp-mlops-run-row') && !!node.dataset.runId
  );
  return row?.dataset.runId ?? null;
}

function addCommands(
  app: JupyterFrontEnd,
  client: MlopsClient,
  navigation: ModelsNavigation,
  palette: ICommandPalette | null
): void {
  const show = () => app.shell.activateById(PANEL_ID);
  app.commands.addCommand(CommandIDs.openModels, {
    label: 'Show Model Registry',
    caption: 'Open the registered models (mlops-jupyter)',
    execute: () => {
      navigation.go({ kind: 'models' });
      show();
    }
  });
  app.commands.addCommand(CommandIDs.openDrift, {
    label: 'Show Drift Checks',
    caption: 'Open the recorded drift checks (mlops-jupyter)',
    execute: args => {
      const id = Number(args.check);
      navigation.go(
        Number.isInteger(id) && id > 0
          ? { kind: 'check', id }
          : {
              kind: 'drift',
              model: args.model ? String(args.model) : undefined
            }
      );
      show();
    }
  });
  app.commands.addCommand(CommandIDs.openTriggers, {
    label: 'Show Triggers',
    caption:
      'Open the continuous-training triggers and their last firings (mlops-jupyter)',
    execute: () => {
      navigation.go({ kind: 'triggers' });
      show();
    }
  });
  app.commands.addCommand(CommandIDs.openModel, {
    label: 'Show Model',
    caption: 'Open a registered model (args: name, version?, request?)',
    describedBy: {
      args: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          version: { type: 'number' },
          request: { type: 'string' }
        },
        required: ['name']
      }
    },
    execute: args => {
      const name = String(args.name ?? '');
      if (!name) {
        return;
      }
      const version = Number(args.version);
      navigation.go(
        Number.isInteger(version) && version > 0
          ? { kind: 'version', name, version }
          : {
              kind: 'model',
              name,
              request: args.request ? String(args.request) : undefined
            }
      );
      show();
    }
  });
  app.commands.addCommand(CommandIDs.registerRun, {
    label: 'Register as Model Version…',
    caption:
      "Register a finished run's artifacts as the next version of a model",
    describedBy: {
      args: { type: 'object', properties: { id: { type: 'string' } } }
    },
    execute: args => {
      const id = args.id ? String(args.id) : runOfContextMenu(app);
      if (!id) {
        return;
      }
      return registerRun(
        client,
        id,
        (name, version) =>
          void app.commands.execute(CommandIDs.openModel, { name, version })
      );
    }
  });
  app.contextMenu.addItem({
    command: CommandIDs.registerRun,
    selector: '.jp-mlops-run-row[data-run-id]',
    rank: 10
  });
  if (palette) {
    for (const command of [
      CommandIDs.openModels,
      CommandIDs.openDrift,
      CommandIDs.openTriggers
    ]) {
      palette.addItem({ command, category: 'mlops-jupyter' });
    }
  }
}

/** Notify a request waiting for the user once, with an action opening it. */
function notifyRequest(
  app: JupyterFrontEnd,
  request: Mlops.IApprovalRequest
): void {
  Notification.info(requestNotice(request), {
    autoClose: 15000,
    actions: [
      {
        label: 'Review',
        caption: 'Open the request in the Models panel',
        callback: () =>
          void app.commands.execute(CommandIDs.openModel, {
            name: request.name,
            request: request.id
          })
      }
    ]
  });
}

/** Notify a new firing of a trigger once, with an action opening the Triggers tab. */
function notifyFiring(
  app: JupyterFrontEnd,
  firing: Mlops.ITriggerFiring
): void {
  const tone = outcomeTone(firing.outcome);
  const notify =
    tone === 'failure'
      ? Notification.error
      : tone === 'attention'
        ? Notification.warning
        : Notification.info;
  notify(firingNotice(firing), {
    autoClose: 15000,
    actions: [
      {
        label: 'Open',
        caption: 'Open the Triggers tab of the Models panel',
        callback: () => void app.commands.execute(CommandIDs.openTriggers)
      }
    ]
  });
}

/** The Models panel, its commands and the approval and firing notifications. */
export const modelsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'mlops-jupyter:models',
  description:
    'Registered models, aliases, gates, approvals, lineage, drift checks and triggers, in the left sidebar.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): void => {
    const client = new MlopsClient();
    const navigation = new ModelsNavigation();
    const notifier = new ApprovalNotifier({
      client,
      auto: false,
      storage: window.localStorage,
      notify: request => notifyRequest(app, request)
    });
    const triggers = new TriggerNotifier({
      client,
      auto: false,
      storage: window.sessionStorage,
      notify: firing => notifyFiring(app, firing)
    });
    const panel = new ModelsPanel({
      client,
      navigation,
      notifier,
      triggers,
      openRun: id => void app.commands.execute(CommandIDs.openRun, { id })
    });
    panel.id = PANEL_ID;
    panel.title.icon = modelsIcon;
    panel.title.caption = 'Models and drift checks (mlops-jupyter)';
    app.shell.add(panel, 'left', { rank: 601 });
    if (restorer) {
      restorer.add(panel, PANEL_ID);
    }
    addCommands(app, client, navigation, palette);
    // Look for requests once JupyterLab is there, then every minute while it is visible.
    void app.restored.then(() => notifier.refresh());
    // The firings there are when the page loads are the baseline; later ones are notified.
    void app.restored.then(() => triggers.refresh());
  }
};
