import { expect, test } from '@jupyterlab/galata';

import { RunDetailsPage } from '../helpers/reproduce';
import { shoot } from '../helpers/screenshots';

const MIME = 'application/vnd.mlops-jupyter.run+json';

/**
 * The display contract of the kernel's live view, played by hand: a live display with a series,
 * updated through update_display, then replaced by the final summary without one.
 */
const CONTRACT = [
  'from IPython.display import display, update_display',
  'import time',
  "run = {'id': 'f' * 32, 'name': '<b>contract</b>', 'status': 'running', 'live': True, 'params': {'lr': 0.1}, 'series': {'loss': [[0, 1.0]]}}",
  `show = lambda r: {'${MIME}': r, 'text/plain': 'summary'}`,
  "display(show(run), raw=True, display_id='live-1')",
  "for step in range(1, 12): time.sleep(0.4); run['series']['loss'].append([step, 1 / (step + 1)]); update_display(show(run), raw=True, display_id='live-1')",
  "update_display(show({**run, 'live': False, 'status': 'finished', 'duration': 4.4, 'series': None}), raw=True, display_id='live-1')"
].join('\n');

/** A tracked cell that logs a metric for a few seconds. */
const TRACKED = [
  '%%track --name live-demo',
  'import time, mlops_jupyter',
  'for step in range(16): mlops_jupyter.log_metric("loss", 1 / (step + 1), step=step); time.sleep(0.25)'
].join('\n');

test.describe('mlops-jupyter run summary under a cell', () => {
  test.setTimeout(120 * 1000);

  test('renders live series, settles into the summary, and opens the run', async ({
    page
  }, testInfo) => {
    await page.notebook.createNew('summary.ipynb');
    await page.notebook.setCell(0, 'code', CONTRACT);
    const output = page.locator('.jp-Cell').first().locator('.jp-OutputArea');

    // While the display is live: a chart of the series, the values as text.
    const contract = page.notebook.runCell(0);
    const live = output.locator('.jp-mlops-summary.jp-mod-live');
    await expect(live).toBeVisible({ timeout: 30000 });
    await expect(live.locator('.jp-mlops-chart canvas')).toBeVisible();
    await expect(live).toContainText('<b>contract</b>');
    await expect(live.locator('b')).toHaveCount(0);
    // The same widget is updated in place: one summary, one chart.
    await expect(output.locator('.jp-mlops-summary')).toHaveCount(1);
    await expect(live.locator('.jp-mlops-chart')).toHaveCount(1);

    // The final summary replaces it, without a chart.
    const final = output.locator('.jp-mlops-summary:not(.jp-mod-live)');
    await expect(final).toBeVisible({ timeout: 20000 });
    await expect(final).toContainText('finished in 4.4 s');
    await expect(final.locator('.jp-mlops-chart')).toHaveCount(0);
    await expect(output.locator('.jp-mlops-summary')).toHaveCount(1);
    await contract;

    // A real tracked cell: its summary opens the run's details.
    await page.notebook.addCell('code', '%load_ext mlops_jupyter');
    await page.notebook.runCell((await page.notebook.getCellCount()) - 1);
    await page.notebook.addCell('code', TRACKED);
    const last = (await page.notebook.getCellCount()) - 1;
    const tracked = page.notebook.runCell(last);
    const cell = page.locator('.jp-Cell').nth(last).locator('.jp-OutputArea');
    // The kernel's own live view, when it sends one (a display updated while the cell runs).
    const sawLive = await cell
      .locator('.jp-mlops-summary.jp-mod-live .jp-mlops-chart canvas')
      .waitFor({ timeout: 8000 })
      .then(() => true)
      .catch(() => false);
    testInfo.annotations.push({
      type: 'live view',
      description: sawLive
        ? 'the kernel showed a live chart while the cell ran'
        : 'the kernel sent no live display while the cell ran'
    });
    const summary = cell.locator('.jp-mlops-summary:not(.jp-mod-live)');
    await expect(summary).toBeVisible({ timeout: 30000 });
    await expect(summary).toContainText('live-demo');
    await expect(summary).toContainText('loss=');
    await tracked;
    await shoot('summary', summary);
    const id = await summary.getAttribute('data-run-id');
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    await summary.getByRole('button', { name: 'Open run' }).click();
    const details = new RunDetailsPage(page, id!);
    await expect(
      details.details.getByRole('heading', { name: 'live-demo' })
    ).toBeVisible();
  });
});
