"""Importing MLflow runs into our store, idempotently.

:func:`import_runs` reads runs from an MLflow tracking URI (through ``MlflowClient``) or from
an mlflow-export-import folder (no MLflow needed) and records each as our run: parameters
(JSON values read back), every metric's series with steps and timestamps, tags, start and
end times, status. A run we exported comes back whole: its id, name, exact times, and the
record of what MLflow cannot hold (cell source, notebook snapshot, environment, git state,
inputs, artifacts), read from its ``mlops_jupyter/`` artifacts, so it can be reproduced as
before. Any other run keeps its MLflow id, references its artifacts by URI (or copies them
with ``copy_artifacts``), and cannot be reproduced: it pinned no notebook (the reason is on
the run).

Importing again creates nothing: a run already in the store is left alone when nothing
changed, and gets the new points, tags and status otherwise. Runs still running in MLflow
are skipped until they end. Artifact paths given by the source are checked: none may leave
its folder.

Plain Python; MLflow is imported only for a tracking URI.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError, NotFoundError
from ..models import FileRecord, MetricPoint, Run, RunStatus
from .mlflow_format import (
    NOTEBOOK_ARTIFACT,
    RECORD_ARTIFACT,
    RUN_ID_TAG,
    SOURCE_ARTIFACT,
    artifact_path,
    from_mlflow,
    shown_uri,
)

if TYPE_CHECKING:
    from ..store.base import RunStore

__all__ = ["NOT_REPRODUCIBLE", "ImportReport", "import_runs", "safe_relative"]

#: Why an imported MLflow run cannot be reproduced (kept on the run).
NOT_REPRODUCIBLE = "imported from MLflow: no notebook was pinned, so there is nothing to re-execute"
#: Largest single artifact copied with ``copy_artifacts``.
MAX_COPIED_ARTIFACT = 2 << 30

ImportProgress = Callable[[int], None]


@dataclass
class ImportReport:
    """What an import did.

    Attributes:
        source: Where it read (credentials masked).
        created: Runs recorded for the first time.
        updated: Runs already in the store that changed in MLflow.
        unchanged: Runs already in the store, unchanged.
        skipped: ``{"run_id", "reason"}`` (MLflow ids) of runs not imported.
        failed: ``{"run_id", "error"}`` of runs that could not be imported.
        run_ids: MLflow run id -> our run id, for the runs created or updated.
        experiments: The experiments read.
        seconds: Wall time.
    """

    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    run_ids: dict[str, str] = field(default_factory=dict)
    experiments: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether no run failed."""
        return not self.failed

    def to_json(self) -> dict[str, Any]:
        """The report as JSON."""
        return {
            "source": self.source,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": list(self.skipped),
            "failed": list(self.failed),
            "run_ids": dict(self.run_ids),
            "experiments": list(self.experiments),
            "seconds": round(self.seconds, 3),
        }


_BAD_SEGMENT = re.compile(r"^(?:\.\.?|)$")


def safe_relative(path: str) -> str | None:
    """``path`` as a safe relative POSIX path, or None when it is absolute, climbs (``..``),
    has empty segments or NUL characters: a hostile source's artifact path never leaves
    its folder."""
    if not path or "\0" in path or "\\" in path or path.startswith("/"):
        return None
    if re.match(r"^[A-Za-z]:", path):
        return None
    parts = path.split("/")
    if any(_BAD_SEGMENT.match(part) for part in parts):
        return None
    return "/".join(parts)


class _Artifacts:
    """A run's artifacts at the source: list and fetch files into a local folder."""

    def files(self) -> list[tuple[str, int | None]]:  # pragma: no cover - interface
        """Every file: (relative path, size)."""
        raise NotImplementedError

    def fetch(self, path: str, folder: str) -> str | None:  # pragma: no cover - interface
        """Copy one file into ``folder``; return its local path (None if absent)."""
        raise NotImplementedError


class _FolderArtifacts(_Artifacts):
    def __init__(self, root: str) -> None:
        self.root = os.path.realpath(root)

    def files(self) -> list[tuple[str, int | None]]:
        found: list[tuple[str, int | None]] = []
        if not os.path.isdir(self.root):
            return found
        for folder, dirs, names in os.walk(self.root):  # never follows symbolic links
            dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(folder, d)))
            for name in sorted(names):
                full = os.path.join(folder, name)
                if os.path.islink(full) or not os.path.isfile(full):
                    continue  # a link could point anywhere on this machine
                relative = os.path.relpath(full, self.root).replace(os.sep, "/")
                found.append((relative, os.path.getsize(full)))
        return found

    def fetch(self, path: str, folder: str) -> str | None:
        relative = safe_relative(path)
        if relative is None:
            return None
        full = os.path.join(self.root, *relative.split("/"))
        real = os.path.realpath(full)
        if not real.startswith(self.root + os.sep) or os.path.islink(full):
            return None
        return real if os.path.isfile(real) else None


class _ClientArtifacts(_Artifacts):
    def __init__(self, client: Any, uri: str, run_id: str) -> None:
        self.client, self.uri, self.run_id = client, uri, run_id

    def files(self) -> list[tuple[str, int | None]]:
        found: list[tuple[str, int | None]] = []
        pending: list[str | None] = [None]
        while pending and len(found) < 100_000:
            folder = pending.pop()
            for info in self.client.list_artifacts(self.run_id, folder):
                if safe_relative(info.path) is None:
                    continue
                if info.is_dir:
                    pending.append(info.path)
                else:
                    found.append((info.path, info.file_size))
        return sorted(found, key=lambda item: item[0])

    def fetch(self, path: str, folder: str) -> str | None:
        relative = safe_relative(path)
        if relative is None:
            return None
        from mlflow.artifacts import download_artifacts
        from mlflow.exceptions import MlflowException

        destination = os.path.realpath(tempfile.mkdtemp(dir=folder))
        try:
            local = download_artifacts(
                run_id=self.run_id,
                artifact_path=relative,
                dst_path=destination,
                tracking_uri=self.uri,
            )
        except (MlflowException, OSError):
            return None
        real = os.path.realpath(local)
        if not real.startswith(destination + os.sep) or not os.path.isfile(real):
            return None
        return real


@dataclass
class _Source:
    """One MLflow run read from the source."""

    experiment: str
    record: dict[str, Any]
    artifacts: _Artifacts


def _points(history: Any) -> list[tuple[float, int, int]]:
    return [(float(m.value), int(m.timestamp), int(m.step)) for m in history]


def _from_client(uri: str, experiment: str | None) -> Iterator[_Source]:
    from .errors import require_mlflow

    require_mlflow("importing from MLflow")
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    if experiment is not None:
        found = client.get_experiment_by_name(experiment)
        if found is None or found.lifecycle_stage == "deleted":
            raise NotFoundError(f"no MLflow experiment named {experiment!r} at {shown_uri(uri)}")
        experiments = [found]
    else:
        experiments = list(client.search_experiments())
    for exp in experiments:
        token: str | None = None
        while True:
            page = client.search_runs([exp.experiment_id], max_results=1000, page_token=token)
            for run in page:
                record = {
                    "run_id": run.info.run_id,
                    "run_name": run.info.run_name,
                    "status": run.info.status,
                    "start_time": run.info.start_time,
                    "end_time": run.info.end_time,
                    "artifact_uri": run.info.artifact_uri,
                    "params": dict(run.data.params),
                    "tags": dict(run.data.tags),
                    "metrics": {
                        key: _points(client.get_metric_history(run.info.run_id, key))
                        for key in run.data.metrics
                    },
                }
                yield _Source(exp.name, record, _ClientArtifacts(client, uri, run.info.run_id))
            token = page.token
            if not token:
                break


def _from_folder(root: str, experiment: str | None) -> Iterator[_Source]:
    from .export_dir import read_json

    root = os.path.realpath(root)
    listing = read_json(os.path.join(root, "experiments.json"))
    if isinstance(listing, dict):
        entries = ((listing.get("mlflow") or {}).get("experiments")) or []
        folders = [str(e.get("id")) for e in entries if isinstance(e, dict)]
    elif os.path.isfile(os.path.join(root, "experiment.json")):
        folders = ["."]
    else:
        raise InvalidArgumentError(
            f"{root} holds neither experiments.json nor experiment.json: not an "
            "mlflow-export-import folder"
        )
    for name in folders:
        if safe_relative(name) is None and name != ".":
            continue
        folder = os.path.realpath(os.path.join(root, name))
        if folder != root and not folder.startswith(root + os.sep):
            continue
        document = read_json(os.path.join(folder, "experiment.json"))
        if not isinstance(document, dict):
            continue
        mlflow = document.get("mlflow") or {}
        exp_name = str((mlflow.get("experiment") or {}).get("name") or name)
        if experiment is not None and exp_name != experiment:
            continue
        for run_id in mlflow.get("runs") or []:
            if not isinstance(run_id, str) or safe_relative(run_id) is None or "/" in run_id:
                continue
            run_folder = os.path.join(folder, "runs", run_id)
            run_doc = read_json(os.path.join(run_folder, "run.json"))
            if not isinstance(run_doc, dict):
                continue
            data = run_doc.get("mlflow") or {}
            info = data.get("info") or {}
            record = {
                "run_id": str(info.get("run_id") or run_id),
                "run_name": info.get("run_name"),
                "status": info.get("status"),
                "start_time": info.get("start_time"),
                "end_time": info.get("end_time"),
                "artifact_uri": os.path.join(run_folder, "artifacts"),
                "params": {str(k): str(v) for k, v in (data.get("params") or {}).items()},
                "tags": {str(k): str(v) for k, v in (data.get("tags") or {}).items()},
                "metrics": {
                    str(key): [
                        (float(p["value"]), int(p["timestamp"]), int(p.get("step") or 0))
                        for p in points
                        if isinstance(p, dict)
                    ]
                    for key, points in (data.get("metrics") or {}).items()
                    if isinstance(points, list)
                },
            }
            yield _Source(exp_name, record, _FolderArtifacts(os.path.join(run_folder, "artifacts")))


def import_runs(
    store: RunStore,
    source: str,
    *,
    experiment: str | None = None,
    copy_artifacts: bool = False,
    progress: ImportProgress | None = None,
) -> ImportReport:
    """Import MLflow runs (see the module).

    Args:
        store: Our store.
        source: An MLflow tracking URI, or an mlflow-export-import folder.
        experiment: Only this MLflow experiment.
        copy_artifacts: Copy other runs' artifacts into our blob store (default: the
            artifact URI is referenced on the run).
        progress: Called with the number of runs read so far, every 100 runs.

    Raises:
        InvalidArgumentError: A folder that is not of the format.
        NotFoundError: No such experiment.
        MlflowMissingError: A tracking URI and no MLflow installed.
    """
    started = time.monotonic()
    if os.path.isdir(os.path.expanduser(source)):
        runs = _from_folder(os.path.expanduser(source), experiment)
        report = ImportReport(source=os.path.realpath(os.path.expanduser(source)))
    elif "://" in source or source.startswith(("databricks", "file:")):
        runs = _from_client(source, experiment)
        report = ImportReport(source=shown_uri(source))
    else:
        raise InvalidArgumentError(
            f"{source!r} is neither an MLflow tracking URI (sqlite:///…, http://…) nor a folder"
        )
    count = 0
    with tempfile.TemporaryDirectory(prefix="mlops-mlflow-import-") as scratch:
        for item in runs:
            if item.experiment not in report.experiments:
                report.experiments.append(item.experiment)
            mlflow_id = str(item.record["run_id"])
            try:
                _import_one(store, item, report, copy_artifacts, scratch)
            except Exception as exc:  # one bad run must not stop the others
                report.failed.append(
                    {"run_id": mlflow_id, "error": f"{type(exc).__name__}: {exc}"[:500]}
                )
            count += 1
            if progress is not None and count % 100 == 0:
                progress(count)
    report.seconds = time.monotonic() - started
    return report


def _import_one(
    store: RunStore, item: _Source, report: ImportReport, copy_artifacts: bool, scratch: str
) -> None:
    from ..store.errors import RunNotFoundError

    mlflow_id = str(item.record["run_id"])
    run, series = from_mlflow(item.record, item.experiment)
    try:
        existing: Run | None = store.get_run(run.id)
    except RunNotFoundError:
        existing = None
    if existing is None and run.status is RunStatus.RUNNING:
        report.skipped.append(
            {"run_id": mlflow_id, "reason": "still running in MLflow: import it once it ended"}
        )
        return
    if existing is not None:
        if _same(store, existing, run, series):
            report.unchanged += 1
            return
        _update(store, existing, run, series)
        report.updated += 1
        report.run_ids[mlflow_id] = run.id
        return
    ours = RUN_ID_TAG in (item.record.get("tags") or {})
    restored = _restore(store, item, run, scratch) if ours else None
    if restored is None:
        run.extra["pin"] = None
        run.extra["not_reproducible"] = NOT_REPRODUCIBLE
        if copy_artifacts:
            run.artifacts = _copy_all(store, item.artifacts, scratch)
        run.metrics = {}
        store.create_run(run)
    else:
        restored.metrics = {}
        store.create_run(restored)
    points = [p for key in sorted(series) for p in series[key]]
    if points:
        store.log_metric_points(run.id, points)
    report.created += 1
    report.run_ids[mlflow_id] = run.id


def _restore(store: RunStore, item: _Source, run: Run, scratch: str) -> Run | None:
    """The run as we exported it, from its ``mlops_jupyter/run.json``, with its notebook
    snapshot and artifacts put back in the blob store; None when the record is missing or
    is not this run's."""
    local = item.artifacts.fetch(RECORD_ARTIFACT, scratch)
    if local is None:
        return None
    try:
        with open(local, encoding="utf-8") as handle:
            record = Run.from_json(json.load(handle))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if record.id != run.id:
        return None
    # MLflow's side wins for what it holds (a tag added there is kept); the record for the rest.
    record.name, record.status = run.name, run.status
    record.started_at, record.ended_at = run.started_at, run.ended_at
    record.params, record.tags = run.params, run.tags
    record.extra["mlflow"] = run.extra["mlflow"]
    notebook = record.notebook
    if notebook is not None and notebook.snapshot_sha256:
        path = item.artifacts.fetch(NOTEBOOK_ARTIFACT, scratch)
        if path is None or _put(store, path) != notebook.snapshot_sha256:
            notebook.snapshot_sha256 = None  # not the snapshot recorded: not trusted
    taken = {RECORD_ARTIFACT, NOTEBOOK_ARTIFACT, SOURCE_ARTIFACT}
    kept: list[FileRecord] = []
    for artifact in record.artifacts:
        if artifact.kind != "file" or not artifact.sha256:
            continue
        path = item.artifacts.fetch(artifact_path(artifact.path, taken), scratch)
        if path is not None and _put(store, path) == artifact.sha256:
            kept.append(artifact)
    record.artifacts = kept
    return record


def _put(store: RunStore, path: str) -> str:
    return store.blobs.put_file(path).sha256


def _copy_all(store: RunStore, artifacts: _Artifacts, scratch: str) -> list[FileRecord]:
    copied = []
    for path, size in artifacts.files():
        if size is not None and size > MAX_COPIED_ARTIFACT:
            continue
        local = artifacts.fetch(path, scratch)
        if local is None:
            continue
        record = store.blobs.put_file(local)
        copied.append(FileRecord(path=path, sha256=record.sha256, size=record.size))
    return copied


def _point_set(points: list[MetricPoint]) -> set[tuple[int, int, str]]:
    return {(p.step, round(p.timestamp * 1000), _norm(p.value)) for p in points}


def _norm(value: float) -> str:
    return "nan" if math.isnan(value) else repr(float(value))


def _same(store: RunStore, existing: Run, run: Run, series: dict[str, list[MetricPoint]]) -> bool:
    def ms(value: Any) -> int | None:
        return None if value is None else round(value.timestamp() * 1000)

    if (
        existing.name != run.name
        or existing.status is not run.status
        or ms(existing.started_at) != ms(run.started_at)
        or ms(existing.ended_at) != ms(run.ended_at)
        or _digest(existing.params) != _digest(run.params)
        or existing.tags != run.tags
        or set(existing.metrics) != set(series)
    ):
        return False
    return all(
        _point_set(store.metric_series(existing.id, key)) == _point_set(points)
        for key, points in series.items()
    )


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _update(store: RunStore, existing: Run, run: Run, series: dict[str, list[MetricPoint]]) -> None:
    """Bring the stored run up to MLflow's: its name, status, end, params and tags, and the
    points it lacks."""
    existing.name, existing.status = run.name, run.status
    existing.ended_at = run.ended_at
    existing.params.update(run.params)
    existing.tags.update(run.tags)
    existing.extra.setdefault("mlflow", run.extra["mlflow"])
    store.update_run(existing)
    new: list[MetricPoint] = []
    for key, points in series.items():
        have = (
            _point_set(store.metric_series(existing.id, key)) if key in existing.metrics else set()
        )
        new.extend(
            p for p in points if (p.step, round(p.timestamp * 1000), _norm(p.value)) not in have
        )
    if new:
        store.log_metric_points(existing.id, new)
