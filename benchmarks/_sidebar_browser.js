// Browser side of bench_sidebar.py: drives the mlops-jupyter sidebar in headless Chromium.
//
//     node benchmarks/_sidebar_browser.js <base url> <token>
//
// Prints one JSON line on stdout (the figures), or {"error": ...} and exits 1. All timings are
// measured inside the page (performance.now(), requestAnimationFrame), not over the CDP pipe.
'use strict';

const UI_TESTS = require('path').resolve(
  __dirname,
  '..',
  'ui-tests',
  'node_modules'
);
const { chromium } = require(require('path').join(UI_TESTS, 'playwright-core'));

const CHROMIUM = process.env.BENCH_CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage'
];
const PANEL = '#mlops-jupyter-sidebar';
const SCROLLER = `${PANEL} .jp-mlops-table`;
const API_RUNS = '/mlops-jupyter/api/runs';

// Installed in the page before any script of JupyterLab runs.
function pageHelpers() {
  const PANEL = '#mlops-jupyter-sidebar';
  const q = sel => document.querySelector(sel);
  /** Rows (elements) intersecting the scroll container's viewport below the sticky header. */
  function inView() {
    const scroller = q(`${PANEL} .jp-mlops-table`);
    if (!scroller || !scroller.offsetParent) {
      return null;
    }
    const box = scroller.getBoundingClientRect();
    const header = scroller.querySelector('.jp-mlops-header-row');
    const top = header ? header.getBoundingClientRect().bottom : box.top;
    const bottom = Math.min(box.bottom, box.top + scroller.clientHeight);
    const rows = [];
    let covered = 0;
    for (const row of scroller.querySelectorAll(
      '.jp-mlops-run-row, .jp-mlops-group-row'
    )) {
      const r = row.getBoundingClientRect();
      if (r.height > 0 && r.bottom > top + 1 && r.top < bottom - 1) {
        rows.push(row);
        covered += Math.min(r.bottom, bottom) - Math.max(r.top, top);
      }
    }
    return { rows, gap: Math.max(0, bottom - top - covered) };
  }
  function visibleRows() {
    const view = inView();
    return view ? view.rows : null;
  }
  /** Counts over the rows in view: loaded runs, placeholders, group headers; blank pixels. */
  function visibleState() {
    const view = inView();
    if (!view) {
      return { runs: 0, loading: 0, groups: 0, gap: 0 };
    }
    let runs = 0;
    let loading = 0;
    let groups = 0;
    for (const row of view.rows) {
      if (row.classList.contains('jp-mlops-group-row')) {
        groups++;
      } else if (row.hasAttribute('data-run-id')) {
        runs++;
      } else {
        loading++;
      }
    }
    return { runs, loading, groups, gap: view.gap };
  }
  function rowElements() {
    return document.querySelectorAll(
      `${PANEL} .jp-mlops-run-row, ${PANEL} .jp-mlops-group-row`
    ).length;
  }
  /** Resolves with performance.now() at the first frame where `done()` holds. */
  function untilFrame(done, timeoutMs) {
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      const tick = () => {
        if (done()) {
          resolve(performance.now());
        } else if (performance.now() - t0 > timeoutMs) {
          reject(new Error('timed out waiting for rows'));
        } else {
          requestAnimationFrame(tick);
        }
      };
      tick();
    });
  }
  /**
   * A requestAnimationFrame loop recording frame timestamps and what the frame shows: the row
   * elements in the DOM, placeholders ("loading") in view, blank space (> 1 row) in view. With
   * `manual`, the caller samples (after changing scrollTop in its own rAF callback, so that the
   * sample is what this frame paints).
   */
  function frameRecorder(manual = false) {
    const times = [];
    let maxRows = 0;
    let loadingFrames = 0;
    let blankFrames = 0;
    let running = true;
    const sample = () => {
      maxRows = Math.max(maxRows, rowElements());
      const s = visibleState();
      if (s.loading > 0) {
        loadingFrames++;
      }
      if (s.gap > 26) {
        blankFrames++;
      }
    };
    const tick = t => {
      times.push(t);
      if (!manual) {
        sample();
      }
      if (running) {
        requestAnimationFrame(tick);
      }
    };
    requestAnimationFrame(tick);
    return {
      sample,
      stop() {
        running = false;
        const intervals = [];
        for (let i = 1; i < times.length; i++) {
          intervals.push(times[i] - times[i - 1]);
        }
        return {
          intervals,
          duration: times.length ? times[times.length - 1] - times[0] : 0,
          maxRows,
          loadingFrames,
          blankFrames
        };
      }
    };
  }
  window.__bench = {
    visibleRows,
    visibleState,
    rowElements,
    untilFrame,
    frameRecorder
  };
  // The time of the pointer press that opens the sidebar (event time, in performance.now()).
  window.addEventListener(
    'pointerdown',
    e => {
      window.__benchPress = e.timeStamp;
    },
    true
  );
}

function stats(intervals) {
  const sorted = [...intervals].sort((a, b) => a - b);
  const pick = q =>
    sorted.length
      ? sorted[Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))]
      : null;
  return {
    frames: intervals.length,
    median_ms: pick(0.5),
    p95_ms: pick(0.95),
    max_ms: sorted.length ? sorted[sorted.length - 1] : null,
    over_50ms: intervals.filter(x => x > 50).length
  };
}

async function heap(cdp, collect) {
  if (collect) {
    await cdp.send('HeapProfiler.collectGarbage');
  }
  const usage = await cdp.send('Runtime.getHeapUsage');
  const metrics = await cdp.send('Performance.getMetrics');
  const m = Object.fromEntries(metrics.metrics.map(x => [x.name, x.value]));
  return { used_mb: usage.usedSize / 2 ** 20, dom_nodes: m.Nodes };
}

async function main() {
  const [base, token] = process.argv.slice(2);
  if (!base || !token) {
    throw new Error('usage: node _sidebar_browser.js <base url> <token>');
  }
  const out = {};
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS
  });
  try {
    const context = await browser.newContext({
      viewport: { width: 1400, height: 900 }
    });
    const page = await context.newPage();
    page.setDefaultTimeout(60000);
    await page.addInitScript(pageHelpers);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    let runRequests = 0;
    page.on('request', r => {
      if (new URL(r.url()).pathname === API_RUNS) {
        runRequests++;
      }
    });
    const counted = async fn => {
      const before = runRequests;
      const value = await fn();
      return [value, runRequests - before];
    };

    const t = Date.now();
    await page.goto(`${base}/lab?token=${token}`);
    const tab = page.getByRole('tab', { name: /Experiment runs/ });
    await tab.waitFor({ state: 'visible' });
    await page.waitForSelector('#jupyterlab-splash', { state: 'detached' });
    await page.waitForTimeout(1000); // let the restored layout and late plugins settle
    out.lab_load_s = (Date.now() - t) / 1000;
    const panel = page.locator(PANEL);
    if (await panel.isVisible()) {
      await tab.click(); // restored open: collapse it so the open below is measured
      await panel.waitFor({ state: 'hidden' });
      out.sidebar_was_open = true;
    }
    out.heap_before = await heap(cdp, true);

    // (a) Time from pressing the tab to the first loaded run rows in view.
    const firstRows = async () => {
      await page.evaluate(() => {
        window.__benchPress = null;
        window.__benchFirst = window.__bench
          .untilFrame(() => window.__bench.visibleState().runs > 0, 60000)
          .then(x => (window.__benchFirstAt = x));
      });
      await tab.click();
      await page.evaluate(() => window.__benchFirst);
      return page.evaluate(() => {
        // The API requests between the press and the first rows: where the time goes.
        const press = window.__benchPress;
        const first = window.__benchFirstAt;
        const api = performance
          .getEntriesByType('resource')
          .filter(
            e =>
              e.name.includes('/mlops-jupyter/api/') &&
              e.startTime >= press &&
              e.responseEnd <= first
          );
        return {
          ms: first - press,
          api_first_start_ms: api.length
            ? Math.min(...api.map(e => e.startTime)) - press
            : null,
          api_last_end_ms: api.length
            ? Math.max(...api.map(e => e.responseEnd)) - press
            : null,
          api_slowest_ms: api.length
            ? Math.max(...api.map(e => e.duration))
            : null
        };
      });
    };
    [out.first_rows, out.first_rows_requests] = await counted(firstRows);
    out.first_rows_ms = out.first_rows.ms;
    await page.waitForTimeout(500);
    out.heap_first_rows = await heap(cdp, false);
    out.rows_in_dom_first = await page.evaluate(() =>
      window.__bench.rowElements()
    );

    // The layout: the scroll body's height in rows (run rows + group headers).
    const geometry = await page.evaluate(sel => {
      const scroller = document.querySelector(sel);
      const body = scroller.querySelector('.jp-mlops-table-body');
      const row = scroller.querySelector('.jp-mlops-run-row[data-run-id]');
      const rowHeight = row.getBoundingClientRect().height;
      return {
        row_height_px: rowHeight,
        body_height_px: body.getBoundingClientRect().height,
        layout_rows: Math.round(
          body.getBoundingClientRect().height / rowHeight
        ),
        aria_rowcount: Number(scroller.getAttribute('aria-rowcount')),
        scroll_height_px: scroller.scrollHeight,
        viewport_px: scroller.clientHeight
      };
    }, SCROLLER);
    Object.assign(out, geometry);
    out.groups = await page.evaluate(sel => {
      // Group sizes from the headers in view at the top; the rest come from the layout check.
      return [...document.querySelectorAll(`${sel} .jp-mlops-group-row`)].map(
        g => ({
          name: g.querySelector('.jp-mlops-group-name').textContent,
          total: Number(g.querySelector('.jp-mlops-group-count').textContent)
        })
      );
    }, SCROLLER);

    // Idle frames, for reference: what "smooth" looks like in this browser.
    await page.evaluate(() => (window.__rec = window.__bench.frameRecorder()));
    await page.waitForTimeout(1000);
    out.idle = stats(
      (await page.evaluate(() => window.__rec.stop())).intervals
    );

    // (b1) Wheel scrolling: 60 real wheel events of 600 px over ~3 s.
    const box = await page.locator(SCROLLER).boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const wheel = async () => {
      await page.evaluate(
        () => (window.__rec = window.__bench.frameRecorder())
      );
      for (let i = 0; i < 60; i++) {
        await page.mouse.wheel(0, 600);
        await page.waitForTimeout(50);
      }
      const rec = await page.evaluate(() => window.__rec.stop());
      const top = await page.locator(SCROLLER).evaluate(n => n.scrollTop);
      return {
        ...stats(rec.intervals),
        max_rows_in_dom: rec.maxRows,
        frames_with_placeholders: rec.loadingFrames,
        blank_frames: rec.blankFrames,
        scrolled_px: top
      };
    };
    const [wheelStats, wheelRequests] = await counted(wheel);
    out.wheel = { ...wheelStats, requests: wheelRequests };

    // (b2) Flings: scrollTop += 100 px, then 1000 px, every frame for 3 s each.
    const fling = pxPerFrame => async () => {
      const rec = await page.evaluate(
        ([sel, pxPerFrame]) =>
          new Promise(resolve => {
            const scroller = document.querySelector(sel);
            const start = scroller.scrollTop;
            const r = window.__bench.frameRecorder(true);
            const t0 = performance.now();
            const step = () => {
              if (performance.now() - t0 < 3000) {
                scroller.scrollTop += pxPerFrame;
                r.sample();
                requestAnimationFrame(step);
              } else {
                const s = r.stop();
                resolve({ ...s, scrolled: scroller.scrollTop - start });
              }
            };
            requestAnimationFrame(step);
          }),
        [SCROLLER, pxPerFrame]
      );
      return {
        ...stats(rec.intervals),
        max_rows_in_dom: rec.maxRows,
        frames_with_placeholders: rec.loadingFrames,
        blank_frames: rec.blankFrames,
        scrolled_px: rec.scrolled
      };
    };
    for (const px of [100, 1000]) {
      const [flingStats, flingRequests] = await counted(fling(px));
      out[`fling${px}`] = { ...flingStats, requests: flingRequests };
    }
    await page.waitForTimeout(1000);

    // (c) Jumps: the time until every row in view is loaded (pages fetched on scroll).
    const jump = where => async () => {
      const r = await page.evaluate(
        ([sel, where]) => {
          const scroller = document.querySelector(sel);
          const rec = window.__bench.frameRecorder();
          const t0 = performance.now();
          scroller.scrollTop =
            where === 'end'
              ? scroller.scrollHeight
              : (scroller.scrollHeight - scroller.clientHeight) / 2;
          return window.__bench
            .untilFrame(() => {
              const s = window.__bench.visibleState();
              return s.runs > 0 && s.loading === 0;
            }, 60000)
            .then(t1 => {
              const s = rec.stop();
              const indices = window.__bench
                .visibleRows()
                .map(n => Number(n.getAttribute('data-index')));
              return {
                loaded_ms: t1 - t0,
                frames: s.intervals.length,
                max_frame_ms: Math.max(0, ...s.intervals),
                rows_in_dom: window.__bench.rowElements(),
                first_index: Math.min(...indices),
                last_index: Math.max(...indices)
              };
            });
        },
        [SCROLLER, where]
      );
      return r;
    };
    [out.jump_middle, out.jump_middle_requests] = await counted(jump('middle'));
    await page.waitForTimeout(500);
    [out.jump_end, out.jump_end_requests] = await counted(jump('end'));
    out.last_row_label = await page.evaluate(sel => {
      const rows = [
        ...document.querySelectorAll(`${sel} .jp-mlops-run-row[data-run-id]`)
      ];
      rows.sort((a, b) => Number(b.dataset.index) - Number(a.dataset.index));
      return rows.length ? rows[0].getAttribute('aria-label') : null;
    }, SCROLLER);
    await page.waitForTimeout(500);
    out.heap_after_scroll = await heap(cdp, false);
    out.heap_after_scroll_gc = await heap(cdp, true);
    out.run_requests_total = runRequests;

    // Close and reopen: the time to rows with the model already loaded.
    await page.evaluate(
      sel => (document.querySelector(sel).scrollTop = 0),
      SCROLLER
    );
    await tab.click();
    await panel.waitFor({ state: 'hidden' });
    await page.waitForTimeout(500);
    const [reopen, reopenRequests] = await counted(firstRows);
    out.reopen_rows_ms = reopen.ms;
    out.reopen_requests = reopenRequests;
  } finally {
    await browser.close();
  }
  return out;
}

main().then(
  out => {
    process.stdout.write(JSON.stringify(out) + '\n');
  },
  error => {
    process.stdout.write(
      JSON.stringify({
        error: String(error && error.stack ? error.stack : error)
      }) + '\n'
    );
    process.exit(1);
  }
);
