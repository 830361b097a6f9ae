"""The local spool: writes kept while the database is away, replayed exactly once in effect."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_jupyter.models import MetricPoint, Run, RunStatus, utcnow
from mlops_jupyter.store import (
    InvalidArgumentError,
    RunStore,
    StoreError,
    StoreLocation,
    open_store,
)
from mlops_jupyter.store.spool import (
    Spool,
    default_spool_root,
    is_disk_full,
    is_retryable,
    pending_files,
    replay_orphans,
    spool_dir_for,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    opened = open_store(StoreLocation.for_directory(tmp_path / "store"))
    try:
        yield opened
    finally:
        opened.close()


def finished(run: Run) -> Run:
    run.status = RunStatus.FINISHED
    run.ended_at = utcnow()
    run.metrics = {"loss": 0.25}
    return run


def points(n: int, key: str = "loss") -> list[MetricPoint]:
    return [MetricPoint(key, 1.0 / (s + 1), s, 1_700_000_000.0 + s / 7) for s in range(n)]


def spool_run(spool: Spool, run: Run, n_points: int = 4) -> None:
    spool.append_create(run)
    spool.append_points(run.id, points(n_points))
    spool.append_update(finished(run))


def test_replay_applies_writes_in_order_and_empties_the_spool(
    store: RunStore, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool")
    run = Run.new("exp", params={"lr": 0.1}, source="fit()")
    spool_run(spool, run)
    assert len(spool) == 3 and spool.path is not None and spool.path.is_file()

    result = spool.replay(store)

    assert (result.applied, result.remaining, result.error) == (3, 0, None)
    got = store.get_run(run.id)
    assert got.status is RunStatus.FINISHED and got.params == {"lr": 0.1}
    assert got.metrics == {"loss": 0.25}
    assert [s for s, _ in store.metric_step_values(run.id, "loss")] == [0, 1, 2, 3]
    assert len(spool) == 0 and not list(pending_files(tmp_path / "spool"))


def test_replaying_writes_that_already_reached_the_database_adds_no_duplicate(
    store: RunStore, tmp_path: Path
) -> None:
    # The commit of a write may be lost with the connection: the write is spooled although
    # the database has it. Replaying it must change nothing.
    run = Run.new("exp", params={"lr": 0.1})
    store.create_run(run)
    store.log_metric_points(run.id, points(5))
    spool = Spool(tmp_path / "spool")
    spool.append_create(run)
    spool.append_points(run.id, points(5))
    spool.append_points(run.id, points(5))  # and once more, for good measure
    spool.append_update(finished(run))

    assert spool.replay(store).remaining == 0

    series = store.metric_step_values(run.id, "loss")
    assert [s for s, _ in series] == [0, 1, 2, 3, 4]
    assert store.get_run(run.id).status is RunStatus.FINISHED
    assert store.metric_summaries(run.id)[0]["count"] == 5


def test_a_point_logged_twice_at_one_step_by_the_user_is_kept_twice(
    store: RunStore, tmp_path: Path
) -> None:
    # Idempotence keys on (key, step, timestamp): two real points at one step differ in
    # their timestamps and both stay.
    run = Run.new("exp")
    spool = Spool(tmp_path / "spool")
    spool.append_create(run)
    spool.append_points(run.id, [MetricPoint("acc", 0.5, 3, 1.5), MetricPoint("acc", 0.6, 3, 2.5)])
    spool.replay(store)
    assert store.metric_step_values(run.id, "acc") == [(3, 0.5), (3, 0.6)]


def test_non_finite_values_survive_the_spool(store: RunStore, tmp_path: Path) -> None:
    run = Run.new("exp", params={"ratio": float("inf")})
    spool = Spool(tmp_path / "spool")
    spool.append_create(run)
    spool.append_points(run.id, [MetricPoint("loss", float("nan"), 0, 1.0)])
    spool.replay(store)
    got = store.get_run(run.id)
    assert got.params["ratio"] == float("inf")
    assert got.metrics["loss"] != got.metrics["loss"]  # NaN


def test_a_write_that_can_never_apply_is_dropped_not_retried_forever(
    store: RunStore, tmp_path: Path
) -> None:
    ghost = Run.new("exp")  # never created: its update raises RunNotFoundError
    run = Run.new("exp")
    spool = Spool(tmp_path / "spool")
    spool.append_update(ghost)
    spool.append_create(run)
    result = spool.replay(store)
    assert (result.applied, result.remaining) == (2, 0)
    assert store.get_run(run.id).id == run.id


def test_a_torn_last_line_is_skipped(store: RunStore, tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    run = Run.new("exp")
    spool.append_create(run)
    assert spool.path is not None
    with open(spool.path, "ab") as f:
        f.write(b'{"v":1,"op":"update","run":{"id":')  # the process died mid-append
    result = spool.replay(store)
    assert (result.applied, result.skipped, result.remaining) == (1, 1, 0)
    assert store.get_run(run.id).id == run.id


def test_close_keeps_a_pending_spool_and_removes_an_empty_one(tmp_path: Path) -> None:
    pending = Spool(tmp_path / "a")
    pending.append_create(Run.new("exp"))
    path = pending.path
    pending.close()
    assert path is not None and path.is_file()

    empty = Spool(tmp_path / "b")
    empty.close()
    assert not (tmp_path / "b").exists()


# A process that spools one run, then either exits (its spool is orphaned) or waits for a
# line on stdin while holding its lock.
OWNER = r"""
import sys
from pathlib import Path
from mlops_jupyter.models import MetricPoint, Run
from mlops_jupyter.store.spool import Spool

spool = Spool(Path(sys.argv[1]))
run = Run.new("orphans", name=sys.argv[2])
spool.append_create(run)
spool.append_points(run.id, [MetricPoint("loss", 0.5, 0, 1.0)])
print(run.id, flush=True)
if sys.argv[3] == "wait":
    sys.stdin.readline()
# No close(): a killed kernel does not close its spool either.
import os
os._exit(0)
"""


def test_orphans_of_dead_processes_are_adopted_and_live_ones_left_alone(
    store: RunStore, tmp_path: Path
) -> None:
    directory = tmp_path / "spool"
    dead = subprocess.run(
        [sys.executable, "-c", OWNER, str(directory), "dead", "exit"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_id = dead.stdout.strip()
    live = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(directory), "live", "wait"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert live.stdout is not None
        live_id = live.stdout.readline().strip()
        assert len(list(pending_files(directory))) == 2

        adopted = replay_orphans(store, directory)

        assert [r.applied for _, r in adopted] == [2]
        assert store.get_run(dead_id).metrics == {"loss": 0.5}
        assert store.search_runs(experiment="orphans")[0].id == dead_id
        assert len(list(pending_files(directory))) == 1  # the live owner's file
    finally:
        live.communicate("\n", timeout=30)  # lets it exit, and closes our pipe ends
    adopted = replay_orphans(store, directory)
    assert [r.applied for _, r in adopted] == [2]
    assert store.get_run(live_id).name == "live"
    assert not list(pending_files(directory))
    # Adopting again finds nothing and duplicates nothing.
    assert replay_orphans(store, directory) == []
    assert len(store.search_runs(experiment="orphans")) == 2


def test_two_adopters_at_once_apply_each_orphan_once(store: RunStore, tmp_path: Path) -> None:
    directory = tmp_path / "spool"
    for i in range(6):
        subprocess.run([sys.executable, "-c", OWNER, str(directory), f"r{i}", "exit"], check=True)
    adopter = (
        "import sys; from pathlib import Path\n"
        "from mlops_jupyter.store import StoreLocation, open_store\n"
        "from mlops_jupyter.store.spool import replay_orphans\n"
        "s = open_store(StoreLocation.for_directory(sys.argv[1]))\n"
        "print(sum(r.applied for _, r in replay_orphans(s, Path(sys.argv[2]))))\n"
        "s.close()\n"
    )
    root = tmp_path / "store"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", adopter, str(root), str(directory)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    applied = [int(p.communicate(timeout=60)[0]) for p in procs]
    # Each orphan is replayed by exactly one adopter, unless a second one took it after the
    # first had removed it (then it is gone): 6 runs x 2 writes in all, at most.
    assert sum(applied) == 12
    assert len(store.search_runs(experiment="orphans")) == 6
    for run in store.search_runs(experiment="orphans"):
        assert len(store.metric_step_values(run.id, "loss")) == 1


def test_spool_folder_is_named_by_a_hash_never_by_the_url(tmp_path: Path) -> None:
    url = "postgresql+psycopg://app:s3cret@db.example:5432/runs"
    directory = spool_dir_for(url, tmp_path)
    assert directory.parent == tmp_path
    assert "s3cret" not in str(directory) and "db.example" not in str(directory)
    spool = Spool(directory)
    spool.append_create(Run.new("exp"))
    assert spool.path is not None
    assert b"s3cret" not in spool.path.read_bytes()
    spool.close()
    assert spool_dir_for(url, tmp_path) == directory  # stable across processes


def test_default_spool_root_follows_the_environment(tmp_path: Path) -> None:
    explicit = default_spool_root({"MLOPS_JUPYTER_SPOOL": str(tmp_path / "s")})
    assert explicit == tmp_path / "s"
    state = default_spool_root({"XDG_STATE_HOME": str(tmp_path), "HOME": "/nowhere"})
    assert state == tmp_path / "mlops-jupyter" / "spool"
    relative = default_spool_root({"XDG_STATE_HOME": "rel", "HOME": str(tmp_path)})
    assert relative == tmp_path / ".local" / "state" / "mlops-jupyter" / "spool"


def test_what_is_worth_spooling() -> None:
    assert is_retryable(StoreError("down", code=503))
    assert is_retryable(StoreError("full", code=507))
    assert is_retryable(StoreError("the run database x stayed locked for more than 120 s"))
    assert is_retryable(OSError(errno.ENOSPC, "No space left on device"))
    assert not is_retryable(InvalidArgumentError("bad"))
    assert not is_retryable(StoreError("run 'x' not found", code=404))
    assert not is_retryable(ValueError("bug"))

    assert is_disk_full(StoreError("full", code=507))
    assert is_disk_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    wrapped = StoreError("database error")
    wrapped.__cause__ = OSError(errno.ENOSPC, "No space left on device")
    assert is_disk_full(wrapped)
    assert not is_disk_full(StoreError("down", code=503))


def test_spooled_lines_are_json_one_write_per_line(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    run = Run.new("exp")
    spool_run(spool, run, n_points=2)
    assert spool.path is not None
    lines = spool.path.read_text().splitlines()
    assert [json.loads(line)["op"] for line in lines] == ["create", "points", "update"]
    # fsync'd: visible to another process at once, with the right size.
    assert os.path.getsize(spool.path) == sum(len(line) + 1 for line in lines)
    spool.close()
    assert spool.path is None and len(list(pending_files(tmp_path / "spool"))) == 1
