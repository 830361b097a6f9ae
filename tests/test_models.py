"""Tests for mlops_jupyter.models: the run record and strict JSON."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from mlops_jupyter.models import (
    ErrorInfo,
    FileRecord,
    GitInfo,
    MetricPoint,
    NotebookInfo,
    Run,
    RunStatus,
    dumps_strict,
    format_datetime,
    json_safe,
    parse_datetime,
)

TOP_LEVEL_KEYS = {
    "id",
    "name",
    "experiment",
    "status",
    "started_at",
    "ended_at",
    "duration",
    "params",
    "metrics",
    "tags",
    "source",
    "cell_id",
    "execution_count",
    "notebook",
    "history",
    "history_out_of_order",
    "env",
    "git",
    "inputs",
    "artifacts",
    "error",
    "stdout_tail",
    "stderr_tail",
    "seed",
    "kernel_name",
    "host",
    "pid",
    "reproduction_of",
    "sweep_id",
    "extra",
}


def full_run() -> Run:
    started = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)
    return Run(
        id="0" * 32,
        experiment="exp",
        name="first",
        status=RunStatus.FAILED,
        started_at=started,
        ended_at=started + timedelta(seconds=90, microseconds=500),
        heartbeat_at=started + timedelta(seconds=60),
        params={"lr": 0.01, "layers": [64, 32], "opt": "adam", "flag": True, "none": None},
        metrics={"acc": 0.9, "loss": 0.25},
        tags={"team": "a"},
        source="x = 1\nprint(x)\n",
        cell_id="cell-1",
        execution_count=7,
        notebook=NotebookInfo(path="nb.ipynb", snapshot_sha256="a" * 64, saved_matches_source=True),
        history=[{"execution_count": 6, "source": "import numpy"}],
        history_out_of_order=False,
        env={"python": "3.11", "packages": {"numpy": "2.0"}},
        git=GitInfo(
            root="/repo",
            commit="c" * 40,
            branch="main",
            dirty=True,
            remote="origin",
            diff_sha256="d" * 64,
            diff_truncated=False,
        ),
        inputs=[FileRecord(path="data.csv", sha256="e" * 64, size=10)],
        artifacts=[FileRecord(path="model.pkl", sha256="f" * 64, size=20)],
        error=ErrorInfo(type="ValueError", message="bad", traceback="Traceback ..."),
        stdout_tail="out",
        stderr_tail="err",
        seed=42,
        kernel_name="python3",
        host="box",
        pid=1234,
        reproduction_of="1" * 32,
        sweep_id="sweep",
        extra={"pins": {"numpy": "2.0"}, "risks": ["unseeded"]},
    )


def test_run_new_fills_id_and_utc_start() -> None:
    before = datetime.now(timezone.utc)
    run = Run.new("exp", name="n", params={"a": 1})
    assert len(run.id) == 32 and int(run.id, 16) >= 0
    assert run.id != Run.new("exp").id
    assert run.started_at.tzinfo is not None and run.started_at.utcoffset() == timedelta(0)
    assert before <= run.started_at <= datetime.now(timezone.utc)
    assert run.status is RunStatus.RUNNING
    assert (run.experiment, run.name, run.params) == ("exp", "n", {"a": 1})


def test_run_new_keeps_explicit_id() -> None:
    assert Run.new("exp", id="abc").id == "abc"


def test_duration() -> None:
    run = full_run()
    assert run.duration == pytest.approx(90.0005)
    run.ended_at = None
    assert run.duration is None


def test_to_json_has_every_documented_key() -> None:
    data = full_run().to_json()
    assert TOP_LEVEL_KEYS <= set(data)
    assert set(data["notebook"]) == {"path", "snapshot_sha256", "saved_matches_source"}
    assert set(data["git"]) == {
        "root",
        "commit",
        "branch",
        "dirty",
        "remote",
        "diff_sha256",
        "diff_truncated",
    }
    assert set(data["error"]) == {"type", "message", "traceback"}
    assert data["status"] == "failed"
    assert data["started_at"] == "2024-05-01T12:00:00.123456+00:00"
    assert data["duration"] == pytest.approx(90.0005)


def test_empty_optional_parts_are_null() -> None:
    data = Run.new("exp").to_json()
    assert data["git"] is None and data["error"] is None and data["notebook"] is None
    assert data["ended_at"] is None and data["duration"] is None


def test_json_round_trip_is_exact() -> None:
    run = full_run()
    text = json.dumps(run.to_json())
    again = Run.from_json(json.loads(text))
    assert again == run
    assert again.to_json() == run.to_json()


def test_non_finite_values_produce_strict_json() -> None:
    run = Run.new(
        "exp",
        params={"nan": math.nan, "nested": {"inf": math.inf, "list": [-math.inf, 1.5]}},
        metrics={"loss": math.nan, "best": math.inf, "worst": -math.inf, "ok": 0.5},
        extra={"x": (math.nan,)},
    )
    data = run.to_json()
    text = json.dumps(data, allow_nan=False)  # raises on any NaN/Infinity token
    assert "NaN" in text
    assert data["params"] == {
        "nan": "NaN",
        "nested": {"inf": "Infinity", "list": ["-Infinity", 1.5]},
    }
    assert data["metrics"] == {"loss": "NaN", "best": "Infinity", "worst": "-Infinity", "ok": 0.5}
    again = Run.from_json(json.loads(text))
    assert math.isnan(again.metrics["loss"])
    assert again.metrics["best"] == math.inf and again.metrics["worst"] == -math.inf
    assert again.to_json() == data


def test_json_safe_leaves_other_values_alone() -> None:
    value = {"a": [1, "NaN", None, True, {"b": 2.5}], "c": "x"}
    assert json_safe(value) == value
    assert json_safe(math.nan) == "NaN"
    assert json_safe((1.0, math.inf)) == [1.0, "Infinity"]
    nested = {"k": [1.0]}
    safe = json_safe(nested)
    safe["k"].append(2.0)
    assert nested == {"k": [1.0]}  # a copy, not an alias


def test_dumps_strict_sorts_keys_and_rejects_nothing_finite() -> None:
    assert dumps_strict({"b": 1, "a": math.nan}) == '{"a": "NaN", "b": 1}'
    with pytest.raises(TypeError):
        dumps_strict({"a": object()})


def test_from_json_tolerates_missing_optional_keys() -> None:
    run = Run.from_json(
        {"id": "x", "experiment": "e", "started_at": "2024-01-01T00:00:00Z", "future_key": 1}
    )
    assert run.status is RunStatus.RUNNING
    assert run.started_at == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert run.params == {} and run.inputs == [] and run.git is None


def test_datetime_helpers_are_utc_and_fixed_width() -> None:
    local = datetime(2024, 1, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert format_datetime(local) == "2024-01-01T12:00:00.000000+00:00"
    assert format_datetime(datetime(2024, 1, 1)) == "2024-01-01T00:00:00.000000+00:00"
    assert parse_datetime("2024-01-01T12:00:00+02:00") == datetime(
        2024, 1, 1, 10, tzinfo=timezone.utc
    )
    # Fixed width makes string order chronological, which the store's queries rely on.
    early, late = (format_datetime(datetime(2024, 1, 1, 0, 0, s)) for s in (1, 10))
    assert len(early) == len(late) and early < late


def test_metric_point_json() -> None:
    point = MetricPoint("loss", math.nan, 3, 1.5)
    data = point.to_json()
    assert data == {"key": "loss", "value": "NaN", "step": 3, "timestamp": 1.5}
    again = MetricPoint.from_json(data)
    assert (again.key, again.step, again.timestamp) == ("loss", 3, 1.5)
    assert math.isnan(again.value)


def test_status_is_a_string_enum() -> None:
    assert RunStatus("crashed") is RunStatus.CRASHED
    assert RunStatus.FINISHED == "finished"
    assert str(RunStatus.INTERRUPTED) == "interrupted"


def test_models_import_stays_light() -> None:
    code = (
        "import sys, mlops_jupyter.models, mlops_jupyter.store.location; "
        "heavy = [m for m in ('sqlalchemy', 'alembic', 'psutil', 'IPython', 'tornado') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
