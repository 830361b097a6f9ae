"""``mlops-jupyter drift profile|check``: profile data, check a batch against a profile.

Exit status of ``drift check`` (scripts depend on it): 0 ok, 1 drift, 3 insufficient data,
2 anything else (bad arguments, a missing file, a malformed profile, a missing package).
Since 1 means drift here, no error may exit 1: this module turns every error into 2 itself
instead of leaving it to :func:`mlops_jupyter.cli.exit_status`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import MlopsError
from ..formatting import clip, format_bytes
from .common import Subcommands, json_flag, print_json, warn

if TYPE_CHECKING:
    from ..drift.check import DriftReport
    from ..drift.profile import Profile

__all__ = ["EXIT_STATUS", "register"]

#: The exit status of each verdict of ``drift check``.
EXIT_STATUS = {"ok": 0, "drift": 1, "insufficient_data": 3}
#: Any error: a usage error in the broad sense (never 1, which means drift).
ERROR_STATUS = 2


def _failing_with_2(command: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except MlopsError as exc:
            warn(str(exc))
            if args.json:  # the shape cli.main prints for other commands' errors
                print_json({"error": str(exc), "status": ERROR_STATUS})
            return ERROR_STATUS

    run.__doc__ = command.__doc__
    return run


def _column_line(name: str, column: Any) -> str:
    kind = column.kind.value
    detail = ""
    if column.numeric is not None:
        n = column.numeric
        detail = f"mean {n.mean:.4g}  std {n.std:.4g}  min {n.min:.4g}  max {n.max:.4g}"
    elif column.categories is not None:
        c = column.categories
        top = ", ".join(clip(label, 16) for label in list(c.top)[:3])
        detail = f"{c.distinct} distinct: {top}" + (", ..." if c.distinct > 3 else "")
        if c.high_cardinality:
            detail += " (text/identifiers: not compared)"
    elif column.time_range is not None:
        detail = f"{column.time_range[0]} .. {column.time_range[1]}"
    dtype = clip(column.dtype, 14)
    return f"{clip(name, 24):<24}  {kind:<11}  {dtype:<14}  {column.nulls:>7.2%}  {detail}"


def _print_profile(profile: Profile, source: str, out: str | None) -> None:
    size = len(profile.dumps().encode())
    print(f"profile {profile.name or '-'} of {source}")
    print(f"rows: {profile.rows}, columns: {len(profile.columns)}, size: {format_bytes(size)}")
    print(f"digest: {profile.digest}")
    if profile.grid != 101 or profile.omitted_columns:
        print(
            f"detail reduced to fit 100 KB: {profile.grid} quantiles"
            + (f", {profile.omitted_columns} columns left out" if profile.omitted_columns else "")
        )
    print(f"{'COLUMN':<24}  {'KIND':<11}  {'DTYPE':<14}  {'MISSING':>7}  SUMMARY")
    for name, column in profile.columns.items():
        print(_column_line(name, column))
    if out:
        print(f"written to {out}")


@_failing_with_2
def cmd_drift_profile(args: argparse.Namespace) -> int:
    """Profile a data file; print the profile (JSON) or a summary; write it with --out."""
    from ..drift.profile import profile_file
    from ..drift.reference import write_profile

    profile = profile_file(args.file, name=args.name)
    if args.out:
        write_profile(profile, args.out)
    if args.json:
        print_json(profile.to_json())
    else:
        _print_profile(profile, args.file, args.out)
    return 0


def _print_report(report: DriftReport) -> None:
    shared = f"{report.drift_share:.0%} of compared columns drifted"
    print(f"verdict: {report.verdict} ({shared}; {report.n_batch} vs {report.n_reference} rows)")
    header = f"{'COLUMN':<24}  {'METHOD':<14}  {'SCORE':>8}  {'THRESHOLD':>9}  {'STATUS':<12}  PSI"
    print(header)
    for name, column in report.columns.items():
        score = "-" if column.score is None else f"{column.score:.4f}"
        threshold = "-" if column.threshold is None else f"{column.threshold:.4f}"
        psi = "" if column.psi is None else f"{column.psi:.3f}"
        mark = " (critical)" if column.critical else ""
        print(
            f"{clip(name, 24):<24}  {column.method:<14}  {score:>8}  {threshold:>9}  "
            f"{column.status + mark:<12}  {psi}"
        )
    for change in report.schema_changes:
        dtypes = " -> ".join(str(change[k]) for k in ("reference", "batch") if change[k])
        print(f"schema: {change['column']} {change['change']} ({dtypes})")
    for name, categories in report.new_categories.items():
        shares = ", ".join(f"{clip(k, 30)} ({v:.1%})" for k, v in categories.items())
        print(f"new categories in {name}: {shares}")
    for reason in report.reasons:
        print(f"reason: {reason}")
    for name, column in report.columns.items():
        if column.reason and column.status != "ok":
            print(f"{name}: {column.reason}")


def _thresholds(pairs: list[str]) -> dict[str, float]:
    thresholds = {}
    for pair in pairs:
        name, sep, value = pair.rpartition("=")
        try:
            thresholds[name] = float(value)
        except ValueError:
            name = ""
        if not sep or not name:
            raise argparse.ArgumentTypeError(f"expected COLUMN=NUMBER, got {pair!r}")
    return thresholds


@_failing_with_2
def cmd_drift_check(args: argparse.Namespace) -> int:
    """Check a data file against a reference; exit 0 ok, 1 drift, 3 insufficient data."""
    from ..drift.check import check_drift
    from ..drift.profile import read_frame
    from ..drift.reference import resolve_reference

    try:
        thresholds = _thresholds(args.threshold)
    except argparse.ArgumentTypeError as exc:
        from ..errors import InvalidArgumentError

        raise InvalidArgumentError(str(exc)) from None
    reference = resolve_reference(args.against)
    batch: Any
    if Path(args.file).suffix.lower() == ".json":  # a stored profile of the batch
        batch = resolve_reference(args.file)
    else:
        batch = read_frame(args.file)
    report = check_drift(
        batch,
        reference,
        critical=args.critical,
        thresholds=thresholds or None,
        calibrate=not args.no_calibrate,
        pvalues=args.pvalues,
    )
    if args.json:
        print_json(report.to_json())
    else:
        _print_report(report)
    return EXIT_STATUS[report.verdict]


def register(commands: Subcommands) -> None:
    """Add ``drift profile`` and ``drift check``."""
    drift = commands.add_parser("drift", help="profile data and check batches for drift")
    drift_commands = drift.add_subparsers(dest="drift_command", required=True)

    profile = drift_commands.add_parser(
        "profile", help="profile a .csv or .parquet file (the reference of drift checks)"
    )
    profile.add_argument("file", help="a .csv or .parquet file")
    profile.add_argument("--name", help="a name for the data (default: the file's stem)")
    profile.add_argument("--out", help="write the profile (JSON) to this file")
    json_flag(profile, "the profile as JSON")
    profile.set_defaults(func=cmd_drift_profile)

    check = drift_commands.add_parser(
        "check",
        help="check a batch against a reference profile",
        description="Exit status: 0 ok, 1 drift, 3 insufficient data, 2 usage error.",
    )
    check.add_argument("file", help="the batch: a .csv or .parquet file (or a profile .json)")
    check.add_argument(
        "--against", required=True, metavar="REF", help="the reference: a profile JSON file"
    )
    check.add_argument(
        "--critical",
        action="append",
        default=[],
        metavar="COLUMN",
        help="a column whose drift alone means drift (repeatable)",
    )
    check.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="COLUMN=VALUE",
        help="a column's fixed threshold (repeatable)",
    )
    check.add_argument(
        "--no-calibrate",
        action="store_true",
        help="keep the fixed thresholds even when the reference has chunk scores",
    )
    check.add_argument(
        "--pvalues",
        action="store_true",
        help="add KS / chi-square p-values (needs scipy; never part of the verdict)",
    )
    json_flag(check, "the report as JSON")
    check.set_defaults(func=cmd_drift_check)
