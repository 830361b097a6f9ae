"""``mlops-jupyter determinism``: execute a run's pinned notebook several times and compare."""

from __future__ import annotations

import argparse
import math
import sys

from ..determinism import MAX_REPEATS, DeterminismReport
from ..formatting import format_value
from .common import Subcommands, json_flag, print_json, read_store, resolve_run_id

__all__ = ["register"]


def cmd_determinism(args: argparse.Namespace) -> int:
    """Check a run's determinism; exit 0 deterministic, 1 otherwise."""
    import logging

    from ..determinism import check_determinism

    store = read_store()
    run = resolve_run_id(store, args.run_id)
    logging.getLogger("papermill").setLevel(logging.ERROR)
    print(f"checking run {run.id} ({run.name or run.experiment})", file=sys.stderr)

    def progress(done: int, running: int, total: int) -> None:
        print(f"executions: {done} of {total} done, {running} running", file=sys.stderr, flush=True)

    report = check_determinism(
        run.id,
        repeats=args.repeats,
        strict=args.strict,
        tolerance=args.tolerance,
        workers=args.workers,
        store=store,
        progress=progress,
    )
    if args.json:
        print_json(report.to_json())
    else:
        print_report(report)
    return 0 if report.verdict == "deterministic" else 1


def print_report(report: DeterminismReport) -> None:
    """The report for people: verdict, first difference, causes, executions."""
    print(f"verdict: {report.verdict}")
    if report.varied:
        print(f"varied: {', '.join(report.varied)}")
    first = report.first_difference
    if first is not None:
        where = (
            f"{first['metric']} at step {first['step']}"
            if first.get("metric") is not None
            else first.get("param") or first.get("path")
        )
        values = " vs ".join(format_value(v, missing="-") for v in first["values"])
        between = " and ".join(f"#{i}" for i in first["executions"])
        varied = f" (only {', '.join(first['varied'])} changed)" if first["varied"] else ""
        print(f"first difference: {where}: {values} between executions {between}{varied}")
    if report.causes:
        print("causes (most likely first):")
        for cause in report.causes:
            print(f"  - {cause}")
    for execution in report.executions:
        varied = execution["varied"] or "same settings"
        run = (execution["run_id"] or "-")[:12]
        print(f"  #{execution['index'] + 1}: {execution['status']:<9} {run:<12} {varied}")
    for note in report.notes:
        print(f"note: {note}")


def _repeats(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 2 <= value <= MAX_REPEATS:
        raise argparse.ArgumentTypeError(f"must be from 2 to {MAX_REPEATS}, got {value}")
    return value


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}")
    return value


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def register(commands: Subcommands) -> None:
    """Add ``determinism``."""
    parser = commands.add_parser(
        "determinism",
        help="execute a run's pinned notebook several times and tell whether it is deterministic",
        description=(
            "Execute the notebook a run pinned N times in fresh kernels and compare the "
            "executions: parameters, every metric's step series, artifact hashes. --strict "
            "adds one execution per setting that should not matter (PYTHONHASHSEED, "
            "OMP/MKL/OPENBLAS_NUM_THREADS, the working directory's absolute path) and names "
            "the one a difference comes from. Exit status: 0 deterministic, 1 "
            "nondeterministic or failed, 2 usage error."
        ),
    )
    parser.add_argument("run_id", help="a run id (or a unique prefix of at least 4 characters)")
    parser.add_argument(
        "--repeats",
        type=_repeats,
        default=2,
        metavar="N",
        help=f"executions with the same settings (2 to {MAX_REPEATS}, default 2)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="also vary PYTHONHASHSEED, the thread counts and the working directory's path",
    )
    parser.add_argument(
        "--tolerance",
        type=_tolerance,
        default=0.0,
        metavar="REL",
        help="relative tolerance of float values (default 0: exactly equal)",
    )
    parser.add_argument(
        "--workers",
        type=_workers,
        default=None,
        metavar="W",
        help="executions at the same time (default: one per core)",
    )
    json_flag(parser, "the report as JSON")
    parser.set_defaults(func=cmd_determinism)
