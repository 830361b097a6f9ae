"""The model registry: versions from runs, aliases with their history, rollback, lineage,
the hash-chained log, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import hashlib
import itertools
import json
import pickle
import subprocess
import sys
import time
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from mlops_jupyter.errors import ConflictError, InvalidArgumentError, NotFoundError
from mlops_jupyter.models import FileRecord, GitInfo, NotebookInfo, Run, RunStatus, utcnow
from mlops_jupyter.registry import Registry, lineage, parse_ref
from mlops_jupyter.registry.artifacts import Manifest, guess_format
from mlops_jupyter.store import StoreLocation, open_store
from mlops_jupyter.store.base import RunStore
from mlops_jupyter.store.errors import BlobCorruptedError
from mlops_jupyter.store.maintenance import check_location, check_store


@pytest.fixture
def registry(store: RunStore) -> Registry:
    return Registry(store, actor="alice")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "work"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "train.csv").write_text("x,y\n1,2\n3,4\n")
    monkeypatch.chdir(folder)
    monkeypatch.setenv("MLOPS_JUPYTER_MODEL_CACHE", str(tmp_path / "cache"))
    return folder


def sha_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def trained_run(
    store: RunStore, workdir: Path, model: Any, *, name: str = "train", source: str = ""
) -> Run:
    """A finished run that read data/train.csv and wrote model.pkl."""
    model_file = workdir / "model.pkl"
    model_file.write_bytes(pickle.dumps(model))
    data = workdir / "data" / "train.csv"
    run = Run.new("churn", name=name, source=source or f"model = fit({name!r})\n")
    snapshot = store.blobs.put_bytes(b'{"cells": []}')
    run.notebook = NotebookInfo(path=str(workdir / "train.ipynb"), snapshot_sha256=snapshot)
    run.git = GitInfo(root=str(workdir), commit="c0ffee" * 6 + "abcd", dirty=False)
    run.params = {"C": len(name)}
    run.metrics = {"auc": 0.5 + len(name) / 100}
    run.inputs = [FileRecord("data/train.csv", sha_of(data), data.stat().st_size, cell=3)]
    stored = store.blobs.put_file(model_file)
    run.artifacts = [FileRecord("model.pkl", stored.sha256, stored.size)]
    run.status = RunStatus.FINISHED
    run.ended_at = utcnow()
    store.create_run(run)
    return run


# -- versions ---------------------------------------------------------------------------------


def test_versions_are_numbered_stored_by_content_and_linked_to_their_run(
    registry: Registry, store: RunStore, workdir: Path
) -> None:
    first = trained_run(store, workdir, {"w": [1, 2]}, name="a")
    v1 = registry.register("churn", run=first.id)
    second = trained_run(store, workdir, {"w": [3, 4]}, name="bb")
    v2 = registry.register("churn", run=second.id, description="bigger", tags={"team": "x"})
    assert (v1.version, v2.version) == (1, 2)
    assert v1.run_id == first.id and v2.run_id == second.id
    assert v2.description == "bigger" and v2.tags == {"team": "x"}
    files = registry.manifest(v1).files
    assert [(f.path, f.sha256) for f in files] == [("model.pkl", first.artifacts[0].sha256)]
    assert v1.size == first.artifacts[0].size and v1.files == 1
    # The same content registered again is one blob, however many versions hold it.
    v3 = registry.register("churn", run=first.id)
    assert registry.manifest(v3).files[0].sha256 == files[0].sha256
    assert [v.version for v in registry.log.versions_of_run(first.id)] == [1, 3]
    assert registry.resolve("churn").version == 3
    assert registry.resolve("churn/2").run_id == second.id
    events = registry.history("churn")
    assert [e.kind for e in events] == ["model_registered"] + ["version_registered"] * 3
    assert {e.actor for e in events} == {"alice"}


def test_only_description_and_tags_of_a_version_change(
    registry: Registry, store: RunStore, workdir: Path
) -> None:
    version = registry.register("m", run=trained_run(store, workdir, 1).id)
    changed = registry.log.update_version("m", 1, actor="bob", description="now documented")
    assert changed.description == "now documented"
    assert changed.manifest_sha256 == version.manifest_sha256
    assert registry.history("m")[-1].kind == "version_updated"
    assert not hasattr(registry.log, "delete_version")


def test_registering_refuses_what_cannot_be_a_model(
    registry: Registry, store: RunStore, workdir: Path
) -> None:
    bare = Run.new("e")
    bare.status = RunStatus.FINISHED
    store.create_run(bare)
    with pytest.raises(InvalidArgumentError, match="recorded no artifact"):
        registry.register("m", run=bare.id)
    failed = trained_run(store, workdir, 1)
    failed.status = RunStatus.FAILED
    store.update_run(failed)
    with pytest.raises(ConflictError, match="failed"):
        registry.register("m", run=failed.id)
    ok = trained_run(store, workdir, 1)
    with pytest.raises(InvalidArgumentError, match="neither an artifact"):
        registry.register("m", run=ok.id, artifacts=["nope.bin"])
    # Requests from the network never name a server file, even one that exists.
    (workdir / "secret.txt").write_text("s")
    with pytest.raises(InvalidArgumentError, match="not an artifact of the run"):
        registry.register("m", run=ok.id, artifacts=["secret.txt"], local_files=False)
    for bad in ("", "a/b", "x@y", "-lead", "a" * 200):
        with pytest.raises(InvalidArgumentError):
            registry.register(bad, run=ok.id)
    assert registry.log.list_models() == []


def test_local_files_without_a_run(registry: Registry, workdir: Path) -> None:
    (workdir / "weights.onnx").write_bytes(b"\x08\x07onnx-ish")
    (workdir / "vocab.txt").write_text("a\nb\n")
    version = registry.register("embed", artifacts=["weights.onnx", "vocab.txt"])
    assert version.run_id is None and version.flavor == "onnx" and version.files == 2
    folder = registry.load("embed/1")
    assert sorted(p.name for p in Path(folder).iterdir()) == ["vocab.txt", "weights.onnx"]
    assert (Path(folder) / "vocab.txt").read_text() == "a\nb\n"


def test_flavors_are_read_from_the_bytes_without_loading_them(tmp_path: Path) -> None:
    sklearn = pytest.importorskip("sklearn.linear_model")
    joblib = pytest.importorskip("joblib")
    assert guess_format("m.pkl", pickle.dumps(sklearn.LogisticRegression())) == (
        "pickle",
        "sklearn",
    )
    assert guess_format("m.pkl", pickle.dumps({"a": [1.0]})) == ("pickle", "pickle")
    joblib.dump({"a": 1}, tmp_path / "m.joblib")
    assert guess_format("m.joblib", (tmp_path / "m.joblib").read_bytes()) == (
        "joblib",
        "joblib",
    )
    joblib.dump(sklearn.LinearRegression(), tmp_path / "s.joblib", compress=3)
    assert guess_format("s.joblib", (tmp_path / "s.joblib").read_bytes())[0] == "joblib"
    archive = tmp_path / "w.pt"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("w/data.pkl", pickle.dumps({}))
    assert guess_format("w.pt", archive.read_bytes()) == ("torch", "torch")
    assert guess_format("model.onnx", b"\x08\x07") == ("onnx", "onnx")
    assert guess_format("notes.txt", b"hello") == ("other", "other")
    # A pickle that would run code when loaded is only scanned, never run.
    evil = b"cos\nsystem\n(S'touch " + str(tmp_path / "pwned").encode() + b"'\ntR."
    assert guess_format("evil.pkl", evil)[0] == "pickle"
    assert not (tmp_path / "pwned").exists()


# -- aliases ----------------------------------------------------------------------------------


def three_versions(registry: Registry, store: RunStore, workdir: Path) -> list[Run]:
    runs = [trained_run(store, workdir, i, name=n) for i, n in enumerate(("a", "bb", "ccc"))]
    for run in runs:
        registry.register("churn", run=run.id)
    return runs


def test_alias_moves_are_events_with_actor_and_reason(
    registry: Registry, store: RunStore, workdir: Path
) -> None:
    three_versions(registry, store, workdir)
    registry.set_alias("churn", "champion", 1, reason="first good one")
    Registry(store, actor="bob").set_alias("churn", "champion", 2, reason="auc +3%")
    registry.set_alias("churn", "challenger", 3, reason="try it")
    assert registry.log.aliases("churn") == {"challenger": 3, "champion": 2}
    moves = registry.history("churn", "champion")
    assert [(e.kind, e.from_version, e.to_version, e.actor, e.reason) for e in moves] == [
        ("alias_moved", None, 1, "alice", "first good one"),
        ("alias_moved", 1, 2, "bob", "auc +3%"),
    ]
    assert registry.resolve("churn@champion").version == 2
    with pytest.raises(InvalidArgumentError, match="reason"):
        registry.set_alias("churn", "champion", 1, reason="  ")
    with pytest.raises(InvalidArgumentError, match="invalid alias"):
        registry.set_alias("churn", "Champion", 1, reason="x")
    with pytest.raises(NotFoundError):
        registry.set_alias("churn", "champion", 9, reason="x")
    with pytest.raises(NotFoundError):
        registry.set_alias("nope", "champion", 1, reason="x")
    with pytest.raises(ConflictError, match="moved meanwhile"):
        registry.set_alias("churn", "champion", 3, reason="x", expect=1)
    removed = registry.set_alias("churn", "challenger", None, reason="dropped")
    assert removed.kind == "alias_removed" and removed.from_version == 3
    with pytest.raises(NotFoundError, match="no alias"):
        registry.resolve("churn@challenger")


def test_rollback_undoes_one_move_at_a_time(
    registry: Registry, store: RunStore, workdir: Path
) -> None:
    three_versions(registry, store, workdir)
    with pytest.raises(ConflictError, match="never set"):
        registry.rollback("churn", "champion", reason="x")
    for version in (1, 2, 3):
        registry.set_alias("churn", "champion", version, reason=f"v{version}")
    back = registry.rollback("churn", "champion", reason="v3 misbehaves")
    assert (back.kind, back.from_version, back.to_version) == ("alias_rollback", 3, 2)
    assert registry.rollback("churn", "champion", reason="v2 too").to_version == 1
    with pytest.raises(ConflictError, match="only ever version 1"):
        registry.rollback("churn", "champion", reason="again")
    assert registry.log.aliases("churn")["champion"] == 1


def test_history_answers_what_an_alias_pointed_at_on_a_date(
    registry: Registry, store: RunStore, workdir: Path
) -> None:
    three_versions(registry, store, workdir)
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    registry.set_alias("churn", "champion", 1, reason="one")
    middle = datetime.now(timezone.utc)
    time.sleep(0.01)
    registry.set_alias("churn", "champion", 3, reason="three")
    assert registry.holder_at("churn", "champion", before) == (None, None)
    holder, event = registry.holder_at("churn", "champion", middle)
    assert holder == 1 and event is not None and event.reason == "one"
    assert registry.holder_at("churn", "champion", datetime.now(timezone.utc))[0] == 3


CONCURRENT_MOVER = r"""
import sys, time
from pathlib import Path
from mlops_jupyter.registry import Registry
from mlops_jupyter.store import StoreLocation, open_store
url, blobs, go, me = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4]
store = open_store(StoreLocation(url, blobs, "test"))
registry = Registry(store, actor=me)
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
for i in range(15):
    registry.set_alias("churn", "champion", 1 + (i % 3), reason=f"{me} move {i}")
store.close()
"""


def test_concurrent_alias_moves_are_serialized_and_all_recorded(
    registry: Registry, store: RunStore, workdir: Path, location: StoreLocation, tmp_path: Path
) -> None:
    three_versions(registry, store, workdir)
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CONCURRENT_MOVER,
                location.db_url,
                location.blob_root,
                str(go),
                name,
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("kernel-1", "kernel-2")
    ]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    go.touch()
    for worker in workers:
        assert worker.wait(timeout=120) == 0
        assert worker.stdout is not None
        worker.stdout.close()
    moves = registry.history("churn", "champion")
    assert len(moves) == 30
    assert {e.actor for e in moves} == {"kernel-1", "kernel-2"}
    for before, after in itertools.pairwise(moves):  # each move starts where the previous ended
        assert after.from_version == before.to_version
    assert registry.log.aliases("churn")["champion"] == moves[-1].to_version
    assert registry.log.verify_log() == []


# -- lineage ----------------------------------------------------------------------------------


def test_lineage_walks_back_to_the_data_code_and_run(
    registry: Registry, store: RunStore, workdir: Path
) -> None:
    run = trained_run(store, workdir, 1, source="model = train(pd.read_csv('data/train.csv'))\n")
    registry.register("churn", run=run.id)
    registry.set_alias("churn", "champion", 1, reason="first")
    result = lineage(registry, "churn@champion")
    kinds = {(n.kind, n.id) for n in result.nodes.values()}
    data_sha = sha_of(workdir / "data" / "train.csv")
    assert ("alias", "churn@champion") in kinds and ("version", "churn/1") in kinds
    assert ("run", run.id) in kinds and ("data", data_sha) in kinds
    assert run.notebook is not None
    assert ("snapshot", run.notebook.snapshot_sha256) in kinds and (
        "commit",
        "c0ffee" * 6 + "abcd",
    ) in kinds
    (run_node,) = result.of_kind("run")
    assert run_node.detail["source"].startswith("model = train(")
    assert run_node.detail["params"] == {"C": 5}
    data_node = next(n for n in result.of_kind("data") if n.id == data_sha)
    assert data_node.detail["paths"] == ["data/train.csv"]
    as_json = json.loads(json.dumps(result.to_json()))
    assert as_json["direction"] == "back" and as_json["truncated"] is False


def test_reverse_lineage_finds_every_run_and_version_that_used_a_file(
    registry: Registry, store: RunStore, workdir: Path
) -> None:
    runs = three_versions(registry, store, workdir)
    registry.set_alias("churn", "champion", 2, reason="x")
    unrelated = Run.new("other")
    unrelated.status = RunStatus.FINISHED
    store.create_run(unrelated)
    refs = (
        "data/train.csv",
        str(workdir / "data" / "train.csv"),
        sha_of(workdir / "data" / "train.csv"),
    )
    for ref in refs:
        result = lineage(registry, ref, reverse=True)
        assert {n.id for n in result.of_kind("run")} == {r.id for r in runs}, ref
        assert {n.id for n in result.of_kind("version")} == {"churn/1", "churn/2", "churn/3"}
        assert [n.id for n in result.of_kind("alias")] == ["churn@champion"]
    # The file changed since: its path still finds the runs that read it.
    (workdir / "data" / "train.csv").write_text("x,y\n9,9\n")
    assert len(lineage(registry, "data/train.csv", reverse=True).of_kind("version")) == 3


def test_lineage_of_unknown_things_and_of_paths_outside_the_root(
    registry: Registry, store: RunStore, workdir: Path
) -> None:
    with pytest.raises(NotFoundError):
        lineage(registry, "churn@champion")
    with pytest.raises(NotFoundError):
        lineage(registry, "zzzz")
    with pytest.raises(InvalidArgumentError):
        lineage(registry, "  ")
    with pytest.raises(InvalidArgumentError, match="outside"):
        lineage(registry, "../../etc/passwd", reverse=True, confine=str(workdir))
    (workdir / "link").symlink_to("/etc/hostname")
    with pytest.raises(InvalidArgumentError, match="outside"):
        lineage(registry, "link", reverse=True, confine=str(workdir))


def test_refs_parse_every_form() -> None:
    assert parse_ref("churn@champion").alias == "champion"
    assert parse_ref("churn/3").version == 3 and parse_ref("churn:3").version == 3
    assert parse_ref("my.model-v2").name == "my.model-v2"
    for bad in ("churn@", "churn/0", "churn/x", "@x", "a b"):
        with pytest.raises(InvalidArgumentError):
            parse_ref(bad)


# -- the log ----------------------------------------------------------------------------------


def test_store_check_names_an_edited_or_deleted_event(
    registry: Registry, store: RunStore, workdir: Path, location: StoreLocation
) -> None:
    three_versions(registry, store, workdir)
    for version in (1, 2):
        registry.set_alias("churn", "champion", version, reason=f"v{version}")
    report = check_location(location)
    assert report.healthy, report.problems
    assert report.events == 6 and report.versions == 3
    head = report.event_head
    engine = store.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE lifecycle_events SET reason = 'nothing to see' WHERE kind = 'alias_moved' "
            "AND to_version = 1"
        )
    report = check_location(location)
    assert not report.healthy
    assert report.problems == [
        "event 5 (alias_moved churn@champion) was edited: its content does not match its hash"
    ]
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM lifecycle_events WHERE seq = 6")
    problems = check_location(location).problems
    assert any("newest events" in p and "deleted" in p for p in problems), problems
    # Rewriting the whole chain consistently is caught by an anchor noted earlier.
    assert any("rewritten" in p for p in check_location(location, anchor=head).problems)


def test_model_blobs_are_referenced_never_pruned(
    registry: Registry, store: RunStore, workdir: Path
) -> None:
    (workdir / "only_in_model.bin").write_bytes(b"weights")
    registry.register("m", artifacts=["only_in_model.bin"])
    report = check_store(store, prune_orphans_older_than=0)  # type: ignore[arg-type]
    assert report.healthy and report.orphans == 0 and report.pruned == 0
    assert registry.load("m/1").read_bytes() == b"weights"


# -- loading ----------------------------------------------------------------------------------


def test_load_model_gives_the_file_or_unpickles_when_asked(
    registry: Registry, store: RunStore, workdir: Path
) -> None:
    registry.register("churn", run=trained_run(store, workdir, {"w": 7}).id)
    path = registry.load("churn/1")
    assert path.name == "model.pkl" and pickle.loads(path.read_bytes()) == {"w": 7}
    assert registry.load("churn", unpickle=True) == {"w": 7}
    # An altered copy in the cache is replaced from the (checked) blob.
    path.write_bytes(b"tampered")
    assert registry.load("churn/1").read_bytes() == pickle.dumps({"w": 7})


def test_a_tampered_blob_or_hostile_manifest_is_never_used(
    registry: Registry, store: RunStore, workdir: Path, tmp_path: Path
) -> None:
    version = registry.register("churn", run=trained_run(store, workdir, {"w": 7}).id)
    sha = registry.manifest(version).files[0].sha256
    blob = Path(store.blobs.path_for(sha))  # type: ignore[attr-defined]
    blob.chmod(0o600)
    blob.write_bytes(pickle.dumps({"w": 666}))
    with pytest.raises(BlobCorruptedError):
        registry.load("churn/1", dest=str(tmp_path / "out"))
    assert not any((tmp_path / "out").rglob("model.pkl"))
    for bad in ("../../escape.txt", "/etc/passwd", "a/../../b", ""):
        hostile = {"format": 1, "files": [{"path": bad, "sha256": sha, "size": 1}]}
        with pytest.raises(InvalidArgumentError):
            Manifest.from_json(hostile)


def test_a_0002_store_migrates_with_the_lineage_of_its_runs(tmp_path: Path, workdir: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from mlops_jupyter.store.sql import alembic_config

    location = StoreLocation.for_directory(tmp_path / "old")
    store = open_store(location)
    run = trained_run(store, workdir, 1)
    store.close()
    engine = create_engine(location.db_url)
    try:
        with engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "0002")
    finally:
        engine.dispose()
    store = open_store(location)
    try:
        assert store.migrated  # type: ignore[attr-defined]
        registry = Registry(store, actor="alice")
        result = lineage(registry, "data/train.csv", reverse=True)
        assert [n.id for n in result.of_kind("run")] == [run.id]
        assert registry.register("m", run=run.id).version == 1
        assert store.lifecycle.verify_log() == []
    finally:
        store.close()


def test_reverse_lineage_of_a_relative_path_from_another_folder(
    registry: Registry,
    store: RunStore,
    workdir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs = three_versions(registry, store, workdir)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # no data/train.csv here: the recorded paths ending with it
    result = lineage(registry, "data/train.csv", reverse=True)
    assert {n.id for n in result.of_kind("run")} == {r.id for r in runs}
    assert len(result.of_kind("version")) == 3
