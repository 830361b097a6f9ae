import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { parseColumns } from './columns';
import { RunsSidebar } from './RunsSidebar';
import { parseWidths } from './widths';

/**
 * Keep the sidebar's column choice and column widths and the `columns` and `columnWidths`
 * settings in step, both ways.
 */
export function connectColumnSetting(
  registry: ISettingRegistry,
  sidebar: RunsSidebar,
  pluginId: string
): void {
  const model = sidebar.model;
  registry
    .load(pluginId)
    .then(settings => {
      const stored = () => ({
        columns: JSON.stringify(settings.composite.columns ?? null),
        widths: JSON.stringify(parseWidths(settings.composite.columnWidths))
      });
      let saved = stored();
      const apply = () => {
        saved = stored();
        model.setColumns(parseColumns(settings.composite.columns));
        model.setColumnWidths(parseWidths(settings.composite.columnWidths));
      };
      apply();
      settings.changed.connect(apply);
      const save = (key: string, value: unknown) =>
        settings
          .set(key, value as any)
          .catch(reason =>
            console.error(`mlops-jupyter: cannot save ${key}`, reason)
          );
      model.changed.connect(() => {
        const columns = JSON.stringify(model.columns);
        const widths = JSON.stringify(model.columnWidths);
        if (columns !== saved.columns) {
          saved = { ...saved, columns };
          void save('columns', model.columns);
        }
        if (widths !== saved.widths) {
          saved = { ...saved, widths };
          void save('columnWidths', model.columnWidths);
        }
      });
    })
    .catch(reason =>
      console.error('mlops-jupyter: cannot load the settings', reason)
    );
}
