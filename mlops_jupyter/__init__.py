"""mlops-jupyter: experiment tracking and verified reproduction inside JupyterLab.

This module is imported by every kernel that runs ``%load_ext mlops_jupyter``, so it must
stay cheap: the tracking core, the store and the server extension are imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# log_metric sits in training loops: export the buffering functions themselves, not wrappers
# (tracking imports only the standard library and our models).
from .tracking import log_metric, log_metrics
from .version import __version__

if TYPE_CHECKING:
    from .models import Run

__all__ = ["__version__", "get_run", "log_input", "log_metric", "log_metrics", "runs"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "mlops-jupyter"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .server.app import MlopsJupyterApp

    return [{"module": "mlops_jupyter", "app": MlopsJupyterApp}]


def load_ipython_extension(ipython: Any) -> None:
    """Register the ``%%track`` magic (``%load_ext mlops_jupyter``)."""
    from .magics import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Unregister the extension's event hooks (``%unload_ext mlops_jupyter``)."""
    from .magics import unload

    unload(ipython)


def runs(
    experiment: str | None = None, *, status: str | None = None, limit: int | None = None
) -> Any:
    """Read runs back from the store, newest first.

    Returns:
        A pandas DataFrame (one row per run, ``params.*`` and ``metrics.*`` columns) when
        pandas is installed, else a list of :class:`mlops_jupyter.models.Run`.
    """
    from .tracking import runs as _runs

    return _runs(experiment, status=status, limit=limit)


def get_run(run_id: str) -> Run:
    """Return one run by id (raises ``RunNotFoundError`` if unknown)."""
    from .capture.inputs import get_monitor
    from .store import get_store
    from .tracking import drain_own_writes

    drain_own_writes()  # this kernel's own runs first
    with get_monitor().paused():  # the store's files are not the session's data
        return get_store().get_run(run_id)


def log_input(frame: Any, name: str | None = None) -> dict[str, Any]:
    """Record a pandas DataFrame as an input of the run, with its digest and profile.

    The digest covers every row, every column, the dtypes and the shape (not a sample); the
    profile (counts, missing share, dtype; quantiles, mean, std for numbers; top categories
    for the others; at most 100 KB) is stored with the run and is the reference drift checks
    compare new data against. Called inside a ``%%track`` cell, the frame is an input of that
    run; called before it, of the next tracked run.

    Args:
        frame: The DataFrame.
        name: What to call it (e.g. ``"train"``; default ``"frame"``).

    Returns:
        ``{"name", "digest", "rows", "columns", "profile_sha256"}``.

    Raises:
        MissingDependencyError: If pandas is not installed.
        InvalidArgumentError: If ``frame`` is not a DataFrame.
    """
    from .capture.inputs import get_monitor
    from .drift.profile import profile_frame
    from .tracking import record_frame

    label = name or "frame"
    with get_monitor().paused():
        profile = profile_frame(frame, name=label)
        record = record_frame(label, profile.digest, profile.rows, profile.dumps().encode())
    return {
        "name": label,
        "digest": profile.digest,
        "rows": profile.rows,
        "columns": len(profile.columns),
        "profile_sha256": record.profile_sha256,
    }
