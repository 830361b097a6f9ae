"""Sweep throughput: 16 executions of a small CPU-bound notebook with 1 and 2 local workers.

The notebook has ``%load_ext`` and one tracked cell spending ~0.5 s of pure-Python arithmetic,
swept over ``--executions`` values of a parameter. Timed: papermill alone executing the same
notebook with the same parameters one after the other (same kernel, same tracking: the
baseline), then ``run_sweep`` with ``workers=1`` and ``workers=2``. Reported: the speed-up of
2 workers over 1 (only meaningful on at least 2 cores) and the per-execution overhead of the
sweep over bare papermill (``(sweep with 1 worker - papermill alone) / executions``: the worker
process's start and imports, the manifest writes, the wait for the recorded runs).

    python benchmarks/bench_sweep.py [--executions 16] [--work 0.5]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

TARGET_SPEEDUP = 1.7
TARGET_OVERHEAD_S = 0.3

TRACKED = (
    "%%track --quiet\n"
    "import mlops_jupyter\n"
    "seed = 0\n"
    "loops = 1\n"
    "total = 0\n"
    "for i in range(loops):\n"
    "    total = (total + i * (seed + 1)) % 1000003\n"
    "mlops_jupyter.log_metric('total', total)\n"
)


def _calibrate(seconds: float) -> int:
    """Loop count for about ``seconds`` of the tracked cell's arithmetic on this machine."""
    loops, total = 200_000, 0
    start = time.perf_counter()
    for i in range(loops):
        total = (total + i) % 1000003
    elapsed = time.perf_counter() - start
    return max(1000, int(loops * seconds / elapsed))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=16)
    parser.add_argument("--work", type=float, default=0.5, help="seconds of CPU per execution")
    args = parser.parse_args()

    import logging

    import nbformat
    import papermill

    logging.getLogger("papermill").setLevel(logging.ERROR)
    loops = _calibrate(args.work)
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        root = Path(tmp)
        os.environ["MLOPS_JUPYTER_STORE"] = str(root / "store")
        from mlops_jupyter.store import get_store
        from mlops_jupyter.sweep import run_sweep

        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nb.cells = [
            nbformat.v4.new_code_cell("%load_ext mlops_jupyter"),
            nbformat.v4.new_code_cell(TRACKED),
        ]
        notebook = root / "work" / "bench.ipynb"
        notebook.parent.mkdir()
        nbformat.write(nb, str(notebook))
        combos = [{"seed": i, "loops": loops} for i in range(args.executions)]

        os.environ["MLOPS_JUPYTER_NOTEBOOK"] = str(notebook)
        start = time.perf_counter()
        for combo in combos:
            papermill.execute_notebook(
                str(notebook),
                str(root / "out.ipynb"),
                parameters=combo,
                kernel_name="python3",
                progress_bar=False,
            )
        bare = time.perf_counter() - start
        del os.environ["MLOPS_JUPYTER_NOTEBOOK"]

        timings: dict[int, float] = {}
        for workers in (1, 2):
            start = time.perf_counter()
            result = run_sweep(str(notebook), combos, workers=workers)
            timings[workers] = time.perf_counter() - start
            if not result.ok:
                print(f"sweep with {workers} workers did not finish:", file=sys.stderr)
                for execution in result.sweep.executions:
                    print(f"  {execution.index}: {execution.error}", file=sys.stderr)
                return 1
        recorded = len(get_store().search_runs())

    n = args.executions
    speedup = timings[1] / timings[2]
    overhead = (timings[1] - bare) / n
    print(f"cores: {os.cpu_count()}, executions: {n}, cell work ~{args.work:.2f} s")
    print(f"papermill alone, sequential : {bare:7.2f} s  ({bare / n:.2f} s per execution)")
    print(
        f"sweep, 1 worker             : {timings[1]:7.2f} s  ({timings[1] / n:.2f} s per execution)"
    )
    print(
        f"sweep, 2 workers            : {timings[2]:7.2f} s  ({timings[2] / n:.2f} s per execution)"
    )
    print(f"speed-up 2 vs 1 workers     : {speedup:.2f}x  (target >= {TARGET_SPEEDUP}x)")
    target_ms = TARGET_OVERHEAD_S * 1000
    print(f"overhead per execution      : {overhead * 1000:+.0f} ms (target <= {target_ms:.0f} ms)")
    print(f"runs recorded               : {recorded} (expected {3 * n})")
    ok = speedup >= TARGET_SPEEDUP and overhead <= TARGET_OVERHEAD_S and recorded == 3 * n
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
