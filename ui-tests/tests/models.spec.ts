import { expect, test } from '@jupyterlab/galata';
import * as fs from 'fs';

import { ModelsPanelPage, seed, uniqueName } from '../helpers/models';
import { GalleryPage } from '../helpers/runs';

test.describe('the Models panel', () => {
  test('register a run, move an alias, roll it back: the timeline shows every move', async ({
    page
  }) => {
    const name = uniqueName('reg');
    const models = new ModelsPanelPage(page);
    const runs = new GalleryPage(page);
    await runs.showGallery();

    // Register from the run table's context menu: the model's name is checked as it is typed.
    await runs.row('logreg · C=0.2').click({ button: 'right' });
    await page
      .getByRole('menuitem', { name: 'Register as Model Version…' })
      .click();
    const dialog = models.dialog;
    const nameField = dialog.getByLabel('Model name');
    await nameField.fill('.bad name');
    await expect(dialog.getByRole('alert')).toContainText(
      'starts with a letter or digit'
    );
    await nameField.fill(name);
    await expect(dialog).toContainText(`Creates the model ${name}`);
    await dialog
      .getByRole('checkbox', { name: 'reports/report.html' })
      .uncheck();
    await dialog.getByRole('button', { name: 'Register', exact: true }).click();

    // The new version's page: its one file downloads as an attachment.
    const v1 = models.page(`Model ${name} version 1`);
    await expect(v1).toBeVisible();
    const files = v1.getByRole('table', { name: 'Files' });
    await expect(files.getByRole('row')).toHaveCount(2);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      files.getByRole('link', { name: 'Download models/model.pkl' }).click()
    ]);
    expect(download.suggestedFilename()).toBe('model.pkl');
    expect(fs.statSync(await download.path()).size).toBe(1344);

    // Lineage: data → run → version; the run opens its details, which register v2.
    const lineage = v1.getByRole('list', { name: `Lineage of ${name}/1` });
    await expect(lineage.getByRole('list', { name: 'Data' })).toContainText(
      'data/train.csv'
    );
    await lineage
      .getByRole('list', { name: 'Runs' })
      .getByRole('button', { name: /'logreg'/ })
      .click();
    const details = page.locator('.jp-mlops-details');
    await details.getByRole('button', { name: 'Register model…' }).click();
    await nameField.fill(name);
    await expect(dialog).toContainText(`Adds version 2 to ${name}`);
    await dialog.getByRole('button', { name: 'Register', exact: true }).click();
    await expect(models.page(`Model ${name} version 2`)).toBeVisible();

    // Move @staging to v2, then v1; roll back with a reason.
    await models.crumb(name).click();
    await models
      .version(2)
      .getByRole('button', { name: 'Move alias here…' })
      .click();
    await models.fillDialog(
      { Alias: 'staging', Reason: 'first try' },
      'Move alias'
    );
    await expect(models.version(2).locator('.jp-mlops-chip')).toHaveText(
      '@staging'
    );
    await models
      .version(1)
      .getByRole('button', { name: 'Move alias here…' })
      .click();
    await dialog.getByRole('combobox', { name: 'Alias' }).fill('staging');
    await expect(dialog).toContainText('@staging moves from v2 to v1.');
    await models.fillDialog({ Reason: 'v1 is safer' }, 'Move alias');
    await expect(models.version(1).locator('.jp-mlops-chip')).toHaveText(
      '@staging'
    );
    await models.alias('staging').getByRole('button').click();
    await page
      .locator('.jp-mlops-models')
      .getByRole('button', { name: 'Roll back…' })
      .click();
    await expect(dialog).toContainText('@staging goes back from v1 to v2.');
    // A rollback needs a reason.
    await dialog
      .getByRole('button', { name: 'Roll back', exact: true })
      .click();
    await expect(dialog.getByRole('alert')).toContainText('Reason is required');
    await models.fillDialog({ Reason: 'v1 misbehaves' }, 'Roll back');
    const timeline = models.timeline('staging');
    await expect(timeline.getByRole('listitem')).toHaveCount(3);
    await expect(timeline.locator('.jp-mlops-timeline-title')).toHaveText([
      'set to v2',
      'moved v2 → v1',
      'rolled back v1 → v2'
    ]);
    await expect(timeline).toContainText('“v1 misbehaves”');
    await expect(models.version(2).locator('.jp-mlops-chip')).toHaveText(
      '@staging'
    );

    // Someone moves it meanwhile: the page says so and shows where it is now.
    seed('move', name, 'staging', '1', 'bob');
    await models
      .version(1)
      .getByRole('button', { name: 'Move alias here…' })
      .click();
    await models.fillDialog(
      { Alias: 'staging', Reason: 'again' },
      'Move alias'
    );
    await expect(models.outcome).toContainText('moved meanwhile');
    await expect(timeline.getByRole('listitem')).toHaveCount(4);
    await expect(timeline.getByRole('listitem').last()).toContainText('by bob');
    await expect(models.version(1).locator('.jp-mlops-chip')).toHaveText(
      '@staging'
    );
  });

  test('gate badge with its deltas; a refused promotion lists every reason, then the chip moves', async ({
    page
  }) => {
    const name = uniqueName('gate');
    seed('lifecycle', name);
    const models = new ModelsPanelPage(page);
    await models.openModel(name);

    // v3 was scored on other data: refused, not failed.
    await expect(models.version(3).locator('.jp-mlops-gate-label')).toHaveText(
      'refused: different evaluation data'
    );
    await expect(models.version(2).locator('.jp-mlops-gate')).toHaveText(
      'not gated'
    );

    // Champion vs challenger, then a gate.
    await models
      .version(2)
      .getByRole('button', { name: 'Gate and promote…' })
      .click();
    const v2 = models.page(`Model ${name} version 2`);
    const table = v2.getByRole('table', { name: 'Champion vs challenger' });
    await expect(table.locator('tr[data-metric="auc"]')).toContainText('0.8');
    await expect(v2).toContainText('not gated yet');
    await v2
      .getByLabel('Rules, one per line')
      .fill('auc:higher,min=0.7,abs=0.01');
    await v2.getByRole('button', { name: 'Gate', exact: true }).click();
    await expect(models.outcome).toContainText('passed against @champion');
    await expect(table.locator('tr[data-metric="auc"]')).toContainText(
      '+0.06 (+7.5 %)'
    );
    await expect(v2.locator('.jp-mlops-same-data')).toHaveText(
      /^same evaluation data ✓ data\/march\.csv/
    );
    const badge = v2.locator('.jp-mlops-gate').first();
    await expect(badge.locator('summary')).toHaveAttribute(
      'title',
      /auc 0.86 vs 0.8: \+0.06/
    );
    await badge.locator('summary').click();
    await expect(badge.getByRole('list', { name: 'Gate deltas' })).toHaveText(
      /auc 0.86 vs 0.8: \+0.06 \(\+7.5 %\)/
    );

    // Promote without approval: refused, every reason listed, the alias stays.
    await v2.getByRole('button', { name: 'Promote to @champion…' }).click();
    await models.fillDialog({ Reason: 'beats v1' }, 'Promote');
    await expect(models.outcome).toContainText(
      'Not promoted: @champion stays where it was'
    );
    await expect(models.outcome.getByRole('listitem')).toHaveText([
      /needs 1 approval\(s\) and nobody asked/
    ]);

    // Ask for approval: one's own request cannot be approved, and the page says why.
    await v2.getByRole('button', { name: 'Request approval…' }).click();
    await models.fillDialog(
      { Comment: 'beats v1 on March data' },
      'Request approval'
    );
    const request = v2.locator('.jp-mlops-request');
    await expect(request).toContainText('pending: 0 of 1 approval(s)');
    await expect(
      request.getByRole('button', { name: 'Approve…' })
    ).toBeDisabled();
    await expect(request.locator('.jp-mlops-vote-reason')).toHaveText(
      'You asked for it: the policy does not allow approving your own request.'
    );

    // Another person approves it; the promotion goes through and the chip moves.
    const id = (await request.getAttribute('data-request'))!;
    seed('approve', id, 'bob');
    await v2.getByRole('button', { name: 'Refresh' }).click();
    await expect(request).toContainText('approved: 1 of 1 approval(s)');
    await v2.getByRole('button', { name: 'Promote to @champion…' }).click();
    await models.fillDialog({ Reason: 'beats v1, approved by bob' }, 'Promote');
    await expect(models.outcome).toContainText(
      'Promoted: @champion now holds v2.'
    );
    await models.crumb(name).click();
    await expect(models.version(2).locator('.jp-mlops-chip')).toHaveText(
      '@champion'
    );
    await expect(models.version(1).locator('.jp-mlops-chip')).toHaveCount(0);
    await expect(
      models.timeline('champion').locator('.jp-mlops-timeline-title')
    ).toHaveText(['set to v1', 'promoted v1 → v2']);
  });
});

test.describe('approval requests of other people', () => {
  test.use({ autoGoto: false });

  test('notify the user once, and Approve is enabled for them', async ({
    page
  }) => {
    const name = uniqueName('req');
    const { request } = seed<{ request: string }>('request', name);
    await page.goto();
    const toast = page.locator('.Toastify__toast', {
      hasText: `bob asks you to approve ${name} v2 → @champion`
    });
    await expect(toast).toBeVisible();
    await toast.getByRole('button', { name: 'Review' }).click();

    const models = new ModelsPanelPage(page);
    const item = models.request(request);
    await expect(item).toHaveAttribute('aria-current', 'true');
    await expect(item).toContainText('“beats v1 on March data”');
    const approve = item.getByRole('button', { name: 'Approve…' });
    await expect(approve).toBeEnabled();
    await approve.click();
    await models.fillDialog({ Comment: 'checked the numbers' }, 'Approve');
    await expect(item).toContainText('approved: 1 of 1 approval(s)');
    await expect(item).toContainText('approved by');
    await expect(approve).toBeDisabled();
    await expect(item.locator('.jp-mlops-vote-reason')).toHaveText(
      'You already voted on this request.'
    );
    // Notified once: it waits for nobody any more.
    await expect(models.panel.locator('.jp-mlops-waiting')).toHaveCount(0);
  });
});
