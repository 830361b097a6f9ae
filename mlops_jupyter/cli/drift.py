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
    from ..store.base import RunStore

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
    from ..drift.profiling import profile_file
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


def _existing_store() -> RunStore | None:
    """The store, if one exists here (a check never creates one)."""
    from ..store import get_store
    from ..store.location import resolve_store_location

    location = resolve_store_location()
    if location.sqlite_path is not None and not Path(location.sqlite_path).is_file():
        return None
    return get_store(location)


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
    from ..drift.reference import resolve, resolve_reference

    try:
        thresholds = _thresholds(args.threshold)
    except argparse.ArgumentTypeError as exc:
        from ..errors import InvalidArgumentError

        raise InvalidArgumentError(str(exc)) from None
    store = _existing_store()
    if store is None and not Path(args.against).is_file():
        from ..errors import NotFoundError

        raise NotFoundError(
            f"{args.against}: no such profile file, and no store here to find runs or models "
            "in (check MLOPS_JUPYTER_STORE)"
        )
    reference = resolve(args.against, store)
    batch: Any
    if Path(args.file).suffix.lower() == ".json":  # a stored profile of the batch
        batch = resolve_reference(args.file)
    else:
        batch = read_frame(args.file)
    report = check_drift(
        batch,
        reference.profile,
        critical=args.critical,
        thresholds=thresholds or None,
        calibrate=not args.no_calibrate,
        pvalues=args.pvalues,
    )
    report.reference_ref = reference.ref
    if args.record and store is not None:
        from ..drift.record import record_check
        from ..registry.actor import default_actor

        event = record_check(store, report, reference, actor=default_actor(), batch_name=args.file)
        report.check_id = event.seq
    if args.json:
        print_json(report.to_json())
    else:
        _print_report(report)
    return EXIT_STATUS[report.verdict]


@_failing_with_2
def cmd_drift_checks(args: argparse.Namespace) -> int:
    """List the recorded checks."""
    from ..drift.record import list_checks

    store = _existing_store()
    found = [] if store is None else list_checks(store, model=args.model, limit=args.limit)
    if args.json:
        print_json({"checks": found})
        return 0
    if not found:
        print("no drift checks recorded")
    for item in found:
        reference = item.get("reference") or {}
        batch = item.get("batch") or {}
        drifted = ", ".join(item.get("drifted_columns") or []) or "-"
        print(
            f"{item['check_id']:>5}  {item['at'][:19]}  {item['verdict']:<17}  "
            f"{clip(str(batch.get('name') or batch.get('digest', ''))[:40], 40):<40}  "
            f"vs {reference.get('ref')}  drifted: {clip(drifted, 60)}"
        )
    return 0


def register(commands: Subcommands) -> None:
    """Add ``drift profile``, ``drift check`` and ``drift checks``."""
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
        "--against",
        required=True,
        metavar="REF",
        help="the reference: a profile JSON file, a run id, NAME@ALIAS or NAME/VERSION (the "
        "data that version was trained on), optionally #FRAME",
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
    check.add_argument(
        "--record",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="record the check in the store (its lineage, the lifecycle log); default yes "
        "when a store exists",
    )
    json_flag(check, "the report as JSON")
    check.set_defaults(func=cmd_drift_check)

    checks = drift_commands.add_parser("checks", help="the recorded checks, newest first")
    checks.add_argument("--model", help="only checks against this model's versions")
    checks.add_argument("--limit", type=int, default=50)
    json_flag(checks, "the checks as JSON")
    checks.set_defaults(func=cmd_drift_checks)
