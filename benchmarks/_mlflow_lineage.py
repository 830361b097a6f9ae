"""The competitor's side of bench_lineage.py, run by .venv-bench/bin/python: the same lineage
questions scripted with MlflowClient on a SQLite store. Prints one JSON line."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import tempfile
import time


def digest(i: int) -> str:
    return hashlib.sha256(f"dataset-{i}".encode()).hexdigest()[:8]  # MLflow keeps 8 hex


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # never ./mlruns in the repository
        import mlflow
        from mlflow import MlflowClient
        from mlflow.entities import Dataset, DatasetInput, InputTag

        uri = f"sqlite:///{tmp}/mlflow.db"
        mlflow.set_tracking_uri(uri)
        client = MlflowClient(uri)
        experiment = client.create_experiment("lineage", artifact_location=f"{tmp}/artifacts")
        rng = random.Random(0)
        n_datasets = max(10, args.runs // 20)
        versions = max(10, args.runs // 10)
        models = max(1, versions // 10)
        run_ids = []
        for i in range(args.runs):
            run = client.create_run(experiment, run_name=f"run-{i}")
            inputs = [
                DatasetInput(
                    Dataset(f"part-{d}", digest(d), "local", f"/work/data/part-{d}.csv"),
                    tags=[InputTag("mlflow.data.context", "training")],
                )
                for d in rng.sample(range(n_datasets), 2)
            ]
            client.log_inputs(run.info.run_id, inputs)
            client.set_terminated(run.info.run_id)
            run_ids.append(run.info.run_id)
        for m in range(models):
            client.create_registered_model(f"model-{m}")
        for v in range(versions):
            run_id = run_ids[rng.randrange(args.runs)]
            client.create_model_version(
                f"model-{v % models}", source=f"{tmp}/artifacts/{run_id}", run_id=run_id
            )
        for m in range(models):
            client.set_registered_model_alias(f"model-{m}", "champion", "2")

        def back_alias() -> int:
            version = client.get_model_version_by_alias(
                f"model-{rng.randrange(models)}", "champion"
            )
            run = client.get_run(version.run_id)
            return 2 + len(run.inputs.dataset_inputs)

        def back_run() -> int:
            run = client.get_run(rng.choice(run_ids))
            return 1 + len(run.inputs.dataset_inputs)

        def forward_digest() -> int:
            d = digest(rng.randrange(n_datasets))
            runs = client.search_runs([experiment], filter_string=f"dataset.digest = '{d}'")
            found = len(runs)
            for run in runs:
                found += len(client.search_model_versions(f"run_id = '{run.info.run_id}'"))
            return found

        results = {}
        for label, walk in (
            ("back NAME@champion", back_alias),
            ("back run id", back_run),
            ("forward digest", forward_digest),
        ):
            walk()
            times = []
            for _ in range(args.samples):
                t = time.perf_counter()
                walk()
                times.append(time.perf_counter() - t)
            ordered = sorted(times)
            results[label] = {
                "p50_ms": statistics.median(times) * 1e3,
                "p95_ms": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1e3,
            }
        print(json.dumps({"version": mlflow.__version__, "versions": versions, "walks": results}))


if __name__ == "__main__":
    main()
