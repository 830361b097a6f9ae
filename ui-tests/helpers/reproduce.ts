import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

/** Page object for a run's details tab and its Reproduction section. */
export class RunDetailsPage {
  constructor(
    private readonly lab: IJupyterLabPageFixture,
    /** The run whose details tab this is. */
    readonly runId: string
  ) {}

  /** The main-area tab of the run (its id is derived from the run id). */
  get tab(): Locator {
    return this.lab.locator(`#mlops-jupyter-run-${this.runId}`);
  }

  /** The details content. */
  get details(): Locator {
    return this.tab.locator('.jp-mlops-details');
  }

  /** The Reproduction section's content. */
  get reproduction(): Locator {
    return this.details.locator('.jp-mlops-reproduce');
  }

  /** "pinned to: ..." */
  get pin(): Locator {
    return this.reproduction.locator('.jp-mlops-reproduce-pin');
  }

  get reproduceButton(): Locator {
    return this.reproduction.getByRole('button', {
      name: 'Reproduce',
      exact: true
    });
  }

  get cancelButton(): Locator {
    return this.reproduction.getByRole('button', { name: 'Cancel' });
  }

  get progress(): Locator {
    return this.reproduction.getByRole('progressbar', {
      name: 'Reproduction progress'
    });
  }

  /** The job's progress in words (`running cell i of n`, `finished`, ...). */
  get progressStatus(): Locator {
    return this.reproduction.locator('.jp-mlops-job-status');
  }

  get log(): Locator {
    return this.reproduction.locator('.jp-mlops-job-log');
  }

  /** The verdict block (present once the job reached one). */
  get verdict(): Locator {
    return this.reproduction.locator('.jp-mlops-verdict');
  }

  get verdictBadge(): Locator {
    return this.verdict.locator('.jp-mlops-verdict-badge');
  }

  /** A metric's row of the verdict's original-vs-reproduced table. */
  verdictMetric(key: string): Locator {
    return this.verdict.locator(
      `.jp-mlops-verdict-metrics tr[data-key="${key}"]`
    );
  }

  get openReproductionButton(): Locator {
    return this.verdict.getByRole('button', { name: 'Open reproduction run' });
  }

  /** Errors of the reproduction requests. */
  get alert(): Locator {
    return this.reproduction.getByRole('alert');
  }
}
