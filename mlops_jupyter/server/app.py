"""The mlops-jupyter Jupyter server extension application."""

from __future__ import annotations

from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Float, Integer, Unicode, observe

from ..version import __version__
from .handlers import ROUTES, URL_PREFIX
from .services import SETTINGS_KEY, Services


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

    max_queued_jobs = Integer(
        8,
        config=True,
        help=(
            "Reproductions and sweeps that may wait for a worker; past that, starting one "
            "answers 429 (Retry-After) instead of queuing without bound."
        ),
    )

    monitor_interval = Float(
        0.0,
        config=True,
        help=(
            "Evaluate the continuous-training triggers every this many seconds (0: never; "
            "`mlops-jupyter monitor run` from cron does the same). Two evaluators at once "
            "fire a trigger once."
        ),
    )

    services: Services | None = None
    _monitor_callback: Any = None

    @observe("store")
    def _store_changed(self, change: Any) -> None:
        if self.services is not None:
            self.services.store_setting = change["new"]

    def initialize_settings(self) -> None:
        """Build the services the handlers read from the web application's settings."""
        self.services = Services(self.store, self.reproduce_workers, self.max_queued_jobs)
        self.settings[SETTINGS_KEY] = self.services
        location = self.services.location()
        self.log.info("mlops-jupyter %s: store %s", __version__, location.description)
        if self.monitor_interval > 0:
            from tornado.ioloop import PeriodicCallback

            interval = max(10.0, float(self.monitor_interval))
            self._monitor_callback = PeriodicCallback(
                self.services.evaluate_triggers_in_background, interval * 1000
            )
            self._monitor_callback.start()
            self.log.info("mlops-jupyter: evaluating triggers every %g s", interval)

    def initialize_handlers(self) -> None:
        """Register the REST routes under ``/mlops-jupyter/api/``."""
        routes: list[tuple[str, Any]] = [
            (rf"/{URL_PREFIX}/{pattern}", handler) for pattern, handler in ROUTES
        ]
        self.handlers.extend(routes)

    async def stop_extension(self) -> None:
        """Cancel running reproductions and sweeps when the server stops."""
        if self._monitor_callback is not None:
            self._monitor_callback.stop()
        if self.services is not None:
            self.services.shutdown()
