"""Benchmark: lineage walks over a store of 100k runs and 10k model versions.

    python benchmarks/bench_lineage.py [--runs 100000] [--versions 10000] [--datasets 5000]
                                       [--samples 200] [--mlflow-runs 2000] [--no-mlflow]
                                       [--competitor-python .venv-bench/bin/python]

The store (SQLite) is filled in bulk through the store's own row builders: every run read two
datasets out of ``--datasets`` (a digest and a path each), has a notebook snapshot and a
commit; ``--versions`` versions over ``versions / 10`` models are registered through the
registry (each an event in the hash-chained log), and each model's ``@champion`` moves twice.
Then, in-process, ``--samples`` times each:

* back: ``lineage NAME@champion`` (alias -> version -> run -> data, snapshot, commit, with
  the run described: parameters, metrics, source, inputs);
* back from a run id;
* forward: ``lineage --reverse DIGEST`` (every run that read a dataset, the versions made
  from them, the aliases holding those);
* forward from a file path (hashing the file is not counted: it is absent here).

The competitor: MLflow has no lineage walk; the nearest is what a user scripts with
``MlflowClient``: ``get_model_version_by_alias`` -> ``get_run`` -> the run's dataset inputs
(back), and ``search_runs`` over the dataset digest then ``search_model_versions`` per run
(forward), on a SQLite store of ``--mlflow-runs`` runs (filling 100k takes too long there).
Target: a walk answers in <= 50 ms at 100k runs and 10k versions.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def digest(i: int) -> str:
    return hashlib.sha256(f"dataset-{i}".encode()).hexdigest()


def fill(directory: Path, n_runs: int, n_versions: int, n_datasets: int) -> dict[str, Any]:
    """Create the store; return what the walks start from and how long filling took."""
    from mlops_jupyter.models import FileRecord, GitInfo, NotebookInfo, Run, RunStatus
    from mlops_jupyter.registry import Registry
    from mlops_jupyter.store import StoreLocation, open_store
    from mlops_jupyter.store.lifecycle import NewVersion
    from mlops_jupyter.store.sql.rows import child_rows, lineage_rows, run_columns

    rng = random.Random(0)
    store = open_store(StoreLocation.for_directory(str(directory)))
    sql = store._sql  # type: ignore[attr-defined]
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    t0 = time.perf_counter()
    run_ids: list[str] = []
    batch: list[Run] = []

    def flush() -> None:
        rows = [run_columns(r, lambda _: "") for r in batch]
        params = [p for r in batch for p in child_rows(r)[0]]
        edges = [e for r in batch for e in lineage_rows(r)]
        with store.engine.begin() as conn:  # type: ignore[attr-defined]
            sql.run_insert.executemany(conn, rows)
            sql.params_insert.executemany(conn, params)
            sql.edges_insert.executemany(conn, edges)
        batch.clear()

    for i in range(n_runs):
        run = Run.new(
            f"exp{i % 20}",
            id=uuid.UUID(int=rng.getrandbits(128)).hex,
            name=f"run-{i}",
            started_at=start + timedelta(seconds=i),
            status=RunStatus.FINISHED,
            params={"lr": round(rng.random(), 4), "depth": rng.randrange(1, 9)},
            metrics={"auc": rng.random()},
            source=f"model = train(lr, depth)  # {i}\n",
        )
        run.ended_at = run.started_at + timedelta(seconds=30)
        chosen = rng.sample(range(n_datasets), 2)
        run.inputs = [FileRecord(f"data/part-{d}.csv", digest(d), 1000 + d) for d in chosen]
        run.notebook = NotebookInfo(path="/work/train.ipynb", snapshot_sha256=digest(-1 - i % 500))
        run.git = GitInfo(root="/work", commit=hashlib.sha1(str(i % 300).encode()).hexdigest())
        run.extra["cwd"] = "/work"
        run_ids.append(run.id)
        batch.append(run)
        if len(batch) == 5000:
            flush()
    flush()
    runs_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    registry = Registry(store, actor="bench")
    log = store.lifecycle
    manifest = store.put_json_blob({"format": 1, "files": []})
    models = max(1, n_versions // 10)
    for v in range(n_versions):
        log.create_version(
            f"model-{v % models}",
            NewVersion(run_id=run_ids[rng.randrange(n_runs)], manifest_sha256=manifest,
                       flavor="sklearn", size=1, files=0),
            actor="bench",
        )  # fmt: skip
    for m in range(models):
        registry.set_alias(f"model-{m}", "champion", 1, reason="first")
        registry.set_alias(f"model-{m}", "champion", 2, reason="better")
    versions_s = time.perf_counter() - t1
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        conn.exec_driver_sql("ANALYZE")
    store.close()
    return {
        "run_ids": run_ids,
        "models": models,
        "fill_runs_s": runs_s,
        "fill_versions_s": versions_s,
    }


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def walks(directory: Path, built: dict[str, Any], samples: int, n_datasets: int) -> dict[str, Any]:
    from mlops_jupyter.registry import Registry, lineage
    from mlops_jupyter.store import StoreLocation, open_store

    rng = random.Random(1)
    store = open_store(StoreLocation.for_directory(str(directory)))
    registry = Registry(store, actor="bench")
    cases = {
        "back NAME@champion": lambda: f"model-{rng.randrange(built['models'])}@champion",
        "back run id": lambda: rng.choice(built["run_ids"]),
        "forward digest": lambda: digest(rng.randrange(n_datasets)),
        "forward file path": lambda: f"/work/data/part-{rng.randrange(n_datasets)}.csv",
    }
    results: dict[str, Any] = {}
    for label, pick in cases.items():
        reverse = label.startswith("forward")
        lineage(registry, pick(), reverse=reverse)  # warm
        times, nodes = [], []
        for _ in range(samples):
            ref = pick()
            t = time.perf_counter()
            found = lineage(registry, ref, reverse=reverse)
            times.append(time.perf_counter() - t)
            nodes.append(len(found.nodes))
        results[label] = {
            "p50_ms": statistics.median(times) * 1e3,
            "p95_ms": percentile(times, 0.95) * 1e3,
            "max_ms": max(times) * 1e3,
            "nodes": statistics.median(nodes),
        }
    store.close()
    return results


def competitor(python: str, runs: int, samples: int) -> dict[str, Any] | None:
    script = Path(__file__).with_name("_mlflow_lineage.py")
    try:
        out = subprocess.run(
            [python, str(script), "--runs", str(runs), "--samples", str(samples)],
            check=True, capture_output=True, text=True, timeout=3600,
        )  # fmt: skip
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        print(f"MLflow side failed: {detail.strip()[-500:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--datasets", type=int, default=5_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--mlflow-runs", type=int, default=2_000)
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument("--competitor-python", default=str(ROOT / ".venv-bench" / "bin" / "python"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-lineage-") as tmp:
        folder = Path(tmp) / "store"
        built = fill(folder, args.runs, args.versions, args.datasets)
        print(
            f"store: {args.runs} runs ({built['fill_runs_s']:.1f} s), {args.versions} versions "
            f"of {built['models']} models, @champion moved twice "
            f"({built['fill_versions_s']:.1f} s)"
        )
        ours = walks(folder, built, args.samples, args.datasets)
    theirs = (
        None
        if args.no_mlflow
        else competitor(args.competitor_python, args.mlflow_runs, args.samples)
    )
    print(f"{'walk':<22} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'nodes':>6}")
    for label, row in ours.items():
        print(f"{label:<22} {row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f} {row['max_ms']:>8.2f} "
              f"{row['nodes']:>6.0f}")  # fmt: skip
    worst = max(r["p95_ms"] for r in ours.values())
    print(
        f"target: every walk <= 50 ms: {'met' if worst <= 50 else 'MISSED'} "
        f"(worst p95 {worst:.1f} ms)"
    )
    if theirs:
        print(
            f"MLflow {theirs['version']} ({args.mlflow_runs} runs, {theirs['versions']} "
            "versions), the same questions scripted with MlflowClient:"
        )
        for label, row in theirs["walks"].items():
            mine = ours.get(label)
            ratio = f"  ours {row['p50_ms'] / mine['p50_ms']:.1f}x faster" if mine else ""
            print(f"{label:<22} {row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f}{ratio}")


if __name__ == "__main__":
    main()
