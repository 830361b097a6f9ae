"""What every command shares: the store to read, run ids from the command line, output."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ..models import Run, dumps_strict

if TYPE_CHECKING:
    from ..store.base import RunStore

__all__ = ["Subcommands", "json_flag", "print_json", "read_store", "resolve_run_id", "warn"]

#: What ``add_subparsers`` returns (argparse's private class, spelled loosely).
Subcommands = Any


def read_store() -> RunStore:
    """The store of this environment, after marking the runs whose kernel is gone."""
    from ..store import get_store
    from ..store.housekeeping import reap

    store = get_store()
    reap(store)
    return store


def resolve_run_id(store: RunStore, run_id: str) -> Run:
    """The run with id ``run_id``, or the single run whose id starts with it.

    Raises:
        RunNotFoundError: If no run (or more than one run) matches.
    """
    from ..store.errors import RunNotFoundError

    try:
        return store.get_run(run_id)
    except RunNotFoundError:
        if len(run_id) < 4 or len(run_id) >= 32:
            raise
    matches = [r for r in store.search_runs() if r.id.startswith(run_id.lower())]
    if len(matches) != 1:
        raise RunNotFoundError(run_id)
    return matches[0]


def print_json(value: Any) -> None:
    """Print strict JSON (non-finite floats as strings) on stdout."""
    print(dumps_strict(value))


def warn(message: str) -> None:
    """Print ``mlops-jupyter: message`` on stderr."""
    print(f"mlops-jupyter: {message}", file=sys.stderr)


def json_flag(parser: argparse.ArgumentParser, what: str = "JSON") -> None:
    """Add ``--json``."""
    parser.add_argument("--json", action="store_true", help=f"print {what}")
