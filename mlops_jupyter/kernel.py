"""The IPython side of ``%%track``: turns a shell and a cell into calls on the tracking core."""

from __future__ import annotations

import ast
import os
import sys
from typing import Any

from IPython.core.error import UsageError

from .errors import MlopsError
from .models import Run, RunStatus
from .session import get_session
from .tracking import CellContext, TrackOptions, get_tracker


def install_hooks(ipython: Any) -> None:
    """Follow the session's cells from now on: ids, failures, reads, random draws."""
    session = get_session(ipython)
    if session is not None:
        session.register()


def remove_hooks(ipython: Any) -> None:
    """Undo :func:`install_hooks` (idempotent)."""
    session = get_session()
    if session is not None and session.shell is ipython:
        session.unregister()
        session.set_capture_inputs(False)


def parse_options(args: Any, cwd: str) -> TrackOptions:
    """Validate the parsed ``%%track`` arguments.

    Raises:
        UsageError: With a message naming the bad argument; the cell is then not run.
    """
    from .capture.source import parse_key_value, validate_param_name

    def pairs(values: list[str], flag: str) -> dict[str, Any]:
        parsed: dict[str, Any] = {}
        for text in values:
            try:
                key, value = parse_key_value(text)
            except ValueError as exc:
                raise UsageError(f"%%track {flag} {text!r}: {exc}") from None
            parsed[key] = value
        return parsed

    for var in args.metric:
        try:
            validate_param_name(var)
        except ValueError as exc:
            raise UsageError(f"%%track --metric {var!r}: {exc}") from None
    for path in args.input:
        full = os.path.join(cwd, path)
        if not os.path.isfile(full):
            raise UsageError(f"%%track --input {path!r}: no such file (looked in {cwd})")
    register = _unquote(getattr(args, "register", None))
    if register is not None:
        from .store.lifecycle import check_model_name

        try:
            check_model_name(register)
        except MlopsError as exc:
            raise UsageError(f"%%track --register: {exc}") from None
        if not args.artifact:
            raise UsageError(
                "%%track --register NAME needs the model's files: --artifact PATH (repeatable)"
            )
    name, experiment = _unquote(args.name), _unquote(args.experiment)
    # Checked once unquoted: --name '' is an empty name.
    for flag, value in (("--name", name), ("--experiment", experiment)):
        if value is not None and not value.strip():
            raise UsageError(f"%%track {flag} must not be empty")
    return TrackOptions(
        name=name,
        experiment=experiment,
        params=pairs(args.param, "--param"),
        metric_vars=list(args.metric),
        inputs=list(args.input),
        artifacts=list(args.artifact),
        tags={k: str(v) for k, v in pairs(args.tag, "--tag").items()},
        seed=args.seed,
        quiet=bool(args.quiet),
        capture_inputs=not getattr(args, "no_inputs", False),
        register=register,
    )


def _unquote(value: str | None) -> str | None:
    if value and len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def notebook_path(shell: Any, raw_cell: str = "") -> str | None:
    """The notebook the kernel runs for, if it can be known (see
    :func:`mlops_jupyter.capture.discovery.find_notebook`)."""
    from .capture.discovery import find_notebook

    return find_notebook(os.getcwd(), raw_cell, session_name=shell.user_ns.get("__session__"))


def track_cell(shell: Any, args: Any, line: str, cell: str) -> Any:
    """Run ``cell`` as a tracked run; the cell's own result and exceptions pass through."""
    __tracebackhide__ = True
    cwd = os.getcwd()
    opts = parse_options(args, cwd)
    session = get_session(shell)
    assert session is not None  # noqa: S101 - get_session(shell) always gives one
    raw = session.raw_cell
    # IPython hands the magic its body with a trailing newline the user did not type.
    if isinstance(raw, str) and raw.lstrip().startswith("%%track") and cell.rstrip("\n") in raw:
        raw_cell = raw
    else:
        raw_cell = f"%%track {line}".rstrip() + "\n" + cell
    inputs = shell.history_manager.input_hist_raw
    history = [(number, source) for number, source in enumerate(inputs) if number > 0 and source]
    # IPython stores the cell in the history before running it, while the moment it bumps
    # execution_count differs between versions: the history index is the cell's number.
    execution_count = len(inputs) - 1 if len(inputs) > 1 else shell.execution_count
    ctx = CellContext(
        raw_cell=raw_cell,
        body=cell,
        cell_id=session.cell_id,
        execution_count=execution_count,
        history=history,
        notebook_path=notebook_path(shell, raw_cell),
        cwd=cwd,
        failed_cells=frozenset(session.failed),
        input_monitor=session.inputs if session.capture_inputs else None,
        randomness=session.randomness,
    )
    tracker = get_tracker()
    active = tracker.begin(ctx, opts)
    live = None
    if not opts.quiet and active.stored:
        from .summary import LiveView

        live = LiveView.for_shell(active.run, shell)
        active.on_points = live
    before = _metric_identities(shell.user_ns, opts.metric_vars)
    stdout, stderr = _Tail(sys.stdout), _Tail(sys.stderr)
    sys.stdout, sys.stderr = stdout, stderr
    error: BaseException | None = None
    try:
        return run_body(shell, active.body, execution_count)
    except BaseException as exc:
        error = exc
        raise
    finally:
        if sys.stdout is stdout:
            sys.stdout = stdout.stream
        if sys.stderr is stderr:
            sys.stderr = stderr.stream
        run = tracker.finish(
            active,
            error=error,
            namespace=shell.user_ns,
            stdout_tail=stdout.text(),
            stderr_tail=stderr.text(),
            assigned=_assigned_metric_vars(
                shell.user_ns, opts.metric_vars, before, active.body, ok=error is None
            ),
        )
        for notice in active.notices:
            print(f"mlops-jupyter: {notice}", file=sys.stderr)
        if active.warnings:
            print(
                "mlops-jupyter: not captured: " + "; ".join(active.warnings),
                file=sys.stderr,
            )
        if opts.register and active.stored:
            _register(tracker, run, opts)
        if active.stored and not opts.quiet:
            _drift_line(tracker, run, opts)
        if not opts.quiet and active.stored:
            try:
                from .summary import display_summary

                display_summary(run, live)
            except Exception as exc:  # the summary is a courtesy; never fail the cell
                print(f"mlops-jupyter: summary not shown ({exc})", file=sys.stderr)


def _say(message: str) -> None:
    print(f"mlops-jupyter: {message}", file=sys.stderr)


def _register(tracker: Any, run: Run, opts: TrackOptions) -> None:
    """``--register NAME``: the run's artifacts become the next version of NAME (a failure is
    reported, never raised: the cell's outcome stands)."""
    if run.status is not RunStatus.FINISHED:
        _say(f"{opts.register} not registered: the cell did not finish")
        return
    wanted = [a for a in opts.artifacts if any(r.path == a for r in run.artifacts)]
    if not wanted:
        _say(f"{opts.register} not registered: no artifact was stored")
        return
    try:
        from .capture.inputs import get_monitor
        from .registry import Registry

        with get_monitor().paused():  # reading the blobs is not the session reading data
            version = Registry(tracker.store()).register(
                str(opts.register), run=run, artifacts=wanted
            )
    except Exception as exc:
        _say(f"{opts.register} not registered ({exc})")
        return
    run.extra["registered"] = version.ref


def _drift_line(tracker: Any, run: Run, opts: TrackOptions) -> None:
    """A one-line drift summary of the frames the cell logged (shown with the summary)."""
    if not any(r.kind == "frame" and r.profile_sha256 for r in run.inputs):
        return
    try:
        from .capture.inputs import get_monitor
        from .drift.record import frame_drift_line

        # The reference is an earlier run of this kernel, perhaps still queued for writing
        # (only cells that logged a frame wait, at most a moment).
        tracker.drain(timeout=2.0)
        with get_monitor().paused():
            line = frame_drift_line(tracker.store(), run, model=opts.register)
    except Exception as exc:  # a courtesy: never fails the cell
        _say(f"drift summary not shown ({exc})")
        return
    if line:
        run.extra["drift_summary"] = line


def _metric_identities(namespace: dict[str, Any], names: list[str]) -> dict[str, int | None]:
    """The objects the ``--metric`` variables hold before the cell (None: unset)."""
    return {name: id(namespace[name]) if name in namespace else None for name in names}


def _assigned_metric_vars(
    namespace: dict[str, Any],
    names: list[str],
    before: dict[str, int | None],
    body: str,
    *,
    ok: bool,
) -> set[str]:
    """The ``--metric`` variables this cell assigned.

    A variable now holding another object than before the cell was assigned; one holding
    the same object was too if the cell finished and its code assigns it (``acc = 1`` when
    ``acc`` was already the small int 1). A value left from an earlier cell is not this
    run's metric.
    """
    assigned = {
        name for name in names if name in namespace and id(namespace[name]) != before.get(name)
    }
    if ok and len(assigned) < len(names):
        try:
            tree = ast.parse(body)
        except SyntaxError:
            return assigned
        stored = {
            node.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
        }
        assigned |= {name for name in names if name in namespace and name in stored}
    return assigned


def run_body(shell: Any, body: str, execution_count: int) -> Any:
    """Execute ``body`` in the user namespace like a cell; return its last expression's value.

    Exceptions propagate unchanged, so the kernel reports the cell as failed (papermill and
    nbclient rely on that) and IPython shows the usual traceback.
    """
    __tracebackhide__ = True
    code = shell.transform_cell(body)
    tree = ast.parse(code)
    last: ast.expr | None = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body.pop().value
    filename = shell.compile.cache(code, execution_count, raw_code=body)
    flags = shell.compile.flags
    namespace = shell.user_ns
    # The user's own cell, run as IPython would run it: executing it is the point.
    exec(compile(tree, filename, "exec", flags=flags, dont_inherit=True), namespace)  # noqa: S102
    if last is None:
        return None
    expr = compile(ast.Expression(last), filename, "eval", flags=flags, dont_inherit=True)
    value = eval(expr, namespace)  # noqa: S307 - the last expression of the user's cell
    return None if code.rstrip().endswith(";") else value


class _Tail:
    """A stream wrapper that keeps the last characters written through it."""

    def __init__(self, stream: Any, limit: int = 16384) -> None:
        self.stream = stream
        self._limit = limit
        self._parts: list[str] = []
        self._size = 0
        self._total = 0  # characters written in all, to say how many were not kept

    def write(self, text: str) -> int:
        written = self.stream.write(text)
        if isinstance(text, str) and text:
            self._parts.append(text)
            self._size += len(text)
            self._total += len(text)
            if self._size > 2 * self._limit:
                joined = "".join(self._parts)[-self._limit :]
                self._parts, self._size = [joined], len(joined)
        return written if isinstance(written, int) else len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.stream.flush()

    def text(self) -> str:
        from .tracking.lifecycle import output_tail

        kept = "".join(self._parts)[-self._limit :]
        return output_tail(kept, earlier=self._total - len(kept))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)
