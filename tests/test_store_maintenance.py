"""Tests for mlops_jupyter.store.maintenance: checking, pruning and migrating real stores.

Every check runs on SQLite and on a real PostgreSQL server, and on local blobs and blobs in
fsspec's memory filesystem (both through :func:`open_blob_store`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from mlops_jupyter.errors import InvalidArgumentError
from mlops_jupyter.models import FileRecord, GitInfo, NotebookInfo, Run, RunStatus
from mlops_jupyter.redaction import mask_url
from mlops_jupyter.store import open_store
from mlops_jupyter.store.base import RunStore
from mlops_jupyter.store.blobs import BlobStore, FsspecBlobStore
from mlops_jupyter.store.errors import StoreCorruptedError, StoreUnavailableError
from mlops_jupyter.store.location import StoreLocation, resolve_store_location, sweeps_folder
from mlops_jupyter.store.maintenance import (
    CheckReport,
    check_location,
    check_store,
    migrate_store,
    prune_orphans,
    read_schema_revision,
)
from mlops_jupyter.store.schema import SCHEMA_REVISION

HOUR = 3600.0

SETUPS = [
    pytest.param(("sqlite", "local"), id="sqlite-local"),
    pytest.param(("sqlite", "memory"), id="sqlite-memory"),
    pytest.param(("postgresql", "local"), id="postgresql-local", marks=pytest.mark.postgres),
]


@pytest.fixture
def memory_blobs() -> Iterator[str]:
    """A fresh ``memory://`` blob root, removed afterwards."""
    import fsspec

    base = f"/m{uuid.uuid4().hex}"
    yield f"memory://{base}/blobs"
    fs = fsspec.filesystem("memory")
    if fs.exists(base):
        fs.rm(base, recursive=True)


def make_location(
    backend: str, blobs: str, tmp_path: Path, request: pytest.FixtureRequest
) -> StoreLocation:
    if blobs == "memory":
        blob_root = request.getfixturevalue("memory_blobs")
    else:
        blob_root = str(tmp_path / "store" / "blobs")
    if backend == "sqlite":
        url = "sqlite:///" + (tmp_path / "store" / "runs.db").as_posix()
    else:
        url = request.getfixturevalue("postgres_url")
    return resolve_store_location({"MLOPS_JUPYTER_BLOBS": blob_root}, override=url)


@pytest.fixture(params=SETUPS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> StoreLocation:
    backend, blobs = request.param
    return make_location(backend, blobs, tmp_path, request)


@pytest.fixture
def store(location: StoreLocation) -> Iterator[RunStore]:
    opened = open_store(location)
    try:
        # Before anything is written: a local store on "memory://..." would write to a
        # folder named "memory:" in the current directory.
        assert location.blob_root.startswith("/") or isinstance(opened.blobs, FsspecBlobStore), (
            "the SQL store must open its blobs with open_blob_store(location.blob_root)"
        )
        yield opened
    finally:
        opened.close()


def record_run(store: RunStore, tmp_path: Path, tag: str) -> Run:
    """A run referencing one blob of every kind, and an input (a hash, not a blob)."""
    blobs = store.blobs
    notebook = blobs.put_bytes(f"notebook {tag}".encode())
    diff = blobs.put_bytes(f"diff {tag}".encode())
    artifact = tmp_path / f"model-{tag}.bin"
    artifact.write_bytes(f"weights {tag}".encode() * 100)
    stored = blobs.put_file(artifact)
    run = Run.new(
        "exp",
        name=tag,
        status=RunStatus.FINISHED,
        env={"python": {"version": tag}},
        history=[{"source": f"x = {tag!r}"}],
        notebook=NotebookInfo(path="nb.ipynb", snapshot_sha256=notebook),
        git=GitInfo(root="/repo", commit="c" * 40, dirty=True, diff_sha256=diff),
        artifacts=[FileRecord("model.bin", stored.sha256, stored.size)],
        inputs=[FileRecord("data.csv", "f" * 64, 10)],
        extra={"pin": {"kind": "snapshot", "sha256": notebook}},
    )
    store.create_run(run)
    return run


def blob_shas(run: Run, store: RunStore) -> dict[str, str]:
    assert run.notebook is not None and run.git is not None
    return {
        "environment": store.put_json_blob(run.env),
        "history": store.put_json_blob(run.history),
        "notebook snapshot": run.notebook.snapshot_sha256 or "",
        "git diff": run.git.diff_sha256 or "",
        "artifact model.bin": run.artifacts[0].sha256,
    }


def age_blob(blobs: BlobStore, sha: str, seconds: float) -> None:
    """Make blob ``sha`` look written ``seconds`` ago."""
    when = time.time() - seconds
    if isinstance(blobs, FsspecBlobStore):
        # The memory filesystem's only clock is the file's creation time.
        fs = blobs._fs
        fs.store[fs._strip_protocol(blobs._key(sha))].created = datetime.fromtimestamp(
            when, tz=timezone.utc
        )
    else:
        os.utime(blobs.path_for(sha), (when, when))  # type: ignore[attr-defined]


def stored(blobs: BlobStore) -> set[str]:
    return {info.sha for info in blobs.iter_blobs()}


# --------------------------------------------------------------------------- health


def test_a_healthy_store(store: RunStore, location: StoreLocation, tmp_path: Path) -> None:
    runs = [record_run(store, tmp_path, tag) for tag in ("a", "b")]
    report = check_location(location)
    assert report.healthy, report.to_json()
    assert report.problems == [] and report.missing == []
    assert report.runs == 2
    assert report.schema_revision == report.expected_revision == SCHEMA_REVISION
    # 5 blobs per run (the pin is the notebook snapshot); inputs are not blobs.
    assert report.blobs_referenced == report.blobs_stored == 10
    assert report.orphans == 0 and report.pruned == 0
    assert report.backend == location.scheme
    assert report.blobs_location == location.blobs_description
    assert {s for run in runs for s in blob_shas(run, store).values()} == stored(store.blobs)
    # The same through the open store.
    same = check_store(store)
    assert same.healthy and (same.runs, same.blobs_referenced) == (2, 10)
    json.dumps(report.to_json(), allow_nan=False)


def test_an_empty_store(store: RunStore, location: StoreLocation) -> None:
    report = check_location(location)
    assert report.healthy and report.runs == 0 and report.blobs_stored == 0


def test_missing_blobs_are_reported_with_their_runs(
    store: RunStore, location: StoreLocation, tmp_path: Path
) -> None:
    keep = record_run(store, tmp_path, "keep")
    lose = record_run(store, tmp_path, "lose")
    shas = blob_shas(lose, store)
    for what in ("artifact model.bin", "environment"):
        store.blobs.delete(shas[what])
    report = check_location(location)
    assert not report.healthy
    assert report.problems == []
    missing = {m.sha: m for m in report.missing}
    assert set(missing) == {shas["artifact model.bin"], shas["environment"]}
    assert missing[shas["artifact model.bin"]].references == [(lose.id, "artifact model.bin")]
    assert missing[shas["environment"]].references == [(lose.id, "environment")]
    assert all(m.count == 1 for m in report.missing)
    assert keep.id not in json.dumps(report.to_json())


def test_a_blob_shared_by_many_runs_counts_every_reference(
    store: RunStore, location: StoreLocation
) -> None:
    env = {"python": {"version": "shared"}}
    ids = []
    for _ in range(8):
        run = Run.new("exp", env=env)
        store.create_run(run)
        ids.append(run.id)
    store.blobs.delete(store.put_json_blob(env))
    (missing,) = check_location(location).missing
    assert missing.count == 8
    assert len(missing.references) == 5  # a few, for the report
    assert {run_id for run_id, _ in missing.references} <= set(ids)


# --------------------------------------------------------------------------- orphans


def test_orphans_are_reported_and_only_old_ones_pruned(
    store: RunStore, location: StoreLocation, tmp_path: Path
) -> None:
    run = record_run(store, tmp_path, "a")
    referenced = set(blob_shas(run, store).values())
    old = store.blobs.put_bytes(b"old orphan" * 10)
    young = store.blobs.put_bytes(b"young orphan")
    age_blob(store.blobs, old, 2 * HOUR)
    for sha in referenced:  # old age alone never gets a referenced blob deleted
        age_blob(store.blobs, sha, 10 * HOUR)

    report = check_location(location)
    assert report.healthy  # orphans are harmless
    assert (report.orphans, report.orphan_bytes) == (2, 100 + 12)
    assert stored(store.blobs) == referenced | {old, young}

    pruned = check_location(location, prune_orphans_older_than=HOUR)
    assert (pruned.pruned, pruned.pruned_bytes) == (1, 100)
    assert stored(store.blobs) == referenced | {young}
    again = check_location(location, prune_orphans_older_than=HOUR)
    assert (again.orphans, again.pruned) == (1, 0) and again.healthy


def test_prune_through_an_open_store(
    store: RunStore, location: StoreLocation, tmp_path: Path
) -> None:
    record_run(store, tmp_path, "a")
    orphan = store.blobs.put_bytes(b"orphan")
    age_blob(store.blobs, orphan, 2 * HOUR)
    report = check_store(store, prune_orphans_older_than=HOUR)
    assert report.pruned == 1 and not store.blobs.exists(orphan)


def test_a_run_written_between_check_and_prune_keeps_its_blobs(
    store: RunStore, location: StoreLocation
) -> None:
    # An old orphan that a new run then reuses (a stored blob is not written again) must
    # survive: the references are read again when a run changed since the check.
    reused = store.blobs.put_bytes(b"notebook reused")
    other = store.blobs.put_bytes(b"still an orphan")
    for sha in (reused, other):
        age_blob(store.blobs, sha, 2 * HOUR)
    report = check_location(location)
    assert {info.sha for info in report.orphan_blobs} == {reused, other}
    run = Run.new("exp", notebook=NotebookInfo(path="nb.ipynb", snapshot_sha256=reused))
    store.create_run(run)
    prune_orphans(location, report, older_than=HOUR)
    assert report.pruned == 1
    assert stored(store.blobs) == {reused}


def test_sweep_manifests_and_spooled_runs_keep_their_blobs(
    store: RunStore,
    location: StoreLocation,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mlops_jupyter.store.spool import Spool, spool_dir_for

    monkeypatch.setenv("MLOPS_JUPYTER_SPOOL", str(tmp_path / "spool"))
    in_sweep = store.blobs.put_bytes(b"a notebook a sweep keeps")
    in_spool = store.blobs.put_bytes(b"an artifact of a run waiting in the spool")
    orphan = store.blobs.put_bytes(b"nobody's")
    for sha in (in_sweep, in_spool, orphan):
        age_blob(store.blobs, sha, 2 * HOUR)
    folder = Path(sweeps_folder(location))
    folder.mkdir(parents=True)
    (folder / f"{uuid.uuid4().hex}.json").write_text(json.dumps({"notebook_sha256": in_sweep}))
    spool = Spool(spool_dir_for(location.db_url))
    try:
        waiting = Run.new("exp", artifacts=[FileRecord("model.bin", in_spool, 41)])
        spool.append_create(waiting)
        report = check_location(location, prune_orphans_older_than=HOUR)
    finally:
        spool.close()
    assert report.orphans == 1 and report.pruned == 1
    assert stored(store.blobs) == {in_sweep, in_spool}


def dangle_a_param(location: StoreLocation) -> None:
    """Store a parameter of a run that does not exist, as a damaged database could."""
    if location.scheme == "sqlite":
        assert location.sqlite_path is not None
        conn = sqlite3.connect(location.sqlite_path)  # foreign keys are off by default
        with conn:
            conn.execute(
                "INSERT INTO params (run_id, key, value_json) VALUES ('ghost', 'lr', '0.1')"
            )
        conn.close()
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(location.db_url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE params DROP CONSTRAINT IF EXISTS params_run_id_fkey"))
        conn.execute(
            text("INSERT INTO params (run_id, key, value_json) VALUES ('ghost', 'lr', '0.1')")
        )
    engine.dispose()


def test_database_problems_are_reported_and_stop_pruning(
    store: RunStore, location: StoreLocation, tmp_path: Path
) -> None:
    record_run(store, tmp_path, "a")
    orphan = store.blobs.put_bytes(b"orphan")
    age_blob(store.blobs, orphan, 2 * HOUR)
    dangle_a_param(location)
    report = check_location(location, prune_orphans_older_than=HOUR)
    assert not report.healthy
    assert report.problems == ["1 row(s) of table params belong to no run"]
    assert report.pruned == 0 and store.blobs.exists(orphan)
    assert report.notes == ["no orphan was deleted: the database has problems"]


def test_prune_age_must_not_be_negative(store: RunStore, location: StoreLocation) -> None:
    with pytest.raises(InvalidArgumentError):
        check_location(location, prune_orphans_older_than=-1)


# --------------------------------------------------------------------------- live writers

WRITER = r"""
import sys, time
from pathlib import Path
from mlops_jupyter.models import FileRecord, NotebookInfo, Run, RunStatus
from mlops_jupyter.store import StoreLocation, open_store

url, blobs, stop, ready = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
store = open_store(StoreLocation(url, blobs, "writer"))
i = 0
while not stop.exists():
    nb = store.blobs.put_bytes(f"notebook {i}".encode(), fsync=False)
    run = Run.new("live", env={"python": {"version": str(i)}}, history=[{"i": i}],
                  notebook=NotebookInfo(path="nb.ipynb", snapshot_sha256=nb))
    store.create_run(run)
    run.status = RunStatus.FINISHED
    run.artifacts = [FileRecord("a", store.blobs.put_bytes(f"artifact {i}".encode()), 10)]
    store.update_run(run)
    i += 1
    if i == 5:
        ready.touch()
store.close()
print(i)
"""


@pytest.mark.parametrize(
    "backend",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def test_checking_while_a_process_writes_runs(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    location = make_location(backend, "local", tmp_path, request)
    open_store(location).close()  # created before the writer starts
    stop, ready = tmp_path / "stop", tmp_path / "ready"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, location.db_url, location.blob_root, str(stop), str(ready)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reports: list[CheckReport] = []
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert writer.poll() is None, writer.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.01)
        for _ in range(5):
            reports.append(check_location(location, prune_orphans_older_than=HOUR))
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    for report in reports:
        # Runs committed after the blobs were listed must not make their blobs "missing",
        # and nothing a live writer stored may be pruned.
        assert report.healthy, report.to_json()
        assert report.pruned == 0
    assert reports[-1].runs >= reports[0].runs >= 5
    final = check_location(location)
    assert final.healthy and final.runs == int(out) and final.orphans == 0


# --------------------------------------------------------------------------- the schema


def test_outdated_schema_is_reported_then_migrated(
    location: StoreLocation, request: pytest.FixtureRequest
) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from mlops_jupyter.store.sql import alembic_config

    if location.sqlite_path is not None:
        Path(location.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(location.db_url)
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    engine.dispose()

    assert read_schema_revision(location) == "0001"
    report = check_location(location)
    assert not report.healthy and report.schema_revision == "0001"
    assert report.problems == [
        f"the schema is at revision 0001, this version of mlops-jupyter uses {SCHEMA_REVISION}"
        ": run `mlops-jupyter store migrate`"
    ]
    done = migrate_store(location)
    assert (done.before, done.after, done.migrated) == ("0001", SCHEMA_REVISION, True)
    assert check_location(location).healthy
    again = migrate_store(location)
    assert (again.before, again.migrated) == (SCHEMA_REVISION, False)


def test_unknown_newer_schema_is_reported(store: RunStore, location: StoreLocation) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(location.db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    report = check_location(location)
    assert report.problems == [
        f"the schema revision 9999 is newer than this version of mlops-jupyter knows "
        f"({SCHEMA_REVISION}): upgrade mlops-jupyter"
    ]


def test_migrating_a_new_store(location: StoreLocation) -> None:
    assert read_schema_revision(location) is None
    done = migrate_store(location)
    assert (done.before, done.after, done.migrated) == (None, SCHEMA_REVISION, True)
    assert read_schema_revision(location) == SCHEMA_REVISION


# --------------------------------------------------------------------------- failures


def test_a_corrupted_sqlite_file_is_reported_and_left_untouched(tmp_path: Path) -> None:
    location = StoreLocation.for_directory(tmp_path / "store")
    db = Path(location.sqlite_path or "")
    db.parent.mkdir(parents=True)
    garbage = b"this is not a database, but it may be someone's only copy\n" * 200
    db.write_bytes(garbage)
    for call in (check_location, read_schema_revision, migrate_store):
        with pytest.raises(StoreCorruptedError) as info:
            call(location)  # type: ignore[operator]
        assert str(db) in str(info.value)
        assert db.read_bytes() == garbage
    assert sorted(p.name for p in db.parent.iterdir()) == ["runs.db"]


def test_a_missing_database_is_unreachable_and_not_created(tmp_path: Path) -> None:
    location = StoreLocation.for_directory(tmp_path / "nowhere")
    with pytest.raises(StoreUnavailableError) as info:
        check_location(location)
    assert str(tmp_path / "nowhere" / "runs.db") in str(info.value)
    assert not (tmp_path / "nowhere").exists()


def test_an_unreachable_server_is_reported_without_its_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://user:s3cret@127.0.0.1:9/runs?connect_timeout=5"
    location = resolve_store_location({"MLOPS_JUPYTER_BLOBS": str(tmp_path)}, override=url)
    with pytest.raises(StoreUnavailableError) as info:
        check_location(location)
    assert mask_url(url) in str(info.value) and "s3cret" not in str(info.value)
