"""The mlops-jupyter Jupyter server extension application."""

from __future__ import annotations

from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Unicode

from .. import __version__
from ..store.location import StoreLocation, resolve_store_location
from .handlers import ROUTES

URL_PREFIX = "mlops-jupyter/api"


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

    def store_location(self) -> StoreLocation:
        """The store this server uses (the traitlet wins over the environment)."""
        return resolve_store_location(override=self.store or None)

    def initialize_settings(self) -> None:
        location = self.store_location()
        self.log.info("mlops-jupyter %s: store %s", __version__, location.description)

    def initialize_handlers(self) -> None:
        routes: list[tuple[str, Any]] = [
            (rf"/{URL_PREFIX}/{pattern}", handler) for pattern, handler in ROUTES
        ]
        self.handlers.extend(routes)
