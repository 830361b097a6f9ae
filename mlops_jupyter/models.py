"""The run record and its parts, plus strict-JSON helpers.

Stdlib only: the kernel extension imports this module on load, so it must stay cheap.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any

__all__ = [
    "ErrorInfo",
    "FileRecord",
    "GitInfo",
    "MetricPoint",
    "NotebookInfo",
    "Run",
    "RunStatus",
    "dumps_strict",
    "format_datetime",
    "json_safe",
    "parse_datetime",
    "utcnow",
]

_NON_FINITE_NAMES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class RunStatus(str, Enum):
    """Lifecycle state of a run."""

    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    CRASHED = "crashed"

    def __str__(self) -> str:
        return self.value


def utcnow() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(timezone.utc)


def format_datetime(value: datetime) -> str:
    """Format a datetime as fixed-width ISO-8601 UTC, e.g. ``2024-05-01T12:00:00.000000+00:00``.

    Fixed width (microseconds always present) makes the strings sort chronologically, which
    the store relies on. Naive datetimes are taken to be UTC.

    Args:
        value: The datetime to format.

    Returns:
        The ISO-8601 string.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def parse_datetime(value: str) -> datetime:
    """Parse an ISO-8601 string into a timezone-aware UTC datetime.

    Accepts a trailing ``Z`` (not understood by ``fromisoformat`` before Python 3.11);
    strings without an offset are taken to be UTC.

    Args:
        value: The ISO-8601 string.

    Returns:
        The datetime, in UTC.
    """
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _opt_datetime(value: Any) -> datetime | None:
    return None if value is None else parse_datetime(value)


def _opt_format(value: datetime | None) -> str | None:
    return None if value is None else format_datetime(value)


def json_safe(value: Any) -> Any:
    """Recursively replace non-finite floats by ``"NaN"``, ``"Infinity"``, ``"-Infinity"``.

    Dicts, lists and tuples are walked (tuples come back as lists, as JSON would make them);
    every other value is returned unchanged. Containers without non-finite floats are still
    copied, so the result never aliases the input.

    Args:
        value: Any JSON-like value.

    Returns:
        A value that ``json.dumps(..., allow_nan=False)`` accepts, as far as floats go.
    """
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        if math.isnan(value):
            return "NaN"
        return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def dumps_strict(obj: Any) -> str:
    """Serialize to strict JSON (no NaN/Infinity tokens), with sorted keys.

    Sorted keys make equal objects serialize to equal bytes, so content-addressed blobs
    deduplicate.

    Args:
        obj: A JSON-like value; non-finite floats become strings (see :func:`json_safe`).

    Returns:
        The JSON text.
    """
    return json.dumps(json_safe(obj), allow_nan=False, sort_keys=True)


def _float_from_json(value: Any) -> float:
    if isinstance(value, str):
        if value in _NON_FINITE_NAMES:
            return _NON_FINITE_NAMES[value]
        raise ValueError(f"not a number: {value!r}")
    if value is None:
        # The store writes NaN as NULL (SQLite cannot keep NaN); be lenient on the way back.
        return math.nan
    return float(value)


@dataclass
class FileRecord:
    """A file read (input) or written (artifact) by a run, identified by content hash.

    Attributes:
        path: Relative to the notebook's folder when inside it (``/`` separators), else
            absolute; a URL for a remote input; the name given to ``log_input`` for a frame.
        sha256: Hex digest of the content ("" when not hashed: a remote object).
        size: Bytes (for a folder: of all its files; for a frame: its rows).
        kind: ``"file"``, ``"folder"`` (many files read under it: one manifest),
            ``"url"`` (a remote object) or ``"frame"`` (a DataFrame given to ``log_input``).
        hashing: ``"full"``, ``"sampled"`` (a file over the size limit: the hash covers
            samples, marked as such), or ``"none"`` (a remote object).
        via: How it was learnt: ``"open"`` (read by the session's code), ``"declared"``
            (``--input``), ``"fsspec"``, ``"urllib"``, ``"log_input"``.
        cell: Execution count of the cell that first read it, when known.
        mtime: The file's modification time when it was read (Unix time).
        version: A remote object's ETag or version id, when known.
        files: How many files a folder input holds.
        manifest_sha256: Blob of a folder's manifest (relative path, size, sha256 per file).
        profile_sha256: Blob of a frame's profile (the reference of drift checks).
    """

    path: str
    sha256: str
    size: int
    kind: str = "file"
    hashing: str = "full"
    via: str | None = None
    cell: int | None = None
    mtime: float | None = None
    version: str | None = None
    files: int | None = None
    manifest_sha256: str | None = None
    profile_sha256: str | None = None

    _OPTIONAL = (
        "via",
        "cell",
        "mtime",
        "version",
        "files",
        "manifest_sha256",
        "profile_sha256",
    )

    def to_json(self) -> dict[str, Any]:
        """Return the record as a JSON-ready dict (optional fields only when set)."""
        data: dict[str, Any] = {"path": self.path, "sha256": self.sha256, "size": self.size}
        if self.kind != "file":
            data["kind"] = self.kind
        if self.hashing != "full":
            data["hashing"] = self.hashing
        for name in self._OPTIONAL:
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FileRecord:
        """Build a record from :meth:`to_json` output."""
        record = cls(
            path=data["path"],
            sha256=data.get("sha256") or "",
            size=int(data.get("size") or 0),
            kind=str(data.get("kind") or "file"),
            hashing=str(data.get("hashing") or "full"),
        )
        for name in cls._OPTIONAL:
            value = data.get(name)
            if value is not None:
                setattr(record, name, value)
        return record


@dataclass
class ErrorInfo:
    """The exception that ended a failed run."""

    type: str
    message: str
    traceback: str

    def to_json(self) -> dict[str, Any]:
        """Return the error as a JSON-ready dict."""
        return {"type": self.type, "message": self.message, "traceback": self.traceback}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ErrorInfo:
        """Build an error from :meth:`to_json` output."""
        return cls(
            type=data.get("type", ""),
            message=data.get("message", ""),
            traceback=data.get("traceback", ""),
        )


@dataclass
class NotebookInfo:
    """The notebook a run's cell belongs to, as far as the kernel could tell."""

    path: str | None = None
    snapshot_sha256: str | None = None
    saved_matches_source: bool | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the notebook info as a JSON-ready dict."""
        return {
            "path": self.path,
            "snapshot_sha256": self.snapshot_sha256,
            "saved_matches_source": self.saved_matches_source,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NotebookInfo:
        """Build notebook info from :meth:`to_json` output."""
        return cls(
            path=data.get("path"),
            snapshot_sha256=data.get("snapshot_sha256"),
            saved_matches_source=data.get("saved_matches_source"),
        )


@dataclass
class GitInfo:
    """State of the git repository holding the notebook when the run started."""

    root: str
    commit: str | None = None
    branch: str | None = None
    dirty: bool = False
    remote: str | None = None
    diff_sha256: str | None = None
    diff_truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        """Return the git info as a JSON-ready dict."""
        return {
            "root": self.root,
            "commit": self.commit,
            "branch": self.branch,
            "dirty": self.dirty,
            "remote": self.remote,
            "diff_sha256": self.diff_sha256,
            "diff_truncated": self.diff_truncated,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GitInfo:
        """Build git info from :meth:`to_json` output."""
        return cls(
            root=data["root"],
            commit=data.get("commit"),
            branch=data.get("branch"),
            dirty=bool(data.get("dirty", False)),
            remote=data.get("remote"),
            diff_sha256=data.get("diff_sha256"),
            diff_truncated=bool(data.get("diff_truncated", False)),
        )


# Not frozen: a frozen dataclass's __init__ is about three times slower, which shows when a
# series of a million points is read back. Slots keep each point small.
@dataclass(slots=True)
class MetricPoint:
    """One logged value of a metric series."""

    key: str
    value: float
    step: int
    timestamp: float

    def to_json(self) -> dict[str, Any]:
        """Return the point as a strict-JSON-ready dict (non-finite values as strings)."""
        return {
            "key": self.key,
            "value": json_safe(self.value),
            "step": self.step,
            "timestamp": self.timestamp,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MetricPoint:
        """Build a point from :meth:`to_json` output."""
        return cls(
            key=data["key"],
            value=_float_from_json(data["value"]),
            step=int(data["step"]),
            timestamp=float(data["timestamp"]),
        )


def _new_run_id() -> str:
    # Imported here: uuid pulls in platform, and this module is loaded with the kernel
    # extension while ids are only needed once a cell is tracked.
    import uuid

    return uuid.uuid4().hex


@dataclass
class Run:
    """Everything recorded about one tracked cell execution.

    Datetimes are timezone-aware UTC. ``metrics`` holds the final value of each metric (the
    full series lives in the store, see ``RunStore.metric_series``).
    """

    id: str
    experiment: str
    name: str | None = None
    status: RunStatus = RunStatus.RUNNING
    started_at: datetime = field(default_factory=utcnow)
    ended_at: datetime | None = None
    heartbeat_at: datetime | None = None
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    source: str = ""
    cell_id: str | None = None
    execution_count: int | None = None
    notebook: NotebookInfo | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    history_out_of_order: bool | None = None
    env: dict[str, Any] = field(default_factory=dict)
    git: GitInfo | None = None
    inputs: list[FileRecord] = field(default_factory=list)
    artifacts: list[FileRecord] = field(default_factory=list)
    error: ErrorInfo | None = None
    stdout_tail: str = ""
    stderr_tail: str = ""
    seed: int | None = None
    kernel_name: str | None = None
    host: str | None = None
    pid: int | None = None
    reproduction_of: str | None = None
    sweep_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def new(cls, experiment: str, **kw: Any) -> Run:
        """Create a running run with a fresh id (uuid4 hex) and ``started_at`` = now.

        Args:
            experiment: The experiment the run belongs to.
            **kw: Any other field; an explicit ``id`` or ``started_at`` wins.

        Returns:
            The new run (not yet stored).
        """
        kw.setdefault("id", _new_run_id())
        kw.setdefault("started_at", utcnow())
        return cls(experiment=experiment, **kw)

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, or None while the run has not ended."""
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    def to_json(self, *, strict: bool = True) -> dict[str, Any]:
        """Return the run as a JSON-ready dict.

        Args:
            strict: Replace non-finite floats anywhere by ``"NaN"``/``"Infinity"``/
                ``"-Infinity"`` (see :func:`json_safe`), so the result passes
                ``json.dumps(..., allow_nan=False)``. The store passes False to skip the
                walk over large values it serializes itself; the result then shares
                containers with the run.

        Returns:
            A dict with one key per field plus ``duration``; datetimes are ISO-8601 UTC.
        """
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "experiment": self.experiment,
            "status": RunStatus(self.status).value,
            "started_at": format_datetime(self.started_at),
            "ended_at": _opt_format(self.ended_at),
            "heartbeat_at": _opt_format(self.heartbeat_at),
            "duration": self.duration,
            "params": self.params,
            "metrics": self.metrics,
            "tags": self.tags,
            "source": self.source,
            "cell_id": self.cell_id,
            "execution_count": self.execution_count,
            "notebook": None if self.notebook is None else self.notebook.to_json(),
            "history": self.history,
            "history_out_of_order": self.history_out_of_order,
            "env": self.env,
            "git": None if self.git is None else self.git.to_json(),
            "inputs": [f.to_json() for f in self.inputs],
            "artifacts": [f.to_json() for f in self.artifacts],
            "error": None if self.error is None else self.error.to_json(),
            "stdout_tail": self.stdout_tail,
            "stderr_tail": self.stderr_tail,
            "seed": self.seed,
            "kernel_name": self.kernel_name,
            "host": self.host,
            "pid": self.pid,
            "reproduction_of": self.reproduction_of,
            "sweep_id": self.sweep_id,
            "extra": self.extra,
        }
        if strict:
            safe: dict[str, Any] = json_safe(data)
            return safe
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Run:
        """Build a run from :meth:`to_json` output.

        Metric values written as ``"NaN"``/``"Infinity"``/``"-Infinity"`` become floats
        again. Params are free-form, so such strings in params stay strings. Missing
        optional keys take their defaults and unknown keys are ignored, so records written
        by older or newer versions still load.

        Args:
            data: The dict, e.g. parsed from JSON.

        Returns:
            The run.
        """
        notebook = data.get("notebook")
        git = data.get("git")
        error = data.get("error")
        execution_count = data.get("execution_count")
        seed = data.get("seed")
        pid = data.get("pid")
        return cls(
            id=data["id"],
            experiment=data["experiment"],
            name=data.get("name"),
            status=RunStatus(data.get("status", RunStatus.RUNNING.value)),
            started_at=parse_datetime(data["started_at"]),
            ended_at=_opt_datetime(data.get("ended_at")),
            heartbeat_at=_opt_datetime(data.get("heartbeat_at")),
            params=dict(data.get("params") or {}),
            metrics={k: _float_from_json(v) for k, v in (data.get("metrics") or {}).items()},
            tags={k: str(v) for k, v in (data.get("tags") or {}).items()},
            source=data.get("source") or "",
            cell_id=data.get("cell_id"),
            execution_count=None if execution_count is None else int(execution_count),
            notebook=None if notebook is None else NotebookInfo.from_json(notebook),
            history=list(data.get("history") or []),
            history_out_of_order=data.get("history_out_of_order"),
            env=dict(data.get("env") or {}),
            git=None if git is None else GitInfo.from_json(git),
            inputs=[FileRecord.from_json(f) for f in data.get("inputs") or []],
            artifacts=[FileRecord.from_json(f) for f in data.get("artifacts") or []],
            error=None if error is None else ErrorInfo.from_json(error),
            stdout_tail=data.get("stdout_tail") or "",
            stderr_tail=data.get("stderr_tail") or "",
            seed=None if seed is None else int(seed),
            kernel_name=data.get("kernel_name"),
            host=data.get("host"),
            pid=None if pid is None else int(pid),
            reproduction_of=data.get("reproduction_of"),
            sweep_id=data.get("sweep_id"),
            extra=dict(data.get("extra") or {}),
        )
