"""Runs written straight into the Galata server's store, for specs that need many runs fast.

Recording runs through a kernel costs seconds per cell; the look of the sidebar, the compare view
and the details (themes, column widths, labels, downloads, screenshots) only needs runs as the
store holds them. Everything here is what `%%track` records, written with the store's own API:
one experiment of four `logreg` runs told apart by `C`, with single-value metrics, a loss series,
inputs of every kind and two artifacts, and an experiment whose notebook lives deep in folders.

The experiments live under `<server root>/gallery/`: specs find these runs by that folder.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

#: The folder (below the server root) of the seeded experiments.
GALLERY = "gallery"

#: An artifact whose content a browser would run if it rendered it inline.
HOSTILE_HTML = b"<!doctype html><script>document.title='pwned'</script><p>report</p>\n"


def _record(path: str, data: bytes, **extra: object) -> dict[str, object]:
    return {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), **extra}


def seed_store(root_dir: str) -> list[str]:
    """Write the gallery runs into the store of this process's environment.

    Args:
        root_dir: The Jupyter server's root folder (experiments are notebook paths inside it).

    Returns:
        The ids of the runs written, oldest first.
    """
    from mlops_jupyter.models import (
        ErrorInfo,
        FileRecord,
        GitInfo,
        MetricPoint,
        NotebookInfo,
        Run,
        RunStatus,
    )
    from mlops_jupyter.store import get_store

    store = get_store()
    root = Path(root_dir)
    iris = str(root / GALLERY / "iris_logistic_regression.ipynb")
    deep = str(
        root / GALLERY / "projects" / "vision" / "2026" / "resnet_finetune_long_name.ipynb"
    )
    now = datetime.now(timezone.utc).replace(microsecond=0)
    model = b"\x80\x04fake pickled model\x00" * 64
    model_sha = store.blobs.put_bytes(model)
    report_sha = store.blobs.put_bytes(HOSTILE_HTML)
    train = b"sepal_length,sepal_width,label\n5.1,3.5,setosa\n"
    inputs = [
        FileRecord.from_json(_record("data/train.csv", train, via="open", cell=3, mtime=1.7e9)),
        FileRecord.from_json(
            {
                "path": "images/",
                "sha256": "ab" * 32,
                "size": 48_213_004,
                "kind": "folder",
                "via": "declared",
                "files": 4_096,
            }
        ),
        FileRecord.from_json(
            {
                "path": "s3://datasets/iris/labels.parquet",
                "sha256": "",
                "size": 20_480,
                "kind": "url",
                "hashing": "none",
                "via": "fsspec",
                "version": '"9b2cf535f27731c974343645a3985328"',
                "cell": 4,
            }
        ),
        FileRecord.from_json(
            {"path": "train", "sha256": "cd" * 32, "size": 150, "kind": "frame", "via": "log_input"}
        ),
    ]
    env = {
        "python": {"implementation": "CPython", "version": "3.11.9", "executable": "/opt/conda/envs/ml-environment-2026/bin/python3.11"},
        "platform": {"system": "Linux", "release": "6.8.0-45-generic", "machine": "x86_64", "platform": "Linux-6.8.0-45-generic-x86_64-with-glibc2.39"},
        "packages": {"numpy": "2.1.3", "pandas": "2.2.3", "scikit-learn": "1.5.2"},
        "cpu": {"model": "AMD EPYC", "count": 8},
        "memory_total_bytes": 32 * 1024**3,
        "gpus": [],
    }
    ids: list[str] = []
    plan = [
        # name, C, minutes ago, accuracy, status
        ("logreg", 1.0, 60 * 26, 0.9333, RunStatus.FINISHED),
        ("logreg", 0.05, 60 * 3, 0.8667, RunStatus.FINISHED),
        ("logreg", 0.2, 42, 0.9111, RunStatus.FINISHED),
        ("logreg", 5.0, 7, None, RunStatus.FAILED),
    ]
    for index, (name, c, ago, accuracy, status) in enumerate(plan):
        started = now - timedelta(minutes=ago)
        run = Run.new(
            iris,
            name=name,
            status=status,
            started_at=started,
            ended_at=started + timedelta(seconds=3.2 + index),
            params={"C": c, "solver": "lbfgs", "max_iter": 200},
            source=f"%%track --name {name}\nC = {c}\nsolver = 'lbfgs'\nmax_iter = 200\nmodel = fit(C, solver, max_iter)",
            cell_id=f"cell-{index}",
            execution_count=5,
            notebook=NotebookInfo(path=iris, snapshot_sha256=None, saved_matches_source=True),
            env=env,
            git=GitInfo(root=str(root), commit="4f1c2e9a7b3d5f60718293a4b5c6d7e8f9012345", branch="main", dirty=index == 3),
            inputs=inputs if index != 1 else inputs[:1],
            artifacts=[
                FileRecord.from_json(_record("models/model.pkl", model)),
                FileRecord.from_json(_record("reports/report.html", HOSTILE_HTML)),
            ]
            if index == 2
            else [],
            error=ErrorInfo("ValueError", "C must be at most 4", "Traceback (most recent call last):\n  ...\nValueError: C must be at most 4")
            if status is RunStatus.FAILED
            else None,
            extra={"pin": {"kind": "snapshot"}},
        )
        assert not run.artifacts or run.artifacts[0].sha256 == model_sha
        assert not run.artifacts or run.artifacts[1].sha256 == report_sha
        store.create_run(run)
        if accuracy is not None:
            points = [
                MetricPoint("loss", 1.2 * math.exp(-step / (4 + 10 * c)) + 0.05, step, started.timestamp() + step)
                for step in range(20)
            ]
            points += [
                MetricPoint("accuracy", accuracy, 0, started.timestamp() + 21),
                MetricPoint("val_accuracy_top1", accuracy - 0.02, 0, started.timestamp() + 22),
            ]
            store.log_metric_points(run.id, points)
        ids.append(run.id)
    deep_run = Run.new(
        deep,
        name="finetune",
        status=RunStatus.FINISHED,
        started_at=now - timedelta(days=40),
        ended_at=now - timedelta(days=40) + timedelta(minutes=12, seconds=5),
        params={"lr": 3e-4, "epochs": 12},
        source="%%track --name finetune\nlr = 3e-4\nepochs = 12",
        env=env,
    )
    store.create_run(deep_run)
    store.log_metric_points(deep_run.id, [MetricPoint("accuracy", 0.71, 0, deep_run.started_at.timestamp())])
    ids.append(deep_run.id)
    return ids
