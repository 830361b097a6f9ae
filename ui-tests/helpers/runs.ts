import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import { RunsSidebarPage } from './sidebar';

/** Page object for the run table of the sidebar and the compare tab. */
export class RunsPage extends RunsSidebarPage {
  constructor(private readonly lab: IJupyterLabPageFixture) {
    super(lab);
  }

  /** The run table (a grid). */
  get table(): Locator {
    return this.panel.getByRole('grid', { name: 'Experiment runs' });
  }

  /** Every loaded run row. */
  get runRows(): Locator {
    return this.panel.locator('.jp-mlops-run-row[data-run-id]');
  }

  /** The row of the run with this (exact) label. */
  row(name: string): Locator {
    return this.table.getByRole('row', { name, exact: true });
  }

  get filterInput(): Locator {
    return this.panel.getByRole('searchbox', { name: 'Filter runs' });
  }

  /** The inline message under the filter box. */
  get filterError(): Locator {
    return this.panel.locator('.jp-mlops-filter').getByRole('alert');
  }

  async filter(query: string): Promise<void> {
    await this.filterInput.fill(query);
    await this.filterInput.press('Enter');
  }

  /** Check the box of a run. */
  async select(name: string): Promise<void> {
    await this.row(name).getByRole('checkbox').check();
  }

  get compareButton(): Locator {
    return this.panel.getByRole('button', { name: /^Compare/ });
  }

  /** A sortable column header. */
  columnHeader(title: string): Locator {
    return this.table.getByRole('columnheader', { name: title });
  }

  /** The compare tab's content. */
  get compare(): Locator {
    return this.lab.locator('#mlops-jupyter-compare');
  }

  /** The compare table row of a key (parameter or metric). */
  compareRow(key: string): Locator {
    return this.compare.locator(
      `.jp-mlops-compare-table tr[data-key="${key}"]`
    );
  }
}
