import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import { RunDetailsPage } from './reproduce';

/** Page object for "Rerun with…" in a run's details tab: the sweep form and its job. */
export class SweepFormPage extends RunDetailsPage {
  constructor(lab: IJupyterLabPageFixture, runId: string) {
    super(lab, runId);
  }

  /** The "Rerun with…" button next to Reproduce. */
  get rerunButton(): Locator {
    return this.reproduction.getByRole('button', { name: 'Rerun with…' });
  }

  /** The sweep section (form and job). */
  get sweep(): Locator {
    return this.details.locator('.jp-mlops-sweep');
  }

  get form(): Locator {
    return this.sweep.getByRole('form', {
      name: 'Rerun with other parameters'
    });
  }

  /** The comma-separated values of a parameter. */
  values(param: string): Locator {
    return this.form.getByRole('textbox', { name: `Values of ${param}` });
  }

  get workers(): Locator {
    return this.form.getByRole('spinbutton', { name: 'Workers' });
  }

  /** The live count of combinations. */
  get count(): Locator {
    return this.form.getByRole('status', { name: 'Combinations' });
  }

  get startButton(): Locator {
    return this.form.getByRole('button', { name: 'Start', exact: true });
  }

  get sweepCancelButton(): Locator {
    return this.sweep.getByRole('button', { name: 'Cancel' });
  }

  /** What keeps the form from starting (empty list, too many combinations, ...). */
  get formErrors(): Locator {
    return this.form.locator('.jp-mlops-sweep-errors li');
  }

  /** The job of the sweep (its element carries the sweep id). */
  get job(): Locator {
    return this.sweep.locator('.jp-mlops-job');
  }

  get sweepProgress(): Locator {
    return this.sweep.getByRole('progressbar', { name: 'Sweep progress' });
  }

  /** The sweep's progress in words (`1 / 2 done, 1 running`, `finished: 2 / 2 done`). */
  get sweepStatus(): Locator {
    return this.sweep.locator('.jp-mlops-job-status');
  }

  get executions(): Locator {
    return this.sweep.getByRole('table', { name: 'Sweep executions' });
  }

  /** The sweep id of the job shown. */
  async sweepId(): Promise<string> {
    const id = await this.job.getAttribute('data-sweep-id');
    if (!id) {
      throw new Error('no sweep job shown');
    }
    return id;
  }
}
