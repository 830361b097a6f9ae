"""Competitor side of bench_track.py, run with a Python that has MLflow installed.

Prints one JSON object: import time, per-run overhead of the equivalent of a tracked cell
(start_run + log_params(10) + log_metrics(5) + end_run) on a SQLite backend, and
log_metric throughput.
"""

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

runs, points = int(sys.argv[1]), int(sys.argv[2])
t0 = time.perf_counter()
import mlflow  # noqa: E402

import_s = time.perf_counter() - t0
tmp = Path(tempfile.mkdtemp(prefix="bench-mlflow-"))
mlflow.set_tracking_uri(f"sqlite:///{tmp / 'mlflow.db'}")
mlflow.set_experiment("bench")
params = {f"p{i}": i * 0.1 for i in range(10)}
metrics = {f"m{i}": i * 0.5 for i in range(5)}
for _ in range(3):  # warm-up: schema creation, caches
    with mlflow.start_run():
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
samples = []
for _ in range(runs):
    t = time.perf_counter()
    mlflow.start_run()
    mlflow.log_params(params)
    mlflow.log_metrics(metrics)
    mlflow.end_run()
    samples.append(time.perf_counter() - t)
with mlflow.start_run():
    t = time.perf_counter()
    for step in range(points):
        mlflow.log_metric("loss", 0.1, step=step)
    metric_s = time.perf_counter() - t
print(
    json.dumps(
        {
            "version": mlflow.__version__,
            "import_s": import_s,
            "run_overhead_median_s": statistics.median(samples),
            "log_metric_points_per_s": points / metric_s,
        }
    )
)
