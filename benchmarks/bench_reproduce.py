"""Overhead of a verified reproduction over a bare papermill execution of the same notebook.

Records one run (papermill, a notebook with ``%load_ext`` and one tracked cell with 10 literal
parameters and 5 metrics), then alternates ``--repeat`` times: the same notebook executed by
papermill alone (same kernel, same tracking) and ``mlops_jupyter.reproduce.reproduce`` of the
run. The difference of the medians is what reproduction adds: loading the run, the kernel spec
check, building the scratch folder, injecting the parameters, finding the recorded run and
comparing. Also timed: ``twice=True``, and a history-pinned run (replay + saved notebook: two
executions).

    python benchmarks/bench_reproduce.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

TRACKED = (
    "%%track --quiet\nimport mlops_jupyter\n"
    + "".join(f"p{i} = {i / 10}\n" for i in range(10))
    + "mlops_jupyter.log_metrics({f'm{i}': i * p1 for i in range(5)})\n"
)

TARGET_OVERHEAD_S = 0.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import logging

    import nbformat
    import papermill

    logging.getLogger("papermill").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="bench-reproduce-") as tmp:
        root = Path(tmp)
        os.environ["MLOPS_JUPYTER_STORE"] = str(root / "store")
        from mlops_jupyter.reproduce import reproduce
        from mlops_jupyter.store import get_store

        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        nb.cells = [
            nbformat.v4.new_code_cell("%load_ext mlops_jupyter"),
            nbformat.v4.new_code_cell(TRACKED),
        ]
        notebook = root / "work" / "bench.ipynb"
        notebook.parent.mkdir()
        nbformat.write(nb, str(notebook))
        os.environ["MLOPS_JUPYTER_NOTEBOOK"] = str(notebook)

        def bare() -> float:
            started = time.perf_counter()
            papermill.execute_notebook(
                str(notebook),
                str(root / "out.ipynb"),
                kernel_name="python3",
                progress_bar=False,
                cwd=str(notebook.parent),
            )
            return time.perf_counter() - started

        bare()  # the original run (and a warm-up of the kernel's imports)
        original = get_store().search_runs()[0]
        del os.environ["MLOPS_JUPYTER_NOTEBOOK"]

        def timed(**kwargs: object) -> float:
            started = time.perf_counter()
            verdict = reproduce(original.id, **kwargs)  # type: ignore[arg-type]
            elapsed = time.perf_counter() - started
            assert verdict.status == "reproduced", verdict
            return elapsed

        bare_times, repro_times = [], []
        for _ in range(args.repeat):
            os.environ["MLOPS_JUPYTER_NOTEBOOK"] = str(notebook)
            bare_times.append(bare())
            del os.environ["MLOPS_JUPYTER_NOTEBOOK"]
            repro_times.append(timed())
        twice = timed(twice=True)

        # A history-pinned run: the same cell, recorded without a notebook.
        history_run = get_store().get_run(original.id)
        history_run.id = "f" * 32
        history_run.notebook = None
        history_run.extra = dict(history_run.extra, pin={"kind": "history"})
        get_store().create_run(history_run)
        started = time.perf_counter()
        reproduce(history_run.id)
        history = time.perf_counter() - started

    bare_median = statistics.median(bare_times)
    repro_median = statistics.median(repro_times)
    overhead = repro_median - bare_median
    print(f"papermill alone (median of {args.repeat}):   {bare_median * 1000:8.0f} ms")
    print(f"reproduce (median of {args.repeat}):         {repro_median * 1000:8.0f} ms")
    print(
        f"overhead of reproduce:               {overhead * 1000:8.0f} ms "
        f"({overhead / bare_median:+.1%}; target <= {TARGET_OVERHEAD_S * 1000:.0f} ms)"
    )
    print(f"reproduce --twice:                   {twice * 1000:8.0f} ms")
    print(f"reproduce, history pin (replay):     {history * 1000:8.0f} ms")
    return 0 if overhead <= TARGET_OVERHEAD_S else 1


if __name__ == "__main__":
    sys.exit(main())
