"""What every command shares: the store to read, run ids from the command line, output."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError
from ..models import Run, dumps_strict

if TYPE_CHECKING:
    from ..store.base import RunStore

__all__ = [
    "MIN_PREFIX",
    "NoStoreError",
    "Subcommands",
    "json_flag",
    "print_json",
    "read_store",
    "resolve_run_id",
    "warn",
]

#: What ``add_subparsers`` returns (argparse's private class, spelled loosely).
Subcommands = Any


class NoStoreError(InvalidArgumentError):
    """A read command was pointed at a store that does not exist (exit status 2)."""


def read_store() -> RunStore:
    """The store of this environment, after marking the runs whose kernel is gone.

    Raises:
        NoStoreError: If the store is a SQLite file that does not exist: a read never
            creates a store (a mistyped ``MLOPS_JUPYTER_STORE`` would look empty).
    """
    from ..store import get_store
    from ..store.housekeeping import reap
    from ..store.location import resolve_store_location

    location = resolve_store_location()
    if location.sqlite_path is not None and not os.path.isfile(location.sqlite_path):
        raise NoStoreError(
            f"no store at {location.description}: nothing was recorded there (check "
            "MLOPS_JUPYTER_STORE)"
        )
    store = get_store(location)
    reap(store)
    return store


#: Shortest run id prefix accepted.
MIN_PREFIX = 4


def resolve_run_id(store: RunStore, run_id: str) -> Run:
    """The run with id ``run_id``, or the single run whose id starts with it.

    Raises:
        RunNotFoundError: If no run matches.
        InvalidArgumentError: If the prefix is too short or more than one run matches.
    """
    from ..store.errors import RunNotFoundError

    try:
        return store.get_run(run_id)
    except RunNotFoundError:
        if len(run_id) >= 32:
            raise
    if len(run_id) < MIN_PREFIX:
        raise InvalidArgumentError(
            f"run id prefix {run_id!r} is too short: give at least {MIN_PREFIX} characters"
        )
    matches = store.run_ids_with_prefix(run_id, limit=11)
    if not matches:
        raise RunNotFoundError(run_id)
    if len(matches) > 1:
        count = "more than 10" if len(matches) > 10 else str(len(matches))
        raise InvalidArgumentError(f"ambiguous: {count} runs start with {run_id}")
    return store.get_run(matches[0])


def print_json(value: Any) -> None:
    """Print strict JSON (non-finite floats as strings) on stdout."""
    print(dumps_strict(value))


def warn(message: str) -> None:
    """Print ``mlops-jupyter: message`` on stderr."""
    print(f"mlops-jupyter: {message}", file=sys.stderr)


def json_flag(parser: argparse.ArgumentParser, what: str = "JSON") -> None:
    """Add ``--json``."""
    parser.add_argument("--json", action="store_true", help=f"print {what}")
