import { expect, test } from '@jupyterlab/galata';

import { Locator, TestInfo } from '@playwright/test';

import { textContrasts } from '../helpers/contrast';
import { RunDetailsPage } from '../helpers/reproduce';
import { RunsPage } from '../helpers/runs';
import { shoot } from '../helpers/screenshots';

/** A deterministic tracked cell: reproducing it must give the same metric. */
const TRACKED = [
  '%%track --name det-a',
  'x = 2',
  'import mlops_jupyter',
  "mlops_jupyter.log_metric('acc', x / 4)"
].join('\n');

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

test.describe('mlops-jupyter reproduction', () => {
  test.setTimeout(180 * 1000);

  test('reproduces a saved notebook run and nests the new run under it', async ({
    page
  }, testInfo) => {
    const runs = new RunsPage(page);
    await runs.open();

    await page.notebook.createNew('repro.ipynb');
    await page.notebook.setCell(0, 'code', '%load_ext mlops_jupyter');
    await page.notebook.runCell(0);
    await page.notebook.addCell('code', TRACKED);
    // Saved before the tracked cell runs: the run is pinned to this notebook snapshot.
    await page.notebook.save();
    await page.notebook.runCell((await page.notebook.getCellCount()) - 1);

    const original = runs.row('det-a');
    await expect(original).toBeVisible({ timeout: 10000 });
    const originalId = await runs.runId(original);

    await original.focus();
    await page.keyboard.press('Enter');
    const details = new RunDetailsPage(page, originalId);
    await expect(details.pin).toHaveText('pinned to: notebook snapshot');
    await expect(details.reproduceButton).toBeEnabled();

    // Keyboard: the Reproduce button is reachable and starts the job.
    await details.reproduceButton.focus();
    await page.keyboard.press('Enter');
    await expect(details.progress).toBeVisible();
    await expect(details.progressStatus).toHaveText(
      /^(queued, waiting to start|starting the kernel|running cell \d+ of \d+|finished)$/
    );

    // A deterministic cell reproduces (papermill starts a fresh kernel: allow a minute).
    await expect(details.verdictBadge).toHaveText('reproduced', {
      timeout: 60 * 1000
    });
    await expect(details.alert).toHaveCount(0);
    await expect(details.progressStatus).toHaveText('finished');
    const max = await details.progress.getAttribute('aria-valuemax');
    expect(Number(max)).toBeGreaterThan(0);
    await expect(details.progress).toHaveAttribute('aria-valuenow', max!);
    await expect(details.cancelButton).toHaveCount(0);
    const acc = details.verdictMetric('acc');
    await expect(acc).toContainText('0.5');
    await expect(acc).toContainText('yes');
    await expect(acc).not.toHaveClass(/jp-mlops-differs/);
    // The verdict, readable in both themes (the README shows the light one).
    await shoot('verdict-light', details.reproduction);
    await page.theme.setDarkTheme();
    await shoot('verdict-dark', details.reproduction);
    const contrasts = await textContrasts(
      details.verdict.locator('tr, .jp-mlops-verdict-head')
    );
    expect(contrasts.filter(c => c.ratio < 4.5)).toEqual([]);
    await page.theme.setLightTheme();

    // The verdict opens the reproduction's own details, which point back to the original.
    await details.openReproductionButton.click();
    // Named like its original, the reproduction is marked ↻.
    const reproduction = runs.reproductionRow('det-a ↻', 'det-a');
    await expect(reproduction).toBeVisible({ timeout: 10000 });
    const reproductionId = await runs.runId(reproduction);
    expect(reproductionId).not.toBe(originalId);
    const opened = new RunDetailsPage(page, reproductionId);
    await expect(opened.tab).toBeVisible();
    await expect(
      opened.details.getByRole('button', { name: originalId })
    ).toBeVisible();

    // In the sidebar, the reproduction is the row right below its original, indented.
    const originalIndex = Number(await original.getAttribute('data-index'));
    await expect(reproduction).toHaveAttribute(
      'data-index',
      String(originalIndex + 1)
    );
    await expect(reproduction).toHaveClass(/jp-mlops-nested/);
    await expect(reproduction).toHaveAttribute(
      'data-reproduction-of',
      originalId
    );

    await attachShot(testInfo, 'reproduce-sidebar', runs.panel);
    const full = testInfo.outputPath('reproduce-full.png');
    await page.screenshot({ path: full });
    await testInfo.attach('reproduce-full', {
      path: full,
      contentType: 'image/png'
    });
  });
});
