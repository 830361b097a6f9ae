"""The mlops-jupyter Jupyter server extension application."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Integer, Unicode

from .. import __version__
from ..store.location import StoreLocation, resolve_store_location
from .handlers import ROUTES

if TYPE_CHECKING:
    from ..jobs import JobManager
    from ..reproduce import Verdict
    from ..store.base import RunStore
    from ..sweep import SweepResult

URL_PREFIX = "mlops-jupyter/api"

#: At most one sweep for crashed runs per server in this many seconds (lists are polled).
STALE_CHECK_INTERVAL_S = 5.0


class MlopsJupyterApp(ExtensionApp):
    """Serves the run store to the JupyterLab sidebar.

    Configure with ``c.MlopsJupyterApp.store = "/shared/runs"`` (a directory or a database
    URL); the environment variable ``MLOPS_JUPYTER_STORE`` is used when unset, so kernels
    started by this server find the same store.
    """

    name = "mlops_jupyter"
    load_other_extensions = True

    store = Unicode(
        "",
        config=True,
        help=(
            "Where runs are stored: a directory (holding runs.db and blobs/) or a database "
            "URL such as postgresql+psycopg://host/db. Empty: $MLOPS_JUPYTER_STORE, else "
            "the per-user default."
        ),
    )

    reproduce_workers = Integer(
        2,
        config=True,
        help="Reproductions run at the same time (each drives one kernel); more are queued.",
    )

    _jobs: JobManager | None = None

    def jobs(self) -> JobManager:
        """This server's job manager (created on first use)."""
        if self._jobs is None:
            from ..jobs import JobManager

            self._jobs = JobManager(
                max(1, self.reproduce_workers), runner=self._reproduce, sweep_runner=self._sweep
            )
        return self._jobs

    def _sweep(self, run_id: str, *, grid: dict[str, list[Any]], **kwargs: Any) -> SweepResult:
        from ..sweep import expand_grid, run_sweep

        # Workers record into the store this server reads; the default is the environment's.
        return run_sweep(
            from_run=run_id,
            combinations=expand_grid(grid),
            grid=grid,
            store=self.store or None,
            **kwargs,
        )

    def _reproduce(self, run_id: str, **kwargs: Any) -> Verdict:
        from ..reproduce import reproduce
        from ..store import get_store

        # Kernels started for a reproduction must record into the store this server reads.
        kernel_env = {"MLOPS_JUPYTER_STORE": self.store} if self.store else {}
        return reproduce(
            run_id, store=get_store(self.store_location()), kernel_env=kernel_env, **kwargs
        )

    async def stop_extension(self) -> None:
        """Cancel running reproductions and sweeps when the server stops."""
        if self._jobs is not None:
            self._jobs.shutdown()

    def store_location(self) -> StoreLocation:
        """The store this server uses (the traitlet wins over the environment)."""
        return resolve_store_location(override=self.store or None)

    _last_stale_check: float | None = None

    def mark_stale_runs(self, store: RunStore) -> None:
        """Housekeeping on listing, at most once per interval: sync the spools left by
        kernels that died while the database was unreachable, then mark runs whose kernel
        is gone as crashed."""
        now = time.monotonic()
        if self._last_stale_check is not None and (
            now - self._last_stale_check < STALE_CHECK_INTERVAL_S
        ):
            return
        self._last_stale_check = now
        from ..store.spool import replay_orphans, spool_dir_for
        from ..tracking import lease_seconds

        location = getattr(store, "location", None)
        if isinstance(location, StoreLocation):
            for path, result in replay_orphans(store, spool_dir_for(location.db_url)):
                self.log.info(
                    "mlops-jupyter: synced %d spooled writes from %s (%d remain)",
                    result.applied,
                    path,
                    result.remaining,
                )
        store.mark_stale_runs_crashed(lease_seconds())

    def initialize_settings(self) -> None:
        location = self.store_location()
        self.log.info("mlops-jupyter %s: store %s", __version__, location.description)

    def initialize_handlers(self) -> None:
        routes: list[tuple[str, Any]] = [
            (rf"/{URL_PREFIX}/{pattern}", handler) for pattern, handler in ROUTES
        ]
        self.handlers.extend(routes)
