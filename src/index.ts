import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { PageConfig } from '@jupyterlab/coreutils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { MlopsClient } from './client';
import { addRunViews, CommandIDs } from './commands';
import { mlopsIcon } from './icons';
import { modelsPlugin } from './models/plugin';
import { RunsSidebar } from './runs/RunsSidebar';
import { connectColumnSetting } from './runs/settings';
import { setRunOpener } from './summary/opener';

const SIDEBAR_ID = 'mlops-jupyter-sidebar';

/** The left sidebar listing experiment runs. */
const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'mlops-jupyter:sidebar',
  description: 'Experiment runs recorded by %%track, in the left sidebar.',
  autoStart: true,
  optional: [
    ILayoutRestorer,
    ICommandPalette,
    ISettingRegistry,
    IEditorServices
  ],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    editorServices: IEditorServices | null
  ): void => {
    const sidebar = new RunsSidebar(
      new MlopsClient(),
      PageConfig.getOption('serverRoot')
    );
    sidebar.id = SIDEBAR_ID;
    sidebar.title.icon = mlopsIcon;
    sidebar.title.caption = 'Experiment runs (mlops-jupyter)';
    app.shell.add(sidebar, 'left', { rank: 600 });
    if (restorer) {
      restorer.add(sidebar, SIDEBAR_ID);
    }

    app.commands.addCommand(CommandIDs.openSidebar, {
      label: 'Show Experiment Runs',
      caption: 'Open the mlops-jupyter sidebar',
      execute: () => app.shell.activateById(SIDEBAR_ID)
    });
    if (palette) {
      palette.addItem({
        command: CommandIDs.openSidebar,
        category: 'mlops-jupyter'
      });
    }

    addRunViews(app, sidebar, editorServices);
    // The run summary under a tracked cell opens its run here.
    setRunOpener(id => void app.commands.execute(CommandIDs.openRun, { id }));
    if (settingRegistry) {
      connectColumnSetting(settingRegistry, sidebar, sidebarPlugin.id);
    }
  }
};

export default [sidebarPlugin, modelsPlugin];
