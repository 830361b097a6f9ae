"""The one exception hierarchy of mlops-jupyter.

Every error the core raises on purpose is a :class:`MlopsError` carrying an HTTP-ish
``code``. The faces convert it in one place each: the REST handlers to a status and
``{"message": ...}`` (``server/handlers/base.py``), the command line to an exit status
(``cli/__init__.py``). Layers raise the generic kinds below; a layer with failures of its
own (the store: a corrupted or full database) subclasses them.

Stdlib only: imported by the kernel extension on load.
"""

from __future__ import annotations

__all__ = [
    "ConflictError",
    "InvalidArgumentError",
    "MlopsError",
    "NotFoundError",
    "TooManyRequestsError",
    "UnavailableError",
]


class MlopsError(Exception):
    """Base class of every error mlops-jupyter raises on purpose.

    Attributes:
        code: HTTP-ish status code describing the failure (500 unless a subclass or the
            caller says otherwise).
    """

    code: int = 500

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class InvalidArgumentError(MlopsError):
    """An argument was malformed: a bad id, filter, tolerance, parameter name, ... (400)."""

    code = 400


class NotFoundError(MlopsError):
    """The thing asked for does not exist: a run, job, sweep, model, ... (404)."""

    code = 404


class ConflictError(MlopsError):
    """The request conflicts with the current state: a duplicate, a refused move (409)."""

    code = 409


class TooManyRequestsError(MlopsError):
    """A bounded queue is full: try again later (429)."""

    code = 429


class UnavailableError(MlopsError):
    """A service the operation needs cannot be reached right now (503)."""

    code = 503
