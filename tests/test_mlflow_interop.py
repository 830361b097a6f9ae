"""MLflow interop with the real MlflowClient on temporary sqlite:/// databases: export (bulk
SQL and client paths, the folder format), read back with mlflow.search_runs, idempotency both
ways, import, models, hostile data, MLflow missing."""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mlops_jupyter.cli import main
from mlops_jupyter.errors import ConflictError
from mlops_jupyter.interop import export_runs, import_runs
from mlops_jupyter.interop.importer import safe_relative
from mlops_jupyter.interop.mlflow_format import RUN_ID_TAG, artifact_path
from mlops_jupyter.models import FileRecord, MetricPoint, NotebookInfo, Run, RunStatus, utcnow
from mlops_jupyter.store import get_store, open_store, resolve_store_location
from mlops_jupyter.store.base import RunStore

mlflow = pytest.importorskip("mlflow")
from mlflow.tracking import MlflowClient  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")


def make_runs(store: RunStore, count: int = 3) -> list[Run]:
    """Finished runs with every kind of value: typed params, a name MLflow refuses, NaN and
    infinity, a cell source, a notebook snapshot and an artifact."""
    runs = []
    snapshot = store.blobs.put_bytes(b'{"cells": [], "metadata": {}, "nbformat": 4}')
    artifact = store.blobs.put_bytes(b"model bytes")
    base = time.time() - 100
    for i in range(count):
        run = Run.new(
            "exp/train.ipynb",
            name=None if i == 0 else f"run {i}",
            params={"lr": 0.1 * i, "epochs": 5, "n": "5", "opt": "adam", "bad key!": [1, 2]},
            tags={"team": "vision"},
            source="%%track\nlr = 0.1\n",
            notebook=NotebookInfo(path="/nb/train.ipynb", snapshot_sha256=snapshot),
            artifacts=[FileRecord("out/model.pkl", artifact, 11)],
            status=RunStatus.FINISHED,
        )
        run.ended_at = utcnow()
        store.create_run(run)
        points = [
            MetricPoint("loss", math.nan if s == 3 else 1.0 / (s + 1) + i, s, base + s * 0.0015)
            for s in range(20)
        ]
        points.append(MetricPoint("acc", math.inf, 0, base))
        store.log_metric_points(run.id, points)
        runs.append(store.get_run(run.id))
    return runs


def fresh_store(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> RunStore:
    monkeypatch.setenv("MLOPS_JUPYTER_STORE", str(tmp_path / name))
    return open_store(resolve_store_location())


def history(uri: str, run_id: str, key: str) -> list[tuple[int, float, int]]:
    client = MlflowClient(tracking_uri=uri)
    return [(m.step, m.value, m.timestamp) for m in client.get_metric_history(run_id, key)]


def test_export_reads_back_identically_second_adds_nothing_import_gives_runs_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = get_store()
    runs = make_runs(store)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    report = export_runs(store, uri)
    assert (report.created, report.updated, report.unchanged, report.failed) == (3, 0, 0, [])
    assert report.method == "sql"
    assert any("bad key!" in note for note in report.notes)
    assert not (tmp_path / "mlruns").exists()  # never MLflow's ./mlruns

    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    # mlflow.search_runs, as a user reads them back: one row per run.
    table = mlflow.search_runs(experiment_names=["exp/train.ipynb"])
    assert len(table) == 3
    for row in table.to_dict("records"):
        run = next(r for r in runs if r.id == row[f"tags.{RUN_ID_TAG}"])
        assert row["params.opt"] == "adam" and row["params.epochs"] == "5"
        assert row["params.lr"] == json.dumps(run.params["lr"])
        assert row["metrics.loss"] == run.metrics["loss"]
        assert row["start_time"].timestamp() == pytest.approx(run.started_at.timestamp(), abs=1e-3)
    client = MlflowClient(tracking_uri=uri)
    frame = client.search_runs([report.experiments["exp/train.ipynb"]])
    by_ours = {r.data.tags[RUN_ID_TAG]: r for r in frame}
    for run in runs:
        exported = by_ours[run.id]
        assert exported.info.run_id == run.id  # the SQL path keeps our ids
        assert exported.data.params == {
            "lr": json.dumps(run.params["lr"]),
            "epochs": "5",
            "n": "5",
            "opt": "adam",
            "bad key_": "[1, 2]",
        }
        assert exported.data.metrics["loss"] == run.metrics["loss"]
        assert exported.data.metrics["acc"] == sys.float_info.max  # MLflow's infinity
        assert exported.info.start_time == round(run.started_at.timestamp() * 1000)
        assert exported.info.end_time == round(run.ended_at.timestamp() * 1000)
        assert exported.info.status == "FINISHED"
        assert exported.data.tags["team"] == "vision"
        series = history(uri, exported.info.run_id, "loss")
        ours = store.metric_series(run.id, "loss")
        assert [s for s, _v, _t in series] == [p.step for p in ours]
        assert [t for _s, _v, t in series] == [round(p.timestamp * 1000) for p in ours]
        for (_s, value, _t), point in zip(series, ours, strict=True):
            assert (math.isnan(value) and math.isnan(point.value)) or value == point.value
        files = {
            f.path for f in MlflowClient(tracking_uri=uri).list_artifacts(run.id, "mlops_jupyter")
        }
        assert files == {
            "mlops_jupyter/run.json",
            "mlops_jupyter/cell.py",
            "mlops_jupyter/notebook.ipynb",
        }
    again = export_runs(store, uri)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert (
        len(MlflowClient(tracking_uri=uri).search_runs([report.experiments["exp/train.ipynb"]]))
        == 3
    )

    other = fresh_store(tmp_path, "other", monkeypatch)
    imported = import_runs(other, uri)
    assert (imported.created, imported.failed) == (3, [])
    for run in runs:
        back = other.get_run(run.id)
        assert back.name == run.name
        assert back.params == run.params
        assert back.tags == run.tags
        assert back.started_at == run.started_at and back.ended_at == run.ended_at
        assert back.status is RunStatus.FINISHED
        assert back.metrics["acc"] == math.inf
        assert back.metrics["loss"] == run.metrics["loss"]
        assert [
            (p.step, round(p.timestamp * 1000)) for p in other.metric_series(run.id, "loss")
        ] == [(p.step, round(p.timestamp * 1000)) for p in store.metric_series(run.id, "loss")]
        # What MLflow cannot hold comes back from the run's own record, blobs included.
        assert back.source == run.source
        assert back.notebook is not None
        assert back.notebook.snapshot_sha256 == run.notebook.snapshot_sha256
        assert other.blobs.get_bytes(back.artifacts[0].sha256) == b"model bytes"
        assert back.extra["mlflow"]["run_id"] == run.id
    assert import_runs(other, uri).unchanged == 3
    assert import_runs(store, uri).to_json()["created"] == 0  # into the original: 0 new runs


def test_client_path_writes_what_the_sql_path_writes(tmp_path: Path) -> None:
    store = get_store()
    make_runs(store, 2)
    sql_uri = f"sqlite:///{tmp_path / 'sql.db'}"
    client_uri = f"sqlite:///{tmp_path / 'client.db'}"
    assert export_runs(store, sql_uri).created == 2
    via_client = export_runs(store, client_uri, method="client")
    assert via_client.created == 2 and via_client.method == "client"

    def read(uri: str) -> dict[str, Any]:
        client = MlflowClient(tracking_uri=uri)
        experiment = client.get_experiment_by_name("exp/train.ipynb").experiment_id
        found = {}
        for run in client.search_runs([experiment]):
            ours = run.data.tags[RUN_ID_TAG]
            found[ours] = (
                run.info.run_name,
                run.info.status,
                run.info.start_time,
                run.info.end_time,
                run.data.params,
                {k: v for k, v in run.data.tags.items() if k != "mlflow.user"},
                {k: repr(v) for k, v in run.data.metrics.items()},
                repr(history(uri, run.info.run_id, "loss")),
            )
        return found

    assert read(sql_uri) == read(client_uri)
    assert export_runs(store, client_uri, method="client").unchanged == 2


def test_a_changed_run_is_updated_and_only_its_new_points_added(tmp_path: Path) -> None:
    store = get_store()
    first, _second = make_runs(store, 2)
    for method in ("sql", "client"):
        uri = f"sqlite:///{tmp_path / method}.db"
        export_runs(store, uri, method=method)
        store.log_metric_points(first.id, [MetricPoint("loss", 0.01, 50, time.time())])
        report = export_runs(store, uri, method=method)
        assert (report.created, report.updated, report.unchanged) == (0, 1, 1), report.to_json()
        mlflow_id = report.run_ids[first.id]
        assert history(uri, mlflow_id, "loss")[-1][:2] == (50, 0.01)
        assert len(history(uri, mlflow_id, "loss")) == len(store.metric_series(first.id, "loss"))
        assert export_runs(store, uri, method=method).unchanged == 2


def test_mlflow_batch_limits_are_respected(tmp_path: Path) -> None:
    store = get_store()
    run = Run.new("big", params={f"p{i}": i for i in range(250)}, status=RunStatus.FINISHED)
    run.ended_at = utcnow()
    store.create_run(run)
    now = time.time()
    store.log_metric_points(
        run.id, [MetricPoint(f"m{k}", float(s), s, now + s) for k in range(3) for s in range(1200)]
    )
    uri = f"sqlite:///{tmp_path / 'big.db'}"
    report = export_runs(store, uri, method="client")
    assert report.created == 1, report.failed
    exported = MlflowClient(tracking_uri=uri).get_run(report.run_ids[run.id])
    assert len(exported.data.params) == 250
    assert len(history(uri, exported.info.run_id, "m2")) == 1200


def test_filter_and_experiment_select_the_runs(tmp_path: Path) -> None:
    store = get_store()
    runs = make_runs(store, 3)
    other = Run.new("elsewhere", status=RunStatus.FINISHED)
    store.create_run(other)
    uri = f"sqlite:///{tmp_path / 'f.db'}"
    report = export_runs(store, uri, where="params.lr >= 0.1")
    assert set(report.run_ids) == {runs[1].id, runs[2].id}
    report = export_runs(store, uri, experiment="elsewhere")
    assert set(report.run_ids) == {other.id}


def test_folder_format_without_mlflow_and_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = get_store()
    runs = make_runs(store, 2)
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow now fails
    target = tmp_path / "export"
    report = export_runs(store, str(target))
    assert report.method == "dir" and report.created == 2
    listing = json.loads((target / "experiments.json").read_text())
    (entry,) = listing["mlflow"]["experiments"]
    experiment = json.loads((target / entry["id"] / "experiment.json").read_text())
    assert sorted(experiment["mlflow"]["runs"]) == sorted(r.id for r in runs)
    run_doc = json.loads((target / entry["id"] / "runs" / runs[1].id / "run.json").read_text())
    assert run_doc["mlflow"]["params"]["opt"] == "adam"
    assert [p["step"] for p in run_doc["mlflow"]["metrics"]["loss"]][:3] == [0, 1, 2]
    assert (target / entry["id"] / "runs" / runs[1].id / "artifacts" / "out" / "model.pkl").exists()
    assert export_runs(store, str(target)).unchanged == 2
    back = import_runs(fresh_store(tmp_path, "from-dir", monkeypatch), str(target))
    assert back.created == 2 and back.failed == []


def test_mlflow_missing_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    get_store()
    monkeypatch.setitem(sys.modules, "mlflow", None)
    status = main(["export", "mlflow", "--to", "sqlite:////tmp/never.db", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert status == 1
    assert "pip install 'mlops-jupyter[mlflow]'" in out["error"]
    assert main(["import", "mlflow", "--from", "http://127.0.0.1:1", "--json"]) == 1
    assert not os.path.exists("/tmp/never.db")


def test_cli_export_import_and_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = get_store()
    make_runs(store, 1)
    uri = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["export", "mlflow", "--to", uri, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == 1
    assert main(["export", "mlflow", "--to", uri]) == 0
    assert "0 created, 0 updated, 1 unchanged" in capsys.readouterr().out
    assert main(["export", "mlflow", "--to", uri, "--filter", "params.lr <", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["status"] == 2
    with pytest.raises(SystemExit) as exc:
        main(["export", "mlflow", "--to", uri, "--experiment", "a", "--filter", "b"])
    assert exc.value.code == 2
    assert main(["import", "mlflow", "--from", str(tmp_path / "missing"), "--json"]) == 2
    capsys.readouterr()


def test_pure_mlflow_runs_import_without_reproduction(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'theirs.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("theirs", artifact_location=str(tmp_path / "art"))
    run = client.create_run(experiment, run_name="baseline", tags={"owner": "me"})
    run_id = run.info.run_id
    from mlflow.entities import Metric, Param

    client.log_batch(
        run_id,
        params=[Param("alpha", "0.5"), Param("solver", "lbfgs")],
        metrics=[Metric("rmse", 1.0 / (s + 1), 1_700_000_000_000 + s, s) for s in range(5)],
    )
    (tmp_path / "model.txt").write_text("weights")
    client.log_artifact(run_id, str(tmp_path / "model.txt"), "model")
    client.set_terminated(run_id, "KILLED")
    running = client.create_run(experiment, run_name="still going").info.run_id

    store = get_store()
    report = import_runs(store, uri, experiment="theirs", copy_artifacts=True)
    assert report.created == 1 and report.failed == []
    assert report.skipped == [
        {"run_id": running, "reason": "still running in MLflow: import it once it ended"}
    ]
    ours = store.get_run(run_id)
    assert ours.experiment == "theirs" and ours.name == "baseline"
    assert ours.params == {"alpha": 0.5, "solver": "lbfgs"}
    assert ours.tags["owner"] == "me" and "mlflow.runName" not in ours.tags
    assert ours.status is RunStatus.INTERRUPTED
    assert [p.step for p in store.metric_series(run_id, "rmse")] == [0, 1, 2, 3, 4]
    assert store.metric_series(run_id, "rmse")[2].timestamp == 1_700_000_000.002
    assert ours.metrics["rmse"] == 0.2
    (artifact,) = ours.artifacts
    assert (
        artifact.path == "model/model.txt" and store.blobs.get_bytes(artifact.sha256) == b"weights"
    )
    assert ours.extra["mlflow"]["artifact_uri"].startswith(str(tmp_path / "art"))
    from mlops_jupyter.reproduce import reproduce

    with pytest.raises(ConflictError, match="imported from MLflow: no notebook was pinned"):
        reproduce(run_id)
    assert "no notebook was pinned" in ours.extra["not_reproducible"]
    assert import_runs(store, uri, experiment="theirs").unchanged == 1
    # Exported back to where it came from, it is recognized, not duplicated.
    back = export_runs(store, uri, experiment="theirs")
    assert back.created == 0 and back.skipped[0]["run_id"] == run_id


def test_hostile_paths_never_leave_their_folder(tmp_path: Path) -> None:
    taken: set[str] = set()
    assert artifact_path("../../etc/passwd", taken) == "_/_/etc/passwd"
    assert artifact_path("/abs/model.pkl", taken) == "model.pkl"
    assert artifact_path("model.pkl", taken) == "model-2.pkl"
    assert artifact_path("mlops_jupyter/run.json", taken) == "files/mlops_jupyter/run.json"
    for bad in ("../x", "/etc/passwd", "a/../../b", "a//b", "C:/x", "a\\..\\b", "x\0y", ""):
        assert safe_relative(bad) is None, bad
    assert safe_relative("a/b.txt") == "a/b.txt"

    # A folder export whose listing names runs outside it, and a run whose artifacts hold a
    # link to a file of this machine.
    root = tmp_path / "hostile"
    (root / "1" / "runs" / "r1" / "artifacts").mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    os.symlink(secret, root / "1" / "runs" / "r1" / "artifacts" / "link.txt")
    (root / "1" / "runs" / "r1" / "artifacts" / "ok.txt").write_text("ok")
    (root / "experiments.json").write_text(
        json.dumps({"mlflow": {"experiments": [{"id": "1"}, {"id": "../.."}]}})
    )
    (root / "1" / "experiment.json").write_text(
        json.dumps({"mlflow": {"experiment": {"name": "h"}, "runs": ["r1", "../../..", "/etc"]}})
    )
    (root / "1" / "runs" / "r1" / "run.json").write_text(
        json.dumps(
            {
                "mlflow": {
                    "info": {"run_id": "r1", "status": "FINISHED", "start_time": 1, "end_time": 2},
                    "params": {},
                    "metrics": {"m": [{"value": "NaN", "timestamp": 1, "step": 0}]},
                    "tags": {},
                }
            }
        )
    )
    store = get_store()
    report = import_runs(store, str(root), copy_artifacts=True)
    assert report.created == 1 and report.failed == []
    (run,) = store.search_runs()
    assert [a.path for a in run.artifacts] == ["ok.txt"]
    assert math.isnan(store.metric_series(run.id, "m")[0].value)


def test_models_export_versions_aliases_and_history(tmp_path: Path) -> None:
    from mlops_jupyter.registry import Registry

    store = get_store()
    first, second = make_runs(store, 2)
    registry = Registry(store, actor="tester")
    registry.register("churn", run=first)
    registry.register("churn", run=second)
    registry.set_alias("churn", "prod", 1, reason="first release")
    registry.set_alias("churn", "prod", 2, reason="better")
    uri = f"sqlite:///{tmp_path / 'models.db'}"
    report = export_runs(store, uri, models=True)
    assert report.models is not None and report.models["failed"] == [], report.models
    (model,) = report.models["exported"]
    assert model["created"] == 2 and model["aliases"] == {"prod": 2}
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    prod = client.get_model_version_by_alias("churn", "prod")
    assert prod.tags["mlops_jupyter.version"] == "2"
    assert prod.run_id == second.id
    files = {f.path for f in client.list_artifacts(second.id, "models/churn/v2")}
    assert "models/churn/v2/history.json" in files
    registered = client.get_registered_model("churn")
    events = json.loads(registered.tags["mlops_jupyter.history"])
    assert [e["reason"] for e in events if e["kind"] == "alias_moved"] == [
        "first release",
        "better",
    ]
    assert "better" in registered.tags["mlops_jupyter.alias.prod"]
    again = export_runs(store, uri, models=True)
    assert again.models is not None and again.models["exported"][0]["created"] == 0
    assert len(client.search_model_versions("name='churn'")) == 2


def test_points_copied_by_sql_are_the_rows_the_generic_path_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both databases SQLite: the points are copied by SQL (mlflow_sqlite), and the rows of
    metrics and latest_metrics are exactly those the generic path builds in Python."""
    from mlops_jupyter.interop.mlflow_sinks import SqlSink
    from mlops_jupyter.interop.mlflow_sqlite import PointCopier

    store = get_store()
    make_runs(store, 2)
    base = 1_700_000_000.0
    nan, inf = math.nan, math.inf
    run = Run.new("exp/train.ipynb", metrics={"final only": 0.5}, status=RunStatus.FINISHED)
    run.ended_at = utcnow()
    store.create_run(run)
    points = [
        # Non-finite values, an exact duplicate, a step logged twice, times rounding to
        # the same millisecond, and halves of a millisecond (Python rounds to even).
        *(MetricPoint("a", v, s, base + s) for s, v in enumerate([1.0, nan, inf, -inf, -0.0])),
        MetricPoint("a", 2.0, 1, base + 1),
        MetricPoint("a", 2.0, 1, base + 1),
        MetricPoint("a", 3.0, 1, base + 1.0001),
        MetricPoint("a", 3.0, 1, base + 1.0002),
        MetricPoint("a", 4.0, 6, base + 0.0625),
        MetricPoint("a", 4.0, 7, base + 0.1875),
        # The latest point is a tie of NaN and 0 at one step and millisecond: the first
        # logged wins, NaN first among equal times.
        MetricPoint("b", 0.0, 9, base + 9.0001),
        MetricPoint("b", nan, 9, base + 9.0002),
        MetricPoint("c", nan, 9, base + 9.0001),
        MetricPoint("c", 0.0, 9, base + 9.0002),
        MetricPoint("d", 0.0, 9, base + 9),
        MetricPoint("d", nan, 9, base + 9),
        MetricPoint("e", inf, 3, base),
        MetricPoint("e", 1.7976931348623157e308, 3, base),
        MetricPoint("bad key!", -inf, 0, base),
    ]
    store.log_metric_points(run.id, points)
    # A run with times beyond 2^53 ms goes the generic way on the fast path too.
    far = Run.new("exp/train.ipynb", status=RunStatus.FINISHED)
    far.ended_at = utcnow()
    store.create_run(far)
    store.log_metric_points(far.id, [MetricPoint("a", 1.0, 0, 1e13), MetricPoint("a", 2.0, 1, 1)])

    copied: list[str] = []
    write = PointCopier.write

    def spy(self: PointCopier, tables: Any, points: Any) -> None:
        copied.extend(run_id for run_id, _ours, _theirs in points)
        write(self, tables, points)

    monkeypatch.setattr(PointCopier, "write", spy)
    fast = tmp_path / "fast.db"
    assert export_runs(store, f"sqlite:///{fast}").created == 4
    assert run.id in copied and far.id not in copied
    monkeypatch.setattr(SqlSink, "copies_points", lambda self, store: False)
    copied.clear()
    generic = tmp_path / "generic.db"
    assert export_runs(store, f"sqlite:///{generic}").created == 4
    assert not copied

    def rows(db: Path, table: str, columns: str) -> list[tuple[Any, ...]]:
        import sqlite3

        with sqlite3.connect(db) as conn:
            typed = ", ".join(f"{c}, typeof({c})" for c in columns.split(", "))
            query = f"SELECT {typed} FROM {table} ORDER BY {columns}"
            return [tuple(map(repr, row)) for row in conn.execute(query)]

    metric = '"key", value, timestamp, step, is_nan, run_uuid'
    for table, columns in [
        ("metrics", metric),
        ("latest_metrics", metric),
        ("params", '"key", value, run_uuid'),
        ("tags", '"key", value, run_uuid'),
        ("runs", "run_uuid, name, status, start_time, end_time, experiment_id"),
    ]:
        assert rows(fast, table, columns) == rows(generic, table, columns), table
    latest = {row[0]: row for row in rows(fast, "latest_metrics", metric) if run.id in row[10]}
    assert latest["'b'"][8] == "0" and latest["'c'"][8] == "1" and latest["'d'"][8] == "1"
    # make_runs: 2 x 21; a: 9 once duplicates go; b, c, d: 2 each; e and "bad key!": 1;
    # the final value without points: 1; the far run: 2.
    assert len(rows(fast, "metrics", metric)) == 42 + 9 + 6 + 2 + 1 + 2
    ours = [row for row in rows(fast, "metrics", metric) if run.id in row[10]]
    halves = [row[4] for row in ours if row[0] == "'a'" and row[6] in ("6", "7")]
    assert sorted(halves) == ["1700000000062", "1700000000188"]  # 62.5 -> 62, 187.5 -> 188
