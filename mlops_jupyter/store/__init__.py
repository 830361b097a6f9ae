"""The run store: where runs, metric series and artifacts are kept.

Importing this package is cheap (no SQLAlchemy): :func:`open_store` loads the SQL backend
on first use.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError
from .errors import (
    BlobNotFoundError,
    RunAlreadyExistsError,
    RunNotFoundError,
    StoreCorruptedError,
    StoreError,
    StoreFullError,
    StoreUnavailableError,
)
from .location import StoreLocation, resolve_store_location

if TYPE_CHECKING:
    from .base import RunStore

__all__ = [
    "BACKENDS",
    "BlobNotFoundError",
    "InvalidArgumentError",
    "RunAlreadyExistsError",
    "RunNotFoundError",
    "RunStore",
    "StoreCorruptedError",
    "StoreError",
    "StoreFullError",
    "StoreLocation",
    "StoreUnavailableError",
    "get_store",
    "open_store",
    "reset_store_cache",
    "resolve_store_location",
]


def _open_sql(location: StoreLocation) -> RunStore:
    from .sql import SqlRunStore

    return SqlRunStore(location)


#: Backends by URL scheme (the part before ``+driver``): ``BACKENDS[scheme](location)``
#: opens a store. A deployment may register another one.
BACKENDS: dict[str, Callable[[StoreLocation], RunStore]] = {
    "sqlite": _open_sql,
    "postgresql": _open_sql,
}

_cache: dict[str, RunStore] = {}
_cache_pid = os.getpid()
_cache_lock = threading.Lock()


def __getattr__(name: str) -> Any:
    # RunStore is loaded on first use: importing the package (e.g. for the location
    # helpers, on every kernel start) then costs next to nothing.
    if name == "RunStore":
        from .base import RunStore

        return RunStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_store(location: StoreLocation | None = None) -> RunStore:
    """Open a new store (creating or migrating its database if needed).

    Args:
        location: Where the store is; by default :func:`resolve_store_location`.

    Returns:
        A new store; the caller closes it. Prefer :func:`get_store` for a shared one.

    Raises:
        InvalidArgumentError: If the URL scheme is not supported.
        StoreCorruptedError: If the database file is not a database (it is left untouched).
        StoreError: If the database cannot be opened.
    """
    location = location or resolve_store_location()
    opener = BACKENDS.get(location.scheme)
    if opener is None:
        raise InvalidArgumentError(
            f"unsupported store URL {location.description!r}: use a directory, a sqlite:// "
            "or a postgresql:// URL"
        )
    return opener(location)


def get_store(location: StoreLocation | None = None) -> RunStore:
    """Return this process's shared store for ``location`` (opened on first use).

    Args:
        location: Where the store is; by default :func:`resolve_store_location`.

    Returns:
        The cached store, keyed by database URL.
    """
    global _cache_pid
    location = location or resolve_store_location()
    with _cache_lock:
        if _cache_pid != os.getpid():
            # Forked child: the parent's connections are not ours to use or close.
            for store in _cache.values():
                store.forget_after_fork()
            _cache.clear()
            _cache_pid = os.getpid()
        cached = _cache.get(location.db_url)
        if cached is None:
            cached = _cache[location.db_url] = open_store(location)
        return cached


def reset_store_cache() -> None:
    """Close and forget every store cached by :func:`get_store` (for tests)."""
    with _cache_lock:
        stores = list(_cache.values())
        _cache.clear()
    for store in stores:
        store.close()
