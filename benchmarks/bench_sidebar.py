"""Benchmark: the sidebar's run table in headless Chromium over 100k runs.

    python benchmarks/bench_sidebar.py [--runs 100000] [--also-small] [--port 0]

A store is filled in bulk with ``bench_list.fill_store`` (runs of 10 params and 5 metrics,
spread over 10 experiments), ``jupyter lab`` is started in a subprocess on a free port (never
8888) with a token and ``MLOPS_JUPYTER_STORE`` pointing at the store and a fresh settings and
workspaces folder, and ``_sidebar_browser.js`` (Playwright from ``ui-tests/node_modules``,
Debian's ``/usr/bin/chromium``) opens JupyterLab and measures, inside the page:

* first rows: from the pointer press on the "Experiment runs" tab to the first frame with a
  loaded run row in view (cold: the sidebar's model stands by while it is hidden), and again
  after closing and reopening it (one sample each: expect noise of some 100 ms), with when the
  API requests of the cold open started and ended;
* scrolling: requestAnimationFrame intervals (median, p95, max, frames > 50 ms) while 60 wheel
  events of 600 px are sent over ~3 s (real input), and during two 3 s flings
  (``scrollTop += 100``, then ``+= 1000``, each frame), with the frames showing "loading"
  placeholders or blank space (more than a row not covered by rendered rows: the window lags
  the scroll position) and the most row elements in the DOM;
* jumps to the middle and to the end: the time until every row in view is loaded;
* the JS heap (CDP ``Runtime.getHeapUsage``) and the DOM node count.

The list is checked to hold every run: the scroll body's height in rows must be runs + groups
and the last row after the jump to the end must be the last layout row. Exits non-zero when the
browser script fails or a check does not hold. No target yet: the figures are for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import bench_list

HERE = Path(__file__).resolve().parent
BROWSER_SCRIPT = HERE / "_sidebar_browser.js"


def start_lab(store: Path, tmp: Path, token: str, port: int) -> subprocess.Popen[bytes]:
    """Start ``jupyter lab`` on ``port``; return once ``/api/status`` answers."""
    root = tmp / "root"
    root.mkdir()
    env = {
        **os.environ,
        "MLOPS_JUPYTER_STORE": str(store),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
    }
    log = (tmp / "lab.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--port-retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            status, _ = bench_list.get(port, token, "/api/status")
            if status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    stop(proc)
    tail = (tmp / "lab.log").read_text(errors="replace")[-3000:]
    raise RuntimeError(f"jupyter lab did not start on port {port}:\n{tail}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process this script started (and its process group, e.g. Chromium under node)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
            return
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait(timeout=10)


def run_browser(url: str, token: str, timeout: float) -> dict[str, Any]:
    proc = subprocess.Popen(
        ["node", str(BROWSER_SCRIPT), url, token],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"the browser script took more than {timeout:.0f} s") from None
    finally:
        stop(proc)
    lines = out.decode(errors="replace").strip().splitlines()
    if not lines:
        raise RuntimeError(f"the browser script printed nothing:\n{err.decode()[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    if proc.returncode != 0 or "error" in result:
        raise RuntimeError(f"the browser script failed: {result.get('error', err.decode())}")
    return result


def check(result: dict[str, Any], runs: int, groups: int) -> list[str]:
    """What does not hold: every run in the scrolled list, windowed rows."""
    problems = []
    expected = runs + groups
    if result["layout_rows"] != expected:
        problems.append(f"the list holds {result['layout_rows']} rows, not {expected}")
    if result["jump_end"]["last_index"] != expected - 1:
        problems.append(f"the last row in view is #{result['jump_end']['last_index']}")
    most = max(result[k]["max_rows_in_dom"] for k in ("wheel", "fling100", "fling1000"))
    if most > 500:
        problems.append(f"{most} row elements in the DOM: not windowed")
    return problems


def measure(runs: int, port: int, timeout: float) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-sidebar-"))
    proc = None
    try:
        store = tmp / "store"
        store.mkdir()
        synthetic = bench_list.synthetic_runs(runs)
        groups = len({r["experiment"] for r in synthetic})
        fill_s = bench_list.fill_store(store, synthetic)
        del synthetic
        token = uuid.uuid4().hex
        port = port or bench_list.free_port()
        if port == 8888:
            raise SystemExit("port 8888 is reserved for the UI tests")
        t = time.perf_counter()
        proc = start_lab(store, tmp, token, port)
        start_s = time.perf_counter() - t
        result = run_browser(f"http://127.0.0.1:{port}", token, timeout)
        result.update(runs=runs, groups_expected=groups, fill_s=fill_s, server_start_s=start_s)
        result["problems"] = check(result, runs, groups)
        return result
    finally:
        if proc is not None:
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


def fmt(value: Any, spec: str = ".0f") -> str:
    return "-" if value is None else format(value, spec)


def report(results: list[dict[str, Any]]) -> None:
    heads = [f"{r['runs']} runs" for r in results]
    rows: list[tuple[str, list[str]]] = []

    def add(label: str, get: Any) -> None:
        rows.append((label, [get(r) for r in results]))

    add(
        "store filled / lab started (s)", lambda r: f"{r['fill_s']:.1f} / {r['server_start_s']:.1f}"
    )
    add(
        "rows in the list (runs + groups)",
        lambda r: f"{r['layout_rows']} ({r['groups_expected']} groups)",
    )
    add("scroll height (px)", lambda r: f"{r['scroll_height_px']}")
    add("first rows after tab press (ms)", lambda r: fmt(r["first_rows_ms"]))
    add("  runs requests for it", lambda r: str(r["first_rows_requests"]))
    add(
        "  API first start / last end (ms)",
        lambda r: (
            f"{fmt(r['first_rows']['api_first_start_ms'])} / "
            f"{fmt(r['first_rows']['api_last_end_ms'])}"
        ),
    )
    add("first rows on reopen (ms)", lambda r: fmt(r["reopen_rows_ms"]))
    add(
        "idle frames median / p95 (ms)",
        lambda r: f"{fmt(r['idle']['median_ms'], '.1f')} / {fmt(r['idle']['p95_ms'], '.1f')}",
    )
    scrolls = (
        ("wheel", "wheel 60x600px"),
        ("fling100", "fling 100px/frame 3s"),
        ("fling1000", "fling 1000px/frame 3s"),
    )
    for key, label in scrolls:
        add(f"{label}: frames", lambda r, k=key: str(r[k]["frames"]))
        add(
            "  frame median / p95 / max (ms)",
            lambda r, k=key: (
                f"{fmt(r[k]['median_ms'], '.1f')} / {fmt(r[k]['p95_ms'], '.1f')} / "
                f"{fmt(r[k]['max_ms'], '.1f')}"
            ),
        )
        add("  frames > 50 ms (jank)", lambda r, k=key: str(r[k]["over_50ms"]))
        add(
            "  frames with placeholders in view",
            lambda r, k=key: str(r[k]["frames_with_placeholders"]),
        )
        add("  frames with > 1 row blank in view", lambda r, k=key: str(r[k]["blank_frames"]))
        add(
            "  scrolled px / runs requests",
            lambda r, k=key: f"{r[k]['scrolled_px']:.0f} / {r[k]['requests']}",
        )
        add("  most row elements in DOM", lambda r, k=key: str(r[k]["max_rows_in_dom"]))
    for key, label in (("jump_middle", "jump to middle"), ("jump_end", "jump to end")):
        add(f"{label}: rows loaded (ms)", lambda r, k=key: fmt(r[k]["loaded_ms"]))
        add("  longest frame (ms)", lambda r, k=key: fmt(r[k]["max_frame_ms"], ".1f"))
        add(
            "  rows in view (indices)",
            lambda r, k=key: f"{r[k]['first_index']}..{r[k]['last_index']}",
        )
        add("  row elements in DOM", lambda r, k=key: str(r[k]["rows_in_dom"]))
    add("runs requests in total", lambda r: str(r["run_requests_total"]))
    add(
        "JS heap before / first rows (MB)",
        lambda r: f"{r['heap_before']['used_mb']:.1f} / {r['heap_first_rows']['used_mb']:.1f}",
    )
    add(
        "JS heap after scroll / after GC (MB)",
        lambda r: (
            f"{r['heap_after_scroll']['used_mb']:.1f} / {r['heap_after_scroll_gc']['used_mb']:.1f}"
        ),
    )
    add(
        "DOM nodes (page) before / after",
        lambda r: (
            f"{r['heap_before']['dom_nodes']:.0f} / {r['heap_after_scroll_gc']['dom_nodes']:.0f}"
        ),
    )
    width = max(len(label) for label, _ in rows) + 2
    cols = [max(len(h), *(len(v[i]) for _, v in rows)) + 2 for i, h in enumerate(heads)]
    print("\n== mlops-jupyter sidebar in headless Chromium ==")
    print(" " * width + "".join(h.rjust(c) for h, c in zip(heads, cols, strict=True)))
    for label, values in rows:
        print(label.ljust(width) + "".join(v.rjust(c) for v, c in zip(values, cols, strict=True)))
    for r in results:
        for problem in r["problems"]:
            print(f"FAIL ({r['runs']} runs): {problem}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--also-small", action="store_true", help="also measure 10k runs")
    parser.add_argument("--port", type=int, default=0, help="0: a free port (never 8888)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds for the browser")
    parser.add_argument("--json", action="store_true", help="also print the raw figures")
    args = parser.parse_args()
    if args.port == 8888:
        parser.error("port 8888 is reserved for the UI tests")
    if shutil.which("node") is None:
        parser.error("node is not on PATH")
    sizes = ([10_000] if args.also_small and args.runs != 10_000 else []) + [args.runs]
    results = []
    for size in sizes:
        print(f"measuring {size} runs ...", flush=True)
        results.append(measure(size, args.port, args.timeout))
        if args.json:
            print(json.dumps(results[-1]))
    report(results)
    return 1 if any(r["problems"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
