"""Several real processes sharing one SQLite store: nothing lost, never a locked error."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

from _processes import run_together

from mlops_jupyter.models import RunStatus
from mlops_jupyter.store import StoreLocation, open_store
from mlops_jupyter.store.schema import SCHEMA_REVISION

# Each worker imports everything, says "ready", waits for the go file (so that all start
# together, on a database none of them has created yet), then opens the store and writes.
WORKER = r"""
import json, sys, time
from pathlib import Path

from mlops_jupyter.models import MetricPoint, Run, RunStatus, utcnow
from mlops_jupyter.store import StoreLocation, open_store
import mlops_jupyter.store.sql  # import SQLAlchemy before the start signal

root, go, worker, n_runs = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
store = open_store(StoreLocation.for_directory(root))
result = {"migrated": store.migrated, "runs": 0}
env = {"python": sys.version, "worker": worker % 2}  # shared between workers: dedup races
for i in range(n_runs):
    run = Run.new(
        "concurrency",
        name=f"w{worker}-{i}",
        params={"worker": worker, "i": i},
        env=env,
        history=[{"execution_count": i, "source": f"cell {worker} {i}"}],
    )
    store.create_run(run)
    store.log_metric_points(
        run.id, [MetricPoint("loss", 1.0 / (s + 1), s, time.time()) for s in range(10)]
    )
    store.heartbeat([run.id])
    run.status = RunStatus.FINISHED
    run.ended_at = utcnow()
    run.metrics = {"loss": 0.1, "worker": float(worker)}
    store.update_run(run)
    result["runs"] += 1
store.close()
print(json.dumps(result), flush=True)
"""


def run_workers(root: Path, n_workers: int, n_runs: int) -> list[dict[str, object]]:
    go = root.parent / f"{root.name}.go"
    argvs = [[str(root), str(go), str(w), str(n_runs)] for w in range(n_workers)]
    return run_together(WORKER, argvs, go, forbidden=("Traceback", "locked"))


def integrity(db: Path) -> str:
    with closing(sqlite3.connect(db)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def test_two_processes_migrate_a_fresh_database_once(tmp_path: Path) -> None:
    root = tmp_path / "store"
    results = run_workers(root, n_workers=2, n_runs=0)
    assert sorted(r["migrated"] for r in results) == [False, True]
    with closing(sqlite3.connect(root / "runs.db")) as conn:
        versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    assert versions == [(SCHEMA_REVISION,)]
    assert integrity(root / "runs.db") == "ok"


def test_eight_processes_write_concurrently_without_losing_runs(tmp_path: Path) -> None:
    root = tmp_path / "store"
    n_workers, n_runs = 8, 50
    start = time.monotonic()
    results = run_workers(root, n_workers=n_workers, n_runs=n_runs)
    elapsed = time.monotonic() - start

    assert [r["runs"] for r in results] == [n_runs] * n_workers
    assert sum(bool(r["migrated"]) for r in results) == 1
    assert integrity(root / "runs.db") == "ok"
    with open_store(StoreLocation.for_directory(root)) as store:
        runs = store.search_runs(experiment="concurrency")
        assert len(runs) == n_workers * n_runs == store.count_runs()
        assert {r.name for r in runs} == {
            f"w{w}-{i}" for w in range(n_workers) for i in range(n_runs)
        }
        for run in runs:
            assert run.status is RunStatus.FINISHED
            assert run.metrics == {"loss": 0.1, "worker": float(run.params["worker"])}
            assert run.heartbeat_at is not None
            assert run.env["worker"] == run.params["worker"] % 2
        sample = runs[0]
        assert [p.step for p in store.metric_series(sample.id, "loss")] == list(range(10))
    with closing(sqlite3.connect(root / "runs.db")) as conn:
        assert conn.execute("SELECT count(*) FROM metric_steps").fetchone() == (4000,)
    assert elapsed < 60
