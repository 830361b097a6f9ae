import { expect, test } from '@jupyterlab/galata';

import { ModelsPanelPage, seed, uniqueName } from '../helpers/models';

test.describe('the Triggers tab', () => {
  test('shows the last firing, disables a trigger for good, and notifies a new firing', async ({
    page
  }) => {
    const name = uniqueName('trig');
    const models = new ModelsPanelPage(page);
    // A trigger on NAME@champion whose one firing registered v3 and was refused by the gate.
    seed('trigger', name);
    await models.open();
    await models.tab('Triggers').click();
    const view = models.page('Triggers');
    await view.getByRole('button', { name: 'Refresh' }).click();
    const row = models.panel.locator(
      `.jp-mlops-trigger[data-trigger="${name}"]`
    );
    await expect(row).toContainText(
      `when metrics.auc < 0.9 on the latest finished run evaluating ${name}@champion`
    );
    await expect(row.locator('.jp-mlops-trigger-outcome')).toHaveText(
      `gate failed for ${name}/3: auc: evaluated on other data than the champion`
    );
    await expect(row).toContainText(/last fired today \d\d:\d\d/);

    // Disable it: the state is stored (the tab loads it again from the server).
    const enabled = row.getByRole('checkbox', { name: 'Enabled' });
    await expect(enabled).toBeChecked();
    await enabled.click();
    await expect(row.locator('.jp-mlops-trigger-state')).toHaveText('disabled');
    await models.tab('Models').click();
    await models.tab('Triggers').click();
    await expect(row.locator('.jp-mlops-trigger-state')).toHaveText('disabled');
    await expect(enabled).not.toBeChecked();

    // The outcome's version opens its page.
    await row.getByRole('button', { name: `Open ${name}/3` }).click();
    await expect(models.page(`Model ${name} version 3`)).toBeVisible();

    // A firing recorded after the page loaded is notified once; "Open" shows the Triggers tab.
    seed('firing', name);
    await models.tab('Triggers').click();
    await view.getByRole('button', { name: 'Refresh' }).click();
    const toast = page.locator('.Toastify__toast', {
      hasText: `Trigger ${name} fired: error at cell 4: ValueError: empty training set`
    });
    await expect(toast).toHaveCount(1);
    await expect(row.locator('.jp-mlops-trigger-outcome')).toContainText(
      'error at cell 4: ValueError: empty training set'
    );
    await models.tab('Models').click();
    await toast.getByRole('button', { name: 'Open' }).click();
    await expect(models.tab('Triggers')).toHaveAttribute(
      'aria-selected',
      'true'
    );
    await expect(row).toBeVisible();
  });
});
