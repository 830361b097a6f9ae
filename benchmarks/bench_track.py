"""Benchmark: the cost of `%%track`, of `log_metric` and of importing, against MLflow.

    python benchmarks/bench_track.py [--runs 300] [--points 1000000]
                                     [--competitor-python .venv-bench/bin/python]

Ours runs in a real (in-process) IPython shell, warm: the overhead of a tracked trivial cell
is its median time minus the median time of the same cell untracked. MLflow runs in its own
virtual environment (so its pins never touch ours) on a SQLite backend, in the same run, on
the same machine. Targets: overhead <= 5 ms and >= 20x less than MLflow's per-run cost;
log_metric >= 1M points/s and >= 100x MLflow; `%load_ext` <= 150 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def fresh_process_seconds(code: str, repeat: int = 5) -> float:
    """Median seconds `code` takes in a fresh interpreter (it prints its own timing)."""
    samples = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        samples.append(float(out.strip().splitlines()[-1]))
    return statistics.median(samples)


IMPORT_CODE = (
    "import time; t=time.perf_counter(); import mlops_jupyter; print(time.perf_counter()-t)"
)
LOAD_EXT_CODE = (
    "import time\n"
    "from IPython.core.interactiveshell import InteractiveShell\n"
    "ip = InteractiveShell.instance()\n"
    "t = time.perf_counter(); ip.run_line_magic('load_ext', 'mlops_jupyter')\n"
    "print(time.perf_counter() - t)\n"
)


def ours(runs: int, points: int, inputs: int = 20, big_file_mb: int = 0) -> dict[str, float]:
    from IPython.core.interactiveshell import InteractiveShell

    os.environ["MLOPS_JUPYTER_STORE"] = tempfile.mkdtemp(prefix="bench-mlops-")
    # Data written before %load_ext: files the session writes itself are not its inputs.
    data_dir = Path(tempfile.mkdtemp(prefix="bench-inputs-"))
    for i in range(inputs):
        (data_dir / f"part{i}.csv").write_text("a,b\n" + "1,2\n" * 1000)
    big_path = _make_big_file(big_file_mb) if big_file_mb else None
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "mlops_jupyter")
    params = "\n".join(f"p{i} = {i * 0.1}" for i in range(10))
    metrics = (
        "import mlops_jupyter\n_ = mlops_jupyter.log_metrics({"
        + ", ".join(f"'m{i}': {i * 0.5}" for i in range(5))
        + "})"
    )
    # The same statements without tracking; both end in an assignment, so neither pays for
    # displaying a result.
    plain_cell = f"{params}\n{metrics.replace('mlops_jupyter.log_metrics', 'dict')}"
    tracked_quiet = f"%%track --quiet\n{params}\n{metrics}"
    tracked_summary = f"%%track\n{params}\n{metrics}"

    def timed(cell: str) -> float:
        t = time.perf_counter()
        result = ip.run_cell(cell, store_history=True)
        elapsed = time.perf_counter() - t
        if result.error_in_exec is not None:
            raise RuntimeError(result.error_in_exec)
        return elapsed

    for _ in range(20):  # warm-up: first-use imports, store creation, caches
        timed(tracked_quiet)
        timed(plain_cell)
    # Paired: each tracked cell is compared with the untracked cell run just before it, so
    # load from other processes mostly cancels out; the overhead is the median difference.
    plain, quiet, diffs = [], [], []
    for _ in range(runs):
        plain.append(timed(plain_cell))
        quiet.append(timed(tracked_quiet))
        diffs.append(quiet[-1] - plain[-1])
    # The summary writes to stdout: keep it out of the report.
    devnull = open(os.devnull, "w")
    real_stdout, sys.stdout = sys.stdout, devnull
    try:
        summary_diffs = []
        for _ in range(max(20, runs // 5)):
            base = timed(plain_cell)
            summary_diffs.append(timed(tracked_summary) - base)
    finally:
        sys.stdout = real_stdout
        devnull.close()

    # The default path with data: the session read `inputs` files in an earlier cell, so
    # every tracked run records them (stat on the cell, cached hashes on the writer thread).
    ip.run_cell(
        f"for _p in sorted(__import__('glob').glob({str(data_dir)!r} + '/*.csv')):\n"
        "    open(_p).read()",
        store_history=True,
    )
    real_stdout, sys.stdout = sys.stdout, open(os.devnull, "w")
    try:
        input_diffs = []
        for _ in range(max(20, runs // 5)):
            base = timed(plain_cell)
            input_diffs.append(timed(tracked_summary) - base)
    finally:
        sys.stdout.close()
        sys.stdout = real_stdout
    from mlops_jupyter.store import get_store
    from mlops_jupyter.tracking import get_tracker

    get_tracker().drain(timeout=600)
    recorded_inputs = len(get_store().search_runs(limit=1)[0].inputs)
    big = _big_file(ip, timed, big_path, big_file_mb) if big_path else {}

    ip.user_ns["N_POINTS"] = points
    ip.run_cell(
        "%%track --quiet\nimport time, mlops_jupyter\n_log = mlops_jupyter.log_metric\n"
        "_t = time.perf_counter()\nfor _i in range(N_POINTS):\n    _log('loss', 0.1, _i)\n"
        "LOOP_S = time.perf_counter() - _t\n",
        store_history=True,
    )
    t = time.perf_counter()
    get_tracker().drain(timeout=600)  # the writer thread stores the points after the cell
    drain_s = time.perf_counter() - t
    t = time.perf_counter()
    newest = get_store().search_runs(limit=1)[0]
    assert len(get_store().metric_series(newest.id, "loss")) == points, "points were lost"
    readback_s = time.perf_counter() - t
    plain_median = statistics.median(plain)
    return {
        "plain_cell_median_s": plain_median,
        "track_overhead_median_s": statistics.median(diffs),
        "track_overhead_p90_s": statistics.quantiles(diffs, n=10)[-1],
        "track_with_summary_overhead_median_s": statistics.median(summary_diffs),
        "track_with_inputs_overhead_median_s": statistics.median(input_diffs),
        "inputs_recorded": recorded_inputs,
        **big,
        "log_metric_points_per_s": points / ip.user_ns["LOOP_S"],
        "metric_readback_s": readback_s,
        "metric_store_s": drain_s,
    }


def _make_big_file(megabytes: int) -> Path:
    path = Path(tempfile.mkdtemp(prefix="bench-big-")) / "big.bin"
    with open(path, "wb") as handle:
        chunk = os.urandom(1 << 20)
        for _ in range(megabytes):
            handle.write(chunk)
    return path


def _big_file(ip: Any, timed: Any, path: Path, megabytes: int) -> dict[str, float]:
    """A tracked cell reading a large file: how much later does it end than untracked, and
    how long until its hash is in the store (the writer thread hashes it after the cell)?"""
    from mlops_jupyter.tracking import get_tracker

    read = f"with open({str(path)!r}, 'rb') as _f:\n    while _f.read(1 << 24):\n        pass"
    untracked = min(timed(read) for _ in range(3))
    tracked = timed(f"%%track --quiet\n{read}")
    t = time.perf_counter()
    get_tracker().drain(timeout=600)
    hashed_after = time.perf_counter() - t
    cached = timed(f"%%track --quiet\n{read}")
    t = time.perf_counter()
    get_tracker().drain(timeout=600)
    cached_after = time.perf_counter() - t
    path.unlink()
    return {
        "big_file_mb": megabytes,
        "big_untracked_s": untracked,
        "big_tracked_s": tracked,
        "big_hash_after_cell_s": hashed_after,
        "big_cached_tracked_s": cached,
        "big_cached_after_cell_s": cached_after,
    }


LIVE_CELL = """%%track --name live-throughput {flags}
import time
started = time.perf_counter()
for i in range({points}):
    mlops_jupyter.log_metric("loss", i * 1e-6)
rate = {points} / (time.perf_counter() - started)
"""


def live_view(points: int) -> dict[str, float]:
    """log_metric's rate in a real ipykernel with the live view under the cell (it redraws
    from the writer thread while the loop runs), and the displays the cell got."""
    import tempfile

    from jupyter_client.manager import KernelManager

    with tempfile.TemporaryDirectory(prefix="bench-live-") as folder:
        env = {**os.environ, "MLOPS_JUPYTER_STORE": os.path.join(folder, "store")}
        km = KernelManager(kernel_name="python3")
        km.start_kernel(cwd=folder, env=env)
        client = km.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)
            client.execute_interactive("%load_ext mlops_jupyter\nimport mlops_jupyter", timeout=60)
            rates: dict[str, float] = {}
            displays = 0
            for label, flags in (("quiet", "--quiet"), ("live", ""), ("quiet2", "--quiet")):
                messages: list[dict[str, Any]] = []
                client.execute_interactive(
                    LIVE_CELL.format(points=points, flags=flags),
                    output_hook=messages.append,
                    timeout=600,
                )
                if label == "live":
                    displays = sum(
                        m["msg_type"] in ("display_data", "update_display_data") for m in messages
                    )
                printed: list[dict[str, Any]] = []
                client.execute_interactive("print(rate)", output_hook=printed.append, timeout=60)
                rates[label] = float(
                    next(m["content"]["text"] for m in printed if m["msg_type"] == "stream")
                )
        finally:
            client.stop_channels()
            km.shutdown_kernel(now=True)
    quiet = (rates["quiet"] + rates["quiet2"]) / 2
    return {"rate": rates["live"], "quiet_rate": quiet, "displays": float(displays)}


def competitor(python: str, runs: int, points: int) -> dict[str, float] | None:
    if not Path(python).exists():
        print(f"(no competitor: {python} not found; `make bench` installs MLflow there)")
        return None
    out = subprocess.run(
        [python, str(Path(__file__).with_name("_mlflow_track.py")), str(runs), str(points)],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        print(f"(competitor failed: {out.stderr[-2000:]})")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--competitor-runs", type=int, default=50)
    parser.add_argument("--competitor-points", type=int, default=2000)
    parser.add_argument("--competitor-python", default=str(ROOT / ".venv-bench" / "bin" / "python"))
    parser.add_argument("--inputs", type=int, default=20, help="files read by an earlier cell")
    parser.add_argument(
        "--big-file-mb", type=int, default=0, help="also time a tracked read of a file this big"
    )
    args = parser.parse_args()

    import_s = fresh_process_seconds(IMPORT_CODE)
    load_ext_s = fresh_process_seconds(LOAD_EXT_CODE)
    mine = ours(args.runs, args.points, args.inputs, args.big_file_mb)
    live = live_view(args.points)
    theirs = competitor(args.competitor_python, args.competitor_runs, args.competitor_points)

    ms = 1000.0

    def row(label: str, value: str, target: str = "") -> None:
        print(f"  {label:<46}{value:>16}   {target}")

    print(f"\n%%track benchmark ({os.cpu_count()} cores, Python {sys.version.split()[0]})")
    row("import mlops_jupyter", f"{import_s * ms:.1f} ms")
    row("%load_ext mlops_jupyter", f"{load_ext_s * ms:.1f} ms", "(target <= 150 ms)")
    row("untracked cell (median)", f"{mine['plain_cell_median_s'] * ms:.2f} ms")
    row(
        "%%track overhead --quiet (median)",
        f"{mine['track_overhead_median_s'] * ms:.2f} ms",
        "(target <= 5 ms)",
    )
    row("%%track overhead --quiet (p90)", f"{mine['track_overhead_p90_s'] * ms:.2f} ms")
    row(
        "%%track overhead with summary (median)",
        f"{mine['track_with_summary_overhead_median_s'] * ms:.2f} ms",
        "(target <= 2 ms)",
    )
    row(
        f"  ... and {mine['inputs_recorded']} captured inputs (median)",
        f"{mine['track_with_inputs_overhead_median_s'] * ms:.2f} ms",
        "(target <= 2 ms)",
    )
    if "big_file_mb" in mine:
        size = f"{mine['big_file_mb']:.0f} MB"
        row(f"read {size}: untracked cell", f"{mine['big_untracked_s']:.2f} s")
        row(f"read {size}: tracked cell ends after", f"{mine['big_tracked_s']:.2f} s")
        row("  its hash in the store after the cell", f"{mine['big_hash_after_cell_s']:.2f} s")
        row(f"read {size} again (hash cached): cell", f"{mine['big_cached_tracked_s']:.2f} s")
        row("  in the store after the cell", f"{mine['big_cached_after_cell_s']:.2f} s")
    row(
        "log_metric",
        f"{mine['log_metric_points_per_s']:,.0f} pts/s",
        "(target >= 1,000,000)",
    )
    row(
        "log_metric in a kernel, live view redrawing",
        f"{live['rate']:,.0f} pts/s",
        "(target >= 1,000,000)",
    )
    row("  displays under the cell (first + updates)", f"{live['displays']:.0f}")
    row("  the same cell --quiet (no view)", f"{live['quiet_rate']:,.0f} pts/s")
    row("then in the store after (writer thread)", f"{mine['metric_store_s']:.2f} s")
    row(f"read back {args.points:,} points", f"{mine['metric_readback_s']:.2f} s")
    if theirs:
        print(f"\nMLflow {theirs['version']} (SQLite backend), same machine, same run")
        row("import mlflow", f"{theirs['import_s'] * ms:.1f} ms")
        row(
            "start_run+log_params(10)+log_metrics(5)+end_run",
            f"{theirs['run_overhead_median_s'] * ms:.1f} ms",
        )
        row("log_metric", f"{theirs['log_metric_points_per_s']:,.0f} pts/s")
        print("\nRatios (MLflow / mlops-jupyter)")
        overhead = theirs["run_overhead_median_s"] / mine["track_overhead_median_s"]
        rate = mine["log_metric_points_per_s"] / theirs["log_metric_points_per_s"]
        row("per-run overhead", f"{overhead:.1f}x", "(target >= 20x)")
        row("log_metric rate", f"{rate:.1f}x", "(target >= 100x)")
        row("import time", f"{theirs['import_s'] / import_s:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
