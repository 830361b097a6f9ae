"""What the REST handlers work with: the store, the background jobs, the housekeeping.

The extension application builds one :class:`Services` when the server starts and puts it
in the web application's settings under ``"mlops_jupyter"``; handlers read it from there.
Nothing here imports Tornado.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ..store import get_store
from ..store.housekeeping import Housekeeper
from ..store.location import STORE_ENV_VAR, StoreLocation, resolve_store_location

if TYPE_CHECKING:
    from ..determinism import DeterminismReport
    from ..jobs import JobManager
    from ..store.base import RunStore
    from ..sweep import SweepResult
    from ..triggers import Monitor
    from ..verdict import Verdict

__all__ = ["SETTINGS_KEY", "Services"]

#: Key of the :class:`Services` in the Tornado application's settings.
SETTINGS_KEY = "mlops_jupyter"

#: At most one housekeeping pass (crashed runs, orphaned spools) in this many seconds: the
#: sidebar polls the run list every second.
STALE_CHECK_INTERVAL_S = 5.0


class Services:
    """The core, as one server uses it.

    Args:
        store_setting: The ``store`` traitlet: a directory or database URL ("" for the
            environment's, else the per-user default). May change while the server runs.
        reproduce_workers: Reproductions and sweeps run at the same time.
        max_queued_jobs: Reproductions and sweeps that may wait for a worker; more are
            refused (429).
    """

    def __init__(
        self, store_setting: str = "", reproduce_workers: int = 2, max_queued_jobs: int = 8
    ) -> None:
        self.store_setting = store_setting
        self.reproduce_workers = max(1, reproduce_workers)
        self.max_queued_jobs = max(0, max_queued_jobs)
        self.housekeeping = Housekeeper(STALE_CHECK_INTERVAL_S)
        self._jobs: JobManager | None = None
        self._evaluating = threading.Lock()

    def location(self) -> StoreLocation:
        """The store this server uses (the traitlet wins over the environment)."""
        return resolve_store_location(override=self.store_setting or None)

    def store(self) -> RunStore:
        """The store this server uses (shared, opened on first use)."""
        return get_store(self.location())

    def kernel_env(self) -> dict[str, str]:
        """Variables for the kernels this server starts, so they record where it reads."""
        return {STORE_ENV_VAR: self.store_setting} if self.store_setting else {}

    def jobs(self) -> JobManager:
        """This server's job manager (created on first use)."""
        if self._jobs is None:
            from ..jobs import JobManager

            self._jobs = JobManager(
                self.reproduce_workers,
                runner=self._reproduce,
                sweep_runner=self._sweep,
                determinism_runner=self._determinism,
                max_queued=self.max_queued_jobs,
            )
        return self._jobs

    def _reproduce(self, run_id: str, **kwargs: Any) -> Verdict:
        from ..reproduce import reproduce

        return reproduce(run_id, store=self.store(), kernel_env=self.kernel_env(), **kwargs)

    def _determinism(self, run_id: str, **kwargs: Any) -> DeterminismReport:
        from ..determinism import check_determinism

        # One kernel at a time per check: the server's workers already run jobs side by side.
        return check_determinism(
            run_id, store=self.store(), kernel_env=self.kernel_env(), workers=1, **kwargs
        )

    def _sweep(self, run_id: str, *, grid: dict[str, list[Any]], **kwargs: Any) -> SweepResult:
        from ..sweep import expand_grid, run_sweep

        # Workers record into the store this server reads; the default is the environment's.
        return run_sweep(
            from_run=run_id,
            combinations=expand_grid(grid),
            grid=grid,
            store=self.store_setting or None,
            **kwargs,
        )

    def monitor(self, actor: str | None = None, identity: str = "local") -> Monitor:
        """The triggers over this server's store (retrains record into it)."""
        from ..triggers import Monitor

        return Monitor(
            self.store(), actor=actor, store_setting=self.store_setting or None, identity=identity
        )

    def evaluate_triggers(self, actor: str | None = None) -> list[dict[str, Any]] | None:
        """Evaluate the triggers once, unless an evaluation is running (then None)."""
        if not self._evaluating.acquire(blocking=False):
            return None
        try:
            monitor = self.monitor(f"monitor ({actor})" if actor else None)
            try:
                return [f.to_json() for f in monitor.evaluate()]
            finally:
                monitor.close()
        finally:
            self._evaluating.release()

    def evaluate_triggers_in_background(self) -> None:
        """The periodic callback: evaluate on a thread (a retrain takes minutes)."""
        thread = threading.Thread(target=self._evaluate_quietly, name="mlops-monitor", daemon=True)
        thread.start()

    def _evaluate_quietly(self) -> None:
        import logging

        try:
            self.evaluate_triggers()
        except Exception:  # the next tick tries again; the log says why
            logging.getLogger("mlops_jupyter").exception("trigger evaluation failed")

    def shutdown(self) -> None:
        """Cancel running reproductions and sweeps."""
        if self._jobs is not None:
            self._jobs.shutdown()
