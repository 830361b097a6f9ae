"""``mlops-jupyter status`` and ``mlops-jupyter runs list|show``."""

from __future__ import annotations

import argparse

from ..formatting import clip, format_duration, format_value
from ..models import Run, RunStatus
from ..version import __version__
from .common import Subcommands, json_flag, print_json, read_store, resolve_run_id

__all__ = ["register"]


def cmd_status(args: argparse.Namespace) -> int:
    """Print the version and the store in use."""
    from ..store.location import resolve_store_location

    print(f"mlops-jupyter {__version__} · store: {resolve_store_location().description}")
    return 0


def cmd_runs_list(args: argparse.Namespace) -> int:
    """List runs, newest first."""
    store = read_store()
    status = RunStatus(args.status) if args.status else None
    found: list[Run] = store.search_runs(
        experiment=args.experiment, status=status, limit=args.limit
    )
    if args.json:
        print_json([run.to_json() for run in found])
        return 0
    if not found:
        print("no runs")
        return 0
    header = f"{'ID':<12}  {'STATUS':<11}  {'STARTED':<19}  {'DURATION':>8}  {'NAME':<20}  METRICS"
    print(header)
    for run in found:
        metrics = ", ".join(f"{k}={format_value(v)}" for k, v in list(run.metrics.items())[:4])
        print(
            f"{run.id[:12]:<12}  {run.status.value:<11}  "
            f"{run.started_at.strftime('%Y-%m-%d %H:%M:%S'):<19}  "
            f"{format_duration(run.duration):>8}  {clip(run.name or '-', 20):<20}  "
            f"{clip(metrics, 60)}"
        )
    return 0


def _show_lines(run: Run) -> list[tuple[str, str]]:
    lines = [
        ("id", run.id),
        ("name", run.name or "-"),
        ("experiment", run.experiment),
        ("status", run.status.value),
        ("started", run.started_at.isoformat()),
        ("duration", format_duration(run.duration)),
    ]
    if run.notebook is not None:
        saved = {True: "saved", False: "NOT saved", None: "unknown"}[
            run.notebook.saved_matches_source
        ]
        lines.append(("notebook", f"{run.notebook.path} (cell source {saved})"))
    if run.history_out_of_order:
        lines.append(("history", "cells ran out of order"))
    if run.git is not None:
        dirty = " (dirty)" if run.git.dirty else ""
        lines.append(("git", f"{run.git.branch or 'detached'} @ {run.git.commit or '-'}{dirty}"))
    python = run.env.get("python", {}).get("version", "?") if run.env else "?"
    lines.append(("python", python))
    lines += [(f"param {key}", format_value(value)) for key, value in run.params.items()]
    lines += [(f"metric {key}", format_value(value)) for key, value in run.metrics.items()]
    for kind, records in (("input", run.inputs), ("artifact", run.artifacts)):
        lines += [
            (kind, f"{record.path} sha256:{record.sha256[:12]} {record.size} B")
            for record in records
        ]
    if run.error is not None:
        lines.append(("error", f"{run.error.type}: {run.error.message}"))
    return lines


def cmd_runs_show(args: argparse.Namespace) -> int:
    """Show one run."""
    store = read_store()
    run = resolve_run_id(store, args.run_id)
    if args.json:
        print_json(run.to_json())
        return 0
    lines = _show_lines(run)
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        print(f"{key:<{width}}  {value}")
    print("\nsource:")
    print(run.source)
    return 0


def register(commands: Subcommands) -> None:
    """Add ``status`` and ``runs``."""
    status = commands.add_parser("status", help="show the version and the store in use")
    status.set_defaults(func=cmd_status)

    runs = commands.add_parser("runs", help="list and show runs")
    runs_commands = runs.add_subparsers(dest="runs_command", required=True)
    listing = runs_commands.add_parser("list", help="list runs, newest first")
    listing.add_argument("--experiment", help="only runs of this experiment")
    listing.add_argument(
        "--status", choices=[s.value for s in RunStatus], help="only runs with this status"
    )
    listing.add_argument("--limit", type=int, help="at most this many runs (default: all)")
    json_flag(listing)
    listing.set_defaults(func=cmd_runs_list)
    show = runs_commands.add_parser("show", help="show one run")
    show.add_argument("run_id", help="a run id (or a unique prefix of at least 4 characters)")
    json_flag(show)
    show.set_defaults(func=cmd_runs_show)
