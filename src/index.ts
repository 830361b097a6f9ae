import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import { MlopsClient } from './client';
import { mlopsIcon } from './icons';
import { RunsSidebar } from './sidebar';

/** Command ids of the extension. */
export namespace CommandIDs {
  export const openSidebar = 'mlops-jupyter:open-sidebar';
}

const SIDEBAR_ID = 'mlops-jupyter-sidebar';

/** The left sidebar listing experiment runs. */
const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'mlops-jupyter:sidebar',
  description: 'Experiment runs recorded by %%track, in the left sidebar.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): void => {
    const sidebar = new RunsSidebar(new MlopsClient());
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
  }
};

export default [sidebarPlugin];
