import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import * as fs from 'fs';

import { textContrasts } from '../helpers/contrast';
import { GalleryPage } from '../helpers/runs';
import { shoot, shootWhole } from '../helpers/screenshots';

/** WCAG AA for normal text. */
const MIN_CONTRAST = 4.5;

/** The sidebar width the issue asks to look right at. */
const SIDEBAR_WIDTH = 400;

async function useTheme(page: IJupyterLabPageFixture, theme: string) {
  if (theme === 'dark') {
    await page.theme.setDarkTheme();
  } else {
    await page.theme.setLightTheme();
  }
}

for (const theme of ['light', 'dark']) {
  test.describe(`mlops-jupyter in the ${theme} theme`, () => {
    test.afterEach(async ({ page }) => {
      await page.theme.setLightTheme();
    });

    test('the sidebar at 400 px: full headers, told-apart labels, readable selected rows', async ({
      page
    }) => {
      await useTheme(page, theme);
      const runs = new GalleryPage(page);
      await runs.showGallery();
      await page.sidebar.setWidth(SIDEBAR_WIDTH);

      // The group header shows the notebook below the server root, its name in full.
      const group = runs.groupHeader('iris_logistic_regression.ipynb');
      await expect(group.locator('.jp-mlops-group-name')).toHaveText(
        'gallery/iris_logistic_regression.ipynb'
      );
      await expect(group.locator('.jp-mlops-group-name')).toHaveAttribute(
        'title',
        /^\/.*\/gallery\/iris_logistic_regression\.ipynb$/
      );
      const tail = group.locator('.jp-mlops-group-tail');
      expect(await tail.evaluate(n => n.scrollWidth <= n.clientWidth + 1)).toBe(
        true
      );
      expect(
        await group.evaluate(
          n =>
            getComputedStyle(n.querySelector('.jp-mlops-group-name')!).direction
        )
      ).toBe('ltr');

      // Runs named alike are told apart by the parameter that differs.
      for (const label of [
        'logreg · C=1',
        'logreg · C=0.05',
        'logreg · C=0.2',
        'logreg · C=5'
      ]) {
        await expect(runs.row(label)).toBeVisible();
      }
      expect(await runs.clippedHeaders()).toEqual([]);

      await runs.select('logreg · C=1');
      await runs.select('logreg · C=0.05');
      const selected = runs.table.locator('.jp-mlops-run-row.jp-mod-selected');
      await expect(selected).toHaveCount(2);
      const contrasts = await textContrasts(selected);
      expect(contrasts.length).toBeGreaterThan(4);
      expect(contrasts.filter(c => c.ratio < MIN_CONTRAST)).toEqual([]);
      await shoot(`sidebar-${theme}`, runs.panel);
    });

    test('compare: readable differing rows, values on hover', async ({
      page
    }) => {
      await useTheme(page, theme);
      const runs = new GalleryPage(page);
      await runs.showGallery();
      await page.sidebar.setWidth(SIDEBAR_WIDTH);
      for (const label of [
        'logreg · C=1',
        'logreg · C=0.05',
        'logreg · C=0.2'
      ]) {
        await runs.select(label);
      }
      await runs.compareButton.click();
      await expect(runs.compareRow('C')).toHaveClass(/jp-mlops-differs/);
      const differing = runs.compare.locator('tr.jp-mlops-differs');
      const contrasts = await textContrasts(differing);
      expect(contrasts.length).toBeGreaterThan(4);
      expect(contrasts.filter(c => c.ratio < MIN_CONTRAST)).toEqual([]);
      await expect(
        runs.compare
          .getByRole('table', { name: 'Parameters and metrics' })
          .getByRole('columnheader', { name: 'logreg · C=0.05' })
      ).toBeVisible();

      // Metrics logged once are bars with their values; a series is a line chart whose legend
      // shows every run's value under the cursor.
      const bars = runs.compare.getByRole('table', { name: 'accuracy by run' });
      await expect(bars.getByRole('row')).toHaveCount(3);
      await expect(bars).toContainText('0.9333');
      const chart = runs.compare.locator('.jp-mlops-chart', {
        hasText: 'loss'
      });
      const over = chart.locator('.u-over');
      await over.scrollIntoViewIfNeeded();
      const box = (await over.boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
      const values = chart.locator(
        '.u-legend .u-series:not(:first-child) .u-value'
      );
      await expect(values).toHaveCount(3);
      for (const text of await values.allTextContents()) {
        expect(text).toMatch(/^\d/);
      }

      // Parallel coordinates: brushing an axis keeps the runs in range.
      const parallel = runs.compare.getByRole('region', {
        name: 'Parallel coordinates'
      });
      const axis = parallel.locator(
        '[data-axis="metrics.accuracy"] .jp-mlops-parallel-hit'
      );
      await axis.scrollIntoViewIfNeeded();
      const hit = (await axis.boundingBox())!;
      // From 30 % below the top to past the top: the best accuracy only.
      await page.mouse.move(hit.x + hit.width / 2, hit.y + hit.height * 0.3);
      await page.mouse.down();
      await page.mouse.move(hit.x + hit.width / 2, hit.y - 10, { steps: 4 });
      await page.mouse.up();
      await expect(parallel.getByRole('status')).toContainText('1 of 3 runs');
      await expect(
        parallel.locator('.jp-mlops-parallel-line.jp-mod-dimmed')
      ).toHaveCount(2);
      await parallel
        .getByLabel('Colour lines by')
        .selectOption({ label: 'accuracy' });
      await shootWhole(
        page,
        `compare-${theme}`,
        runs.compare.locator('.jp-mlops-compare')
      );
    });

    test('details: inputs, artifacts that download, never shown', async ({
      page
    }) => {
      await useTheme(page, theme);
      const runs = new GalleryPage(page);
      await runs.showGallery();
      const row = runs.row('logreg · C=0.2');
      await row.focus();
      await page.keyboard.press('Enter');
      const details = page.locator('.jp-mlops-details');
      const inputs = details.getByRole('table', { name: 'Inputs' });
      await expect(inputs.locator('tbody tr')).toHaveCount(4);
      await expect(
        inputs.locator('tr[data-path="data/train.csv"]')
      ).toContainText('[3]');
      await expect(inputs.locator('tr[data-path="images/"]')).toContainText(
        '4096 files'
      );
      await expect(inputs).toContainText('not hashed');
      const artifacts = details.getByRole('table', { name: 'Artifacts' });
      await expect(
        artifacts.getByRole('link', { name: /^Download/ })
      ).toHaveCount(2);
      await shootWhole(page, `details-${theme}`, details);
      if (theme !== 'light') {
        return;
      }
      for (const [path, name, size] of [
        ['models/model.pkl', 'model.pkl', 1344],
        ['reports/report.html', 'report.html', 68]
      ] as const) {
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          artifacts.getByRole('link', { name: `Download ${path}` }).click()
        ]);
        expect(download.suggestedFilename()).toBe(name);
        const file = await download.path();
        expect(fs.statSync(file).size).toBe(size);
      }
      // The HTML artifact was saved, never rendered: its script did not run.
      expect(await page.title()).not.toBe('pwned');
    });
  });
}
