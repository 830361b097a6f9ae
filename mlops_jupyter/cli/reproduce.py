"""``mlops-jupyter reproduce``: re-execute a run's pinned notebook and judge it."""

from __future__ import annotations

import argparse
import math
import sys

from ..formatting import format_value
from ..verdict import DEFAULT_TOLERANCE, Verdict
from .common import Subcommands, json_flag, print_json, read_store, resolve_run_id

__all__ = ["register"]


def cmd_reproduce(args: argparse.Namespace) -> int:
    """Reproduce a run; exit 0 when it reproduced, 1 otherwise."""
    import logging

    from ..reproduce import reproduce

    store = read_store()
    run = resolve_run_id(store, args.run_id)
    # papermill reports on its logger what the verdict says better ("unknown parameter").
    logging.getLogger("papermill").setLevel(logging.ERROR)
    print(f"reproducing run {run.id} ({run.name or run.experiment})", file=sys.stderr)

    def progress(cell: int, total: int) -> None:
        print(f"cell {cell} of {total}", file=sys.stderr, flush=True)

    verdict = reproduce(run.id, tolerance=args.tolerance, twice=args.twice, progress=progress)
    if args.json:
        print_json(verdict.to_json())
    else:
        print_verdict(verdict)
    return 0 if verdict.status == "reproduced" else 1


def print_verdict(verdict: Verdict) -> None:
    """Print a verdict for people: status, causes, failure, metrics table, notes."""
    print(f"status: {verdict.status}")
    if verdict.reproduction_run_id:
        print(f"reproduction run: {verdict.reproduction_run_id}")
    if verdict.nondeterministic is not None:
        print(f"deterministic: {'no' if verdict.nondeterministic else 'yes'}")
    if verdict.causes:
        print("causes (most likely first):")
        for cause in verdict.causes:
            print(f"  - {cause}")
    if verdict.failure:
        failure = verdict.failure
        print(f"failure: cell {failure['cell_index']}: {failure['ename']}: {failure['evalue']}")
    if verdict.metrics:
        width = max(len(key) for key in verdict.metrics)
        print(f"\n{'METRIC':<{width}}  {'ORIGINAL':>14}  {'REPRODUCED':>14}  EQUAL")
        for key, row in verdict.metrics.items():
            original = format_value(row["original"], missing="-")
            reproduced = format_value(row["reproduced"], missing="-")
            equal = "yes" if row["equal"] else "NO"
            print(f"{key:<{width}}  {original:>14}  {reproduced:>14}  {equal}")
    for note in verdict.notes:
        print(f"note: {note}")


def tolerance(text: str) -> float:
    """A relative tolerance: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}")
    return value


def register(commands: Subcommands) -> None:
    """Add ``reproduce``."""
    repro = commands.add_parser(
        "reproduce",
        help="re-execute a run's pinned notebook and tell whether its metrics reproduce",
        description=(
            "Re-execute the notebook a run pinned (git commit, snapshot or execution history) "
            "with papermill and compare the metrics. Exit status: 0 reproduced, 1 diverged "
            "or failed, 2 usage error."
        ),
    )
    repro.add_argument("run_id", help="a run id (or a unique prefix of at least 4 characters)")
    repro.add_argument(
        "--tolerance",
        type=tolerance,
        default=DEFAULT_TOLERANCE,
        metavar="REL",
        help="relative tolerance for float metrics (default 1e-9)",
    )
    repro.add_argument("--twice", action="store_true", help="reproduce twice: check determinism")
    json_flag(repro, "the verdict as JSON")
    repro.set_defaults(func=cmd_reproduce)
