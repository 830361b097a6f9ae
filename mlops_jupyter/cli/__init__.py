"""The ``mlops-jupyter`` command line: a thin face over the core.

Each module registers its commands (:func:`register`); errors of the core become an exit
status in one place, :func:`exit_status`: 0 success, 1 a failure the command reports
(diverged, unhealthy, an error of the store), 2 a usage error (bad arguments, an unknown or
ambiguous id, no store where the setting points). With ``--json`` an error is also printed
on stdout as ``{"error": message, "status": exit status}``, so scripts always get JSON.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import MlopsError
from ..version import __version__
from . import determinism, drift, interop, models, reproduce, runs, store, sweep, triggers
from .common import print_json, warn

__all__ = ["build_parser", "exit_status", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``mlops-jupyter`` command."""
    parser = argparse.ArgumentParser(
        prog="mlops-jupyter", description="Experiment runs recorded by %%track."
    )
    parser.add_argument("--version", action="version", version=f"mlops-jupyter {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for module in (runs, reproduce, determinism, sweep, store, drift, models, interop, triggers):
        module.register(commands)
    return parser


def exit_status(error: MlopsError, args: argparse.Namespace) -> int:
    """The exit status of a command that failed with ``error``.

    A bad argument (400) or an unknown id (404) is a usage error (2); every other failure
    (the store unreachable or corrupted, a refused action) is 1, unless the command
    documents other statuses.
    """
    return 2 if error.code in (400, 404) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mlops-jupyter`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "limit", None) is not None and args.limit < 1:
        parser.error("--limit must be a positive number")
    try:
        result: int = args.func(args)
        return result
    except MlopsError as exc:
        warn(str(exc))
        status = exit_status(exc, args)
        if getattr(args, "json", False):
            print_json({"error": str(exc), "status": status})
        return status
    except BrokenPipeError:  # `mlops-jupyter runs list | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
