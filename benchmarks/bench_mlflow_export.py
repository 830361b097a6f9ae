"""Benchmark: exporting 10k runs to a local SQLite MLflow, against MLflow's own client.

    python benchmarks/bench_mlflow_export.py [--runs 10000] [--floor-runs 200] [--json]
                                             [--competitor-python .venv-bench/bin/python]

Workload: ``--runs`` finished runs of one experiment, each with 10 params and 5 metrics of 100
steps (500 points), written into a fresh store of ours in a temporary folder. Then:

* ours: ``mlops-jupyter export mlflow --to sqlite:///…`` (``export_runs``, the bulk SQL path)
  into a new MLflow database, timed from the call to its return; MLflow creating its schema
  is timed apart (it happens once per database). Read back: every run with its params and
  every point, counted in MLflow's tables.
* again: the same export a second time (nothing to write: every fingerprint matches).
* ours through the client (``--via client``) on ``--floor-runs`` runs.
* MLflow's own client logging the same ``--floor-runs`` runs (``_mlflow_export_floor.py`` in the
  competitor's environment): ``create_run``, ``log_batch`` of the params, ``log_batch`` of the
  points in chunks of 1000, ``set_terminated``. At ~150 ms a run, 10k runs would take ~25 min:
  its time for ``--runs`` is extrapolated linearly from the sample (the rate is flat: every run
  is its own few transactions), and said to be.

Target: ``--runs 10000`` exported in <= 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
N_PARAMS, N_METRICS, N_STEPS = 10, 5, 100
TARGET_S = 60.0


def fill_store(folder: str, runs: int) -> Any:
    """A store of ours with ``runs`` finished runs of the workload."""
    os.environ["MLOPS_JUPYTER_STORE"] = folder
    from mlops_jupyter.models import MetricPoint, Run, RunStatus
    from mlops_jupyter.store import open_store, resolve_store_location

    store = open_store(resolve_store_location())
    base = 1_700_000_000.0
    from datetime import datetime, timezone

    for i in range(runs):
        started = datetime.fromtimestamp(base + i, tz=timezone.utc)
        run = Run.new(
            "bench-export",
            name=f"run {i}",
            started_at=started,
            params={f"p{j}": i * 0.001 + j for j in range(N_PARAMS)},
        )
        run.status = RunStatus.FINISHED
        run.ended_at = datetime.fromtimestamp(base + i + 0.999, tz=timezone.utc)
        store.create_run(run)
        store.log_metric_points(
            run.id,
            [
                MetricPoint(f"m{k}", 1.0 / (s + 1) + i * 1e-6, s, base + i + s / 1000)
                for k in range(N_METRICS)
                for s in range(N_STEPS)
            ],
        )
    return store


def counts(db: str) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {
            table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("runs", "params", "metrics", "latest_metrics")
        }


def competitor(python: str, uri: str, artifacts: str, runs: int) -> dict[str, Any]:
    script = str(Path(__file__).with_name("_mlflow_export_floor.py"))
    args = [python, script, uri, artifacts, str(runs), str(N_PARAMS), str(N_METRICS), str(N_STEPS)]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--floor-runs", type=int, default=200)
    default_python = ROOT / ".venv-bench" / "bin" / "python"
    parser.add_argument(
        "--competitor-python",
        default=str(default_python) if default_python.exists() else sys.executable,
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from mlflow.tracking import MlflowClient

    from mlops_jupyter.interop import export_runs

    with tempfile.TemporaryDirectory(prefix="bench-mlflow-export-") as tmp:
        t0 = time.perf_counter()
        store = fill_store(os.path.join(tmp, "store"), args.runs)
        fill_s = time.perf_counter() - t0
        db = os.path.join(tmp, "mlflow.db")
        uri = f"sqlite:///{db}"
        t0 = time.perf_counter()
        MlflowClient(tracking_uri=uri).search_experiments(max_results=1)  # MLflow's schema
        schema_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        first = export_runs(store, uri)
        ours_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        second = export_runs(store, uri)
        again_s = time.perf_counter() - t0
        held = counts(db)
        expected = {
            "runs": args.runs,
            "params": args.runs * N_PARAMS,
            "metrics": args.runs * N_METRICS * N_STEPS,
            "latest_metrics": args.runs * N_METRICS,
        }
        assert first.created == args.runs and not first.failed, first.failed[:3]
        assert second.created == 0 and second.updated == 0, second.to_json()
        assert held == expected, (held, expected)

        sample = min(args.floor_runs, args.runs)
        small = fill_store(os.path.join(tmp, "store-small"), sample)
        client_db = os.path.join(tmp, "client.db")
        MlflowClient(tracking_uri=f"sqlite:///{client_db}").search_experiments(max_results=1)
        t0 = time.perf_counter()
        via_client = export_runs(small, f"sqlite:///{client_db}", method="client")
        client_s = time.perf_counter() - t0
        assert via_client.created == sample, via_client.failed[:3]
        floor_db = os.path.join(tmp, "floor.db")
        floor = competitor(
            args.competitor_python, f"sqlite:///{floor_db}", os.path.join(tmp, "floor-art"), sample
        )
    floor_per_run = floor["seconds"] / sample
    floor_full = floor_per_run * args.runs
    result = {
        "runs": args.runs,
        "points": args.runs * N_METRICS * N_STEPS,
        "fill_store_s": round(fill_s, 1),
        "mlflow_schema_s": round(schema_s, 2),
        "ours_export_s": round(ours_s, 2),
        "ours_runs_per_s": round(args.runs / ours_s, 1),
        "ours_again_s": round(again_s, 2),
        "ours_via_client_per_run_ms": round(client_s / sample * 1000, 1),
        "mlflow_client_per_run_ms": round(floor_per_run * 1000, 1),
        "mlflow_client_sample_runs": sample,
        "mlflow_client_extrapolated_s": round(floor_full, 1),
        "mlflow_version": floor["mlflow"],
        "speedup_vs_mlflow_client": round(floor_full / ours_s, 1),
        "target_s": TARGET_S,
        "meets_target": ours_s <= TARGET_S,
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"{args.runs} runs x {N_PARAMS} params x {N_METRICS} metrics x {N_STEPS} steps")
    print(f"  MLflow schema created in        {schema_s:8.2f} s (once per database)")
    print(f"  ours, bulk SQL export           {ours_s:8.2f} s  ({args.runs / ours_s:.0f} runs/s)")
    print(f"  ours, export again (0 written)  {again_s:8.2f} s")
    print(f"  ours through MlflowClient       {client_s / sample * 1000:8.1f} ms per run")
    print(
        f"  MLflow's client (floor)         {floor_per_run * 1000:8.1f} ms per run -> "
        f"{floor_full:.0f} s for {args.runs} (extrapolated from {sample})"
    )
    print(f"  ratio MLflow client / ours      {floor_full / ours_s:8.1f}x")
    print(f"  target <= {TARGET_S:.0f} s: {'met' if ours_s <= TARGET_S else 'MISSED'}")


if __name__ == "__main__":
    main()
