import { expect, test } from '@jupyterlab/galata';

import { Locator, TestInfo } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import { RunsPage } from '../helpers/runs';
import { SweepFormPage } from '../helpers/sweep';

/** The run to sweep: one parameter and a metric that depends on it. */
const TRACKED = [
  '%%track',
  'lr = 0.1',
  'import mlops_jupyter',
  "mlops_jupyter.log_metric('score', lr * 10)"
].join('\n');

/** Where screenshots are copied for people to look at. */
const SCREENS = process.env.MLOPS_SCREENS ?? '/tmp/mlops-screens';

/** Save a screenshot of `target`, attach it to the report and copy it to SCREENS. */
async function attachShot(
  testInfo: TestInfo,
  name: string,
  target: Locator
): Promise<void> {
  const file = testInfo.outputPath(`${name}.png`);
  await target.screenshot({ path: file });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
  fs.mkdirSync(SCREENS, { recursive: true });
  fs.copyFileSync(file, path.join(SCREENS, `${name}.png`));
}

test.describe('mlops-jupyter sweeps', () => {
  test.setTimeout(240 * 1000);

  test('reruns a run with two values and groups the new runs by sweep', async ({
    page
  }, testInfo) => {
    const runs = new RunsPage(page);
    await runs.open();

    await page.notebook.createNew('sweep.ipynb');
    await page.notebook.setCell(0, 'code', '%load_ext mlops_jupyter');
    await page.notebook.runCell(0);
    await page.notebook.addCell('code', TRACKED);
    await page.notebook.save();
    await page.notebook.runCell((await page.notebook.getCellCount()) - 1);

    const base = runs.ownRunRows.first();
    await expect(base).toBeVisible({ timeout: 10000 });
    const baseId = await runs.runId(base);
    await base.focus();
    await page.keyboard.press('Enter');

    const details = new SweepFormPage(page, baseId);
    await expect(details.rerunButton).toBeEnabled();
    await details.rerunButton.click();
    await expect(details.rerunButton).toHaveAttribute('aria-expanded', 'true');

    // One row per parameter, prefilled with the current value.
    await expect(details.values('lr')).toHaveValue('0.1');
    await expect(details.count).toHaveText('1 combination');

    // An empty list cannot start; two values make two combinations.
    await details.values('lr').fill(' ');
    await expect(details.formErrors).toHaveText([
      'lr: give at least one value.'
    ]);
    await expect(details.startButton).toBeDisabled();
    await details.values('lr').fill('0.1, 0.2');
    await expect(details.count).toHaveText('2 combinations');
    await expect(details.formErrors).toHaveCount(0);
    await details.workers.fill('2');
    await details.startButton.click();

    // Progress reaches 2 / 2 (papermill starts a fresh kernel per combination).
    await expect(details.sweepProgress).toBeVisible();
    await expect(details.sweepStatus).toHaveText('finished: 2 / 2 done', {
      timeout: 150 * 1000
    });
    await expect(details.sweepProgress).toHaveAttribute('aria-valuenow', '2');
    await expect(details.sweepProgress).toHaveAttribute('aria-valuemax', '2');
    await expect(details.sweepCancelButton).toHaveCount(0);
    await expect(details.alert).toHaveCount(0);
    const sweepId = await details.sweepId();

    // The executions link to the two new runs.
    await expect(details.executions.locator('tbody tr')).toHaveCount(2);
    await expect(
      details.executions.locator('tbody tr[data-status="finished"]')
    ).toHaveCount(2);
    // Each execution shows the value it swept and its run's key metric.
    await expect(
      details.executions.getByRole('columnheader', { name: 'lr' })
    ).toBeVisible();
    await expect(
      details.executions.locator('td[data-metric="score"]')
    ).toHaveText(['1', '2']);
    await expect(details.executions.locator('td[data-param="lr"]')).toHaveText([
      '0.1',
      '0.2'
    ]);
    await attachShot(testInfo, 'sweep-details', details.details);

    // In the sidebar, the two runs arrive inside the sweep's sub-group, right below its header.
    const header = runs.sweepHeader(sweepId);
    await expect(header).toBeVisible({ timeout: 15000 });
    await expect(header).toHaveAttribute(
      'aria-label',
      `sweep ${sweepId.slice(0, 8)} (2 runs)`
    );
    const members = runs.sweepRunRows(sweepId);
    await expect(members).toHaveCount(2);
    const headerIndex = Number(await header.getAttribute('data-index'));
    const indices = await members.evaluateAll(rows =>
      rows.map(row => Number(row.getAttribute('data-index'))).sort()
    );
    expect(indices).toEqual([headerIndex + 1, headerIndex + 2]);
    await attachShot(testInfo, 'sweep-sidebar', runs.panel);

    // Collapsing the sub-group hides its runs, not its header.
    await header.getByText(/^sweep /).click();
    await expect(header).toHaveAttribute('aria-expanded', 'false');
    await expect(members).toHaveCount(0);
    // ... and the keyboard expands it again.
    await header.focus();
    await page.keyboard.press('Enter');
    await expect(header).toHaveAttribute('aria-expanded', 'true');
    await expect(members).toHaveCount(2);

    // "Compare sweep" opens the compare view with the sweep's runs.
    await header.getByRole('button', { name: 'Compare sweep' }).click();
    await expect(runs.compare).toBeVisible();
    await expect(runs.compareRow('lr')).toBeVisible({ timeout: 10000 });
    await expect(runs.compareRow('score')).toBeVisible();

    const full = testInfo.outputPath('sweep-full.png');
    await page.screenshot({ path: full });
    await testInfo.attach('sweep-full', {
      path: full,
      contentType: 'image/png'
    });
    fs.copyFileSync(full, path.join(SCREENS, 'sweep-full.png'));
  });
});
