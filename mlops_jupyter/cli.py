"""The ``mlops-jupyter`` command line: a thin face over the store."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__
from .models import Run, RunStatus, dumps_strict


def _store() -> Any:
    from .store import get_store
    from .tracking import lease_seconds

    store = get_store()
    store.mark_stale_runs_crashed(lease_seconds())
    return store


def _fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _fmt_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _clip(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def cmd_runs_list(args: argparse.Namespace) -> int:
    store = _store()
    status = RunStatus(args.status) if args.status else None
    found: list[Run] = store.search_runs(
        experiment=args.experiment, status=status, limit=args.limit
    )
    if args.json:
        print(dumps_strict([run.to_json() for run in found]))
        return 0
    if not found:
        print("no runs")
        return 0
    header = f"{'ID':<12}  {'STATUS':<11}  {'STARTED':<19}  {'DURATION':>8}  {'NAME':<20}  METRICS"
    print(header)
    for run in found:
        metrics = ", ".join(f"{k}={_fmt_value(v)}" for k, v in list(run.metrics.items())[:4])
        print(
            f"{run.id[:12]:<12}  {run.status.value:<11}  "
            f"{run.started_at.strftime('%Y-%m-%d %H:%M:%S'):<19}  "
            f"{_fmt_duration(run.duration):>8}  {_clip(run.name or '-', 20):<20}  "
            f"{_clip(metrics, 60)}"
        )
    return 0


def resolve_run_id(store: Any, run_id: str) -> Run:
    """The run with id ``run_id``, or the single run whose id starts with it.

    Raises:
        RunNotFoundError: If no run (or more than one run) matches.
    """
    from .store.errors import RunNotFoundError

    try:
        run: Run = store.get_run(run_id)
        return run
    except RunNotFoundError:
        if len(run_id) < 4 or len(run_id) >= 32:
            raise
    matches: list[Run] = [r for r in store.search_runs() if r.id.startswith(run_id.lower())]
    if len(matches) != 1:
        raise RunNotFoundError(run_id)
    return matches[0]


def cmd_runs_show(args: argparse.Namespace) -> int:
    store = _store()
    run = resolve_run_id(store, args.run_id)
    if args.json:
        print(dumps_strict(run.to_json()))
        return 0
    lines = [
        ("id", run.id),
        ("name", run.name or "-"),
        ("experiment", run.experiment),
        ("status", run.status.value),
        ("started", run.started_at.isoformat()),
        ("duration", _fmt_duration(run.duration)),
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
    for key, value in run.params.items():
        lines.append((f"param {key}", _fmt_value(value)))
    for key, value in run.metrics.items():
        lines.append((f"metric {key}", _fmt_value(value)))
    for record in run.inputs:
        lines.append(("input", f"{record.path} sha256:{record.sha256[:12]} {record.size} B"))
    for record in run.artifacts:
        lines.append(("artifact", f"{record.path} sha256:{record.sha256[:12]} {record.size} B"))
    if run.error is not None:
        lines.append(("error", f"{run.error.type}: {run.error.message}"))
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        print(f"{key:<{width}}  {value}")
    print("\nsource:")
    print(run.source)
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    import logging

    from .reproduce import reproduce

    store = _store()
    run = resolve_run_id(store, args.run_id)
    # papermill reports on its logger what the verdict says better ("unknown parameter").
    logging.getLogger("papermill").setLevel(logging.ERROR)
    print(f"reproducing run {run.id} ({run.name or run.experiment})", file=sys.stderr)

    def progress(cell: int, total: int) -> None:
        print(f"cell {cell} of {total}", file=sys.stderr, flush=True)

    verdict = reproduce(run.id, tolerance=args.tolerance, twice=args.twice, progress=progress)
    if args.json:
        print(dumps_strict(verdict.to_json()))
    else:
        _print_verdict(verdict)
    return 0 if verdict.status == "reproduced" else 1


def _print_verdict(verdict: Any) -> None:
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
            original = "-" if row["original"] is None else _fmt_value(row["original"])
            reproduced = "-" if row["reproduced"] is None else _fmt_value(row["reproduced"])
            equal = "yes" if row["equal"] else "NO"
            print(f"{key:<{width}}  {original:>14}  {reproduced:>14}  {equal}")
    for note in verdict.notes:
        print(f"note: {note}")


def _tolerance(text: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}")
    return value


def cmd_status(args: argparse.Namespace) -> int:
    from .store.location import resolve_store_location

    print(f"mlops-jupyter {__version__} · store: {resolve_store_location().description}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``mlops-jupyter`` command."""
    parser = argparse.ArgumentParser(
        prog="mlops-jupyter", description="Experiment runs recorded by %%track."
    )
    parser.add_argument("--version", action="version", version=f"mlops-jupyter {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

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
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=cmd_runs_list)
    show = runs_commands.add_parser("show", help="show one run")
    show.add_argument("run_id", help="a run id (or a unique prefix of at least 4 characters)")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=cmd_runs_show)

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
        type=_tolerance,
        default=1e-9,
        metavar="REL",
        help="relative tolerance for float metrics (default 1e-9)",
    )
    repro.add_argument("--twice", action="store_true", help="reproduce twice: check determinism")
    repro.add_argument("--json", action="store_true", help="print the verdict as JSON")
    repro.set_defaults(func=cmd_reproduce)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mlops-jupyter`` command."""
    from .store.errors import StoreError

    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "limit", None) is not None and args.limit < 1:
        parser.error("--limit must be a positive number")
    try:
        result: int = args.func(args)
        return result
    except StoreError as exc:
        print(f"mlops-jupyter: {exc}", file=sys.stderr)
        return 2 if args.func is cmd_reproduce and exc.code in (400, 404) else 1
    except BrokenPipeError:  # `mlops-jupyter runs list | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
