import { IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';
import * as path from 'path';

import { RunsSidebarPage } from './sidebar';

/** The current test's folder on the server (how Galata's `tmpPath` fixture names it). */
export function testFolder(): string {
  return path.basename(test.info().outputDir).replace(/-retry\d+$/i, '');
}

/** Page object for the run table of the sidebar and the compare tab. */
export class RunsPage extends RunsSidebarPage {
  constructor(private readonly lab: IJupyterLabPageFixture) {
    super(lab);
  }

  /** The run table (a grid). */
  get table(): Locator {
    return this.panel.getByRole('grid', { name: 'Experiment runs' });
  }

  /**
   * The loaded run rows of the current test's own notebooks.
   *
   * Every spec file shares one server and so one store: runs recorded by other tests stay in the
   * table. Galata gives each test its own folder, and a run's experiment is its notebook's path,
   * so the rows whose experiment lies in this test's folder are this test's runs.
   */
  get runRows(): Locator {
    return this.panel.locator(
      `.jp-mlops-run-row[data-run-id][data-experiment*="/${testFolder()}/"]`
    );
  }

  /** Every loaded run row, whichever test recorded it. */
  get allRunRows(): Locator {
    return this.panel.locator('.jp-mlops-run-row[data-run-id]');
  }

  /** The row of the run with this (exact) label. */
  row(name: string): Locator {
    return this.table.getByRole('row', { name, exact: true });
  }

  /** The row of a reproduction nested under (or marked as a reproduction of) `original`. */
  reproductionRow(name: string, original: string): Locator {
    return this.table.getByRole('row', {
      name: `${name}, reproduction of ${original}`,
      exact: true
    });
  }

  /** The run id of a row. */
  async runId(row: Locator): Promise<string> {
    const id = await row.getAttribute('data-run-id');
    if (!id) {
      throw new Error('the row has no run id');
    }
    return id;
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

  /** The header row of a sweep's sub-group in the sidebar. */
  sweepHeader(sweepId: string): Locator {
    return this.panel.locator(
      `.jp-mlops-sweep-row[data-sweep-id="${sweepId}"]`
    );
  }

  /** The run rows of a sweep (loaded ones). */
  sweepRunRows(sweepId: string): Locator {
    return this.panel.locator(
      `.jp-mlops-run-row[data-run-id][data-sweep-id="${sweepId}"]`
    );
  }

  /** This test's run rows that belong to no sweep. */
  get ownRunRows(): Locator {
    return this.panel.locator(
      `.jp-mlops-run-row[data-run-id][data-experiment*="/${testFolder()}/"]:not([data-sweep-id])`
    );
  }
}

/** The folder of the runs seeded into the test server's store (ui-tests/seed_runs.py). */
export const GALLERY = 'gallery';

/** Page object for the seeded gallery runs in the sidebar. */
export class GalleryPage extends RunsPage {
  /** Show only the gallery's runs. */
  async showGallery(): Promise<void> {
    await this.open();
    await this.filter(`experiment ~ "/${GALLERY}/"`);
    await this.row('logreg · C=1').waitFor();
  }

  /** The header row of an experiment group (by the text shown). */
  groupHeader(text: string | RegExp): Locator {
    return this.table.locator('.jp-mlops-group-row', { hasText: text });
  }

  /** Header texts that do not fit their cell. */
  async clippedHeaders(): Promise<string[]> {
    return this.table
      .locator('.jp-mlops-header-text')
      .evaluateAll(nodes =>
        nodes
          .filter(n => n.scrollWidth > n.clientWidth + 1)
          .map(n => n.textContent ?? '')
      );
  }
}
