import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { Locator, TestInfo } from '@playwright/test';

import { RunsPage } from '../helpers/runs';

/** The source of a tracked cell with a learning rate and a logged loss curve. */
function trackedCell(name: string, lr: string): string {
  return [
    `%%track --name ${name}`,
    `lr = ${lr}`,
    'import mlops_jupyter',
    `for step in range(4): mlops_jupyter.log_metric("loss", ${lr} * (4 - step), step=step)`
  ].join('\n');
}

/** Append a code cell to the active notebook and run it. */
async function addAndRun(page: IJupyterLabPageFixture, source: string) {
  await page.notebook.addCell('code', source);
  await page.notebook.runCell((await page.notebook.getCellCount()) - 1);
}

/** Save a screenshot of `target` in the test's output folder and attach it to the report. */
async function attachShot(
  testInfo: TestInfo,
  name: string,
  target: Locator
): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await target.screenshot({ path });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

const XSS_NAME = '<img src=x onerror=alert(1)>';

test.describe('mlops-jupyter runs', () => {
  test.setTimeout(120 * 1000);

  test('new runs appear live, filter, compare, and names stay text', async ({
    page
  }, testInfo) => {
    const dialogs: string[] = [];
    page.on('dialog', dialog => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });

    const runs = new RunsPage(page);
    await runs.open();

    await page.notebook.createNew('tracked.ipynb');
    await page.notebook.setCell(0, 'code', '%load_ext mlops_jupyter');
    await page.notebook.runCell(0);
    const cells: [string, string][] = [
      ['base-a', '0.1'],
      ['base-b', '0.01'],
      ['base-c', '0.001']
    ];
    for (const [name, lr] of cells) {
      await addAndRun(page, trackedCell(name, lr));
    }

    // The three runs show up in the sidebar without any reload.
    await expect(runs.runRows).toHaveCount(3, { timeout: 10000 });
    for (const [name] of cells) {
      await expect(runs.row(name)).toBeVisible();
    }

    // Sorting by name: the header says so and the rows follow.
    await runs.columnHeader('Name').getByRole('button').click();
    await expect(runs.columnHeader('Name')).toHaveAttribute(
      'aria-sort',
      'ascending'
    );
    await expect(runs.runRows.first()).toHaveAttribute('aria-label', 'base-a');

    // A bad filter says where it is wrong; a good one narrows the rows.
    await runs.filter('params.lr <');
    await expect(runs.filterError).toBeVisible();
    await runs.filter('params.lr < 0.05');
    await expect(runs.filterError).toHaveCount(0);
    await expect(runs.runRows).toHaveCount(2);
    await expect(runs.row('base-a')).toHaveCount(0);

    // Select two runs (mouse, then keyboard) and compare them.
    await expect(runs.compareButton).toBeDisabled();
    await runs.select('base-b');
    await runs.row('base-c').focus();
    await page.keyboard.press('Space');
    await expect(runs.row('base-c')).toHaveAttribute('aria-selected', 'true');
    await expect(runs.compareButton).toBeEnabled();
    await runs.compareButton.click();

    await expect(runs.compare).toBeVisible();
    const lr = runs.compareRow('lr');
    await expect(lr).toHaveClass(/jp-mlops-differs/);
    await expect(lr).toContainText('differs');
    await expect(lr).toContainText('0.01');
    await expect(lr).toContainText('0.001');
    await expect(
      runs.compare.locator('.jp-mlops-chart canvas').first()
    ).toBeVisible();
    await expect(
      runs.compare.locator('td.jp-mlops-diff-removed', { hasText: 'lr = 0.01' })
    ).toBeVisible();
    await expect(
      runs.compare.locator('td.jp-mlops-diff-added', { hasText: 'lr = 0.001' })
    ).toBeVisible();
    await runs.compare
      .getByRole('button', { name: 'Compare notebook snapshots' })
      .click();
    await expect(
      runs.compare.getByRole('table', { name: 'Notebook diff' })
    ).toBeVisible();
    await attachShot(testInfo, 'compare', runs.compare);

    // Enter on a focused row opens the run's details with its source.
    await runs.row('base-b').focus();
    await page.keyboard.press('Enter');
    const details = page.locator('.jp-mlops-details');
    await expect(
      details.getByRole('heading', { name: 'base-b' })
    ).toBeVisible();
    await expect(details.locator('.jp-mlops-source')).toContainText(
      'lr = 0.01'
    );
    await attachShot(testInfo, 'details', details);

    // "Open notebook" brings the notebook back with the tracked cell active (the kernel found
    // the notebook although it was renamed from Untitled.ipynb after the kernel started).
    await details.getByRole('button', { name: 'Open notebook' }).click();
    const activeCell = page.locator(
      '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell.jp-mod-active'
    );
    await expect(activeCell).toContainText('--name base-b');

    // A run name made of markup is shown as those characters, never as HTML.
    await runs.filter('');
    await page.notebook.activate('tracked.ipynb');
    await addAndRun(page, `%%track --name '${XSS_NAME}'\nx = 1`);
    await expect(runs.row(XSS_NAME)).toBeVisible({ timeout: 10000 });
    await expect(runs.row(XSS_NAME).locator('.jp-mlops-run-name')).toHaveText(
      XSS_NAME
    );
    await expect(runs.panel.locator('img')).toHaveCount(0);
    expect(dialogs).toEqual([]);

    await attachShot(testInfo, 'sidebar', runs.panel);
    await page.screenshot({ path: testInfo.outputPath('runs-full.png') });
  });
});
