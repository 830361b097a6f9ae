"""Competitor side of bench_list.py, run with a Python that has MLflow installed.

    python _mlflow_list.py N_RUNS N_REQUESTS

Logs N synthetic runs (10 params, 5 metrics, the same generator as bench_list.py) into a
SQLite tracking store with one ``log_batch`` per run, then times ``search_runs`` for the
first page of 100 (``params.p2 = 'adam'``, ordered by ``metrics.m0 DESC``; MLflow
compares params as strings and allows no ``<`` on them). Prints one JSON
object.
"""

import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

n_runs, n_requests = int(sys.argv[1]), int(sys.argv[2])
import mlflow  # noqa: E402
from mlflow.entities import Metric, Param  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

tmp = Path(tempfile.mkdtemp(prefix="bench-mlflow-list-"))
client = MlflowClient(tracking_uri=f"sqlite:///{tmp / 'mlflow.db'}")
experiment_id = client.create_experiment("bench")
rng = random.Random(0)
t0 = time.perf_counter()
for i in range(n_runs):
    # Same values as bench_list.synthetic_runs (same seed, same draws).
    values = {f"p{j}": round(rng.random(), 6) for j in range(10)}
    values["p1"] = rng.randrange(1, 100)
    values["p2"] = rng.choice(["adam", "sgd", "rmsprop"])
    uuid.UUID(int=rng.getrandbits(128))
    rng.uniform(1, 100)
    metric_values = {f"m{j}": rng.random() for j in range(5)}
    run = client.create_run(experiment_id, run_name=f"run-{i}")
    now = int(time.time() * 1000)
    client.log_batch(
        run.info.run_id,
        params=[
            Param(k, f"{v:.6f}" if isinstance(v, float) else str(v)) for k, v in values.items()
        ],
        metrics=[Metric(k, v, now, 0) for k, v in metric_values.items()],
    )
    client.set_terminated(run.info.run_id)
fill_s = time.perf_counter() - t0


def search() -> list:
    return client.search_runs(
        [experiment_id],
        filter_string="params.p2 = 'adam'",
        order_by=["metrics.m0 DESC"],
        max_results=100,
    )


for _ in range(3):
    search()
samples = []
for _ in range(n_requests):
    t = time.perf_counter()
    found = search()
    samples.append(time.perf_counter() - t)
samples.sort()
print(
    json.dumps(
        {
            "version": mlflow.__version__,
            "fill_s": fill_s,
            "p50_ms": statistics.median(samples) * 1e3,
            "p90_ms": samples[min(len(samples) - 1, round(0.9 * (len(samples) - 1)))] * 1e3,
            "n_results": len(found),
        }
    )
)
