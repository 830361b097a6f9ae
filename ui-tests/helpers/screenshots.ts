import { test } from '@jupyterlab/galata';
import { Locator, Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Where `make screenshots` (MLOPS_UPDATE_SCREENSHOTS=1) keeps the screenshots the README shows;
 * otherwise they are only attached to the test report.
 */
export const SCREENSHOTS = path.resolve(__dirname, '..', 'screenshots');

/**
 * Save a screenshot of `target`, attach it to the report, and keep it in ui-tests/screenshots/
 * when MLOPS_UPDATE_SCREENSHOTS is set.
 */
export async function shoot(
  name: string,
  target: Locator | Page
): Promise<void> {
  const info = test.info();
  const file = info.outputPath(`${name}.png`);
  await target.screenshot({ path: file, animations: 'disabled' });
  await info.attach(name, { path: file, contentType: 'image/png' });
  if (process.env.MLOPS_UPDATE_SCREENSHOTS) {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    fs.copyFileSync(file, path.join(SCREENSHOTS, `${name}.png`));
  }
}

/**
 * Screenshot a main-area panel's whole content (compare, details): the window is made tall
 * enough for the panel not to scroll, then put back.
 */
export async function shootWhole(
  page: Page,
  name: string,
  content: Locator
): Promise<void> {
  const size = page.viewportSize() ?? { width: 1280, height: 720 };
  const height = await content.evaluate(n => n.scrollHeight);
  await page.setViewportSize({
    width: size.width,
    height: Math.min(4000, Math.max(size.height, height + 160))
  });
  try {
    await shoot(name, content);
  } finally {
    await page.setViewportSize(size);
  }
}
