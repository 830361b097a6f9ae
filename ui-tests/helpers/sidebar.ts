import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

/** Page object for the mlops-jupyter sidebar. */
export class RunsSidebarPage {
  constructor(private readonly page: IJupyterLabPageFixture) {}

  /** The sidebar's tab in the left tab bar. */
  get tab(): Locator {
    return this.page.getByRole('tab', { name: /Experiment runs/ });
  }

  /** The sidebar panel itself. */
  get panel(): Locator {
    return this.page.locator('#mlops-jupyter-sidebar');
  }

  /** The status line: "mlops-jupyter <version> · store: <location>". */
  get status(): Locator {
    return this.panel.locator('.jp-mlops-status');
  }

  async open(): Promise<void> {
    if (!(await this.panel.isVisible())) {
      await this.tab.click();
    }
    await this.panel.waitFor({ state: 'visible' });
  }
}
