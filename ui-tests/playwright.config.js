/**
 * Galata in Debian's Chromium (no browser download): see shared TOOLCHAIN notes.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');

const baseConfig = require('@jupyterlab/galata/lib/playwright-config');
const storeGuard = require('./store-guard');

// Before the Jupyter server starts: what the user's own store looks like (see store-guard.js).
storeGuard.remember();

// The test server's store, made once here (workers load the config again and inherit it): the
// server uses it (jupyter_server_test_config.py), and specs seed models, requests and drift
// checks into it while the server runs (seed_models.py through helpers/models.ts).
if (!process.env.MLOPS_UI_STORE) {
  process.env.MLOPS_UI_STORE = fs.mkdtempSync(
    path.join(os.tmpdir(), 'mlops-ui-store-')
  );
}

/** Where the reports and the Jupyter server's log go (read by .ci/summary.py). */
const RESULTS = path.resolve(__dirname, '..', '.test-results');

module.exports = {
  ...baseConfig,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  globalTeardown: require.resolve('./store-guard.js'),
  reporter: [
    ['list'],
    ['json', { outputFile: path.join(RESULTS, 'playwright.json') }]
  ],
  use: {
    ...baseConfig.use,
    video: 'off',
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage'
      ]
    }
  },
  webServer: {
    // The server's log goes to a file: a person reads the test list, and the log when a test
    // fails (its path is printed by .ci/summary.py).
    command: `mkdir -p "${RESULTS}" && jlpm start > "${path.join(RESULTS, 'jupyter-server.log')}" 2>&1`,
    url: 'http://localhost:8888/lab',
    timeout: 120 * 1000,
    reuseExistingServer: false
  }
};
