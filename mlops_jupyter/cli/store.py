"""``mlops-jupyter store check|migrate|sync``: the store's health, schema and spools."""

from __future__ import annotations

import argparse
import math

from ..formatting import format_bytes, format_duration
from .common import Subcommands, print_json, warn

__all__ = ["register"]

_MISSING_SHOWN = 20
_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _age(text: str) -> float:
    """``90s``, ``30m``, ``12h``, ``7d``, ``2w`` or plain seconds, as seconds (> 0)."""

    unit = text[-1:].lower()
    number = text[:-1] if unit in _AGE_UNITS else text
    try:
        value = float(number) * _AGE_UNITS.get(unit, 1)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an age such as 7d, 12h or 3600, got {text!r}"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"the age must be more than 0, got {text!r}")
    return value


def _anchor(text: str) -> tuple[int, str]:
    """``SEQ:HASH`` of ``store check --anchor``."""
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or int(seq) < 1 or len(digest) != 64:
        raise argparse.ArgumentTypeError(f"invalid anchor {text!r}: SEQ:HASH (64 hex digits)")
    return int(seq), digest.lower()


def _store_failure(exc: Exception, as_json: bool) -> int:
    """Report a store that could not be checked: 1 if it is corrupted, 2 if unreachable."""
    from ..store.errors import StoreCorruptedError

    corrupted = isinstance(exc, StoreCorruptedError)
    warn(str(exc))
    if as_json:
        print_json({"healthy": False, "error": str(exc), "corrupted": corrupted})
    return 1 if corrupted else 2


def cmd_store_check(args: argparse.Namespace) -> int:
    """Check the database and the blobs; exit 0 healthy, 1 problems, 2 unreachable."""
    from ..store.errors import StoreError
    from ..store.location import resolve_store_location
    from ..store.maintenance import check_location

    location = resolve_store_location()
    try:
        report = check_location(
            location, prune_orphans_older_than=args.prune_orphans, anchor=args.anchor
        )
    except StoreError as exc:
        return _store_failure(exc, args.json)
    if args.json:
        print_json(report.to_json())
        return 0 if report.healthy else 1
    revision = report.schema_revision or "none"
    print(f"store: {report.location} ({report.backend}, schema {revision}, {report.runs} runs)")
    if report.events or report.versions:
        seq, digest = report.event_head
        print(
            f"lifecycle: {report.versions} model versions, {report.events} events, "
            f"head {seq}:{digest}"
        )
    print(f"blob store: {report.blobs_location}")
    print(
        f"blobs: {report.blobs_stored} stored, {report.blobs_referenced} referenced, "
        f"{len(report.missing)} missing, {report.orphans} orphaned "
        f"({format_bytes(report.orphan_bytes)})"
    )
    if args.prune_orphans is not None:
        print(
            f"pruned: {report.pruned} orphaned blobs ({format_bytes(report.pruned_bytes)}) "
            f"older than {format_duration(args.prune_orphans)}"
        )
    for problem in report.problems:
        print(f"problem: {problem}")
    for missing in report.missing[:_MISSING_SHOWN]:
        refs = ", ".join(f"{what} of run {run_id}" for run_id, what in missing.references)
        more = missing.count - len(missing.references)
        print(f"missing blob {missing.sha}: {refs}" + (f" and {more} more" if more else ""))
    if len(report.missing) > _MISSING_SHOWN:
        print(f"... and {len(report.missing) - _MISSING_SHOWN} more missing blobs (see --json)")
    for note in report.notes:
        print(f"note: {note}")
    found = len(report.problems) + len(report.missing)
    print(f"result: {'healthy' if report.healthy else f'{found} problem(s) found'}")
    return 0 if report.healthy else 1


def cmd_store_migrate(args: argparse.Namespace) -> int:
    """Create or upgrade the schema."""
    from ..store.errors import StoreError
    from ..store.location import resolve_store_location
    from ..store.maintenance import migrate_store

    location = resolve_store_location()
    try:
        report = migrate_store(location)
    except StoreError as exc:
        return _store_failure(exc, args.json)
    if args.json:
        print_json(report.to_json())
    elif report.migrated:
        before = report.before or "an empty database"
        print(f"{report.location}: migrated from {before} to {report.after}")
    else:
        print(f"{report.location}: already at revision {report.after}")
    return 0


def cmd_store_sync(args: argparse.Namespace) -> int:
    """Write the runs spooled by kernels that ended while the database was away."""
    from ..store import open_store
    from ..store.errors import StoreError
    from ..store.location import resolve_store_location
    from ..store.spool import pending_files, replay_orphans, spool_dir_for

    location = resolve_store_location()
    directory = spool_dir_for(location.db_url)
    try:
        store = open_store(location)
    except StoreError as exc:
        return _store_failure(exc, args.json)
    try:
        results = replay_orphans(store, directory)
    finally:
        store.close()
    live = [p.name for p in pending_files(directory) if p not in {r[0] for r in results}]
    remaining = sum(r.remaining for _, r in results)
    summary = {
        "location": location.description,
        "spool": str(directory),
        "files": [
            {
                "file": path.name,
                "applied": r.applied,
                "remaining": r.remaining,
                "skipped": r.skipped,
                "dropped": list(r.dropped),
                "error": r.error,
            }
            for path, r in results
        ],
        "owned_by_running_processes": live,
    }
    if args.json:
        print_json(summary)
    else:
        print(f"store: {location.description}; spool: {directory}")
        for path, r in results:
            line = f"{path.name}: {r.applied} writes synced"
            if r.remaining:
                line += f", {r.remaining} still spooled ({r.error})"
            print(line)
            for reason in r.dropped:
                print(f"  dropped (cannot apply): {reason}")
        if live:
            print(f"{len(live)} spool file(s) belong to running kernels, which sync them")
        if not results and not live:
            print("nothing to sync")
    return 1 if remaining else 0


def register(commands: Subcommands) -> None:
    """Add ``store`` and its subcommands."""
    store = commands.add_parser("store", help="check, clean up, migrate or sync the run store")
    store_commands = store.add_subparsers(dest="store_command", required=True)
    check = store_commands.add_parser(
        "check",
        help="check the database and the blobs without changing the database",
        description=(
            "Check the run database (integrity, schema revision) and the blob store (blobs "
            "runs reference but that are missing; unreferenced 'orphaned' blobs, which are "
            "harmless). The database is only read. Exit status: 0 healthy, 1 problems "
            "found (or a corrupted database), 2 usage error or store unreachable."
        ),
    )
    check.add_argument(
        "--prune-orphans",
        type=_age,
        metavar="AGE",
        help="delete orphaned blobs older than AGE (e.g. 7d, 12h, 3600), never younger ones",
    )
    check.add_argument(
        "--anchor",
        type=_anchor,
        metavar="SEQ:HASH",
        help="an event head noted earlier (printed by store check): fail unless the lifecycle "
        "log still holds that event with that hash",
    )
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(func=cmd_store_check)
    migrate = store_commands.add_parser(
        "migrate",
        help="create or upgrade the database schema",
        description="Exit status: 0 done, 1 failed (e.g. corrupted database), 2 unreachable.",
    )
    migrate.add_argument("--json", action="store_true", help="print the result as JSON")
    migrate.set_defaults(func=cmd_store_migrate)
    sync = store_commands.add_parser(
        "sync",
        help="write the runs spooled by kernels that ended while the database was away",
        description=(
            "Kernels keep writes the database could not take in a local spool and sync it "
            "themselves; a kernel that ended first leaves its spool behind, which running "
            "kernels and the Jupyter server adopt too. This does it now. Exit status: 0 "
            "nothing left, 1 writes still spooled (database still away), 2 unreachable."
        ),
    )
    sync.add_argument("--json", action="store_true", help="print the result as JSON")
    sync.set_defaults(func=cmd_store_sync)
