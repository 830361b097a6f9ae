"""Recording runs: the IPython-free core behind ``%%track`` and ``log_metric``.

* :mod:`.context` -- the cell being tracked, ``log_metric`` (cheap: loaded with the kernel
  extension);
* :mod:`.lifecycle` -- :class:`Tracker`, which begins and finishes runs;
* :mod:`.steps` -- the capture steps, each isolated;
* :mod:`.writer` -- the writer thread and its spool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..models import FileRecord

# log_metric sits in training loops: the buffering functions themselves, not wrappers.
from .context import CellContext, TrackOptions, log_metric, log_metrics

if TYPE_CHECKING:
    from ..models import Run
    from .lifecycle import Tracker

__all__ = [
    "CellContext",
    "TrackOptions",
    "get_tracker",
    "log_metric",
    "log_metrics",
    "record_frame",
    "record_model_load",
    "record_predictions",
    "run_row",
    "runs",
]

_tracker: Tracker | None = None


def get_tracker() -> Tracker:
    """This process's tracker."""
    global _tracker
    if _tracker is None:
        from .lifecycle import Tracker

        _tracker = Tracker()
    return _tracker


def record_frame(name: str, digest: str, rows: int, profile_json: bytes) -> FileRecord:
    """Record a DataFrame given to ``log_input`` as an input: of the run whose tracked cell
    executes, else of the next tracked run (earlier cells set up what it uses).

    Args:
        name: The name the user gave (or ``frame``).
        digest: The frame's digest (``sha256:...`` over every row and column).
        rows: Its rows.
        profile_json: Its profile, stored as a blob (the reference of drift checks).

    Returns:
        The input record.
    """
    from . import context

    tracker = get_tracker()
    profile_sha = tracker.writer.blobs().put_bytes(profile_json, fsync=False)
    active = context.current()
    session_cell = None
    if active is not None and active.ctx is not None:
        session_cell = active.ctx.execution_count
    record = FileRecord(
        name,
        digest.removeprefix("sha256:"),
        rows,
        kind="frame",
        hashing="full",
        via="log_input",
        cell=session_cell,
        profile_sha256=profile_sha,
    )
    if active is None:
        context.pending_inputs.append(record)
    else:
        with active.lock:
            active.run.inputs = [
                r for r in active.run.inputs if not (r.kind == "frame" and r.path == name)
            ] + [record]
    return record


def record_model_load(ref: str) -> None:
    """Note that the session loaded model version ``ref`` (``name/3``): the run whose cell
    executes (else the next tracked run) evaluates it."""
    from . import context

    active = context.current()
    if active is None:
        if ref not in context.pending_models:
            context.pending_models.append(ref)
        return
    with active.lock:
        loaded = active.run.extra.setdefault("models_loaded", [])
        if ref not in loaded:
            loaded.append(ref)


def record_predictions(y_true: list[Any], y_pred: list[Any]) -> dict[str, Any]:
    """Store per-example predictions (a JSON blob) with the run whose cell executes, else the
    next tracked run. Gates bootstrap metric differences from them.

    Returns:
        ``{"sha256", "n"}``.
    """
    import json

    from . import context

    body = json.dumps({"y_true": y_true, "y_pred": y_pred}, allow_nan=False).encode()
    sha = get_tracker().writer.blobs().put_bytes(body, fsync=False)
    record = {"sha256": sha, "n": len(y_true)}
    active = context.current()
    if active is None:
        context.pending_predictions.clear()
        context.pending_predictions.update(record)
    else:
        with active.lock:
            active.run.extra["predictions"] = record
    return record


def drain_own_writes() -> None:
    """Wait until this process's queued runs are written (readers call this first)."""
    if _tracker is not None:
        _tracker.drain()


def runs(
    experiment: str | None = None, *, status: str | None = None, limit: int | None = None
) -> Any:
    """Runs from the store, newest first: a pandas DataFrame if pandas is installed.

    Args:
        experiment: Only runs of this experiment.
        status: Only runs with this status (``finished``, ``failed``, ...).
        limit: At most this many runs (default: all).
    """
    from ..capture.inputs import get_monitor
    from ..models import RunStatus
    from ..store import get_store
    from ..store.housekeeping import reap

    drain_own_writes()  # this kernel's own runs first
    with get_monitor().paused():  # the store's files are not the session's data
        store = get_store()
        reap(store)
        found = store.search_runs(
            experiment=experiment,
            status=RunStatus(status) if status is not None else None,
            limit=limit,
        )
    try:
        import pandas as pd
    except ImportError:
        return found
    rows = [run_row(run) for run in found]
    frame = pd.DataFrame(rows)
    if not rows:
        frame = pd.DataFrame(
            columns=["id", "name", "experiment", "status", "started_at", "ended_at", "duration"]
        )
    return frame


def run_row(run: Run) -> dict[str, Any]:
    """A flat row of a run: attributes, then ``params.*`` and ``metrics.*`` columns."""
    row: dict[str, Any] = {
        "id": run.id,
        "name": run.name,
        "experiment": run.experiment,
        "status": run.status.value,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
        "duration": run.duration,
    }
    row.update({f"params.{k}": v for k, v in run.params.items()})
    row.update({f"metrics.{k}": v for k, v in run.metrics.items()})
    return row
