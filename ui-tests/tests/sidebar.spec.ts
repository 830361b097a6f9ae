import { expect, test } from '@jupyterlab/galata';

import { RunsSidebarPage } from '../helpers/sidebar';

test.describe('mlops-jupyter sidebar', () => {
  test('shows the version and the store of the server extension', async ({
    page
  }, testInfo) => {
    const sidebar = new RunsSidebarPage(page);
    await sidebar.open();

    await expect(sidebar.status).toHaveText(
      /^mlops-jupyter \d+\.\d+\.\d+\S* · store: \/.*mlops-ui-store-/
    );
    await expect(sidebar.panel.getByRole('alert')).toHaveCount(0);

    const shot = await sidebar.panel.screenshot();
    await testInfo.attach('sidebar', { body: shot, contentType: 'image/png' });
    await page.screenshot({ path: testInfo.outputPath('sidebar-full.png') });
  });

  test('is reachable from the keyboard through the command palette', async ({
    page
  }) => {
    const sidebar = new RunsSidebarPage(page);
    await page.keyboard.press('Control+Shift+C');
    await page.keyboard.type('Show Experiment Runs');
    await page.keyboard.press('Enter');
    await expect(sidebar.panel).toBeVisible();
    await expect(sidebar.status).toContainText('store:');
  });

  test('says how to enable the server extension when its API is missing', async ({
    page
  }) => {
    await page.route('**/mlops-jupyter/api/status*', route =>
      route.fulfill({ status: 404, body: 'Not Found' })
    );
    // JupyterLab is already loaded: reload so the sidebar's first request meets the route.
    await page.reload();
    const sidebar = new RunsSidebarPage(page);
    await sidebar.open();
    await expect(
      sidebar.panel.getByRole('button', { name: 'Retry' })
    ).toBeVisible();
    const alert = sidebar.panel.getByRole('alert');
    await expect(alert).toContainText(
      'server extension is not installed or not enabled'
    );
    await expect(alert).toContainText(
      'jupyter server extension enable mlops_jupyter'
    );
  });

  test('follows the dark theme', async ({ page }, testInfo) => {
    const sidebar = new RunsSidebarPage(page);
    await page.theme.setDarkTheme();
    await sidebar.open();
    await expect(sidebar.status).toContainText('store:');
    const colors = await sidebar.panel.evaluate(el => {
      const style = getComputedStyle(el);
      const status = getComputedStyle(el.querySelector('.jp-mlops-status')!);
      return { background: style.backgroundColor, text: status.color };
    });
    const luminance = (rgb: string): number => {
      const [r, g, b] = rgb.match(/\d+/g)!.map(Number);
      return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
    };
    expect(luminance(colors.background)).toBeLessThan(0.3);
    expect(luminance(colors.text)).toBeGreaterThan(0.5);
    await page.screenshot({ path: testInfo.outputPath('sidebar-dark.png') });
    await page.theme.setLightTheme();
  });
});
