import { expect, test } from '@jupyterlab/galata';

import { ModelsPanelPage, seed, uniqueName } from '../helpers/models';

/** A batch of `rows` rows like the seeded training frame (age, income, plan), as CSV. */
function batchCsv(rows: number): string {
  const plans = ['basic', 'basic', 'pro', 'team'];
  const lines = ['age,income,plan'];
  for (let i = 0; i < rows; i++) {
    const age = 40 + 10 * Math.sin(i * 1.7) + ((i * 7) % 11) - 5;
    const income = 20000 + ((i * 7919) % 30000);
    lines.push(`${age.toFixed(1)},${income},${plans[i % plans.length]}`);
  }
  return lines.join('\n') + '\n';
}

test('the Drift view: scores against thresholds, a column’s two distributions, too little data in words', async ({
  page,
  tmpPath
}) => {
  const name = uniqueName('drift');
  const ids = seed<{ drift: number; schema: number; insufficient: number }>(
    'drift',
    name
  );
  const models = new ModelsPanelPage(page);
  await models.open();
  await models.tab('Drift').click();
  const list = models.page('Drift checks');
  await list.getByRole('button', { name: 'Refresh' }).click();
  const checks = list.getByRole('list', { name: 'Recorded drift checks' });

  // A drifted batch: the verdict, the new category named, bars against thresholds.
  await checks
    .getByRole('button', { name: `april.csv (3000 rows) vs ${name}@champion` })
    .click();
  const check = models.page(`Drift check ${ids.drift}`);
  await expect(check.getByRole('status', { name: 'Verdict' })).toContainText(
    'The data drifted.'
  );
  await expect(check.getByRole('list', { name: 'New categories' })).toHaveText(
    /plan: new category “enterprise”, 15\.\d % of the batch/
  );
  const scores = check.getByRole('table', {
    name: 'Scores against thresholds'
  });
  await expect(scores.locator('tbody tr')).toHaveCount(3);
  const age = scores.locator('tr[data-column="age"]');
  await expect(age.locator('.jp-mlops-column-status')).toHaveText('drift');
  await expect(age.getByRole('img')).toHaveAttribute(
    'aria-label',
    /^age: score [\d.]+, threshold [\d.]+$/
  );
  // The bar of a drifted column passes its threshold's mark (the middle of the track).
  const [bar, track] = await Promise.all([
    age.locator('.jp-mlops-score-bar').boundingBox(),
    age.locator('.jp-mlops-score-track').boundingBox()
  ]);
  expect(bar!.width).toBeGreaterThan(track!.width / 2);

  // A clicked column shows both distributions overlaid, bin by bin.
  await age.getByRole('button', { name: 'age' }).click();
  const ageBins = check.getByRole('table', { name: 'Distributions of age' });
  await expect(ageBins.locator('tbody tr')).toHaveCount(10);
  await expect(ageBins.locator('tbody tr').first()).toContainText('10 %');
  await expect(ageBins.locator('.jp-mlops-dist-reference')).toHaveCount(10);
  await expect(ageBins.locator('.jp-mlops-dist-batch')).toHaveCount(10);
  await scores
    .locator('tr[data-column="plan"]')
    .getByRole('button', { name: 'plan' })
    .click();
  const planBins = check.getByRole('table', { name: 'Distributions of plan' });
  await expect(planBins.locator('tbody th')).toHaveText([
    'basic',
    'pro',
    'team',
    'new (never seen in the reference)'
  ]);

  // Too little data is said in words, never an "ok"; a dropped column is named.
  await models.crumb('Drift checks').click();
  await checks
    .getByRole('button', { name: `tiny.csv (50 rows) vs ${name}@champion` })
    .click();
  const tiny = models.page(`Drift check ${ids.insufficient}`);
  await expect(tiny.locator('.jp-mlops-verdict-chip')).toHaveText(
    'insufficient data'
  );
  await expect(tiny.getByRole('status', { name: 'Verdict' })).toHaveText(
    'Not enough data to tell whether the data drifted: this is not an “ok”.' +
      'The batch has 50 rows: at least 100 are needed.'
  );
  await models.crumb('Drift checks').click();
  await checks
    .getByRole('button', { name: `may.csv (2000 rows) vs ${name}@champion` })
    .click();
  await expect(
    models
      .page(`Drift check ${ids.schema}`)
      .getByRole('list', { name: 'Schema changes' })
  ).toHaveText('column income removed (was float64)');

  // Check a file of the server's folder against the champion: the check is recorded.
  await page.contents.uploadContent(
    batchCsv(400),
    'text',
    `${tmpPath}/june.csv`
  );
  await models.crumb('Drift checks').click();
  const form = list.getByRole('form', { name: 'Check a file' });
  await form.getByLabel('File').fill(`${tmpPath}/june.csv`);
  await form.getByLabel('Against').fill(`${name}@champion`);
  await form.getByRole('button', { name: 'Check' }).click();
  const june = models.page(/^Drift check \d+$/);
  await expect(june.locator('.jp-mlops-check-title')).toHaveText(
    `${tmpPath}/june.csv (400 rows) vs ${name}@champion`
  );
  await expect(
    june
      .getByRole('table', { name: 'Scores against thresholds' })
      .locator('tbody tr')
  ).toHaveCount(3);
});
