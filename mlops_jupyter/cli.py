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


def _sweep_values(text: str) -> tuple[str, list[Any]]:
    """``name=v1,v2``: each value JSON if it parses, else a string."""
    import json

    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name or not raw:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE[,VALUE...], got {text!r}")
    values: list[Any] = []
    for part in raw.split(","):
        try:
            values.append(json.loads(part))
        except ValueError:
            values.append(part.strip())
    return name, values


class _SweepProgressLine:
    """One line on stderr, rewritten in place: done / running / failed, elapsed, estimate."""

    def __init__(self) -> None:
        import time

        self._start = time.monotonic()
        self._clock = time.monotonic
        self._tty = sys.stderr.isatty()
        self._last = ""

    def __call__(self, counts: Any) -> None:
        elapsed = self._clock() - self._start
        done, total = counts["done"], counts["total"]
        eta = "-" if not done else _fmt_duration(elapsed / done * (total - done))
        line = (
            f"sweep: {done}/{total} done, {counts['running']} running, {counts['failed']} "
            f"failed, {_fmt_duration(elapsed)} elapsed, ~{eta} left"
        )
        if line == self._last:
            return
        self._last = line
        print(
            ("\r" + line) if self._tty else line,
            end="" if self._tty else "\n",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        if self._tty and self._last:
            print(file=sys.stderr)


def _finish_sweep(result: Any, as_json: bool) -> int:
    import json

    sweep = result.sweep
    if as_json:
        print(
            json.dumps(
                {"sweep_id": sweep.id, "executions": [e.to_json() for e in sweep.executions]}
            )
        )
        return 0 if result.ok else 1
    from .store.errors import RunNotFoundError

    store = _store()
    print(f"sweep {sweep.id}")
    print(f"{'#':>3}  {'STATUS':<11}  {'RUN':<12}  {'PARAMS':<40}  METRICS / ERROR")
    for execution in sweep.executions:
        params = ", ".join(f"{k}={_fmt_value(v)}" for k, v in execution.params.items())
        metrics = ""
        for run_id in execution.run_ids[:1]:
            try:
                run = store.get_run(run_id)
            except RunNotFoundError:
                continue
            metrics = ", ".join(f"{k}={_fmt_value(v)}" for k, v in list(run.metrics.items())[:4])
        detail = execution.error if execution.status != "finished" and execution.error else metrics
        run_id = execution.run_ids[0][:12] if execution.run_ids else "-"
        print(
            f"{execution.index:>3}  {execution.status:<11}  {run_id:<12}  "
            f"{_clip(params, 40):<40}  {_clip(detail or '-', 60)}"
        )
    return 0 if result.ok else 1


def cmd_sweep(args: argparse.Namespace) -> int:
    from .sweep import SweepError, expand_grid, load_combinations, run_sweep

    grid: dict[str, list[Any]] | None = None
    combos: list[dict[str, Any]] = []
    if args.resume is None:
        if args.list and args.param:
            raise SweepError("give either -p grids or --list FILE, not both")
        if args.list:
            combos = load_combinations(args.list)
        elif args.param:
            grid = {}
            for name, values in args.param:
                if name in grid:
                    raise SweepError(f"parameter {name!r} is given twice")
                grid[name] = values
            combos = expand_grid(grid)
        elif args.from_run is None:
            raise SweepError("nothing to sweep: give -p NAME=V1,V2 or --list FILE")
        else:
            combos = [{}]
        if args.notebook is None and args.from_run is None:
            raise SweepError("give a NOTEBOOK or --from-run RUN_ID")
    from_run = None
    if args.from_run is not None:
        from_run = resolve_run_id(_store(), args.from_run).id
    line = _SweepProgressLine()
    try:
        result = run_sweep(
            args.notebook,
            combos,
            from_run=from_run,
            grid=grid,
            workers=args.workers,
            executor=args.executor,
            resume=args.resume,
            progress=line,
        )
    finally:
        line.close()
    return _finish_sweep(result, args.json)


def cmd_rerun(args: argparse.Namespace) -> int:
    from .sweep import run_sweep

    store = _store()
    ids = [resolve_run_id(store, run_id).id for run_id in args.run_ids]
    line = _SweepProgressLine()
    try:
        result = run_sweep(
            from_runs=ids, workers=args.workers, executor=args.executor, progress=line
        )
    finally:
        line.close()
    return _finish_sweep(result, args.json)


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def _executor(text: str) -> str:
    if text != "local" and not text.startswith("dask://"):
        raise argparse.ArgumentTypeError(f"use local or dask://HOST:PORT, got {text!r}")
    return text


def cmd_status(args: argparse.Namespace) -> int:
    from .store.location import resolve_store_location

    print(f"mlops-jupyter {__version__} · store: {resolve_store_location().description}")
    return 0


_MISSING_SHOWN = 20
_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _age(text: str) -> float:
    """``90s``, ``30m``, ``12h``, ``7d``, ``2w`` or plain seconds, as seconds (> 0)."""
    import math

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


def _fmt_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"  # pragma: no cover - the loop always returns


def _store_failure(exc: Exception, as_json: bool) -> int:
    """Report a store that could not be checked: 1 if it is corrupted, 2 if unreachable."""
    from .store.errors import StoreCorruptedError

    corrupted = isinstance(exc, StoreCorruptedError)
    print(f"mlops-jupyter: {exc}", file=sys.stderr)
    if as_json:
        print(dumps_strict({"healthy": False, "error": str(exc), "corrupted": corrupted}))
    return 1 if corrupted else 2


def cmd_store_check(args: argparse.Namespace) -> int:
    from .store.errors import StoreError
    from .store.location import resolve_store_location
    from .store.maintenance import check_location

    location = resolve_store_location()
    try:
        report = check_location(location, prune_orphans_older_than=args.prune_orphans)
    except StoreError as exc:
        return _store_failure(exc, args.json)
    if args.json:
        print(dumps_strict(report.to_json()))
        return 0 if report.healthy else 1
    revision = report.schema_revision or "none"
    print(f"store: {report.location} ({report.backend}, schema {revision}, {report.runs} runs)")
    print(f"blob store: {report.blobs_location}")
    print(
        f"blobs: {report.blobs_stored} stored, {report.blobs_referenced} referenced, "
        f"{len(report.missing)} missing, {report.orphans} orphaned "
        f"({_fmt_bytes(report.orphan_bytes)})"
    )
    if args.prune_orphans is not None:
        print(
            f"pruned: {report.pruned} orphaned blobs ({_fmt_bytes(report.pruned_bytes)}) "
            f"older than {_fmt_duration(args.prune_orphans)}"
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
    from .store.errors import StoreError
    from .store.location import resolve_store_location
    from .store.maintenance import migrate_store

    location = resolve_store_location()
    try:
        report = migrate_store(location)
    except StoreError as exc:
        return _store_failure(exc, args.json)
    if args.json:
        print(dumps_strict(report.to_json()))
    elif report.migrated:
        before = report.before or "an empty database"
        print(f"{report.location}: migrated from {before} to {report.after}")
    else:
        print(f"{report.location}: already at revision {report.after}")
    return 0


def cmd_store_sync(args: argparse.Namespace) -> int:
    from .store import open_store
    from .store.errors import StoreError
    from .store.location import resolve_store_location
    from .store.spool import pending_files, replay_orphans, spool_dir_for

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
        print(dumps_strict(summary))
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

    sweep = commands.add_parser(
        "sweep",
        help="execute a notebook once per combination of parameters",
        description=(
            "Execute NOTEBOOK (or the notebook --from-run pinned, its parameters as defaults) "
            "with papermill once per combination; every run recorded carries the sweep id. "
            "Exit status: 0 all finished, 1 otherwise, 2 usage error."
        ),
    )
    sweep.add_argument("notebook", nargs="?", help="the notebook to sweep")
    sweep.add_argument(
        "-p",
        "--param",
        action="append",
        type=_sweep_values,
        default=[],
        metavar="NAME=V1,V2",
        help="values of a parameter (JSON, else strings); repeat for a grid",
    )
    shape = sweep.add_mutually_exclusive_group()
    shape.add_argument(
        "--grid", action="store_true", help="every combination of the -p values (the default)"
    )
    shape.add_argument(
        "--list", metavar="FILE", help="explicit combinations: a YAML or JSON list of objects"
    )
    sweep.add_argument("--from-run", metavar="RUN_ID", help="sweep the notebook this run pinned")
    sweep.add_argument("--resume", metavar="SWEEP_ID", help="run the unfinished executions again")
    rerun = commands.add_parser(
        "rerun",
        help="run runs again, each with its own parameters, as one sweep",
        description="Exit status: 0 all finished, 1 otherwise, 2 usage error.",
    )
    rerun.add_argument("run_ids", nargs="+", metavar="RUN_ID", help="runs (or unique prefixes)")
    for command in (sweep, rerun):
        command.add_argument(
            "--workers", type=_workers, default=1, metavar="N", help="executions at once"
        )
        command.add_argument(
            "--executor",
            type=_executor,
            default="local",
            metavar="local|dask://HOST:PORT",
            help="where executions run (default: local processes)",
        )
        command.add_argument("--json", action="store_true", help="print the result as JSON")
    sweep.set_defaults(func=cmd_sweep)
    rerun.set_defaults(func=cmd_rerun)

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
        usage = args.func in (cmd_reproduce, cmd_sweep, cmd_rerun)
        return 2 if usage and exc.code in (400, 404) else 1
    except BrokenPipeError:  # `mlops-jupyter runs list | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
