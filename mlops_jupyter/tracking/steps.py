"""The capture steps of a tracked cell, each isolated: a failure is a warning, never an
exception (a failed capture never breaks the user's cell).

Parameters, the notebook snapshot, the environment, declared inputs, seeding, metric
variables and artifacts; the links to a reproduction or a sweep that started the kernel;
and the buffered metric points, validated and numbered.
"""

from __future__ import annotations

import os
import re
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..capture.discovery import experiment_for_notebook
from ..links import REPRODUCTION_ENV, SWEEP_ENV, append_report, read_link
from ..models import ErrorInfo, FileRecord, GitInfo, MetricPoint, NotebookInfo, Run, RunStatus
from .context import ActiveRun, CellContext, TrackOptions

if TYPE_CHECKING:
    from ..capture.environment import EnvironmentCapture
    from ..capture.inputs import Read
    from ..capture.notebook import NotebookFile
    from ..store.blobs import BlobStore

__all__ = [
    "EnvironmentStep",
    "attach_pending_frames",
    "capture_artifacts",
    "capture_inputs",
    "capture_metric_vars",
    "capture_notebook",
    "capture_params",
    "drain_points",
    "error_info",
    "mark_reproduction",
    "mark_sweep",
    "redact",
    "seed",
    "session_reads",
    "snapshot",
    "status_for",
]

_MAX_METRIC_NAME = 250
# What the run databases cannot hold in a name: NUL (PostgreSQL), lone surrogates (UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def capture_params(
    active: ActiveRun, ctx: CellContext, opts: TrackOptions, notebook: NotebookFile | None
) -> None:
    """Parameters, lowest precedence first: the notebook's papermill ``parameters`` cell,
    the values papermill injected, the cell's own literal assignments (after the injected
    values were applied to them), then ``--param``."""
    from ..capture.source import (
        apply_param_overrides,
        extract_literal_params,
        parse_papermill_parameters,
    )
    from ..capture.values import to_json_value

    run = active.run
    params: dict[str, Any] = {}
    injected: dict[str, Any] = {}
    try:
        if notebook is not None:
            for cell in notebook.cells:
                if cell.cell_type == "code" and "parameters" in cell.tags:
                    params.update(extract_literal_params(cell.source))
        for _, source in ctx.history[:-1]:
            if not source.startswith("# Parameters"):
                continue  # cheap pre-check: the history grows with every cell
            found = parse_papermill_parameters(source)
            if found is not None:
                injected = found
        if injected:
            active.body, applied = apply_param_overrides(active.body, injected)
            if applied:
                run.extra["overrides_applied"] = sorted(applied)
                # Record the code that really ran: the magic line, then the new body.
                head = ctx.raw_cell.split("\n", 1)[0]
                body = active.body
                if not ctx.raw_cell.endswith("\n") and body.endswith("\n"):
                    body = body[:-1]
                run.source = f"{head}\n{body}"
            run.extra["papermill_parameters"] = sorted(injected)
        params.update(injected)
        literals = extract_literal_params(active.body)
        # A variable named by --metric is a result, not a parameter.
        for var in opts.metric_vars:
            literals.pop(var, None)
        params.update(literals)
    except Exception as exc:
        active.warn("parameters", exc)
    params.update(opts.params)
    for key, value in params.items():
        try:
            run.params[key] = to_json_value(value)
        except ValueError as exc:
            active.warn(f"parameter {key!r}", str(exc))
    mask_secrets(run)


def mask_secrets(run: Run) -> None:
    """Credentials never reach the store: secret parameters are replaced by a marker (their
    names kept in ``extra["masked_params"]``) and masked in the cell's source."""
    from ..capture.source import mask_code
    from ..redaction import REDACTED, secret_params

    masked = secret_params(run.params)
    for name in masked:
        run.params[name] = REDACTED
    if masked:
        run.extra["masked_params"] = sorted(masked)
    run.source = mask_code(run.source, masked)


def _matches_reproduced_cell(spec: Mapping[str, Any], ctx: CellContext, run: Run) -> bool:
    from ..capture.notebook import source_sha256

    cell_id = spec.get("cell_id")
    if isinstance(cell_id, str) and cell_id and cell_id == ctx.cell_id:
        return True
    expected = spec.get("source_sha256")
    wanted = {expected} if isinstance(expected, str) else set(expected or [])
    if not wanted:
        return False
    return bool(wanted & {source_sha256(run.source), source_sha256(ctx.raw_cell)})


def mark_reproduction(active: ActiveRun, ctx: CellContext, opts: TrackOptions) -> None:
    """Link the run to the run it reproduces when a reproduction started this kernel.

    A reproduction sets ``MLOPS_JUPYTER_REPRODUCTION`` (see :mod:`mlops_jupyter.links`)
    naming the original run, its cell (id and sha256 of the normalized source), notebook and
    pinned git state. Every run the kernel records is linked to the original
    (``reproduction_of``), carries the original notebook's path (not the scratch copy's) and
    the pinned commit; the matching cell's run is the reproduction (reported to the
    reproducer), the notebook's other tracked cells stay in the original's experiment.
    """
    try:
        spec = read_link(REPRODUCTION_ENV)
        if spec is None or not isinstance(spec.get("of"), str):
            return
        run = active.run
        run.reproduction_of = spec["of"]
        run.extra["scratch"] = True
        notebook = spec.get("notebook")
        if isinstance(notebook, str) and notebook:
            if opts.experiment is None:
                run.experiment = experiment_for_notebook(notebook)
            if run.notebook is not None:
                run.notebook.path = notebook
        git = spec.get("git")
        if isinstance(git, dict) and isinstance(git.get("commit"), str):
            run.git = GitInfo(
                root=str(git.get("root") or ""),
                commit=git["commit"],
                branch=git.get("branch"),
                dirty=bool(git.get("dirty", False)),
                remote=git.get("remote"),
            )
            active.pinned_git = run.git
        if _matches_reproduced_cell(spec, ctx, run):
            if isinstance(spec.get("experiment"), str):
                run.experiment = spec["experiment"]
            append_report(spec, run.id)
        else:
            run.tags.setdefault("reproduction.cell", "other")
    except Exception as exc:
        active.warn("reproduction link", exc)


def mark_sweep(active: ActiveRun, opts: TrackOptions) -> None:
    """Tag the run with its sweep when a sweep execution started this kernel.

    A sweep sets ``MLOPS_JUPYTER_SWEEP`` with the sweep ``id``, the execution's ``index``,
    the swept ``notebook`` (its runs belong to that notebook's experiment, not to the
    scratch copy executed) and a ``report`` file where each run's id is appended.
    """
    try:
        spec = read_link(SWEEP_ENV)
        if spec is None or not isinstance(spec.get("id"), str):
            return
        run = active.run
        run.sweep_id = spec["id"]
        run.tags.setdefault("sweep.index", str(spec.get("index")))
        triggered = spec.get("triggered_by")
        if isinstance(triggered, dict) and isinstance(triggered.get("trigger"), str):
            run.extra["triggered_by"] = {
                "trigger": triggered["trigger"],
                "firing": triggered.get("firing"),
            }
            run.tags.setdefault("triggered_by", triggered["trigger"])
        notebook = spec.get("notebook")
        if (
            opts.experiment is None
            and run.reproduction_of is None
            and isinstance(notebook, str)
            and notebook
        ):
            run.experiment = experiment_for_notebook(notebook)
            if run.notebook is not None:
                run.notebook.path = notebook
        append_report(spec, run.id)
    except Exception as exc:
        active.warn("sweep link", exc)


def capture_notebook(
    active: ActiveRun, ctx: CellContext, put_blob_once: Callable[[str, bytes], str]
) -> NotebookFile | None:
    """The notebook's path, a snapshot of it as saved, and whether it holds the cell."""
    run = active.run
    if ctx.notebook_path is None:
        return None
    run.notebook = NotebookInfo(path=ctx.notebook_path)
    try:
        from ..capture.notebook import (
            history_out_of_order,
            mask_notebook,
            notebook_contains_source,
            read_notebook,
        )

        nb = read_notebook(ctx.notebook_path)
        masked = mask_notebook(nb.raw)
        if masked is None:
            run.notebook.snapshot_sha256 = put_blob_once(nb.sha256, nb.raw)
        else:
            # The store keeps no credential: the snapshot is the masked notebook, and the
            # file's own hash is kept to recognize it (a git pin checks it).
            run.notebook.snapshot_sha256 = put_blob_once(_sha256(masked), masked)
            run.extra["snapshot_masked"] = True
        run.extra["notebook_sha256"] = nb.sha256
        run.notebook.saved_matches_source = notebook_contains_source(nb, ctx.raw_cell)
        run.history_out_of_order = history_out_of_order([s for _, s in ctx.history], nb)
        if run.kernel_name is None:
            run.kernel_name = nb.kernel_name
        return nb
    except Exception as exc:
        active.warn("notebook snapshot", exc)
        return None


class EnvironmentStep:
    """The environment manifest, cached for the kernel's life (re-read only on change)."""

    def __init__(self) -> None:
        self._capture: EnvironmentCapture | None = None
        self._last: dict[str, Any] | None = None

    def __call__(self, active: ActiveRun) -> None:
        """Attach the environment manifest to the active run."""
        try:
            if self._capture is None:
                from ..capture.environment import EnvironmentCapture

                self._capture = EnvironmentCapture()
            env = self._capture.snapshot()
            # Hand the store the very same object while nothing changed: it then reuses the
            # blob it wrote instead of serializing the manifest again.
            if env == self._last:
                env = self._last
            self._last = env
            active.run.env = env
        except Exception as exc:
            active.warn("environment", exc)


def capture_inputs(active: ActiveRun, opts: TrackOptions, base: str, cell: int | None) -> None:
    """Hash the files declared with ``--input`` (read by another process, say), now."""
    from ..capture.inputs import digest_file
    from .inputs import recorded_path

    for path in opts.inputs:
        try:
            absolute = os.path.abspath(os.path.join(active.cwd, path))
            info = digest_file(absolute)
            active.run.inputs.append(
                FileRecord(
                    path=recorded_path(absolute, base),
                    sha256=info.sha256,
                    size=info.size,
                    hashing=info.hashing,
                    via="declared",
                    cell=cell,
                    mtime=info.mtime,
                )
            )
        except Exception as exc:
            active.warn(f"input {path!r}", exc)


def attach_pending_frames(active: ActiveRun) -> None:
    """DataFrames given to ``log_input``, model versions loaded and predictions logged in
    earlier cells belong to this run."""
    from . import context

    if context.pending_inputs:
        active.run.inputs.extend(context.pending_inputs)
        context.pending_inputs.clear()
    if context.pending_models:
        active.run.extra["models_loaded"] = list(dict.fromkeys(context.pending_models))
        context.pending_models.clear()
    if context.pending_predictions:
        active.run.extra["predictions"] = dict(context.pending_predictions)
        context.pending_predictions.clear()


def session_reads(active: ActiveRun) -> list[Read]:
    """What the session read since ``%load_ext`` (none when capture is off), and the files
    inside the notebook's folder that its code names by literal without opening them
    (``os.path.isfile("check.txt")``, ``pq.read_table("train.parquet")``)."""
    ctx = active.ctx
    if ctx is None or ctx.input_monitor is None or not active.opts.capture_inputs:
        return []
    if not active.stored:
        return []
    reads = ctx.input_monitor.snapshot()
    return reads + named_files(active, ctx, {r.path for r in reads})


def named_files(active: ActiveRun, ctx: CellContext, known: set[str]) -> list[Read]:
    """Existing files the session's code names by literal, inside the notebook's folder."""
    from ..capture.inputs import Read, path_literals

    monitor = ctx.input_monitor
    if monitor is None:
        return []
    base = os.path.dirname(ctx.notebook_path) if ctx.notebook_path else ctx.cwd
    roots = (os.path.join(os.path.abspath(base), ""), os.path.join(os.path.abspath(ctx.cwd), ""))
    skip = known | monitor.written | ({ctx.notebook_path} if ctx.notebook_path else set())
    failed = ctx.failed_cells
    found: list[Read] = []
    for number, source in active.history:
        if number in failed:
            continue
        for literal in path_literals(source):
            absolute = os.path.abspath(os.path.join(ctx.cwd, literal))
            if absolute in skip or not absolute.startswith(roots):
                continue
            if absolute.endswith((".py", ".pyc", ".ipynb")) or not os.path.isfile(absolute):
                continue
            skip.add(absolute)
            found.append(Read(absolute, number, via="source"))
    return found


def seed(active: ActiveRun, value: int) -> None:
    """Seed the random number generators (``--seed``)."""
    try:
        from ..capture.seeds import seed_everything

        active.run.extra["seeded"] = seed_everything(value)
    except Exception as exc:
        active.warn("seeding", exc)


def capture_metric_vars(
    active: ActiveRun, namespace: Mapping[str, Any], assigned: set[str] | None = None
) -> None:
    """Record the variables named by ``--metric`` as metric points.

    Only those the cell assigned (``assigned``; None: every one that exists): a value left
    by an earlier cell is not this run's result.
    """
    now = time.time()
    for var in active.opts.metric_vars:
        if var not in namespace:
            active.warn(f"metric {var!r}", "no such variable after the cell")
            continue
        if assigned is not None and var not in assigned:
            active.warn(
                f"metric {var!r}", "the cell did not assign it: the earlier value is not recorded"
            )
            continue
        active.points.append((var, namespace[var], None, now))


def capture_artifacts(active: ActiveRun, blobs: BlobStore) -> None:
    """Copy the files named by ``--artifact`` into the blob store (on the cell's thread:
    the next cell may overwrite them)."""
    for path in active.opts.artifacts:
        try:
            record = blobs.put_file(os.path.join(active.cwd, path))
            active.run.artifacts.append(
                FileRecord(path=path, sha256=record.sha256, size=record.size)
            )
        except Exception as exc:
            active.warn(f"artifact {path!r}", exc)


def drain_points(active: ActiveRun) -> list[MetricPoint]:
    """Take the buffered points of ``active``, validated, with steps assigned.

    The final values in ``active.run.metrics`` are updated on the way (the value at the
    highest step wins, as in the store).
    """
    with active.flush_lock:
        return _drain_locked(active)


def _drain_locked(active: ActiveRun) -> list[MetricPoint]:
    from ..capture.values import to_metric_value

    drained: list[tuple[Any, Any, Any, float]] = []
    popleft = active.points.popleft
    try:
        while True:
            drained.append(popleft())
    except IndexError:
        pass
    points: list[MetricPoint] = []
    if not drained:
        return points
    last_step = active.last_step
    bad: set[str] = set()
    for name, value, step, ts in drained:
        if not isinstance(name, str) or not name or len(name) > _MAX_METRIC_NAME:
            bad.add(f"metric name {name!r} (must be a non-empty string)")
            continue
        if _UNSTORABLE.search(name) is not None:  # the store would refuse the whole batch
            bad.add(f"metric name {name!r} (a NUL or a lone surrogate cannot be stored)")
            continue
        try:
            number = to_metric_value(value)
            if step is None:
                step = last_step.get(name, -1) + 1
            elif not isinstance(step, int) or isinstance(step, bool):
                step = int(step)
        except (TypeError, ValueError) as exc:
            bad.add(f"metric {name!r}: {exc}")
            continue
        if step > last_step.get(name, -1):
            last_step[name] = step
        points.append(MetricPoint(key=name, value=number, step=step, timestamp=ts))
    for problem in sorted(bad):
        active.warn("metric value skipped", problem)
    final_step = active.final_step
    metrics = active.run.metrics
    for point in points:
        if point.step >= final_step.get(point.key, point.step):
            final_step[point.key] = point.step
            metrics[point.key] = point.value
    return points


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def snapshot(run: Run) -> Run:
    """A copy of ``run`` whose containers the writer thread can serialize safely."""
    return replace(
        run,
        params=dict(run.params),
        metrics=dict(run.metrics),
        tags=dict(run.tags),
        inputs=list(run.inputs),
        artifacts=list(run.artifacts),
        history=list(run.history),
        extra=dict(run.extra),
    )


def status_for(error: BaseException | None) -> RunStatus:
    """How a cell that raised ``error`` (None: nothing) ended."""
    if error is None:
        return RunStatus.FINISHED
    if isinstance(error, KeyboardInterrupt):
        return RunStatus.INTERRUPTED
    return RunStatus.FAILED


def error_info(error: BaseException) -> ErrorInfo:
    """The error of a failed cell, its traceback without our own frames, secrets masked."""
    tb = error.__traceback__
    # Drop our own frames (the magic and the exec call): the user's code starts after them.
    package_dir = os.path.dirname(os.path.dirname(__file__))
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(package_dir):
        tb = tb.tb_next
    lines = traceback.format_exception(type(error), error, tb)
    return ErrorInfo(
        type=type(error).__name__,
        message=redact(str(error))[:4000],
        traceback=redact("".join(lines))[-20000:],
    )


def redact(text: str) -> str:
    """``text`` with well-known secret formats masked."""
    from ..redaction import redact_text

    return redact_text(text) if text else text
