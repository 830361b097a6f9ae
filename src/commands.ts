/**
 * The commands opening the sidebar's runs in the main area: a run's details and the compare view.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { PageConfig } from '@jupyterlab/coreutils';

import { MlopsClient } from './client';
import { CompareWidget } from './compare/CompareView';
import { RunDetailsWidget } from './details/RunDetails';
import { runLabel } from './format';
import { mlopsIcon } from './icons';
import { RunsSidebar } from './runs/RunsSidebar';

/** Command ids of the extension. */
export namespace CommandIDs {
  export const openSidebar = 'mlops-jupyter:open-sidebar';
  /** Open a run's details in the main area; args `{ id }`. */
  export const openRun = 'mlops-jupyter:open-run';
  /** Compare runs in the main area; args `{ ids: string[] }`. */
  export const compare = 'mlops-jupyter:compare';
  /** Show the Models panel's list of models. */
  export const openModels = 'mlops-jupyter:open-models';
  /** Show a model (`{ name, request? }`) or a version (`{ name, version }`) in the Models panel. */
  export const openModel = 'mlops-jupyter:open-model';
  /** Show the drift checks (`{ model? }`) or one check (`{ check }`) in the Models panel. */
  export const openDrift = 'mlops-jupyter:open-drift';
  /** Show the continuous-training triggers in the Models panel. */
  export const openTriggers = 'mlops-jupyter:open-triggers';
  /** Register a run's artifacts as a model version (`{ id }`, or the run row of a context menu). */
  export const registerRun = 'mlops-jupyter:register-run';
}

const COMPARE_ID = 'mlops-jupyter-compare';

/** The parts of a notebook panel used to reveal a cell (no dependency on the notebook package). */
interface INotebookLike {
  readonly context?: { readonly ready: Promise<void> };
  readonly revealed?: Promise<void>;
  readonly content?: {
    readonly widgets: ReadonlyArray<{
      readonly model: { readonly id: string };
    }>;
    activeCellIndex: number;
    scrollToItem?: (index: number) => Promise<void>;
  };
}

/** Open a notebook and make the cell with `cellId` active, if it still exists. */
async function openNotebookAtCell(
  app: JupyterFrontEnd,
  path: string,
  cellId: string | null
): Promise<void> {
  const panel = (await app.commands.execute('docmanager:open', {
    path
  })) as INotebookLike | undefined;
  if (!cellId || !panel?.content) {
    return;
  }
  await panel.context?.ready;
  await panel.revealed;
  const notebook = panel.content;
  const index = notebook.widgets.findIndex(cell => cell.model.id === cellId);
  if (index >= 0) {
    notebook.activeCellIndex = index;
    await notebook.scrollToItem?.(index);
  }
}

/** Commands opening a run's details and the compare view in the main area. */
export function addRunViews(
  app: JupyterFrontEnd,
  sidebar: RunsSidebar,
  editorServices: IEditorServices | null
): void {
  const client = new MlopsClient();
  const openRun = (id: string) =>
    void app.commands.execute(CommandIDs.openRun, { id });
  const context = {
    client,
    serverRoot: PageConfig.getOption('serverRoot'),
    openNotebook: (path: string, cellId: string | null) =>
      void openNotebookAtCell(app, path, cellId),
    editorServices,
    openRun,
    compare: (ids: string[]) =>
      void app.commands.execute(CommandIDs.compare, { ids }),
    // The Models plugin (same package) adds the command.
    registerRun: (id: string) =>
      void app.commands.execute(CommandIDs.registerRun, { id })
  };

  app.commands.addCommand(CommandIDs.openRun, {
    label: 'Show Run Details',
    caption: 'Open the details of an experiment run',
    describedBy: {
      args: {
        type: 'object',
        properties: { id: { type: 'string' } },
        required: ['id']
      }
    },
    execute: args => {
      const id = String(args.id ?? '');
      if (!id) {
        return;
      }
      const widgetId = `mlops-jupyter-run-${id}`;
      for (const widget of app.shell.widgets('main')) {
        if (widget.id === widgetId) {
          app.shell.activateById(widgetId);
          return;
        }
      }
      const content = new RunDetailsWidget(id, context);
      const widget = new MainAreaWidget({ content });
      widget.id = widgetId;
      widget.title.label = `Run ${id.slice(0, 8)}`;
      widget.title.caption = `Experiment run ${id}`;
      widget.title.icon = mlopsIcon;
      widget.title.closable = true;
      app.shell.add(widget, 'main');
      app.shell.activateById(widgetId);
      // Name the tab after the run once it is known.
      client
        .run(id)
        .then(run => {
          widget.title.label = `Run ${runLabel(run)}`;
        })
        .catch(() => undefined);
    }
  });

  let compare: MainAreaWidget<CompareWidget> | null = null;
  app.commands.addCommand(CommandIDs.compare, {
    label: 'Compare Runs',
    caption: 'Compare the selected experiment runs',
    describedBy: {
      args: {
        type: 'object',
        properties: { ids: { type: 'array', items: { type: 'string' } } }
      }
    },
    isEnabled: args =>
      Array.isArray(args.ids) || sidebar.model.selected.length >= 2,
    execute: args => {
      const ids = Array.isArray(args.ids)
        ? (args.ids as string[]).map(String)
        : [...sidebar.model.selected];
      if (ids.length < 2) {
        return;
      }
      if (compare && !compare.isDisposed) {
        compare.content.setIds(ids);
      } else {
        compare = new MainAreaWidget({
          content: new CompareWidget(client, ids, openRun)
        });
        compare.id = COMPARE_ID;
        compare.title.label = 'Compare runs';
        compare.title.icon = mlopsIcon;
        compare.title.closable = true;
        app.shell.add(compare, 'main');
      }
      compare.title.caption = `Comparing ${ids.join(', ')}`;
      app.shell.activateById(COMPARE_ID);
    }
  });

  sidebar.setHandlers({
    openRun,
    compare: ids => void app.commands.execute(CommandIDs.compare, { ids })
  });
}
