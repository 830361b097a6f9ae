"""Our runs in MLflow's terms and back: names, values, times, statuses and tags.

Pure functions, shared by every way of writing to MLflow (its client, its SQL schema, the
mlflow-export-import folder format) and by the import. MLflow is not imported here.

What MLflow cannot hold is kept in tags of our own (``mlops_jupyter.*``) so that a run exported
and imported again comes back the same: our run id (which also makes exports idempotent),
our status (MLflow has no "interrupted" nor "crashed"), start and end times to the
microsecond (MLflow keeps milliseconds), the names of string parameters that would read as
numbers, and the original of every name MLflow would refuse (renamed, with the mapping).
"""

from __future__ import annotations

import hashlib
import json
import math
import posixpath
import re
import sys
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..models import MetricPoint, Run, RunStatus, format_datetime, parse_datetime

__all__ = [
    "ENTITIES_PER_BATCH",
    "FINGERPRINT_TAG",
    "METRICS_PER_BATCH",
    "PARAMS_TAGS_PER_BATCH",
    "RUN_ID_TAG",
    "ArtifactFile",
    "MlflowPoint",
    "MlflowRunData",
    "artifact_path",
    "batches",
    "fingerprint",
    "from_mlflow",
    "mlflow_value",
    "our_run_id",
    "series_summary",
    "to_mlflow",
]

#: Our run id: how a later export finds the run it exported, and an import finds ours.
RUN_ID_TAG = "mlops_jupyter.run_id"
#: sha256 of everything exported for the run: unchanged means nothing to update.
FINGERPRINT_TAG = "mlops_jupyter.export_sha256"
STATUS_TAG = "mlops_jupyter.status"
STARTED_TAG = "mlops_jupyter.started_at"
ENDED_TAG = "mlops_jupyter.ended_at"
#: The run's name when it has one (MLflow names every run).
NAME_TAG = "mlops_jupyter.name"
#: JSON list of parameters whose value is a string that would read as JSON ("5", "true").
STRING_PARAMS_TAG = "mlops_jupyter.string_params"
#: JSON ``{"params"|"metrics"|"tags": {mlflow name: our name}}`` of renamed names.
KEYS_TAG = "mlops_jupyter.keys"
#: JSON list of parameters and tags whose value was cut to MLflow's limit.
TRUNCATED_TAG = "mlops_jupyter.truncated"
OWN_PREFIX = "mlops_jupyter."
#: Tags an export writes from the run's fields (read back from the fields, not as tags).
GENERATED_TAGS = frozenset(
    {
        "mlflow.runName",
        "mlflow.source.type",
        "mlflow.source.name",
        "mlflow.source.git.commit",
        "mlflow.source.git.branch",
        "mlflow.source.git.repoURL",
    }
)
#: Where an export puts the run's own record, cell source and notebook snapshot.
ARTIFACT_DIR = "mlops_jupyter"
RECORD_ARTIFACT = f"{ARTIFACT_DIR}/run.json"
SOURCE_ARTIFACT = f"{ARTIFACT_DIR}/cell.py"
NOTEBOOK_ARTIFACT = f"{ARTIFACT_DIR}/notebook.ipynb"

# MLflow's limits (mlflow/utils/validation.py).
MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_RUN_NAME_LENGTH = 250
#: At most this many parameters and tags in one ``log_batch``.
PARAMS_TAGS_PER_BATCH = 100
#: At most this many metric points in one ``log_batch``.
METRICS_PER_BATCH = 1000
#: At most this many entities (points + params + tags) in one ``log_batch``.
ENTITIES_PER_BATCH = 1000
#: MLflow's SQL store keeps +-infinity as the largest float.
FLOAT_MAX = sys.float_info.max

_STATUS_TO_MLFLOW = {
    RunStatus.RUNNING: "RUNNING",
    RunStatus.FINISHED: "FINISHED",
    RunStatus.FAILED: "FAILED",
    RunStatus.INTERRUPTED: "KILLED",
    RunStatus.CRASHED: "FAILED",
}
_STATUS_FROM_MLFLOW = {
    "RUNNING": RunStatus.RUNNING,
    "SCHEDULED": RunStatus.RUNNING,
    "FINISHED": RunStatus.FINISHED,
    "FAILED": RunStatus.FAILED,
    "KILLED": RunStatus.INTERRUPTED,
}
_BAD_KEY_CHARS = re.compile(r"[^/\w.\- :]")
_HEX32 = re.compile(r"[0-9a-f]{32}")
_JSONISH = re.compile(r"^\s*(?:[-+\d\[{\"]|true\b|false\b|null\b|NaN\b|-?Infinity\b)")

#: ``(value, timestamp in ms, step)``: one point of an MLflow metric.
MlflowPoint = tuple[float, int, int]


@dataclass(frozen=True)
class ArtifactFile:
    """A file an export writes among the run's MLflow artifacts.

    Attributes:
        path: Relative POSIX path under the run's artifact root (checked: no ``..``).
        sha256: The blob holding its content, or None when ``data`` holds it.
        data: The content, for small generated files.
    """

    path: str
    sha256: str | None = None
    data: bytes | None = None


@dataclass
class MlflowRunData:
    """One of our runs as MLflow will hold it.

    Attributes:
        run_id: Our run id.
        experiment: The experiment's name (ours and MLflow's).
        name: MLflow's run name.
        status: ``RUNNING``, ``FINISHED``, ``FAILED`` or ``KILLED``.
        start_time: Milliseconds since the epoch.
        end_time: Milliseconds since the epoch, or None.
        params: Names to string values.
        tags: Names to string values, our own tags included (the fingerprint last).
        metrics: Names to points ``(value, timestamp ms, step)`` in logging order.
        artifacts: The files to upload.
        notes: What could not be kept as it was (a renamed key, a value cut to a limit).
        copied: Names to our metric keys whose points are not in ``metrics``: the sink
            copies them straight from our store (see :mod:`.mlflow_sqlite`).
    """

    run_id: str
    experiment: str
    name: str
    status: str
    start_time: int
    end_time: int | None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, list[MlflowPoint]] = field(default_factory=dict)
    artifacts: list[ArtifactFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    copied: dict[str, str] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """The value of :data:`FINGERPRINT_TAG`."""
        return self.tags[FINGERPRINT_TAG]

    def point_count(self) -> int:
        """How many metric points the run has here (not counting the ``copied`` ones)."""
        return sum(len(points) for points in self.metrics.values())


def shown_uri(uri: str) -> str:
    """A URI as reports show it: credentials masked (a URI without any kept as it is)."""
    from ..redaction import mask_url

    return mask_url(uri) if ("@" in uri or "?" in uri) else uri


def millis(value: datetime) -> int:
    """Milliseconds since the epoch (MLflow's times)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return round(value.timestamp() * 1000)


def from_millis(value: int) -> datetime:
    """A UTC datetime from MLflow's milliseconds."""
    return datetime.fromtimestamp(value / 1000, tz=timezone.utc)


def mlflow_value(value: Any) -> str:
    """A parameter value as MLflow keeps it: a string as it is, anything else as JSON."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return str(value)


def _read_value(text: str) -> Any:
    """Read back a parameter value written by :func:`mlflow_value` (JSON when it parses)."""
    if not _JSONISH.match(text):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


class _Names:
    """MLflow names for our keys: valid, at most 250 characters, and distinct."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.renamed: dict[str, str] = {}
        self._taken: dict[str, str] = {}

    def __call__(self, key: str) -> str:
        clean = _BAD_KEY_CHARS.sub("_", key)
        # A name must not resolve to another one as a path (MLflow's path_not_unique).
        clean = "/".join(part if part not in ("", ".", "..") else "_" for part in clean.split("/"))
        if len(clean) > MAX_KEY_LENGTH:
            clean = clean[: MAX_KEY_LENGTH - 9] + "~" + _short_hash(key)
        if self._taken.get(clean, key) != key:
            clean = clean[: MAX_KEY_LENGTH - 9] + "~" + _short_hash(key)
        self._taken[clean] = key
        if clean != key:
            self.renamed[clean] = key
        return clean


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def artifact_path(path: str, taken: set[str]) -> str:
    """A safe relative artifact path for a file the run recorded at ``path``.

    Absolute paths keep their file name; ``..``, empty and ``.`` segments become ``_``;
    our own folder (``mlops_jupyter/``) is never shadowed; a path already taken gets a
    suffix. The result never leaves the artifact root.
    """
    posix = path.replace("\\", "/")
    if posix.startswith("/") or re.match(r"^[A-Za-z]:/", posix):
        posix = posixpath.basename(posix.rstrip("/")) or "file"
    parts = [p if p not in ("", ".", "..") else "_" for p in posix.split("/")]
    clean = "/".join(parts).strip("/") or "file"
    if clean == ARTIFACT_DIR or clean.startswith(ARTIFACT_DIR + "/"):
        clean = "files/" + clean
    candidate, number = clean, 1
    while candidate in taken:
        number += 1
        stem, dot, ext = clean.rpartition(".")
        candidate = f"{stem}-{number}.{ext}" if dot and stem else f"{clean}-{number}"
    taken.add(candidate)
    return candidate


def _clip(text: str, limit: int) -> tuple[str, bool]:
    return (text, False) if len(text) <= limit else (text[:limit], True)


def _our_tags(run: Run) -> dict[str, str]:
    tags: dict[str, str] = {
        RUN_ID_TAG: run.id,
        STATUS_TAG: run.status.value,
        STARTED_TAG: format_datetime(run.started_at),
        "mlflow.source.type": "NOTEBOOK",
        "mlflow.source.name": (run.notebook.path if run.notebook and run.notebook.path else "")
        or run.experiment,
    }
    if run.ended_at is not None:
        tags[ENDED_TAG] = format_datetime(run.ended_at)
    if run.name is not None:
        tags[NAME_TAG] = run.name
    if run.git is not None:
        for key, value in (
            ("mlflow.source.git.commit", run.git.commit),
            ("mlflow.source.git.branch", run.git.branch),
            ("mlflow.source.git.repoURL", run.git.remote),
        ):
            if value:
                tags[key] = value
    for key, value in (
        ("reproduction_of", run.reproduction_of),
        ("sweep_id", run.sweep_id),
        ("kernel", run.kernel_name),
        ("seed", None if run.seed is None else str(run.seed)),
        ("pin", (run.extra.get("pin") or {}).get("kind") if isinstance(run.extra, dict) else None),
        ("error", f"{run.error.type}: {run.error.message}" if run.error else None),
    ):
        if isinstance(value, str) and value:
            tags[OWN_PREFIX + key] = value
    return tags


def series_summary(points: Sequence[MetricPoint]) -> tuple[Any, ...]:
    """What changes when a series changes: count, values, steps and times summed, extremes
    (a SQL store computes the same in one ``GROUP BY``)."""
    values = [p.value for p in points if not math.isnan(p.value)]
    if not points:
        return (0, 0, None, None, None, None, None, None)
    return (
        len(points),
        len(values),
        math.fsum(values) if values else None,
        min(p.step for p in points),
        max(p.step for p in points),
        sum(p.step for p in points),
        math.fsum(p.timestamp for p in points),
        max(p.timestamp for p in points),
    )


def fingerprint(
    run: Run, summaries: Mapping[str, tuple[Any, ...]], artifacts: Sequence[ArtifactFile]
) -> str:
    """The export fingerprint of a run: its whole record, a summary of each metric series
    (see :func:`series_summary`) and its artifacts. Computed without reading the points, so
    an unchanged run is recognized cheaply."""
    from ..models import dumps_strict

    record = run.to_json(strict=False)
    for volatile in ("heartbeat_at", "duration"):
        record.pop(volatile, None)
    digest = hashlib.sha256(dumps_strict(record).encode("utf-8", "surrogatepass"))
    for key in sorted(summaries):
        digest.update(f"\0{key}\0{summaries[key]!r}".encode("utf-8", "surrogatepass"))
    for artifact in artifacts:
        content = artifact.sha256 or hashlib.sha256(artifact.data or b"").hexdigest()
        digest.update(f"\0{artifact.path}\0{content}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def to_mlflow(
    run: Run,
    series: Mapping[str, Sequence[MetricPoint]],
    *,
    artifacts: Iterable[ArtifactFile] = (),
    digest: str | None = None,
    copied: Collection[str] = (),
) -> MlflowRunData:
    """Describe ``run`` as MLflow will hold it.

    Args:
        run: The run.
        series: Every metric's points (a final value without points becomes one point at
            the run's end).
        artifacts: The files to upload with it (see :func:`run_artifacts`).
        digest: Its :func:`fingerprint`, when already computed.
        copied: Metrics with points that are not in ``series``: the sink copies them from
            our store itself (named in :attr:`MlflowRunData.copied`). Needs ``digest``.

    Returns:
        The run in MLflow's terms, its fingerprint among its tags.

    Raises:
        ValueError: ``copied`` without ``digest`` (the fingerprint needs every series).
    """
    if copied and digest is None:
        raise ValueError("to_mlflow: copied metrics need the run's digest")
    notes: list[str] = []
    truncated: list[str] = []
    param_names, metric_names, tag_names = _Names("params"), _Names("metrics"), _Names("tags")
    params: dict[str, str] = {}
    strings: list[str] = []
    for key in sorted(run.params):
        value = run.params[key]
        text, cut = _clip(mlflow_value(value), MAX_PARAM_VALUE_LENGTH)
        name = param_names(key)
        if cut:
            truncated.append(name)
        if isinstance(value, str) and _read_value(value) != value:
            strings.append(name)
        params[name] = text
    tags: dict[str, str] = {}
    for key in sorted(run.tags):
        name = tag_names(key)
        tags[name], cut = _clip(run.tags[key], MAX_TAG_VALUE_LENGTH)
        if cut:
            truncated.append(f"tag {name}")
    own = _our_tags(run)
    for key, value in own.items():
        tags[key], _cut = _clip(value, MAX_TAG_VALUE_LENGTH)
    end = millis(run.ended_at) if run.ended_at is not None else None
    metrics, elsewhere = _metrics_of(run, series, set(copied), metric_names, end)
    renamed = {
        names.kind: names.renamed
        for names in (param_names, metric_names, tag_names)
        if names.renamed
    }
    if renamed:
        tags[KEYS_TAG] = json.dumps(renamed, ensure_ascii=False, sort_keys=True)
        for kind, mapping in renamed.items():
            notes.extend(
                f"{kind[:-1]} {ours!r} is {theirs!r} in MLflow" for theirs, ours in mapping.items()
            )
    if strings:
        tags[STRING_PARAMS_TAG] = json.dumps(strings, ensure_ascii=False)
    if truncated:
        tags[TRUNCATED_TAG] = json.dumps(truncated, ensure_ascii=False)
        notes.extend(f"{name} was cut to MLflow's length limit" for name in truncated)
    name = run.name or f"{posixpath.basename(run.experiment) or 'run'} {run.id[:8]}"
    data = MlflowRunData(
        run_id=run.id,
        experiment=run.experiment,
        name=_clip(name, MAX_RUN_NAME_LENGTH)[0],
        status=_STATUS_TO_MLFLOW.get(run.status, "FAILED"),
        start_time=millis(run.started_at),
        end_time=end,
        params=params,
        tags=tags,
        metrics=metrics,
        artifacts=list(artifacts),
        notes=notes,
        copied=elsewhere,
    )
    if digest is None:
        summaries = {key: series_summary(points) for key, points in series.items()}
        digest = fingerprint(run, summaries, data.artifacts)
    data.tags[FINGERPRINT_TAG] = digest
    return data


def _metrics_of(
    run: Run,
    series: Mapping[str, Sequence[MetricPoint]],
    copied: set[str],
    names: _Names,
    end: int | None,
) -> tuple[dict[str, list[MlflowPoint]], dict[str, str]]:
    """The run's points by MLflow name, and the MLflow names of the ``copied`` metrics."""
    metrics: dict[str, list[MlflowPoint]] = {}
    elsewhere: dict[str, str] = {}
    for key in sorted(set(series) | set(run.metrics) | copied):
        if key in copied:
            elsewhere[names(key)] = key
            continue
        points = [(p.value, round(p.timestamp * 1000), p.step) for p in series.get(key, ())]
        if not points and key in run.metrics:
            points = [(run.metrics[key], end if end is not None else millis(run.started_at), 0)]
        metrics[names(key)] = points
    return metrics, elsewhere


def batches(data: MlflowRunData) -> list[dict[str, list[Any]]]:
    """The run's params, tags and points cut into ``log_batch`` calls within MLflow's limits:
    at most 100 params and tags, 1000 points and 1000 entities per call.

    Returns:
        ``[{"params": [(k, v)], "tags": [(k, v)], "metrics": [(key, value, ts, step)]}]``.
    """
    calls: list[dict[str, list[Any]]] = []
    pairs = [("params", kv) for kv in data.params.items()]
    pairs += [("tags", kv) for kv in data.tags.items() if kv[0] != FINGERPRINT_TAG]
    for start in range(0, len(pairs), PARAMS_TAGS_PER_BATCH):
        chunk = pairs[start : start + PARAMS_TAGS_PER_BATCH]
        calls.append(
            {
                "params": [kv for kind, kv in chunk if kind == "params"],
                "tags": [kv for kind, kv in chunk if kind == "tags"],
                "metrics": [],
            }
        )
    points = [
        (key, value, timestamp, step)
        for key, series in data.metrics.items()
        for value, timestamp, step in series
    ]
    for start in range(0, len(points), METRICS_PER_BATCH):
        calls.append(
            {"params": [], "tags": [], "metrics": points[start : start + METRICS_PER_BATCH]}
        )
    return calls


# --------------------------------------------------------------------------- import


def our_run_id(mlflow_run_id: str, tags: Mapping[str, str]) -> str:
    """The id an MLflow run gets in our store: ours if we exported it, else MLflow's own
    (a 32-digit hex uuid, as ours), else a uuid derived from it."""
    tagged = tags.get(RUN_ID_TAG, "")
    if _HEX32.fullmatch(tagged):
        return tagged
    if _HEX32.fullmatch(mlflow_run_id):
        return mlflow_run_id
    return uuid.uuid5(uuid.NAMESPACE_URL, f"mlflow-run:{mlflow_run_id}").hex


def _decode_json(text: str | None, expected: type) -> Any:
    if not text:
        return expected()
    try:
        value = json.loads(text)
    except ValueError:
        return expected()
    return value if isinstance(value, expected) else expected()


def _exact_time(tagged: str | None, ms: int | None) -> datetime | None:
    """The microsecond time of our tag when it agrees with MLflow's milliseconds."""
    if ms is None:
        return None
    if tagged:
        try:
            exact = parse_datetime(tagged)
        except ValueError:
            exact = None
        if exact is not None and abs(millis(exact) - ms) <= 1:
            return exact
    return from_millis(ms)


def from_mlflow(
    record: Mapping[str, Any], experiment: str
) -> tuple[Run, dict[str, list[MetricPoint]]]:
    """Build our run from an MLflow run.

    Args:
        record: ``{"run_id", "run_name", "status", "start_time", "end_time", "params",
            "tags", "metrics": {key: [(value, timestamp ms, step)]}, "artifact_uri"}``.
        experiment: The MLflow experiment's name (our experiment).

    Returns:
        The run (no artifacts) and its metric series.
    """
    tags: dict[str, str] = dict(record.get("tags") or {})
    ours = RUN_ID_TAG in tags
    keys = _decode_json(tags.get(KEYS_TAG), dict)
    strings = set(_decode_json(tags.get(STRING_PARAMS_TAG), list))

    def original(kind: str, key: str) -> str:
        mapping = keys.get(kind)
        return str(mapping.get(key, key)) if isinstance(mapping, dict) else key

    params: dict[str, Any] = {}
    for key, text in (record.get("params") or {}).items():
        params[original("params", key)] = text if key in strings else _read_value(str(text))
    status_tag = tags.get(STATUS_TAG)
    status = (
        RunStatus(status_tag)
        if status_tag in {s.value for s in RunStatus}
        else _STATUS_FROM_MLFLOW.get(str(record.get("status")), RunStatus.FINISHED)
    )
    start_ms = record.get("start_time")
    started = _exact_time(tags.get(STARTED_TAG), start_ms if isinstance(start_ms, int) else None)
    end_ms = record.get("end_time")
    ended = _exact_time(tags.get(ENDED_TAG), end_ms if isinstance(end_ms, int) else None)
    if status is RunStatus.RUNNING:
        ended = None
    if ours:
        name = tags.get(NAME_TAG)
    else:
        name = record.get("run_name") or tags.get("mlflow.runName") or None
    kept = {
        original("tags", k): v
        for k, v in tags.items()
        if not k.startswith(OWN_PREFIX)
        and not (k in GENERATED_TAGS or (not ours and k == "mlflow.runName"))
    }
    series: dict[str, list[MetricPoint]] = {}
    finals: dict[str, float] = {}
    for key, points in (record.get("metrics") or {}).items():
        name_ours = original("metrics", key)
        converted = [
            MetricPoint(name_ours, _value_back(float(value)), int(step), int(timestamp) / 1000)
            for value, timestamp, step in points
        ]
        series[name_ours] = converted
        if converted:
            last = max(converted, key=lambda p: (p.step, p.timestamp))
            finals[name_ours] = last.value
    run = Run(
        id=our_run_id(str(record["run_id"]), tags),
        experiment=experiment,
        name=name,
        status=status,
        started_at=started or datetime.now(timezone.utc),
        ended_at=ended,
        params=params,
        metrics=finals,
        tags=kept,
    )
    run.extra["mlflow"] = {
        "run_id": str(record["run_id"]),
        "experiment": experiment,
        "artifact_uri": record.get("artifact_uri"),
        "status": record.get("status"),
    }
    return run, series


def _value_back(value: float) -> float:
    """MLflow's SQL store keeps +-infinity as the largest float: read it back as infinity."""
    if math.isfinite(value) and abs(value) == FLOAT_MAX:
        return math.copysign(math.inf, value)
    return value
