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

__all__ = ["__version__", "log_metric", "log_metrics", "runs"]


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
    from .store import get_store
    from .tracking import drain_own_writes

    drain_own_writes()  # this kernel's own runs first
    return get_store().get_run(run_id)
