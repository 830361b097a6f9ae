"""The competitor's side of bench_mlflow_export.py: MLflow's own client logging the same runs.

Run by the benchmark with the competitor's Python (``.venv-bench``): for each run,
``create_run`` (start time, name), one ``log_batch`` with the 10 params, ``log_batch`` calls
of at most 1000 points (MLflow's limit) with the 500 points, ``set_terminated``. Prints JSON.

    python _mlflow_export_floor.py DB_URI ARTIFACT_DIR RUNS PARAMS METRICS STEPS
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    uri, artifacts, runs, n_params, n_metrics, n_steps = sys.argv[1:7]
    import mlflow
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("bench-export", artifact_location=artifacts)
    base = 1_700_000_000_000
    started = time.perf_counter()
    for i in range(int(runs)):
        run = client.create_run(experiment, start_time=base + i * 1000, run_name=f"run {i}")
        run_id = run.info.run_id
        client.log_batch(
            run_id, params=[Param(f"p{j}", str(i * 0.001 + j)) for j in range(int(n_params))]
        )
        points = [
            Metric(f"m{k}", 1.0 / (s + 1) + i * 1e-6, base + i * 1000 + s, s)
            for k in range(int(n_metrics))
            for s in range(int(n_steps))
        ]
        for start in range(0, len(points), 1000):
            client.log_batch(run_id, metrics=points[start : start + 1000])
        client.set_terminated(run_id, "FINISHED", end_time=base + i * 1000 + 999)
    seconds = time.perf_counter() - started
    print(json.dumps({"runs": int(runs), "seconds": seconds, "mlflow": mlflow.__version__}))


if __name__ == "__main__":
    main()
