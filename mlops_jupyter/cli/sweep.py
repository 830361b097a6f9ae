"""``mlops-jupyter sweep`` and ``mlops-jupyter rerun``: many executions of a notebook."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from ..formatting import clip, format_duration, format_value
from .common import Subcommands, read_store, resolve_run_id

if TYPE_CHECKING:
    from ..sweep import SweepResult

__all__ = ["register"]


def sweep_values(text: str) -> tuple[str, list[Any]]:
    """``name=v1,v2``: each value JSON if it parses, else a string."""

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

        self._start = time.monotonic()
        self._clock = time.monotonic
        self._tty = sys.stderr.isatty()
        self._last = ""

    def __call__(self, counts: Any) -> None:
        elapsed = self._clock() - self._start
        done, total = counts["done"], counts["total"]
        eta = "-" if not done else format_duration(elapsed / done * (total - done))
        line = (
            f"sweep: {done}/{total} done, {counts['running']} running, {counts['failed']} "
            f"failed, {format_duration(elapsed)} elapsed, ~{eta} left"
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


def _finish_sweep(result: SweepResult, as_json: bool) -> int:

    sweep = result.sweep
    if as_json:
        print(
            json.dumps(
                {"sweep_id": sweep.id, "executions": [e.to_json() for e in sweep.executions]}
            )
        )
        return 0 if result.ok else 1
    from ..store.errors import RunNotFoundError

    store = read_store()
    print(f"sweep {sweep.id}")
    print(f"{'#':>3}  {'STATUS':<11}  {'RUN':<12}  {'PARAMS':<40}  METRICS / ERROR")
    for execution in sweep.executions:
        params = ", ".join(f"{k}={format_value(v)}" for k, v in execution.params.items())
        metrics = ""
        for run_id in execution.run_ids[:1]:
            try:
                run = store.get_run(run_id)
            except RunNotFoundError:
                continue
            metrics = ", ".join(f"{k}={format_value(v)}" for k, v in list(run.metrics.items())[:4])
        detail = execution.error if execution.status != "finished" and execution.error else metrics
        run_id = execution.run_ids[0][:12] if execution.run_ids else "-"
        print(
            f"{execution.index:>3}  {execution.status:<11}  {run_id:<12}  "
            f"{clip(params, 40):<40}  {clip(detail or '-', 60)}"
        )
    return 0 if result.ok else 1


def cmd_sweep(args: argparse.Namespace) -> int:
    """Sweep a notebook (or a run's pinned notebook) over parameter combinations."""
    from ..sweep import SweepError, expand_grid, load_combinations, run_sweep

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
        from_run = resolve_run_id(read_store(), args.from_run).id
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
    """Run runs again, each with its own parameters, as one sweep."""
    from ..sweep import run_sweep

    store = read_store()
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
    from ..sweep import SweepError, validate_executor

    try:
        return validate_executor(text)
    except SweepError:
        raise argparse.ArgumentTypeError(f"use local or dask://HOST:PORT, got {text!r}") from None


def register(commands: Subcommands) -> None:
    """Add ``sweep`` and ``rerun``."""
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
        type=sweep_values,
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
