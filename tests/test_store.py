"""Tests for the run store.

The contract tests take the ``store`` fixture, parametrized over both backends: SQLite, and
PostgreSQL on a real server the tests start (see ``tests/_postgres.py``). The tests after
them are specific to SQLite files (pragmas, corruption, migrations); PostgreSQL's own are in
``test_store_postgres.py``.
"""

from __future__ import annotations

import json
import math
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from mlops_jupyter.models import (
    ErrorInfo,
    FileRecord,
    GitInfo,
    MetricPoint,
    NotebookInfo,
    Run,
    RunStatus,
)
from mlops_jupyter.query import SortKey, parse_filter, parse_sort
from mlops_jupyter.store import (
    InvalidArgumentError,
    RunAlreadyExistsError,
    RunNotFoundError,
    RunStore,
    StoreCorruptedError,
    StoreError,
    StoreLocation,
    get_store,
    open_store,
    reset_store_cache,
)

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunStore]:
    """A fresh, empty store of each backend (PostgreSQL: a new database on a real server)."""
    if request.param == "sqlite":
        location = StoreLocation.for_directory(tmp_path / "store")
    else:
        url = request.getfixturevalue("postgres_url")
        location = StoreLocation(url, str(tmp_path / "blobs"), url)
    opened = open_store(location)
    try:
        yield opened
    finally:
        opened.close()


def make_run(experiment: str = "exp", offset_s: float = 0, **kw: Any) -> Run:
    kw.setdefault("started_at", T0 + timedelta(seconds=offset_s))
    return Run.new(experiment, **kw)


def full_run() -> Run:
    return make_run(
        name="full",
        params={
            "lr": 0.001,
            "layers": [64, 32],
            "opt": "adam",
            "flag": True,
            "none": None,
            "nan": math.nan,
            "big": 10**30,
        },
        metrics={"acc": 0.9, "loss": math.nan, "best": math.inf},
        tags={"team": "vision"},
        source="model.fit(x)\n",
        cell_id="c1",
        execution_count=3,
        notebook=NotebookInfo("nb.ipynb", "a" * 64, True),
        history=[{"execution_count": 1, "source": "import x"}],
        history_out_of_order=False,
        env={"python": "3.11", "packages": {"numpy": "2.0"}},
        git=GitInfo("/repo", "c" * 40, "main", True, "origin", "d" * 64, False),
        inputs=[FileRecord("data.csv", "e" * 64, 10)],
        artifacts=[FileRecord("model.pkl", "f" * 64, 20)],
        stdout_tail="out",
        stderr_tail="err",
        seed=7,
        kernel_name="python3",
        host="box",
        pid=99,
        reproduction_of="r" * 32,
        sweep_id="s1",
        extra={"risks": ["unseeded"], "ratio": math.inf},
    )


def strict(run: Run) -> str:
    return json.dumps(run.to_json(), allow_nan=False, sort_keys=True)


# -- contract ------------------------------------------------------------------------------


def test_create_and_get_round_trip(store: RunStore) -> None:
    run = full_run()
    store.create_run(run)
    got = store.get_run(run.id)
    assert strict(got) == strict(run)
    # Non-finite floats come back as floats, not as their JSON spellings.
    assert math.isnan(got.params["nan"]) and math.isnan(got.metrics["loss"])
    assert got.metrics["best"] == math.inf and got.extra["ratio"] == math.inf
    assert got.started_at == run.started_at and got.started_at.tzinfo is not None


def test_minimal_run_round_trip(store: RunStore) -> None:
    run = make_run()
    store.create_run(run)
    assert store.get_run(run.id) == run


def test_unknown_run(store: RunStore) -> None:
    with pytest.raises(RunNotFoundError) as info:
        store.get_run("nope")
    assert info.value.code == 404 and "nope" in str(info.value)
    with pytest.raises(RunNotFoundError):
        store.update_run(make_run(id="nope"))
    with pytest.raises(RunNotFoundError):
        store.log_metric_points("nope", [MetricPoint("m", 1.0, 0, 0.0)])
    with pytest.raises(RunNotFoundError):
        store.metric_series("nope", "m")
    assert store.count_runs() == 0


def test_duplicate_id_is_rejected(store: RunStore) -> None:
    run = make_run()
    store.create_run(run)
    with pytest.raises(RunAlreadyExistsError) as info:
        store.create_run(make_run(id=run.id, name="other"))
    assert isinstance(info.value, StoreError)
    assert store.get_run(run.id).name is None


def test_invalid_runs_are_rejected(store: RunStore) -> None:
    with pytest.raises(InvalidArgumentError):
        store.create_run(make_run(id=""))
    with pytest.raises(InvalidArgumentError):
        store.create_run(make_run(experiment=""))
    with pytest.raises(InvalidArgumentError):
        store.create_run(make_run(id="x" * 65))


def test_invalid_metric_values_are_rejected(store: RunStore) -> None:
    with pytest.raises(InvalidArgumentError):
        store.create_run(make_run(metrics={"m": "high"}))  # type: ignore[dict-item]
    assert store.count_runs() == 0
    run = make_run()
    store.create_run(run)
    with pytest.raises(InvalidArgumentError):
        store.log_metric_points(run.id, [MetricPoint("m", "x", 0, 0.0)])  # type: ignore[arg-type]
    assert store.metric_series(run.id, "m") == []


def test_update_replaces_the_whole_record(store: RunStore) -> None:
    run = full_run()
    store.create_run(run)
    run.status = RunStatus.FAILED
    run.ended_at = run.started_at + timedelta(seconds=5)
    run.params = {"lr": 0.01, "new": "yes"}
    run.tags = {"other": "tag"}
    run.metrics = {"acc": 0.95}
    run.error = ErrorInfo("ValueError", "boom", "Traceback...")
    run.git = None
    run.env = {"python": "3.12"}
    run.history = []
    run.extra = {}
    store.update_run(run)
    got = store.get_run(run.id)
    assert strict(got) == strict(run)
    assert got.duration == 5.0


def test_update_keeps_the_step_of_a_final_value(store: RunStore) -> None:
    run = make_run()
    store.create_run(run)
    store.log_metric_points(run.id, [MetricPoint("loss", 0.5, 10, 1.0)])
    run.metrics = {"loss": 0.4}
    store.update_run(run)
    # An older step logged later must not replace the value set at step 10.
    store.log_metric_points(run.id, [MetricPoint("loss", 9.0, 3, 2.0)])
    assert store.get_run(run.id).metrics == {"loss": 0.4}
    store.log_metric_points(run.id, [MetricPoint("loss", 0.3, 11, 3.0)])
    assert store.get_run(run.id).metrics == {"loss": 0.3}


def test_search_is_newest_first_with_filters(store: RunStore) -> None:
    a1 = make_run("a", 1)
    a2 = make_run("a", 2, status=RunStatus.FINISHED)
    b3 = make_run("b", 3)
    tie = [make_run("b", 4, id=f"{c}" * 32) for c in "19"]
    for run in (a2, tie[0], a1, b3, tie[1]):
        store.create_run(run)
    ids = [r.id for r in store.search_runs()]
    assert ids == [tie[1].id, tie[0].id, b3.id, a2.id, a1.id]
    assert [r.id for r in store.search_runs(experiment="a")] == [a2.id, a1.id]
    assert [r.id for r in store.search_runs(status=RunStatus.FINISHED)] == [a2.id]
    assert [r.id for r in store.search_runs(experiment="b", status=RunStatus.RUNNING)] == [
        tie[1].id,
        tie[0].id,
        b3.id,
    ]
    assert [r.id for r in store.search_runs(limit=2)] == ids[:2]
    assert [r.id for r in store.search_runs(limit=2, offset=2)] == ids[2:4]
    assert [r.id for r in store.search_runs(offset=3)] == ids[3:]
    assert store.search_runs(limit=0) == []
    assert [r.id for r in store.runs_for_experiment("a")] == [a2.id, a1.id]
    found = store.search_runs(experiment="a")[0]
    assert strict(found) == strict(a2)


def test_search_returns_children_of_each_run(store: RunStore) -> None:
    runs = [
        make_run(offset_s=i, params={"i": i}, metrics={"m": float(i)}, tags={"t": str(i)})
        for i in range(3)
    ]
    for run in runs:
        store.create_run(run)
    for found in store.search_runs():
        i = found.params["i"]
        assert found.metrics == {"m": float(i)} and found.tags == {"t": str(i)}


def test_search_rejects_bad_arguments(store: RunStore) -> None:
    with pytest.raises(InvalidArgumentError):
        store.search_runs(limit=-1)
    with pytest.raises(InvalidArgumentError):
        store.search_runs(offset=-1)
    with pytest.raises(InvalidArgumentError):
        store.search_runs(status="bogus")  # type: ignore[arg-type]


def test_count_and_experiments(store: RunStore) -> None:
    assert store.count_runs() == 0 and store.experiments() == []
    for experiment, status in [("b", RunStatus.RUNNING), ("a", RunStatus.FAILED), ("a", None)]:
        store.create_run(make_run(experiment, status=status or RunStatus.FINISHED))
    assert store.count_runs() == 3
    assert store.count_runs(experiment="a") == 2
    assert store.count_runs(status=RunStatus.FAILED) == 1
    assert store.count_runs(experiment="b", status=RunStatus.FAILED) == 0
    assert store.experiments() == ["a", "b"]


def test_metric_points_and_final_values(store: RunStore) -> None:
    run = make_run()
    store.create_run(run)
    store.log_metric_points(
        run.id,
        [
            MetricPoint("loss", 0.5, 2, 10.0),
            MetricPoint("loss", 0.9, 0, 11.0),  # logged later, but an earlier step
            MetricPoint("acc", 0.1, 5, 10.0),
            MetricPoint("acc", 0.2, 5, 12.0),  # same step, later timestamp: wins
            MetricPoint("acc", 0.15, 5, 11.0),
        ],
    )
    assert store.get_run(run.id).metrics == {"loss": 0.5, "acc": 0.2}
    series = store.metric_series(run.id, "loss")
    assert [(p.step, p.value) for p in series] == [(0, 0.9), (2, 0.5)]
    assert all(p.key == "loss" for p in series)
    assert [p.value for p in store.metric_series(run.id, "acc")] == [0.1, 0.15, 0.2]
    # A later call with a lower step appends to the series but keeps the final value.
    store.log_metric_points(run.id, [MetricPoint("loss", 7.0, 1, 20.0)])
    assert store.get_run(run.id).metrics["loss"] == 0.5
    assert [p.step for p in store.metric_series(run.id, "loss")] == [0, 1, 2]
    assert store.metric_series(run.id, "unknown") == []
    store.log_metric_points(run.id, [])
    assert len(store.metric_series(run.id, "loss")) == 3


def test_many_points_in_one_call(store: RunStore) -> None:
    run = make_run()
    store.create_run(run)
    n = 100_000
    # Shuffled steps: the final value must come from the highest step, not the last point.
    steps = [(i * 7919) % n for i in range(n)]
    points = [MetricPoint("loss", 1.0 / (s + 1), s, 1000.0 + i) for i, s in enumerate(steps)]
    store.log_metric_points(run.id, points)
    assert store.get_run(run.id).metrics == {"loss": 1.0 / n}
    series = store.metric_series(run.id, "loss")
    assert len(series) == n
    assert [p.step for p in series] == list(range(n))


def test_nan_and_infinite_metrics_round_trip(store: RunStore) -> None:
    run = make_run(metrics={"start": math.nan})
    store.create_run(run)
    store.log_metric_points(
        run.id,
        [
            MetricPoint("loss", math.nan, 0, 1.0),
            MetricPoint("loss", math.inf, 1, 2.0),
            MetricPoint("gap", -math.inf, 0, 1.0),
            MetricPoint("diverged", 1.0, 0, 1.0),
            MetricPoint("diverged", math.nan, 1, 2.0),
        ],
    )
    got = store.get_run(run.id)
    assert math.isnan(got.metrics["start"])
    assert got.metrics["loss"] == math.inf and got.metrics["gap"] == -math.inf
    assert math.isnan(got.metrics["diverged"])
    values = [p.value for p in store.metric_series(run.id, "loss")]
    assert math.isnan(values[0]) and values[1] == math.inf
    assert json.loads(json.dumps(got.to_json(), allow_nan=False))["metrics"]["start"] == "NaN"


def test_heartbeat(store: RunStore) -> None:
    running = make_run()
    done = make_run(status=RunStatus.FINISHED)
    store.create_run(running)
    store.create_run(done)
    at = T0 + timedelta(minutes=5)
    store.heartbeat([running.id, done.id, "unknown"], at=at)
    assert store.get_run(running.id).heartbeat_at == at
    assert store.get_run(done.id).heartbeat_at is None
    store.heartbeat([])
    store.heartbeat([running.id])
    latest = store.get_run(running.id).heartbeat_at
    assert latest is not None and latest > at


def test_stale_lease_marks_run_crashed_and_keeps_metrics(store: RunStore) -> None:
    now = T0 + timedelta(hours=1)
    stale = make_run(metrics={"acc": 0.5}, heartbeat_at=now - timedelta(seconds=120))
    never_beat = make_run(offset_s=1)  # started at T0, no heartbeat: its start counts
    fresh = make_run(heartbeat_at=now - timedelta(seconds=10))
    finished = make_run(status=RunStatus.FINISHED)
    for run in (stale, never_beat, fresh, finished):
        store.create_run(run)
    store.log_metric_points(stale.id, [MetricPoint("loss", 0.1, 4, 1.0)])

    crashed = store.mark_stale_runs_crashed(60, now=now)

    assert sorted(crashed) == sorted([stale.id, never_beat.id])
    got = store.get_run(stale.id)
    assert got.status is RunStatus.CRASHED
    assert got.ended_at == stale.heartbeat_at
    assert got.metrics == {"acc": 0.5, "loss": 0.1}
    assert len(store.metric_series(stale.id, "loss")) == 1
    assert "heartbeat" in got.extra["crash_reason"]
    assert store.get_run(never_beat.id).ended_at == never_beat.started_at
    assert store.get_run(fresh.id).status is RunStatus.RUNNING
    assert store.get_run(finished.id).status is RunStatus.FINISHED
    assert store.mark_stale_runs_crashed(60, now=now) == []


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_dead_process_on_this_host_marks_run_crashed(store: RunStore) -> None:
    pid = dead_pid()
    beat = datetime.now(timezone.utc)
    here = socket.gethostname()
    dead = make_run(host=here, pid=pid, heartbeat_at=beat, metrics={"m": 1.0})
    alive = make_run(host=here, pid=os.getpid(), heartbeat_at=beat)
    elsewhere = make_run(host=here + "-other-machine", pid=pid, heartbeat_at=beat)
    for run in (dead, alive, elsewhere):
        store.create_run(run)

    assert store.mark_stale_runs_crashed(3600) == [dead.id]

    got = store.get_run(dead.id)
    assert got.status is RunStatus.CRASHED and got.ended_at == beat
    assert got.metrics == {"m": 1.0}
    assert str(pid) in got.extra["crash_reason"]
    assert store.get_run(alive.id).status is RunStatus.RUNNING
    assert store.get_run(elsewhere.id).status is RunStatus.RUNNING


def test_env_and_history_blobs_dedup_across_runs(store: RunStore) -> None:
    env = {"python": "3.11", "packages": {f"p{i}": "1.0" for i in range(50)}}
    history = [{"execution_count": 1, "source": "import numpy"}]
    first = make_run(env=env, history=history)
    second = make_run(env=dict(env), history=list(history))
    store.create_run(first)
    blobs_after_first = sorted(p.name for p in store.blobs.root.rglob("*") if p.is_file())
    store.create_run(second)
    blobs_after_second = sorted(p.name for p in store.blobs.root.rglob("*") if p.is_file())
    assert len(blobs_after_first) == 2 and blobs_after_second == blobs_after_first
    a, b = store.get_run(first.id), store.get_run(second.id)
    assert a.env == b.env == env and a.history == b.history == history
    # Runs read back do not share (cached) objects.
    a.env["packages"]["p0"] = "changed"
    assert store.get_run(second.id).env == env


def test_changed_env_gets_a_new_blob(store: RunStore) -> None:
    env: dict[str, Any] = {"python": "3.11"}
    run = make_run(env=env)
    store.create_run(run)
    env["python"] = "3.12"  # the same object, mutated: must not reuse the old blob
    store.update_run(run)
    assert store.get_run(run.id).env == {"python": "3.12"}


def test_json_blobs_are_strict_and_dedup(store: RunStore) -> None:
    sha = store.put_json_blob({"b": 1, "a": [1.5, math.nan]})
    assert store.put_json_blob({"a": [1.5, math.nan], "b": 1}) == sha
    raw = store.blobs.get_bytes(sha).decode()
    assert raw == '{"a": [1.5, "NaN"], "b": 1}'
    assert store.get_json_blob(sha) == {"a": [1.5, "NaN"], "b": 1}


def test_strings_compare_and_sort_in_code_point_order(store: RunStore) -> None:
    # As Python compares strings, whatever the database's locale: a linguistic collation
    # (PostgreSQL's default on most servers) would put "SGD" after "b" and ignore the "_".
    names = ["b", "SGD", "adam", "Zeta", "_x", "a b", "\u00e9clair", "B"]
    for i, name in enumerate(names):
        store.create_run(
            make_run(name, offset_s=i, name=name, params={"opt": name}, tags={"t": name})
        )
    expected = sorted(names)
    assert store.experiments() == expected
    for key in ("name", "experiment", "params.opt"):
        page = store.list_runs(sort=parse_sort(key), descending=False)
        assert [r["name"] for r in page.runs] == expected, key
    for text, keep in [
        ("params.opt > 'b'", lambda n: n > "b"),
        ("tags.t < 'a'", lambda n: n < "a"),
        ("name >= 'Z'", lambda n: n >= "Z"),
    ]:
        page = store.list_runs(where=parse_filter(text))
        assert sorted(r["name"] for r in page.runs) == sorted(filter(keep, names)), text


def test_nul_in_a_parameter_string_round_trips(store: RunStore) -> None:
    run = make_run(params={"sep": "a\x00b", "other": "x"})
    store.create_run(run)
    assert store.get_run(run.id).params == {"sep": "a\x00b", "other": "x"}
    page = store.list_runs(where=parse_filter("params.sep != null"))
    assert [r["params"]["sep"] for r in page.runs] == ["a\x00b"]


# NUL (PostgreSQL text cannot hold it) and lone surrogates (not UTF-8): one rule on every
# backend. Text columns keep them as backslash escapes, JSON keeps them exactly, metric
# names with one are refused.
ODD = "a\x00b\ud800c"
ESCAPED = "a\\x00b\\ud800c"


def test_nul_and_lone_surrogates_in_text_are_kept_escaped(store: RunStore) -> None:
    run = make_run(
        experiment=f"exp{ODD}",
        name=ODD,
        source=f"s = '{ODD}'",
        tags={ODD: ODD, "plain": "v"},
        params={ODD: 1, "value": ODD},
        stdout_tail=ODD,
        extra={"note": ODD},
    )
    store.create_run(run)
    got = store.get_run(run.id)
    assert (got.experiment, got.name, got.source) == (f"exp{ESCAPED}", ESCAPED, f"s = '{ESCAPED}'")
    assert got.tags == {ESCAPED: ESCAPED, "plain": "v"}
    assert got.params == {ESCAPED: 1, "value": ODD}  # a value is JSON: kept exactly
    assert (got.stdout_tail, got.extra) == (ODD, {"note": ODD})
    json.dumps(got.to_json(), allow_nan=False)  # what the REST API sends
    # Found by what the writer gave, escaped or not.
    for experiment in (f"exp{ODD}", f"exp{ESCAPED}"):
        assert [r.id for r in store.search_runs(experiment=experiment)] == [run.id]
        assert store.count_runs(experiment=experiment) == 1
        assert store.list_runs(experiment=experiment).total == 1
    quoted = ESCAPED.replace("\\", "\\\\")  # the filter language's own escapes
    for text in (f"name = '{ODD}'", f"name = '{quoted}'", f"tags.plain = 'v' and name ~ '{ODD}'"):
        page = store.list_runs(where=parse_filter(text))
        assert [r["name"] for r in page.runs] == [ESCAPED], text
    assert page.runs[0]["params"] == {ESCAPED: 1, "value": ODD}
    assert store.list_runs(where=parse_filter("params.value ~ 'b'")).total == 1
    assert store.list_runs(sort=parse_sort("params.value")).total == 1
    # Updates go the same way; nothing else is affected.
    run.tags["more"] = ODD
    store.update_run(run)
    assert store.get_run(run.id).tags["more"] == ESCAPED


@pytest.mark.parametrize("key", ["a\x00b", "c\ud800"])
def test_metric_names_a_database_cannot_hold_are_refused(store: RunStore, key: str) -> None:
    run = make_run()
    store.create_run(run)
    batch = [MetricPoint("ok", 1.0, 0, 1.0), MetricPoint(key, 2.0, 0, 1.0)]
    with pytest.raises(InvalidArgumentError, match="metric name") as info:
        store.log_metric_points(run.id, batch)
    assert info.value.code == 400
    assert store.metric_series(run.id, "ok") == []  # the batch wrote nothing
    store.log_metric_points(run.id, batch[:1])  # the store is still usable
    assert store.get_run(run.id).metrics == {"ok": 1.0}
    for read in (store.metric_series, store.metric_step_values):
        with pytest.raises(InvalidArgumentError, match="metric name"):
            read(run.id, key)
    with pytest.raises(InvalidArgumentError, match="metric name"):
        store.create_run(make_run(metrics={key: 1.0}))
    page = store.list_runs(sort=SortKey("metrics", key))  # no run has it: listed last
    assert [r["id"] for r in page.runs] == [run.id]
    assert store.count_runs() == 1


def test_run_ids_a_database_cannot_hold_are_refused(store: RunStore) -> None:
    for bad in ("a\x00", "b\ud800"):
        with pytest.raises(InvalidArgumentError, match="run id"):
            store.create_run(make_run(id=bad))
        with pytest.raises(InvalidArgumentError, match="run id"):
            store.get_run(bad)
        with pytest.raises(InvalidArgumentError, match="run id"):
            store.log_metric_points(bad, [MetricPoint("m", 1.0, 0, 1.0)])
        store.heartbeat([bad])  # unknown ids are ignored
    assert store.count_runs() == 0


def _damage(store: RunStore, run_id: str, **columns: Any) -> None:
    """What a broken or hostile writer of a shared database could leave in a run's row."""
    from sqlalchemy import update

    from mlops_jupyter.store.schema import params, runs

    engine: Any = store.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        if "value_json" in columns:
            conn.execute(
                update(params)
                .where(params.c.run_id == run_id)
                .values(value_json=columns.pop("value_json"))
            )
        if columns:
            conn.execute(update(runs).where(runs.c.id == run_id).values(**columns))


@pytest.mark.parametrize(
    "damage",
    [
        {"record": "{not json"},
        {"record": "[]"},
        {"record": '{"git": "not an object"}'},
        {"value_json": "{broken"},
    ],
    ids=["not-json", "not-an-object", "bad-part", "bad-param"],
)
def test_an_unreadable_record_is_skipped_and_reported(
    store: RunStore, damage: dict[str, str]
) -> None:
    from mlops_jupyter.store.errors import RunUnreadableError

    good = [make_run(offset_s=i, name=f"good{i}", params={"p": i}) for i in range(3)]
    bad = make_run(offset_s=1.5, name="bad", params={"p": 9})
    for run in (*good, bad):
        store.create_run(run)
    _damage(store, bad.id, **damage)
    page = store.list_runs(sort=parse_sort("started_at"), descending=False)
    assert [r["name"] for r in page.runs] == ["good0", "good1", "good2"]
    assert [s["id"] for s in page.skipped] == [bad.id]
    assert page.skipped[0]["reason"] and page.total == 4
    assert store.list_runs(where=parse_filter("name = 'good1'")).skipped == []
    assert [r.name for r in store.search_runs()] == ["good2", "good1", "good0"]
    for run in good:
        assert store.get_run(run.id).name == run.name
    with pytest.raises(RunUnreadableError, match=bad.id) as info:
        store.get_run(bad.id)
    assert info.value.code == 500 and "unreadable" in str(info.value)


def test_a_running_run_with_a_damaged_record_is_left_alone(store: RunStore) -> None:
    stale = make_run(status=RunStatus.RUNNING, heartbeat_at=T0)
    other = make_run(status=RunStatus.RUNNING, heartbeat_at=T0, name="other")
    store.create_run(stale)
    store.create_run(other)
    _damage(store, stale.id, record="{not json")
    assert store.mark_stale_runs_crashed(30, now=T0 + timedelta(hours=1)) == [other.id]
    assert store.get_run(other.id).status is RunStatus.CRASHED


# -- SQLite specifics ----------------------------------------------------------------------


def sqlite_store(path: Path) -> RunStore:
    return open_store(StoreLocation.for_directory(path))


def test_sqlite_settings(tmp_path: Path) -> None:
    with sqlite_store(tmp_path / "deep" / "missing" / "dir") as store:
        store.create_run(make_run())
    db = tmp_path / "deep" / "missing" / "dir" / "runs.db"
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_params_are_indexed_by_type(tmp_path: Path) -> None:
    with sqlite_store(tmp_path) as store:
        run = make_run(params={"lr": 0.1, "n": 3, "opt": "adam", "on": True, "x": math.nan})
        store.create_run(run)
    with closing(sqlite3.connect(tmp_path / "runs.db")) as conn:
        rows = dict(
            (key, (num, text))
            for key, num, text in conn.execute("SELECT key, value_num, value_text FROM params")
        )
    assert rows == {
        "lr": (0.1, None),
        "n": (3.0, None),
        "opt": (None, "adam"),
        "on": (None, None),
        "x": (None, None),
    }


def test_corrupted_database_is_reported_and_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    garbage = bytes(range(256)) * 64
    db.write_bytes(garbage)
    for opener in (
        lambda: sqlite_store(tmp_path),
        lambda: get_store(StoreLocation.for_directory(tmp_path)),
    ):
        with pytest.raises(StoreCorruptedError) as info:
            opener()
        assert str(db) in str(info.value)
        assert "NOT overwritten" in str(info.value)
        assert info.value.code == 500
    reset_store_cache()
    assert db.read_bytes() == garbage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.db"]


def test_head_revision_constant_matches_alembic_scripts() -> None:
    from alembic.script import ScriptDirectory

    from mlops_jupyter.store.sql import SCHEMA_REVISION, alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [SCHEMA_REVISION]


def test_migrations_create_exactly_the_schema_the_code_uses(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from mlops_jupyter.store.schema import metadata
    from mlops_jupyter.store.sql import SqlRunStore

    with sqlite_store(tmp_path) as store:
        assert isinstance(store, SqlRunStore) and store.migrated
    engine = create_engine("sqlite:///" + (tmp_path / "runs.db").as_posix())
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_reopening_a_current_store_skips_alembic(tmp_path: Path) -> None:
    with sqlite_store(tmp_path) as store:
        store.create_run(make_run())
    code = (
        "import sys; from mlops_jupyter.store import open_store, StoreLocation; "
        f"s = open_store(StoreLocation.for_directory({str(tmp_path)!r})); "
        "print(s.migrated, 'alembic' in sys.modules, s.count_runs()); s.close()"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "1"]


def test_newer_schema_is_refused_without_touching_it(tmp_path: Path) -> None:
    with sqlite_store(tmp_path) as store:
        store.create_run(make_run())
    with closing(sqlite3.connect(tmp_path / "runs.db")) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
        conn.commit()
    with pytest.raises(StoreError, match="upgrade mlops-jupyter"):
        sqlite_store(tmp_path)
    with closing(sqlite3.connect(tmp_path / "runs.db")) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("9999",)]
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (1,)


def test_unsupported_url(tmp_path: Path) -> None:
    location = StoreLocation("mysql://h/db", str(tmp_path / "blobs"), "mysql://h/db")
    with pytest.raises(InvalidArgumentError):
        open_store(location)


def test_get_store_caches_per_url(tmp_path: Path) -> None:
    location = StoreLocation.for_directory(tmp_path / "a")
    try:
        first = get_store(location)
        assert get_store(location) is first
        assert get_store(StoreLocation.for_directory(tmp_path / "b")) is not first
        first.create_run(make_run())
    finally:
        reset_store_cache()
    again = get_store(location)
    try:
        assert again is not first and again.count_runs() == 1
    finally:
        reset_store_cache()


def test_store_is_usable_from_threads(tmp_path: Path) -> None:
    import threading

    errors: list[BaseException] = []
    with sqlite_store(tmp_path) as store:

        def work(n: int) -> None:
            try:
                for i in range(20):
                    run = make_run(offset_s=n * 100 + i)
                    store.create_run(run)
                    store.log_metric_points(run.id, [MetricPoint("m", 1.0, 0, time.time())])
                    store.get_run(run.id)
            except BaseException as exc:  # collected for the main thread's assert
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert store.count_runs() == 80


def hold_write_lock(db: Path, seconds: float) -> tuple[Any, Any]:
    """Take SQLite's write lock from another connection and release it after ``seconds``."""
    import threading

    conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO tags VALUES ('none', 'k', 'v')")  # a real pending write

    def release() -> None:
        time.sleep(seconds)
        conn.execute("ROLLBACK")
        conn.close()

    thread = threading.Thread(target=release)
    thread.start()
    return conn, thread


def test_lock_held_longer_than_busy_timeout_is_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlops_jupyter.store.sql import database

    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 20)
    with sqlite_store(tmp_path) as store:
        store.create_run(make_run())  # every pooled connection now has the short timeout
        _, thread = hold_write_lock(tmp_path / "runs.db", 0.5)
        start = time.monotonic()
        run = make_run(metrics={"m": 1.0})
        store.create_run(run)
        assert time.monotonic() - start >= 0.4  # it did wait for the lock
        thread.join()
        assert store.get_run(run.id).metrics == {"m": 1.0}
        assert store.count_runs() == 2


def test_lock_never_released_gives_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlops_jupyter.store.sql import database

    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 20)
    monkeypatch.setattr(database, "LOCK_DEADLINE_S", 0.2)
    with sqlite_store(tmp_path) as store:
        _, thread = hold_write_lock(tmp_path / "runs.db", 1.0)
        with pytest.raises(StoreError, match="stayed locked"):
            store.create_run(make_run())
        thread.join()
        assert store.count_runs() == 0


def test_write_transactions_take_the_lock_up_front(tmp_path: Path) -> None:
    from sqlalchemy import event

    statements: list[str] = []
    with sqlite_store(tmp_path) as store:
        engine = store.engine  # type: ignore[attr-defined]

        @event.listens_for(engine, "before_cursor_execute")
        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(" ".join(statement.split()))

        run = make_run(params={"a": 1})
        store.create_run(run)
        writes = list(statements)
        statements.clear()
        store.get_run(run.id)
        reads = list(statements)
    assert writes[0] == "BEGIN IMMEDIATE"
    assert writes[1].startswith("INSERT INTO runs")
    assert reads[0] == "BEGIN" and not any("IMMEDIATE" in s for s in reads)


def test_full_database_is_a_507_and_leaves_it_unchanged(tmp_path: Path) -> None:
    from sqlalchemy import event

    from mlops_jupyter.store import StoreFullError

    with sqlite_store(tmp_path) as store:
        kept = make_run(params={"a": 1})
        store.create_run(kept)
        engine = store.engine  # type: ignore[attr-defined]
        with engine.connect() as conn:
            pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar())
        engine.dispose()

        # SQLite's own size cap: the same SQLITE_FULL as a full disk, on any machine.
        @event.listens_for(engine, "connect")
        def cap(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 2}")

        with pytest.raises(StoreFullError) as info:
            store.create_run(make_run(source="x = 1\n" * 100_000))
        assert info.value.code == 507 and "unchanged" in str(info.value)
        assert str(tmp_path / "runs.db") in str(info.value)
        assert [r.id for r in store.search_runs()] == [kept.id]
        event.remove(engine, "connect", cap)
        engine.dispose()
        store.create_run(make_run())
        assert store.count_runs() == 2


def test_unreachable_sqlite_file_is_a_503(tmp_path: Path) -> None:
    from mlops_jupyter.store import StoreUnavailableError

    (tmp_path / "runs.db").mkdir()  # a directory where the database file should be
    with pytest.raises(StoreUnavailableError) as info:
        sqlite_store(tmp_path)
    assert info.value.code == 503 and str(tmp_path / "runs.db") in str(info.value)


def test_unusable_url_is_a_store_error_without_the_password(tmp_path: Path) -> None:
    url = "postgresql+nodriver://user:s3cret@host/db"
    location = StoreLocation(url, str(tmp_path / "blobs"), "postgresql+nodriver://user:***@host/db")
    with pytest.raises(StoreError) as info:
        open_store(location)
    assert "s3cret" not in str(info.value) and "***" in str(info.value)


def test_upgrade_from_0001_backfills_duration_and_change_token(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from mlops_jupyter.store.sql import alembic_config

    db = tmp_path / "runs.db"
    engine = create_engine("sqlite:///" + db.as_posix())
    try:
        with engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
            conn.exec_driver_sql(
                "INSERT INTO runs (id, experiment, status, started_at, ended_at, source, record)"
                " VALUES ('r1', 'e', 'finished', '2025-01-01T00:00:00.000000+00:00',"
                " '2025-01-01T00:01:30.500000+00:00', '', '{}')"
            )
    finally:
        engine.dispose()
    with sqlite_store(tmp_path) as store:
        assert store.migrated
        assert store.get_run("r1").duration == 90.5
        page = store.list_runs(sort=parse_sort("duration"))
        assert page.runs[0]["duration"] == 90.5 and page.total == 1
        token = store.change_token()
        store.create_run(make_run())
        assert store.change_token() != token
