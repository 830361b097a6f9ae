"""Housekeeping before runs are read: runs whose kernel is gone become ``crashed``.

A kernel renews a lease while its tracked cell runs; a run whose process is gone from this
machine, or whose lease expired, is marked crashed by whoever reads the store next: the
CLI, ``mlops_jupyter.runs()``, the Jupyter server (which also adopts the spools of kernels
that died while the database was away). All of them call :func:`reap`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import RunStore

__all__ = ["DEFAULT_LEASE_SECONDS", "LEASE_ENV_VAR", "Housekeeper", "lease_seconds", "reap"]

log = logging.getLogger(__name__)

#: Seconds without a heartbeat after which a running run counts as crashed.
DEFAULT_LEASE_SECONDS = 30.0
LEASE_ENV_VAR = "MLOPS_JUPYTER_LEASE_SECONDS"


def lease_seconds() -> float:
    """The crash lease: ``$MLOPS_JUPYTER_LEASE_SECONDS`` or 30 seconds (at least 1)."""
    try:
        return max(1.0, float(os.environ.get(LEASE_ENV_VAR, "")))
    except ValueError:
        return DEFAULT_LEASE_SECONDS


def reap(store: RunStore, *, adopt_spools: bool = False) -> list[str]:
    """Mark the runs whose kernel is gone as crashed, first syncing orphaned spools.

    Args:
        store: The store about to be read.
        adopt_spools: Also replay the spool files of kernels on this machine that ended
            while the database was unreachable (the server does; a kernel syncs its own).

    Returns:
        The ids of the runs marked crashed.
    """
    if adopt_spools:
        from .spool import replay_orphans, spool_dir_for

        for path, result in replay_orphans(store, spool_dir_for(store.location.db_url)):
            log.info(
                "mlops-jupyter: synced %d spooled writes from %s (%d remain)",
                result.applied,
                path,
                result.remaining,
            )
    return store.mark_stale_runs_crashed(lease_seconds())


class Housekeeper:
    """:func:`reap` at most once per ``interval`` seconds (lists are polled every second).

    Args:
        interval: Seconds between two passes.
    """

    def __init__(self, interval: float = 5.0) -> None:
        self.interval = interval
        self._last: float | None = None
        self._lock = threading.Lock()

    def __call__(self, store: RunStore) -> None:
        """Reap ``store`` (adopting spools) unless that was done less than ``interval`` ago."""
        now = time.monotonic()
        with self._lock:
            if self._last is not None and now - self._last < self.interval:
                return
            self._last = now
        reap(store, adopt_spools=True)
