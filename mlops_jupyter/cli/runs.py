"""``mlops-jupyter status`` and ``mlops-jupyter runs list|show``."""

from __future__ import annotations

import argparse
import os
from datetime import datetime, timezone

from ..formatting import clip, format_bytes, format_duration, format_value
from ..models import FileRecord, Run, RunStatus
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
        name = run.name or "-"
        if run.reproduction_of:
            name = f"↻{run.reproduction_of[:8]} {name}"  # a reproduction of that run
        print(
            f"{run.id[:12]:<12}  {run.status.value:<11}  "
            f"{run.started_at.strftime('%Y-%m-%d %H:%M:%S'):<19}  "
            f"{format_duration(run.duration):>8}  {clip(name, 20):<20}  "
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
    if run.reproduction_of:
        lines.append(("reproduces", run.reproduction_of))
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
    lines += [("input", describe_input(run, record)) for record in run.inputs]
    lines += [
        ("artifact", f"{record.path} sha256:{record.sha256[:12]} {format_bytes(record.size)}")
        for record in run.artifacts
    ]
    if run.error is not None:
        lines.append(("error", f"{run.error.type}: {run.error.message}"))
    return lines


def describe_input(run: Run, record: FileRecord) -> str:
    """An input as ``runs show`` prints it: path, cell, size, hash prefix and whether the
    file changed since the run read it."""
    parts = [record.path]
    if record.kind != "file":
        parts.append(f"({record.kind})")
    if record.cell is not None:
        parts.append(f"cell [{record.cell}]")
    if record.kind == "url":
        parts.append(f"version {record.version}" if record.version else "not hashed")
        return "  ".join(parts)
    parts.append(format_bytes(record.size))
    if record.sha256:
        sampled = " (sampled)" if record.hashing == "sampled" else ""
        parts.append(f"sha256:{record.sha256[:12]}{sampled}")
    now = input_now(run, record)
    if now:
        parts.append(now)
    return "  ".join(parts)


def input_now(run: Run, record: FileRecord) -> str:
    """``"missing now"``, ``"changed since: ..."`` or "" for an input file of ``run``."""
    if record.kind != "file" or not record.sha256:
        return ""
    base = run.extra.get("cwd")
    if run.notebook is not None and run.notebook.path:
        base = os.path.dirname(run.notebook.path)
    path = record.path if os.path.isabs(record.path) else os.path.join(str(base or ""), record.path)
    try:
        st = os.stat(path)
    except OSError:
        return "missing now"
    if st.st_size == record.size and record.mtime is not None and st.st_mtime == record.mtime:
        return ""
    from ..capture.inputs import digest_file

    try:
        info = digest_file(path)
    except OSError:
        return "unreadable now"
    if info.sha256 == record.sha256:
        return ""
    stamp = datetime.fromtimestamp(info.mtime, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")
    return f"changed since: now {format_bytes(info.size)}, {stamp} UTC"


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
