"""The ``mlops-jupyter`` command, run as a real process against a real store."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
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
    missing = cli("runs", "show", "0" * 32, check=False)
    assert missing.returncode == 1
    assert "0" * 32 in missing.stderr and "Traceback" not in missing.stderr
    bad = cli("runs", "list", "--limit", "0", check=False)
    assert bad.returncode == 2 and "--limit must be a positive number" in bad.stderr


def test_status_names_the_store(isolated_store: Path) -> None:
    assert f"store: {isolated_store}" in cli("status").stdout
