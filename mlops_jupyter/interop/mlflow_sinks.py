"""Writing runs to MLflow: through its client (any tracking URI) or its SQL schema in bulk.

:class:`ClientSink` speaks to any tracking URI with ``MlflowClient``: one ``create_run``,
``log_batch`` calls within MLflow's batch limits, the artifacts, ``set_terminated``, and the
fingerprint tag last (a run interrupted half-way is completed by the next export).

:class:`SqlSink` is for SQL tracking stores (``sqlite:///…``, ``postgresql://…``): MLflow's
client takes about 150 ms per run of 500 points there (one ORM session per call), so runs
are written in bulk, a few hundred per transaction, into the tables of the MLflow installed
here (its own table definitions, after its client created or checked the schema), exactly
as its ``log_batch`` would write them: NaN as ``is_nan``, infinities as the largest float,
duplicate points once, ``latest_metrics`` by (step, timestamp, value). The run's MLflow id
is our run id. Experiments, updates and models go through the client. When our store is a
SQLite file too, the points are copied by SQL from it instead (:mod:`.mlflow_sqlite`).

MLflow is imported when a sink is opened, never before.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ConflictError, InvalidArgumentError
from .errors import require_mlflow
from .mlflow_format import (
    FINGERPRINT_TAG,
    FLOAT_MAX,
    MAX_TAG_VALUE_LENGTH,
    RUN_ID_TAG,
    MlflowRunData,
    batches,
    shown_uri,
)
from .mlflow_sqlite import PointCopier
from .sink import Existing, ExportReport, stage_artifacts

if TYPE_CHECKING:
    from ..store.base import RunStore

__all__ = ["ClientSink", "SqlSink", "default_artifact_root"]

_IN_CHUNK = 500


def default_artifact_root(uri: str) -> str | None:
    """Where new experiments keep artifacts when ``--artifacts`` is not given.

    Beside a SQLite database file (``/data/mlflow.db`` → ``/data/mlflow-artifacts``); the
    server's own store for ``http(s)://`` (None); otherwise None, and creating an
    experiment is refused: MLflow would fall back to ``./mlruns``.
    """
    if uri.startswith("sqlite:///"):
        path = uri[len("sqlite:///") :].split("?", 1)[0]
        if path and path != ":memory:":
            path = os.path.abspath(path)
            stem = os.path.splitext(path)[0]
            return stem + "-artifacts"
    return None


def _safe_location(location: str | None) -> bool:
    """Whether uploading to an experiment's artifact location cannot write ``./mlruns``:
    it is a URI or an absolute path."""
    if not location:
        return False
    return "://" in location or os.path.isabs(location) or location.startswith("file:")


def _sanitized(value: float) -> tuple[float, bool]:
    """A metric value as MLflow's SQL store keeps it: ``(value, is_nan)``."""
    if math.isnan(value):
        return 0.0, True
    if math.isinf(value):
        return math.copysign(FLOAT_MAX, value), False
    return value, False


def _point_key(value: float, timestamp: int, step: int) -> tuple[float, int, int, bool]:
    stored, is_nan = _sanitized(float(value))
    return stored, int(timestamp), int(step), is_nan


class ClientSink:
    """Runs written with ``MlflowClient`` to any tracking URI.

    Args:
        uri: The tracking URI (also the registry URI).
        artifacts: Where new experiments keep artifacts (see :func:`default_artifact_root`).
    """

    def __init__(self, uri: str, artifacts: str | None = None) -> None:
        require_mlflow("exporting to MLflow")
        from mlflow.tracking import MlflowClient

        self.uri = uri
        self.description = shown_uri(uri)
        self.client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        root = artifacts if artifacts is not None else default_artifact_root(uri)
        if root is not None and "://" not in root:
            root = os.path.abspath(os.path.expanduser(root))
        self.artifact_root = root
        self._locations: dict[str, str | None] = {}
        self._scanned: dict[str, dict[str, Existing]] = {}
        #: Our run id -> MLflow run id of the runs imported from MLflow (where they came from).
        self.origins: dict[str, str] = {}

    # -- experiments ------------------------------------------------------------------

    def experiment(self, name: str) -> str:
        """The MLflow experiment ``name`` (created, with an artifact location, if missing).

        Raises:
            ConflictError: It exists and is deleted.
            InvalidArgumentError: It must be created and no artifact location is known.
        """
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            if found.lifecycle_stage == "deleted":
                raise ConflictError(
                    f"MLflow experiment {name!r} is deleted: restore it (mlflow experiments "
                    "restore) or delete it for good, then export again"
                )
            self._locations[found.experiment_id] = found.artifact_location
            return str(found.experiment_id)
        http = self.uri.startswith(("http://", "https://", "databricks"))
        if self.artifact_root is None and not http:
            raise InvalidArgumentError(
                f"give --artifacts DIR_OR_URI: where MLflow keeps the artifacts of the new "
                f"experiment {name!r} (it would otherwise write ./mlruns)"
            )
        location = None
        if self.artifact_root is not None:
            import hashlib

            slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[-60:]
            digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
            location = (
                self.artifact_root.rstrip("/") + f"/{slug.strip('_') or 'experiment'}-{digest}"
            )
        experiment_id = self.client.create_experiment(
            name, artifact_location=location, tags={"mlops_jupyter.experiment": name[:5000]}
        )
        self._locations[str(experiment_id)] = self.client.get_experiment(
            experiment_id
        ).artifact_location
        return str(experiment_id)

    def _location(self, experiment_id: str) -> str | None:
        if experiment_id not in self._locations:
            self._locations[experiment_id] = self.client.get_experiment(
                experiment_id
            ).artifact_location
        return self._locations[experiment_id]

    # -- finding what was exported ------------------------------------------------------

    def existing(self, experiment_id: str, run_ids: list[str]) -> dict[str, Existing]:
        """Runs of the experiment carrying our run id tag (one scan per experiment)."""
        if experiment_id not in self._scanned:
            from mlflow.entities import ViewType

            found: dict[str, Existing] = {}
            token: str | None = None
            while True:
                page = self.client.search_runs(
                    [experiment_id],
                    run_view_type=ViewType.ALL,
                    max_results=10_000,
                    page_token=token,
                )
                for run in page:
                    ours = run.data.tags.get(RUN_ID_TAG)
                    if ours:
                        found[ours] = Existing(
                            run.info.run_id,
                            run.data.tags.get(FINGERPRINT_TAG, ""),
                            run.info.lifecycle_stage == "deleted",
                        )
                token = page.token
                if not token:
                    break
            self._scanned[experiment_id] = found
        scanned = self._scanned[experiment_id]
        result = {run_id: scanned[run_id] for run_id in run_ids if run_id in scanned}
        for run_id in run_ids:
            if run_id not in result:
                origin = self._origin(run_id)
                if origin is not None:
                    result[run_id] = origin
        return result

    def _origin(self, run_id: str) -> Existing | None:
        """The MLflow run with our run's id, when it was imported from this very server."""
        if run_id not in self.origins:
            return None
        from mlflow.exceptions import MlflowException

        try:
            run = self.client.get_run(self.origins[run_id])
        except MlflowException:
            return None
        return Existing(run.info.run_id, None, run.info.lifecycle_stage == "deleted")

    # -- writing ------------------------------------------------------------------------

    def create(self, experiment_id: str, runs: list[MlflowRunData], store: RunStore) -> list[str]:
        """Create each run: run, batches, artifacts, status, then the fingerprint."""
        ids = []
        for data in runs:
            run = self.client.create_run(
                experiment_id,
                start_time=data.start_time,
                tags={RUN_ID_TAG: data.run_id},
                run_name=data.name,
            )
            mlflow_id = run.info.run_id
            self._log(mlflow_id, data.params.items(), data.tags.items(), _all_points(data))
            self._upload(mlflow_id, data, store, self._location(experiment_id))
            self._finish(mlflow_id, data)
            self.client.set_tag(mlflow_id, FINGERPRINT_TAG, data.fingerprint)
            ids.append(mlflow_id)
        return ids

    def _log(
        self,
        mlflow_id: str,
        params: Iterable[tuple[str, str]],
        tags: Iterable[tuple[str, str]],
        points: Sequence[tuple[str, float, int, int]],
    ) -> None:
        from mlflow.entities import Metric, Param, RunTag

        shell = MlflowRunData("", "", "", "", 0, None, params=dict(params))
        shell.tags = {k: v for k, v in tags if k != FINGERPRINT_TAG}
        calls = batches(shell)
        calls += [
            {"params": [], "tags": [], "metrics": list(points[i : i + 1000])}
            for i in range(0, len(points), 1000)
        ]
        for call in calls:
            self.client.log_batch(
                mlflow_id,
                metrics=[Metric(k, v, ts, step) for k, v, ts, step in call["metrics"]],
                params=[Param(k, v) for k, v in call["params"]],
                tags=[RunTag(k, v) for k, v in call["tags"]],
                synchronous=True,
            )

    def _upload(
        self, mlflow_id: str, data: MlflowRunData, store: RunStore, location: str | None
    ) -> None:
        if not data.artifacts:
            return
        if location is not None and not _safe_location(location):
            raise ConflictError(
                f"the experiment's artifact location {location!r} is a relative path: uploading "
                "there would write into the current folder; give the experiment an absolute "
                "artifact location"
            )
        with tempfile.TemporaryDirectory(prefix="mlops-mlflow-") as folder:
            stage_artifacts(data.artifacts, store, folder)
            self.client.log_artifacts(mlflow_id, folder)

    def _finish(self, mlflow_id: str, data: MlflowRunData) -> None:
        if data.status == "RUNNING":
            self.client.update_run(mlflow_id, status="RUNNING")
        else:
            self.client.set_terminated(mlflow_id, data.status, end_time=data.end_time)

    def update(
        self, existing: Existing, data: MlflowRunData, store: RunStore, report: ExportReport
    ) -> None:
        """Add what changed since the last export; MLflow's parameters are immutable: a
        changed value is kept as exported, with a note."""
        mlflow_id = existing.mlflow_id
        current = self.client.get_run(mlflow_id)
        params = []
        for key, value in data.params.items():
            old = current.data.params.get(key)
            if old is None:
                params.append((key, value))
            elif old != value:
                report.note(
                    f"run {data.run_id[:12]}: parameter {key} is {value!r} now but MLflow keeps "
                    f"parameters immutable: it stays {old!r} there"
                )
        tags = [
            (k, v)
            for k, v in data.tags.items()
            if k != FINGERPRINT_TAG and current.data.tags.get(k) != v
        ]
        points: list[tuple[str, float, int, int]] = []
        for key, series in data.metrics.items():
            have = {
                _point_key(m.value, m.timestamp, m.step)
                for m in self.client.get_metric_history(mlflow_id, key)
            }
            points.extend(
                (key, value, ts, step)
                for value, ts, step in series
                if _point_key(value, ts, step) not in have
            )
        self._log(mlflow_id, params, tags, points)
        if current.info.run_name != data.name:
            self.client.update_run(mlflow_id, name=data.name)
        experiment_location = self._location(str(current.info.experiment_id))
        self._upload(mlflow_id, data, store, experiment_location)
        self._finish(mlflow_id, data)
        self.client.set_tag(mlflow_id, FINGERPRINT_TAG, data.fingerprint)

    def close(self) -> None:
        """Nothing to release."""

    # -- models ---------------------------------------------------------------------------

    def export_models(
        self, store: RunStore, selected: set[str], known: dict[str, str]
    ) -> dict[str, Any]:
        """Export the registered models whose versions the selected runs produced."""
        from .models_export import export_models

        return export_models(self.client, store, selected, known)


def _all_points(data: MlflowRunData) -> list[tuple[str, float, int, int]]:
    return [(k, v, ts, step) for k, series in data.metrics.items() for v, ts, step in series]


class SqlSink(ClientSink):
    """Runs written in bulk into an MLflow SQL tracking store (see the module).

    Args:
        uri: ``sqlite:///…``, ``postgresql://…``, ``mysql://…`` (MLflow's drivers).
        artifacts: Where new experiments keep artifacts.
    """

    def __init__(self, uri: str, artifacts: str | None = None) -> None:
        super().__init__(uri, artifacts)
        import sqlalchemy

        # Creates MLflow's tables, or checks that they are at the installed MLflow's
        # revision (it refuses an out-of-date database and says to run `mlflow db upgrade`).
        self.client.search_experiments(max_results=1)
        from mlflow.store.tracking.dbmodels import models as db

        self._runs = db.SqlRun.__table__
        self._tags = db.SqlTag.__table__
        self._params = db.SqlParam.__table__
        self._metrics = db.SqlMetric.__table__
        self._latest = db.SqlLatestMetric.__table__
        options: dict[str, Any] = {}
        if uri.startswith("sqlite"):
            options["connect_args"] = {"timeout": 60}
        self.engine = sqlalchemy.create_engine(uri, **options)
        if uri.startswith("sqlite"):
            # Inserting into MLflow's three metric indexes at random run ids: a page cache
            # of 256 MB (this connection's only) instead of 2 MB keeps it from reading back.
            sqlalchemy.event.listen(self.engine, "connect", _sqlite_cache)
        self._copier: PointCopier | None = None
        self._copier_store: RunStore | None = None

    def copies_points(self, store: RunStore) -> bool:
        """Whether the points of ``store`` can be copied by SQL (both databases are SQLite
        files): :meth:`create` then writes the ``copied`` metrics of a run straight from it."""
        if self._copier_store is not store:
            if self._copier is not None:
                self._copier.close()
            self._copier = PointCopier.open(
                self.engine.url, store, self._metrics.name, self._latest.name
            )
            self._copier_store = store
        return self._copier is not None

    def existing(self, experiment_id: str, run_ids: list[str]) -> dict[str, Existing]:
        """Runs carrying one of these ids in our tag, or as their own id, in any experiment."""
        from sqlalchemy import and_, select

        runs, tags = self._runs, self._tags
        found: dict[str, Existing] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(run_ids), _IN_CHUNK):
                chunk = run_ids[start : start + _IN_CHUNK]
                tagged = conn.execute(
                    select(tags.c.value, tags.c.run_uuid, runs.c.lifecycle_stage)
                    .join(runs, runs.c.run_uuid == tags.c.run_uuid)
                    .where(and_(tags.c.key == RUN_ID_TAG, tags.c.value.in_(chunk)))
                ).all()
                owned = {str(row[1]): (str(row[0]), row[2] == "deleted") for row in tagged}
                plain = conn.execute(
                    select(runs.c.run_uuid, runs.c.lifecycle_stage).where(
                        runs.c.run_uuid.in_(chunk)
                    )
                ).all()
                prints: dict[str, str] = {
                    str(row[0]): str(row[1])
                    for row in conn.execute(
                        select(tags.c.run_uuid, tags.c.value).where(
                            and_(tags.c.key == FINGERPRINT_TAG, tags.c.run_uuid.in_(list(owned)))
                        )
                    ).all()
                }
                for mlflow_id, (ours, deleted) in owned.items():
                    found[ours] = Existing(mlflow_id, str(prints.get(mlflow_id) or ""), deleted)
                for row in plain:
                    if str(row[0]) not in found:
                        # A run with our id that we did not export: where the run came from.
                        found[str(row[0])] = Existing(str(row[0]), None, row[1] == "deleted")
        return found

    def create(self, experiment_id: str, runs: list[MlflowRunData], store: RunStore) -> list[str]:
        """Upload the runs' artifacts, then write the runs in one transaction."""
        location = self._location(experiment_id)
        rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _COLUMNS}
        for data in runs:
            artifact_uri = _join_uri(location, data.run_id)
            if data.artifacts:
                if not _safe_location(location):
                    raise ConflictError(
                        f"the experiment's artifact location {location!r} is a relative "
                        "path: uploading there would write into the current folder"
                    )
                self._upload_to(artifact_uri, data, store)
            _rows_of(data, int(experiment_id), artifact_uri, rows)
        tables = {
            "runs": self._runs,
            "tags": self._tags,
            "params": self._params,
            "metrics": self._metrics,
            "latest_metrics": self._latest,
        }
        copied = [
            (data.run_id, ours, theirs) for data in runs for theirs, ours in data.copied.items()
        ]
        if copied:
            if self._copier is None:
                raise InvalidArgumentError("copied metric points need copies_points(store)")
            self._copier.write(
                [(table.name, _COLUMNS[name], rows[name]) for name, table in tables.items()],
                copied,
            )
            return [data.run_id for data in runs]
        with self.engine.begin() as conn:
            for name, table in tables.items():
                _insert(conn, table, _COLUMNS[name], rows[name])
        return [data.run_id for data in runs]

    def _upload_to(self, artifact_uri: str, data: MlflowRunData, store: RunStore) -> None:
        from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

        repository: Any = get_artifact_repository(artifact_uri)
        with tempfile.TemporaryDirectory(prefix="mlops-mlflow-") as folder:
            stage_artifacts(data.artifacts, store, folder)
            repository.log_artifacts(folder)

    def close(self) -> None:
        """Dispose of the connection pool (and the copier's connection)."""
        if self._copier is not None:
            self._copier.close()
            self._copier = None
        self.engine.dispose()


def _sqlite_cache(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA cache_size = -262144")
    cursor.close()


def _join_uri(location: str | None, run_id: str) -> str:
    base = (location or "").rstrip("/")
    return f"{base}/{run_id}/artifacts"


#: The columns written, in the order of the rows built by :func:`_rows_of`.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "runs": (
        "run_uuid",
        "name",
        "source_type",
        "source_name",
        "entry_point_name",
        "user_id",
        "status",
        "start_time",
        "end_time",
        "deleted_time",
        "source_version",
        "lifecycle_stage",
        "artifact_uri",
        "experiment_id",
    ),
    "tags": ("key", "value", "run_uuid"),
    "params": ("key", "value", "run_uuid"),
    "metrics": ("key", "value", "timestamp", "step", "is_nan", "run_uuid"),
    "latest_metrics": ("key", "value", "timestamp", "step", "is_nan", "run_uuid"),
}


def _insert(conn: Any, table: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """``executemany`` of plain tuples straight to the driver: SQLAlchemy's per-row
    parameter processing would cost more than SQLite's own insertion."""
    if not rows:
        return
    style = conn.dialect.paramstyle
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(style)
    if mark is None:
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join([mark] * len(columns))
    target = conn.dialect.identifier_preparer.format_table(table)
    # Table and column names come from MLflow's own table definitions, quoted; values are bound.
    statement = f"INSERT INTO {target} ({names}) VALUES ({marks})"  # noqa: S608
    conn.exec_driver_sql(statement, rows)


def _rows_of(
    data: MlflowRunData,
    experiment_id: int,
    artifact_uri: str,
    rows: dict[str, list[tuple[Any, ...]]],
) -> None:
    run_id = data.run_id
    rows["runs"].append(
        (
            run_id,
            data.name,
            "NOTEBOOK",
            data.tags.get("mlflow.source.name", "")[:500],
            "",
            "unknown",  # what MLflow's client records without an mlflow.user tag
            data.status,
            data.start_time,
            data.end_time,
            None,
            data.tags.get("mlflow.source.git.commit", "")[:50],
            "active",
            artifact_uri,
            experiment_id,
        )
    )
    tags = dict(data.tags)
    tags["mlflow.runName"] = data.name
    rows["tags"].extend((k, v[:MAX_TAG_VALUE_LENGTH], run_id) for k, v in tags.items())
    rows["params"].extend((k, v, run_id) for k, v in data.params.items())
    metrics, latest_rows = rows["metrics"], rows["latest_metrics"]
    isnan, isinf = math.isnan, math.isinf
    for key, series in data.metrics.items():
        seen: set[tuple[float, int, int, bool]] = set()
        latest: tuple[int, int, float, bool] | None = None
        for value, timestamp, step in series:
            is_nan = isnan(value)
            if is_nan:
                stored = 0.0
            elif isinf(value):
                stored = FLOAT_MAX if value > 0 else -FLOAT_MAX
            else:
                stored = value
            point = (stored, timestamp, step, is_nan)
            if point in seen:
                continue  # MLflow's log_batch keeps one of identical points
            seen.add(point)
            metrics.append((key, stored, timestamp, step, is_nan, run_id))
            if latest is None or (step, timestamp, stored) > latest[:3]:
                latest = (step, timestamp, stored, is_nan)
        if latest is not None:
            latest_rows.append((key, latest[2], latest[1], latest[0], latest[3], run_id))
