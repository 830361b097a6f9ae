import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { parseColumns } from './columns';
import { RunsSidebar } from './RunsSidebar';

/** Keep the sidebar's column choice and the `columns` setting in step, both ways. */
export function connectColumnSetting(
  registry: ISettingRegistry,
  sidebar: RunsSidebar,
  pluginId: string
): void {
  registry
    .load(pluginId)
    .then(settings => {
      let saved = JSON.stringify(settings.composite.columns ?? null);
      const apply = () => {
        saved = JSON.stringify(settings.composite.columns ?? null);
        sidebar.model.setColumns(parseColumns(settings.composite.columns));
      };
      apply();
      settings.changed.connect(apply);
      sidebar.model.changed.connect(() => {
        const current = JSON.stringify(sidebar.model.columns);
        if (current !== saved) {
          saved = current;
          settings
            .set('columns', sidebar.model.columns as any)
            .catch(reason =>
              console.error('mlops-jupyter: cannot save the columns', reason)
            );
        }
      });
    })
    .catch(reason =>
      console.error('mlops-jupyter: cannot load the settings', reason)
    );
}
