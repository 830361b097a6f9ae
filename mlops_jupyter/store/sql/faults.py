"""What a database error means to a user: one translator for every SQL path of the store.

The store proper, its read-only maintenance connections and the migrations all turn driver
errors into :class:`~mlops_jupyter.store.errors.StoreError` subclasses here, without ever
quoting a password.
"""

from __future__ import annotations

import errno
import os

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from ...errors import InvalidArgumentError
from ...redaction import Scrubber
from ..errors import StoreCorruptedError, StoreError, StoreFullError, StoreUnavailableError

__all__ = ["FaultTranslator", "classify", "is_missing_table"]

# PostgreSQL SQLSTATEs. serialization_failure and deadlock_detected: the transaction was
# rolled back and may simply be run again, like SQLite's "database is locked".
_PG_RETRY_STATES = frozenset({"40001", "40P01"})
# admin_shutdown, crash_shutdown, cannot_connect_now (starting up or shutting down).
_PG_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03"})
_PG_DISK_FULL = "53100"
_PG_UNDEFINED_TABLE = "42P01"
# How a full disk shows in driver messages: SQLite's SQLITE_FULL, and the OS's strerror
# (PostgreSQL reports "could not extend file ...: No space left on device").
_DISK_FULL_MESSAGES = (
    "database or disk is full",
    *(
        os.strerror(code).lower()
        for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EFBIG)
        if code is not None
    ),
)
_NUL_IN_TEXT = "cannot contain nul"
_CORRUPT_MARKERS = ("not a database", "malformed", "file is encrypted", "disk image")


def _orig_message(exc: DBAPIError) -> str:
    return str(exc.orig).lower()


def _sqlstate(exc: DBAPIError) -> str | None:
    # psycopg 3 says sqlstate, psycopg2 pgcode; None when the server sent no error (the
    # connection failed or broke) and for SQLite.
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return state if isinstance(state, str) else None


def _is_busy(exc: DBAPIError) -> bool:
    message = _orig_message(exc)
    return (
        "database is locked" in message
        or "database is busy" in message
        or ("database table is locked" in message)
    )


def is_missing_table(exc: DBAPIError) -> bool:
    """Whether ``exc`` says that a table does not exist (a database without our schema)."""
    return _sqlstate(exc) == _PG_UNDEFINED_TABLE or "no such table" in _orig_message(exc)


def classify(exc: BaseException, backend: str) -> str | None:
    """Say what kind of failure a database error is.

    Args:
        exc: An error raised by SQLAlchemy (or an ``OSError``).
        backend: ``"sqlite"`` or ``"postgresql"``: a driver error without SQLSTATE only
            means "no connection" on PostgreSQL.

    Returns:
        ``"retry"`` (locked, serialization failure, deadlock: run the transaction again),
        ``"unavailable"`` (cannot connect, connection lost, server shutting down),
        ``"full"`` (no space left), ``"corrupt"`` (not a database), ``"nul"`` (PostgreSQL
        text cannot hold the NUL character) or None (any other error).
    """
    if isinstance(exc, OSError):
        codes = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
        return "full" if exc.errno in codes else None
    if not isinstance(exc, DBAPIError):
        return None
    state = _sqlstate(exc)
    message = _orig_message(exc)
    if state == _PG_DISK_FULL or any(m in message for m in _DISK_FULL_MESSAGES):
        return "full"
    if state in _PG_RETRY_STATES or _is_busy(exc):
        return "retry"
    if state in _PG_UNAVAILABLE_STATES or (state or "").startswith("08"):
        return "unavailable"
    if exc.connection_invalidated:
        return "unavailable"
    # psycopg raises OperationalError without SQLSTATE when there is no usable connection:
    # refused, timed out, closed by the server, authentication refused.
    no_connection = isinstance(exc, OperationalError | InterfaceError) and state is None
    if backend == "postgresql" and no_connection:
        return "unavailable"
    if backend == "sqlite" and "unable to open database" in message:
        return "unavailable"
    if any(marker in message for marker in _CORRUPT_MARKERS):
        return "corrupt"
    if _NUL_IN_TEXT in message:
        return "nul"
    return None


class FaultTranslator:
    """Turns database errors into :class:`StoreError`\\ s that tell a user what happened.

    Args:
        display: The database as shown to people (a file path, or a masked URL).
        backend: ``"sqlite"`` or ``"postgresql"``.
        scrubber: Removes the URL's secrets from driver messages.
    """

    def __init__(self, display: str, backend: str, scrubber: Scrubber | None = None) -> None:
        self.display = display
        self.backend = backend
        self.scrub = scrubber or Scrubber()

    def translate(self, exc: BaseException) -> StoreError | InvalidArgumentError:
        """The error telling what ``exc`` means, without secrets."""
        # The driver's own message: SQLAlchemy's would add the statement and parameters.
        raw = str(exc.orig) if isinstance(exc, DBAPIError) else str(exc)
        detail = self.scrub(" ".join(raw.split()))
        kind = classify(exc, self.backend)
        if kind == "unavailable":
            return StoreUnavailableError(self.display, detail)
        if kind == "full":
            return StoreFullError(self.display, detail)
        if kind == "corrupt":
            return StoreCorruptedError(self.display, detail)
        if kind == "nul":
            # The store escapes NUL in text columns and refuses it in metric names: this
            # is a value that took another path.
            return InvalidArgumentError(
                f"the run database {self.display} cannot store the NUL character (\\x00) in "
                "text: remove it from the value"
            )
        return StoreError(f"database error ({self.display}): {detail}")
