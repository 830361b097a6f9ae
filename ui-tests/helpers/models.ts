import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as path from 'path';

/**
 * Seed the test server's store (`MLOPS_UI_STORE`, see playwright.config.js) through the
 * registry's own API: `seed_models.py SCENARIO ARGS...`, returning what it prints.
 */
export function seed<T = Record<string, unknown>>(
  scenario: string,
  ...args: string[]
): T {
  const store = process.env.MLOPS_UI_STORE;
  if (!store) {
    throw new Error(
      'MLOPS_UI_STORE is not set: run the specs with playwright.config.js'
    );
  }
  const out = execFileSync(
    process.env.PYTHON || 'python',
    [path.resolve(__dirname, '..', 'seed_models.py'), scenario, ...args],
    { env: { ...process.env, MLOPS_JUPYTER_STORE: store }, encoding: 'utf-8' }
  );
  return JSON.parse(out.trim().split('\n').pop() as string) as T;
}

/** A model name no other test (or retry) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}

/** Page object for the Models panel: models, a model's page, a version's page, drift checks. */
export class ModelsPanelPage {
  constructor(private readonly lab: IJupyterLabPageFixture) {}

  /** The panel's tab in the left tab bar. */
  get sidebarTab(): Locator {
    return this.lab.getByRole('tab', { name: /Models and drift checks/ });
  }

  get panel(): Locator {
    return this.lab.locator('#mlops-jupyter-models');
  }

  async open(): Promise<void> {
    if (!(await this.panel.isVisible())) {
      await this.sidebarTab.click();
    }
    await this.panel.waitFor({ state: 'visible' });
  }

  /** The panel's own tabs: `Models`, `Drift` and `Triggers`. */
  tab(name: 'Models' | 'Drift' | 'Triggers'): Locator {
    return this.panel
      .getByRole('tablist', { name: 'Model lifecycle' })
      .getByRole('tab', { name, exact: true });
  }

  /** The page shown (its accessible name says which: `Model churn`, `Drift check 3`, ...). */
  page(name: string | RegExp): Locator {
    return this.panel.getByLabel(name, { exact: typeof name === 'string' });
  }

  /** Open a model's page from the list of models. */
  async openModel(name: string): Promise<void> {
    await this.open();
    await this.tab('Models').click();
    const list = this.page('Registered models');
    await list.getByRole('button', { name: 'Refresh' }).click();
    await list
      .locator(`.jp-mlops-model-item[data-model="${name}"]`)
      .getByRole('button', { name })
      .click();
    await this.page(`Model ${name}`).waitFor();
  }

  /** A version's card on a model's page. */
  version(n: number): Locator {
    return this.panel.locator(`.jp-mlops-version[data-version="${n}"]`);
  }

  /** An alias in a model's Aliases section. */
  alias(alias: string): Locator {
    return this.panel.locator(`.jp-mlops-aliases li[data-alias="${alias}"]`);
  }

  timeline(alias: string): Locator {
    return this.panel.getByRole('list', { name: `Timeline of @${alias}` });
  }

  /** An approval request (by id). */
  request(id: string): Locator {
    return this.panel.locator(`.jp-mlops-request[data-request="${id}"]`);
  }

  /** What the last action ended with. */
  get outcome(): Locator {
    return this.panel.locator('.jp-mlops-outcome');
  }

  /** The JupyterLab dialog open now. */
  get dialog(): Locator {
    return this.lab.locator('.jp-Dialog');
  }

  /** Fill a dialog's field (by its label) and press its accept button. */
  async fillDialog(
    fields: Record<string, string>,
    accept: string
  ): Promise<void> {
    const dialog = this.dialog;
    await dialog.waitFor();
    for (const [label, value] of Object.entries(fields)) {
      await dialog.getByLabel(label, { exact: false }).first().fill(value);
    }
    await dialog.getByRole('button', { name: accept, exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
  }

  /** The breadcrumb back to a page (`Models`, a model's name, `Drift checks`). */
  crumb(label: string): Locator {
    return this.panel
      .getByRole('navigation', { name: 'Breadcrumbs' })
      .getByRole('button', { name: label, exact: true });
  }
}
