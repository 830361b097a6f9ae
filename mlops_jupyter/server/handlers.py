"""REST handlers. Each is a thin face over the core; errors map to HTTP in one place."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin

from .. import __version__
from ..store.errors import StoreError

if TYPE_CHECKING:
    from .app import MlopsJupyterApp


class BaseHandler(ExtensionHandlerMixin, APIHandler):
    """Turns every error into ``{"message": ...}`` with the right status, never a traceback."""

    @property
    def app(self) -> MlopsJupyterApp:
        """The extension application serving this request."""
        return cast("MlopsJupyterApp", self.extensionapp)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        message = self._reason
        exc_info = kwargs.get("exc_info")
        if exc_info is not None:
            exc = exc_info[1]
            if isinstance(exc, StoreError):
                status_code = exc.code
                message = str(exc)
            elif isinstance(exc, tornado.web.HTTPError):
                message = exc.log_message or exc.reason or message
            else:
                message = "internal error in the mlops-jupyter server extension (see server log)"
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": message}))


class StatusHandler(BaseHandler):
    """``GET /mlops-jupyter/api/status``: version and the store this server uses."""

    @tornado.web.authenticated
    def get(self) -> None:
        location = self.app.store_location()
        self.finish(
            json.dumps(
                {
                    "version": __version__,
                    "store": {
                        "location": location.description,
                        "kind": location.db_url.split(":", 1)[0].split("+", 1)[0],
                    },
                }
            )
        )


ROUTES: list[tuple[str, type[BaseHandler]]] = [
    ("status", StatusHandler),
]
