"""The ``mlops-jupyter`` command, run as a real process against a real store."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlops_jupyter.models import ErrorInfo, MetricPoint, Run, RunStatus, utcnow
from mlops_jupyter.store import get_store

REQUIRED_KEYS = {
    "id", "name", "experiment", "status", "started_at", "ended_at", "params", "metrics",
    "source", "notebook", "history_out_of_order", "env", "git", "inputs", "artifacts", "error",
}  # fmt: skip


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    # The console script installed next to this interpreter (PATH may not include the venv).
    beside = Path(sys.executable).with_name("mlops-jupyter")
    exe = str(beside) if beside.exists() else shutil.which("mlops-jupyter")
    assert exe, "the console script is not installed"
    return subprocess.run([exe, *args], capture_output=True, text=True, check=check, timeout=60)


@pytest.fixture
def two_runs() -> tuple[Run, Run]:
    store = get_store()
    first = Run.new(
        "exp-a",
        name="baseline",
        params={"lr": 0.1},
        source="%%track\nlr = 0.1",
        env={"python": {"version": "3.11.7"}, "packages": {"numpy": "2.0"}, "platform": {}},
    )
    first.status, first.ended_at = RunStatus.FINISHED, utcnow()
    store.create_run(first)
    store.log_metric_points(first.id, [MetricPoint("loss", math.nan, 0, 0.0)])
    second = Run.new("exp-b", name="broken", source="%%track\n1/0")
    second.status, second.ended_at = RunStatus.FAILED, utcnow()
    second.error = ErrorInfo("ZeroDivisionError", "division by zero", "Traceback…")
    store.create_run(second)
    return first, second


def test_runs_list_json_is_strict_and_complete(two_runs: tuple[Run, Run]) -> None:
    out = cli("runs", "list", "--json").stdout
    assert "NaN" not in out.replace('"NaN"', "")  # json.loads would accept bare NaN
    runs = json.loads(out)
    assert [r["name"] for r in runs] == ["broken", "baseline"]
    for run in runs:
        assert REQUIRED_KEYS <= set(run)
    assert runs[1]["metrics"] == {"loss": "NaN"}
    assert runs[0]["error"]["type"] == "ZeroDivisionError"


def test_runs_list_filters_and_limits(two_runs: tuple[Run, Run]) -> None:
    only_a = json.loads(cli("runs", "list", "--experiment", "exp-a", "--json").stdout)
    assert [r["id"] for r in only_a] == [two_runs[0].id]
    failed = json.loads(cli("runs", "list", "--status", "failed", "--json").stdout)
    assert [r["id"] for r in failed] == [two_runs[1].id]
    assert len(json.loads(cli("runs", "list", "--limit", "1", "--json").stdout)) == 1
    table = cli("runs", "list").stdout.splitlines()
    assert table[0].split()[:2] == ["ID", "STATUS"]
    assert len(table) == 3


def test_runs_show_by_id_and_prefix(two_runs: tuple[Run, Run]) -> None:
    first = two_runs[0]
    shown = json.loads(cli("runs", "show", first.id, "--json").stdout)
    assert shown["id"] == first.id and shown["params"] == {"lr": 0.1}
    assert shown["env"]["packages"] == {"numpy": "2.0"}
    text = cli("runs", "show", first.id[:8]).stdout
    assert "param lr" in text and "%%track\nlr = 0.1" in text


def test_unknown_run_and_bad_arguments_are_clear_errors(two_runs: tuple[Run, Run]) -> None:
    # One convention: an unknown id is a usage error (2), for every command.
    missing = cli("runs", "show", "0" * 32, check=False)
    assert missing.returncode == 2
    assert "0" * 32 in missing.stderr and "Traceback" not in missing.stderr
    bad = cli("runs", "list", "--limit", "0", check=False)
    assert bad.returncode == 2 and "--limit must be a positive number" in bad.stderr


def test_json_errors_are_json_on_stdout(two_runs: tuple[Run, Run]) -> None:
    missing = cli("runs", "show", "0" * 32, "--json", check=False)
    assert missing.returncode == 2
    error = json.loads(missing.stdout)
    assert error["status"] == 2 and "0" * 32 in error["error"]
    repro = cli("reproduce", "f" * 32, "--json", check=False)
    assert repro.returncode == 2 and "not found" in json.loads(repro.stdout)["error"]


def test_short_and_ambiguous_prefixes_say_so() -> None:
    store = get_store()
    for suffix in ("a", "b", "c"):
        store.create_run(Run.new("exp", id="1e4" + suffix + "0" * 28))
    short = cli("runs", "show", "1e4", check=False)
    assert short.returncode == 2 and "too short" in short.stderr
    store.create_run(Run.new("exp", id="1e4a" + "1" * 28))
    ambiguous = cli("runs", "show", "1e4a", check=False)
    assert ambiguous.returncode == 2
    assert "ambiguous: 2 runs start with 1e4a" in ambiguous.stderr
    assert cli("runs", "show", "1e4b", "--json").returncode == 0


def test_read_commands_never_create_a_missing_store(tmp_path: Path) -> None:
    mistyped = tmp_path / "no-such-store"
    env_cli = subprocess.run(
        [str(Path(sys.executable).with_name("mlops-jupyter")), "runs", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MLOPS_JUPYTER_STORE": str(mistyped)},
    )
    assert env_cli.returncode == 2
    assert "no store at" in env_cli.stderr and str(mistyped) in env_cli.stderr
    assert not mistyped.exists()


def test_runs_list_marks_reproductions(two_runs: tuple[Run, Run]) -> None:
    first = two_runs[0]
    repro = Run.new("exp-a", name="again", reproduction_of=first.id)
    get_store().create_run(repro)
    table = cli("runs", "list").stdout
    assert f"↻{first.id[:8]} again" in table
    assert "reproduces" in cli("runs", "show", repro.id).stdout


def test_status_names_the_store(isolated_store: Path) -> None:
    assert f"store: {isolated_store}" in cli("status").stdout


# -- store check / store migrate ------------------------------------------------------------


def _orphan(age_seconds: float, content: bytes) -> str:
    store = get_store()
    sha = store.blobs.put_bytes(content)
    when = time.time() - age_seconds
    os.utime(store.blobs.path_for(sha), (when, when))  # type: ignore[attr-defined]
    return sha


def test_store_check_healthy(two_runs: tuple[Run, Run], isolated_store: Path) -> None:
    done = cli("store", "check")
    assert done.returncode == 0
    assert f"store: {isolated_store / 'runs.db'} (sqlite, schema" in done.stdout
    assert f"blob store: {isolated_store / 'blobs'}" in done.stdout
    assert "0 missing" in done.stdout and done.stdout.rstrip().endswith("result: healthy")
    report = json.loads(cli("store", "check", "--json").stdout)
    assert report["healthy"] is True and report["runs"] == 2
    assert report["blobs"]["missing"] == [] and report["problems"] == []


def test_store_check_reports_a_missing_blob(two_runs: tuple[Run, Run]) -> None:
    store = get_store()
    sha = store.put_json_blob(two_runs[0].env)
    store.blobs.delete(sha)
    done = cli("store", "check", check=False)
    assert done.returncode == 1
    assert f"missing blob {sha}: environment of run {two_runs[0].id}" in done.stdout
    assert "result: 1 problem(s) found" in done.stdout
    as_json = cli("store", "check", "--json", check=False)
    assert as_json.returncode == 1
    (missing,) = json.loads(as_json.stdout)["blobs"]["missing"]
    assert missing["sha256"] == sha


def test_store_check_prunes_only_old_orphans(two_runs: tuple[Run, Run]) -> None:
    old = _orphan(3 * 86400, b"an old orphan")
    young = _orphan(60, b"a young orphan")
    listed = cli("store", "check")
    assert "2 orphaned (27 B)" in listed.stdout and listed.returncode == 0
    pruned = cli("store", "check", "--prune-orphans", "1d")
    assert pruned.returncode == 0
    assert "pruned: 1 orphaned blobs (13 B)" in pruned.stdout
    blobs = get_store().blobs
    assert not blobs.exists(old) and blobs.exists(young)
    assert get_store().get_run(two_runs[0].id).env  # the runs' own blobs are still there
    assert json.loads(cli("store", "check", "--json").stdout)["blobs"]["orphans"] == 1


def test_store_check_rejects_a_bad_age() -> None:
    for age in ("soon", "0", "-1d", "nan"):
        done = cli("store", "check", "--prune-orphans", age, check=False)
        assert done.returncode == 2 and "--prune-orphans" in done.stderr, age


def test_store_commands_leave_a_corrupted_database_untouched(isolated_store: Path) -> None:
    db = isolated_store / "runs.db"
    garbage = b"SQLite format 3\x00" + b"\xde\xad\xbe\xef" * 4096
    db.write_bytes(garbage)
    for command in (["store", "check"], ["store", "migrate"], ["store", "check", "--json"]):
        done = cli(*command, check=False)
        assert done.returncode == 1, command
        assert str(db) in done.stderr and "corrupted" in done.stderr
        assert "Traceback" not in done.stderr
        assert db.read_bytes() == garbage
    assert json.loads(done.stdout)["corrupted"] is True
    assert sorted(p.name for p in isolated_store.iterdir()) == ["runs.db"]


def test_store_check_without_a_database(isolated_store: Path) -> None:
    done = cli("store", "check", check=False)
    assert done.returncode == 2
    assert str(isolated_store / "runs.db") in done.stderr and "Traceback" not in done.stderr
    assert list(isolated_store.iterdir()) == []


def test_store_migrate(isolated_store: Path) -> None:
    from mlops_jupyter.store.schema import SCHEMA_REVISION

    first = cli("store", "migrate")
    assert first.stdout.strip() == (
        f"{isolated_store / 'runs.db'}: migrated from an empty database to {SCHEMA_REVISION}"
    )
    again = json.loads(cli("store", "migrate", "--json").stdout)
    assert again == {
        "location": str(isolated_store / "runs.db"),
        "before": SCHEMA_REVISION,
        "after": SCHEMA_REVISION,
        "migrated": False,
    }
    assert cli("store", "migrate").stdout.strip().endswith(f"already at revision {SCHEMA_REVISION}")


def test_store_commands_never_show_credentials(
    isolated_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A database that cannot be reached, and blobs on a URL with a password.
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", "postgresql://u:s3cret@127.0.0.1:9/runs")
    for command in (["store", "check"], ["store", "migrate"]):
        done = cli(*command, check=False)
        assert done.returncode == 2, done.stderr
        assert "u:***@127.0.0.1:9" in done.stderr
        assert "s3cret" not in done.stdout + done.stderr
    db = "sqlite:///" + (isolated_store / "runs.db").as_posix()
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", db)
    monkeypatch.setenv("MLOPS_JUPYTER_BLOBS", "memory://u:s3cret@host/blobs?token=t0ken")
    cli("store", "migrate")
    done = cli("store", "check")
    assert "blob store: memory://u:***@host/blobs?token=***" in done.stdout
    assert "s3cret" not in done.stdout + done.stderr and "t0ken" not in done.stdout


# A kernel that spooled a finished run while the database was away, then ended.
SPOOLING_KERNEL = r"""
from mlops_jupyter.models import MetricPoint, Run, RunStatus, utcnow
from mlops_jupyter.store.location import resolve_store_location
from mlops_jupyter.store.spool import Spool, spool_dir_for

spool = Spool(spool_dir_for(resolve_store_location().db_url))
run = Run.new("offline", name="spooled")
spool.append_create(run)
spool.append_points(run.id, [MetricPoint("loss", 0.5, 0, 1.0), MetricPoint("loss", 0.25, 1, 2.0)])
run.status, run.ended_at, run.metrics = RunStatus.FINISHED, utcnow(), {"loss": 0.25}
spool.append_update(run)
print(run.id)
import os
os._exit(0)  # like a killed kernel: no close
"""


def test_store_sync_writes_the_spool_a_dead_kernel_left(isolated_store: Path) -> None:
    get_store()  # the database exists; it was away when the kernel wrote
    made = subprocess.run(
        [sys.executable, "-c", SPOOLING_KERNEL], capture_output=True, text=True, check=True
    )
    run_id = made.stdout.strip()
    checked = cli("store", "check")
    assert "1 spool file(s)" in checked.stdout and "store sync" in checked.stdout, checked.stdout

    synced = cli("store", "sync")
    assert "3 writes synced" in synced.stdout, synced.stdout
    run = get_store().get_run(run_id)
    assert run.status is RunStatus.FINISHED and run.metrics == {"loss": 0.25}
    assert [s for s, _ in get_store().metric_step_values(run_id, "loss")] == [0, 1]

    again = cli("store", "sync", "--json")
    result = json.loads(again.stdout)
    assert result["files"] == [] and result["owned_by_running_processes"] == []
    assert "nothing to sync" in cli("store", "sync").stdout
    assert "spool" not in cli("store", "check").stdout
