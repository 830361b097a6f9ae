"""Recording runs: the IPython-free core behind ``%%track`` and ``log_metric``.

The IPython layer (:mod:`mlops_jupyter.kernel`) describes the cell in a :class:`CellContext`,
calls :meth:`Tracker.begin`, executes the cell and calls :meth:`Tracker.finish`. Everything
here is plain Python so it can be tested without a shell.

Cost model: ``begin`` and ``finish`` each do one small database transaction; the environment
manifest and the notebook snapshot are cached and only re-read when they change; git runs in a
background thread started with the cell; ``log_metric`` appends to an in-memory buffer that a
background thread writes every second.
"""

from __future__ import annotations

import atexit
import os
import queue
import re
import socket
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeAlias

from .models import (
    ErrorInfo,
    FileRecord,
    GitInfo,
    MetricPoint,
    NotebookInfo,
    Run,
    RunStatus,
    utcnow,
)

if TYPE_CHECKING:
    from .capture.environment import EnvironmentCapture
    from .capture.notebook import NotebookFile
    from .store.base import RunStore
    from .store.blobs import BlobStore
    from .store.spool import Spool

#: A metric value: a real number (NumPy scalars are accepted too).
MetricValue: TypeAlias = Any

#: Seconds without a heartbeat after which a running run counts as crashed.
DEFAULT_LEASE_SECONDS = 30.0
#: Seconds between two writes of buffered metric points.
FLUSH_INTERVAL = 1.0
#: Characters of stdout/stderr kept with a run.
OUTPUT_TAIL_CHARS = 8192
#: Bytes of ``git diff`` kept with a run.
MAX_GIT_DIFF_BYTES = 1_000_000
#: Seconds a git capture may take before it is abandoned.
GIT_TIMEOUT = 5.0
_MAX_METRIC_NAME = 250
# Seconds before the first retry of a spool, doubling up to the maximum while the database
# stays away.
_REPLAY_FIRST_DELAY = 0.5
_REPLAY_MAX_DELAY = 10.0


def lease_seconds() -> float:
    """The crash lease: ``$MLOPS_JUPYTER_LEASE_SECONDS`` or 30 seconds."""
    try:
        return max(1.0, float(os.environ.get("MLOPS_JUPYTER_LEASE_SECONDS", "")))
    except ValueError:
        return DEFAULT_LEASE_SECONDS


@dataclass
class CellContext:
    """What the execution layer knows about the cell being tracked.

    Attributes:
        raw_cell: The whole cell as typed, including the ``%%track`` line.
        body: The code to execute (the cell without the magic line).
        cell_id: The notebook cell id sent by the frontend, if any.
        execution_count: The cell's execution count.
        history: ``(execution_count, raw source)`` of every cell executed in this kernel so
            far, in order, including this one.
        notebook_path: Absolute path of the notebook, if known.
        cwd: The kernel's working directory.
        kernel_name: The kernel spec name, if known.
    """

    raw_cell: str
    body: str
    cell_id: str | None = None
    execution_count: int | None = None
    history: list[tuple[int, str]] = field(default_factory=list)
    notebook_path: str | None = None
    cwd: str = field(default_factory=os.getcwd)
    kernel_name: str | None = None


@dataclass
class TrackOptions:
    """The ``%%track`` arguments, already parsed and validated."""

    name: str | None = None
    experiment: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    metric_vars: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    seed: int | None = None
    quiet: bool = False


@dataclass
class ActiveRun:
    """A run whose cell is executing (or whose git capture is still finishing)."""

    run: Run
    body: str
    stored: bool
    cwd: str
    opts: TrackOptions = field(default_factory=TrackOptions)
    points: deque[tuple[Any, Any, Any, float]] = field(default_factory=deque)
    last_step: dict[str, int] = field(default_factory=dict)
    final_step: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Messages about the store rather than this run's capture (an earlier write that
    # failed, a spool, a sync), shown after the cell.
    notices: list[str] = field(default_factory=list)
    finalized: bool = False
    git_future: Future[None] | None = None
    history: list[tuple[int, str]] = field(default_factory=list)
    random_named: bool | None = None
    git_result: GitInfo | None = None
    git_done: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The writer's periodic drain and the final drain must not interleave: step numbers are
    # assigned from ``last_step`` while draining.
    flush_lock: threading.Lock = field(default_factory=threading.Lock)

    def warn(self, what: str, error: BaseException | str) -> None:
        """Record that ``what`` could not be captured (shown after the cell)."""
        detail = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self.warnings.append(f"{what} ({detail})")


_current: ActiveRun | None = None
_warned_outside = False
_time = time.time


@dataclass(frozen=True)
class _Write:
    """One write of the writer thread: what it does to the store, or to the spool."""

    kind: str  # "create", "update" or "points"
    run_id: str
    run: Run | None = None
    points: list[MetricPoint] | None = None

    def apply(self, store: RunStore) -> None:
        if self.kind == "points":
            store.log_metric_points(self.run_id, self.points or [])
        elif self.kind == "create":
            assert self.run is not None
            store.create_run(self.run)
        else:
            assert self.run is not None
            store.update_run(self.run)

    def spool(self, spool: Spool) -> None:
        if self.kind == "points":
            spool.append_points(self.run_id, self.points or [])
        elif self.kind == "create":
            assert self.run is not None
            spool.append_create(self.run)
        else:
            assert self.run is not None
            spool.append_update(self.run)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _store_name(store: RunStore) -> str:
    location = getattr(store, "location", None)
    return str(getattr(location, "description", None) or type(store).__name__)


def log_metric(name: str, value: MetricValue, step: int | None = None) -> None:
    """Buffer one metric point for the run of the ``%%track`` cell being executed.

    Validation happens when the buffer is written, so a training loop pays only an append.
    Outside a tracked cell the call is ignored with a one-time warning.
    """
    active = _current
    if active is None:
        _warn_outside()
        return
    active.points.append((name, value, step, _time()))


def log_metrics(values: Mapping[str, MetricValue], step: int | None = None) -> None:
    """Buffer several metric points at once; see :func:`log_metric`."""
    active = _current
    if active is None:
        _warn_outside()
        return
    now = _time()
    append = active.points.append
    for name, value in values.items():
        append((name, value, step, now))


def _warn_outside() -> None:
    global _warned_outside
    if not _warned_outside:
        _warned_outside = True
        print(
            "mlops-jupyter: log_metric called outside a %%track cell; the value is not recorded",
            file=sys.stderr,
        )


class Tracker:
    """Records runs for one process (one kernel).

    Capture happens on the cell's thread; every store write (create, metric batches, the
    final update, a late git state, heartbeats) goes through one writer thread, in order.
    The cell therefore pays for the capture alone, and two writes of the same run can never
    overtake each other. Readers in this process call :meth:`drain` first; at exit the
    queue is drained too.

    Args:
        store_factory: Returns the store to write to (default: the shared store of
            :func:`mlops_jupyter.store.get_store`). Called lazily, on the first tracked cell.
    """

    def __init__(self, store_factory: Callable[[], RunStore] | None = None) -> None:
        self._store_factory = store_factory
        self._store: RunStore | None = None
        self._env: EnvironmentCapture | None = None
        self._last_env: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[_Write | Callable[[], None]] = queue.SimpleQueue()
        # Writes that could not reach the database, replayed when it answers again.
        self._spool: Spool | None = None
        self._next_replay = 0.0
        self._replay_delay = _REPLAY_FIRST_DELAY
        self._orphans_adopted = False
        # The database could not be reached when the store was first needed: runs are
        # recorded into the spool, blobs written where they always go.
        self._offline = False
        self._offline_blobs: BlobStore | None = None
        self._writer: threading.Thread | None = None
        self._reaped = False
        self._last_heartbeat = 0.0
        # Failures of background writes, reported under the next tracked cell.
        self._late_warnings: list[str] = []
        # One long-lived worker: starting a thread per cell costs about a millisecond.
        self._git_worker: ThreadPoolExecutor | None = None
        self._git_futures: list[Future[None]] = []
        self._random_scanned = 0
        self._random_seen = False

    # -- store ---------------------------------------------------------------------------

    def store(self) -> RunStore:
        """The store runs are written to (opened on first use).

        Without a factory this is the process's shared store for the current
        ``MLOPS_JUPYTER_STORE``, looked up on every call (a dictionary hit) so that a changed
        setting or a reset cache is honoured.
        """
        if self._store_factory is None:
            from .store import get_store

            return get_store()
        if self._store is None:
            self._store = self._store_factory()
        return self._store

    def _blobs(self) -> BlobStore:
        """The blob store, also while the database is unreachable (blobs live apart)."""
        if not self._offline:
            return self.store().blobs
        if self._offline_blobs is None:
            from .store.blobs import open_blob_store
            from .store.location import resolve_store_location

            self._offline_blobs = open_blob_store(resolve_store_location().blob_root)
        return self._offline_blobs

    def _store_url(self) -> str | None:
        """The database URL of the store (for the spool folder), without opening it."""
        if self._store_factory is None:
            from .store.location import resolve_store_location

            return resolve_store_location().db_url
        location = getattr(self._store, "location", None)
        db_url = getattr(location, "db_url", None)
        return db_url if isinstance(db_url, str) else None

    def _store_description(self) -> str:
        if self._store_factory is None:
            from .store.location import resolve_store_location

            return resolve_store_location().description
        return _store_name(self._store) if self._store is not None else "the run database"

    # -- the cell ------------------------------------------------------------------------

    def begin(self, ctx: CellContext, opts: TrackOptions) -> ActiveRun:
        """Capture what is known before the cell runs and queue the ``running`` record.

        Never raises: what cannot be captured becomes a warning on the returned run, and if
        the store cannot be opened the cell still runs, untracked.
        """
        global _current
        run = Run.new(
            opts.experiment or _default_experiment(ctx),
            name=opts.name,
            source=ctx.raw_cell,
            cell_id=ctx.cell_id,
            execution_count=ctx.execution_count,
            tags=dict(opts.tags),
            kernel_name=ctx.kernel_name,
            host=socket.gethostname(),
            pid=os.getpid(),
            seed=opts.seed,
        )
        run.extra["cwd"] = ctx.cwd
        active = ActiveRun(run=run, body=ctx.body, stored=False, cwd=ctx.cwd, opts=opts)
        # The history (which grows with the session) is attached at the end only, so it is
        # serialized once per run; a crashed run keeps everything but it.
        active.history = ctx.history
        with self._lock:
            active.notices.extend(self._late_warnings)
            self._late_warnings.clear()

        if self._offline:
            # The database was unreachable: the writer thread retries, not the cell.
            active.stored = True
        else:
            try:
                # Opened here, on the cell's thread: an unusable store is reported at once.
                store = self.store()
                if not self._reaped:
                    self._reaped = True
                    store.mark_stale_runs_crashed(lease_seconds())
                active.stored = True
            except Exception as exc:  # the cell must run even if the store is unusable
                if self._store_factory is None and getattr(exc, "code", None) == 503:
                    # Unreachable, not broken: record the run into the spool.
                    self._offline = True
                    active.stored = True
                    active.notices.append(
                        f"the run database is unreachable ({_describe(exc)}): runs are kept "
                        "in a local spool and synced when it answers again"
                    )
                else:
                    active.warn("run not recorded: the store failed", exc)
        if active.stored:
            notebook = self._capture_notebook(active, ctx)
        else:
            notebook = None
        self._capture_params(active, ctx, opts, notebook)
        self._mark_reproduction(active, ctx, opts)
        self._mark_sweep(active, opts)
        self._capture_environment(active)
        self._capture_inputs(active, opts)
        if opts.seed is not None:
            self._seed(active, opts.seed)
        if active.stored:
            active.git_future = self._start_git(active, ctx)
            run.heartbeat_at = run.started_at
            snapshot = _snapshot(run)
            self._submit(_Write("create", snapshot.id, run=snapshot))
        _current = active
        return active

    def finish(
        self,
        active: ActiveRun,
        *,
        error: BaseException | None,
        namespace: Mapping[str, Any],
        stdout_tail: str = "",
        stderr_tail: str = "",
    ) -> Run:
        """Record the outcome of the cell: status, metrics, artifacts, outputs.

        Never raises. Returns the run as recorded (the write itself is queued).
        """
        global _current
        run = active.run
        if _current is active:
            _current = None
        run.ended_at = utcnow()
        run.history = [{"execution_count": n, "source": s} for n, s in active.history]
        run.status = _status_for(error)
        if error is not None and run.status is RunStatus.FAILED:
            run.error = _error_info(error)
        elif run.status is RunStatus.INTERRUPTED:
            run.error = ErrorInfo(type="KeyboardInterrupt", message="interrupted", traceback="")
        run.stdout_tail = _redact(stdout_tail[-OUTPUT_TAIL_CHARS:])
        run.stderr_tail = _redact(stderr_tail[-OUTPUT_TAIL_CHARS:])
        if not active.stored:
            return run
        self._capture_metric_vars(active, namespace)
        if run.status is RunStatus.FINISHED:
            # A failed cell usually did not write its artifacts: nothing worth a warning.
            self._capture_artifacts(active)
        points = self._drain(active)
        with active.lock:
            if active.git_done:
                run.git = active.git_result
            active.finalized = True
            active.random_named = self._scan_for_random(active)
            _assess_reproducibility(run, active.opts, active.random_named)
            snapshot = _snapshot(run)
            if self._spool is not None and self._spooled:
                active.notices.append(
                    f"the run database cannot be written: this run is kept in the local "
                    f"spool {self._spool.directory} and will be synced when it answers again"
                )
        if points:
            self._submit(_Write("points", run.id, points=points))
        self._submit(_Write("update", run.id, run=snapshot))
        return run

    # -- capture steps (each isolated: a failure is a warning, never an exception) -------

    def _capture_params(
        self,
        active: ActiveRun,
        ctx: CellContext,
        opts: TrackOptions,
        notebook: NotebookFile | None,
    ) -> None:
        """Parameters, lowest precedence first: the notebook's papermill ``parameters`` cell,
        the values papermill injected, the cell's own literal assignments (after the injected
        values were applied to them), then ``--param``."""
        from .capture.source import (
            apply_param_overrides,
            extract_literal_params,
            parse_papermill_parameters,
        )
        from .capture.values import to_json_value

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

    def _mark_reproduction(self, active: ActiveRun, ctx: CellContext, opts: TrackOptions) -> None:
        """Link the run to the run it reproduces when a reproduction started this kernel.

        :mod:`mlops_jupyter.reproduce` sets ``MLOPS_JUPYTER_REPRODUCTION`` to JSON naming the
        original run and its cell (id and sha256 of the normalized source). Only the matching
        cell becomes the reproduction; the notebook's other tracked cells are recorded as
        usual, in the original notebook's experiment.
        """
        raw = os.environ.get(REPRODUCTION_ENV)
        if not raw:
            return
        try:
            import json

            spec = json.loads(raw)
            if not isinstance(spec, dict) or not isinstance(spec.get("of"), str):
                return
            run = active.run
            notebook = spec.get("notebook")
            if opts.experiment is None and isinstance(notebook, str) and notebook:
                run.experiment = _default_experiment(replace(ctx, notebook_path=notebook))
            if _matches_reproduced_cell(spec, ctx, run):
                run.reproduction_of = spec["of"]
                if isinstance(spec.get("experiment"), str):
                    run.experiment = spec["experiment"]
                report = spec.get("report")
                if isinstance(report, str) and report:
                    with open(report, "a", encoding="utf-8") as handle:
                        handle.write(run.id + "\n")
        except Exception as exc:
            active.warn("reproduction link", exc)

    def _mark_sweep(self, active: ActiveRun, opts: TrackOptions) -> None:
        """Tag the run with its sweep when a sweep execution started this kernel.

        :mod:`mlops_jupyter.sweep` sets ``MLOPS_JUPYTER_SWEEP`` to JSON with the sweep
        ``id``, the execution's ``index``, the swept ``notebook`` (its runs belong to that
        notebook's experiment, not to the scratch copy executed) and a ``report`` file where
        each run's id is appended, so the sweep knows which runs an execution recorded.
        """
        raw = os.environ.get(SWEEP_ENV)
        if not raw:
            return
        try:
            import json

            spec = json.loads(raw)
            if not isinstance(spec, dict) or not isinstance(spec.get("id"), str):
                return
            run = active.run
            run.sweep_id = spec["id"]
            run.tags.setdefault("sweep.index", str(spec.get("index")))
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
            report = spec.get("report")
            if isinstance(report, str) and report:
                with open(report, "a", encoding="utf-8") as handle:
                    handle.write(run.id + "\n")
        except Exception as exc:
            active.warn("sweep link", exc)

    def _capture_notebook(self, active: ActiveRun, ctx: CellContext) -> NotebookFile | None:
        run = active.run
        if ctx.notebook_path is None:
            return None
        run.notebook = NotebookInfo(path=ctx.notebook_path)
        try:
            from .capture.notebook import (
                history_out_of_order,
                notebook_contains_source,
                read_notebook,
            )

            nb = read_notebook(ctx.notebook_path)
            run.notebook.snapshot_sha256 = self._put_blob_once(nb.sha256, nb.raw)
            run.notebook.saved_matches_source = notebook_contains_source(nb, ctx.raw_cell)
            run.history_out_of_order = history_out_of_order([s for _, s in ctx.history], nb)
            if run.kernel_name is None:
                run.kernel_name = nb.kernel_name
            return nb
        except Exception as exc:
            active.warn("notebook snapshot", exc)
            return None

    def _put_blob_once(self, sha: str, data: bytes) -> str:
        blobs = self._blobs()
        if not blobs.exists(sha):
            return blobs.put_bytes(data, fsync=False)
        return sha

    def _capture_environment(self, active: ActiveRun) -> None:
        try:
            if self._env is None:
                from .capture.environment import EnvironmentCapture

                self._env = EnvironmentCapture()
            env = self._env.snapshot()
            # Hand the store the very same object while nothing changed: it then reuses the
            # blob it wrote instead of serializing the manifest again.
            if env == self._last_env:
                env = self._last_env
            self._last_env = env
            active.run.env = env
        except Exception as exc:
            active.warn("environment", exc)

    def _capture_inputs(self, active: ActiveRun, opts: TrackOptions) -> None:
        from .capture.files import hash_file

        for path in opts.inputs:
            try:
                digest = hash_file(os.path.join(active.cwd, path), base=active.cwd)
                active.run.inputs.append(
                    FileRecord(path=digest.path, sha256=digest.sha256, size=digest.size)
                )
            except Exception as exc:
                active.warn(f"input {path!r}", exc)

    def _seed(self, active: ActiveRun, seed: int) -> None:
        try:
            from .capture.seeds import seed_everything

            active.run.extra["seeded"] = seed_everything(seed)
        except Exception as exc:
            active.warn("seeding", exc)

    def _scan_for_random(self, active: ActiveRun) -> bool:
        """Whether this session's code named ``random``, scanning each executed cell once.

        The kernel's history only grows, so only entries not seen by an earlier run are read.
        """
        history = active.history
        if len(history) < self._random_scanned:  # a new session (history was reset)
            self._random_scanned, self._random_seen = 0, False
        if not self._random_seen:
            self._random_seen = any(
                names_random(source) for _, source in history[self._random_scanned :]
            )
        self._random_scanned = len(history)
        return self._random_seen or names_random(active.run.source)

    def _start_git(self, active: ActiveRun, ctx: CellContext) -> Future[None]:
        folder = os.path.dirname(ctx.notebook_path) if ctx.notebook_path else ctx.cwd

        def capture() -> None:
            result: GitInfo | None = None
            try:
                from .capture.git import capture_git

                state = capture_git(folder, timeout=GIT_TIMEOUT, max_diff_bytes=MAX_GIT_DIFF_BYTES)
                if state is not None:
                    diff_sha = None
                    if state.diff:
                        diff_sha = self._blobs().put_bytes(state.diff.encode(), fsync=False)
                    result = GitInfo(
                        root=state.root,
                        commit=state.commit,
                        branch=state.branch,
                        dirty=bool(state.dirty),
                        remote=state.remote,
                        diff_sha256=diff_sha,
                        diff_truncated=state.diff_truncated,
                    )
            except Exception as exc:
                active.warn("git state", exc)
            with active.lock:
                active.git_result = result
                active.git_done = True
                if active.finalized and result is not None:
                    # The cell ended first: complete the stored run, after its final write.
                    active.run.git = result
                    _assess_reproducibility(active.run, active.opts, active.random_named)
                    snapshot = _snapshot(active.run)
                    self._submit(_Write("update", snapshot.id, run=snapshot))

        if self._git_worker is None:
            self._git_worker = ThreadPoolExecutor(1, thread_name_prefix="mlops-jupyter-git")
        future = self._git_worker.submit(capture)
        with self._lock:
            self._git_futures = [f for f in self._git_futures if not f.done()] + [future]
        return future

    def _capture_metric_vars(self, active: ActiveRun, namespace: Mapping[str, Any]) -> None:
        now = _time()
        for var in active.opts.metric_vars:
            if var not in namespace:
                active.warn(f"metric {var!r}", "no such variable after the cell")
                continue
            active.points.append((var, namespace[var], None, now))

    def _capture_artifacts(self, active: ActiveRun) -> None:
        # Copied on the cell's thread: the next cell may overwrite the file.
        for path in active.opts.artifacts:
            try:
                record = self._blobs().put_file(os.path.join(active.cwd, path))
                active.run.artifacts.append(
                    FileRecord(path=path, sha256=record.sha256, size=record.size)
                )
            except Exception as exc:
                active.warn(f"artifact {path!r}", exc)

    # -- metrics -------------------------------------------------------------------------

    def _drain(self, active: ActiveRun) -> list[MetricPoint]:
        """Take the buffered points of ``active``, validated, with steps assigned.

        The final values in ``active.run.metrics`` are updated on the way (the value at the
        highest step wins, as in the store).
        """
        with active.flush_lock:
            return self._drain_locked(active)

    def _drain_locked(self, active: ActiveRun) -> list[MetricPoint]:
        from .capture.values import to_metric_value

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

    # -- the writer thread ---------------------------------------------------------------

    def _submit(self, job: _Write | Callable[[], None]) -> None:
        with self._lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(
                    target=self._write_loop, name="mlops-jupyter-writer", daemon=True
                )
                self._writer.start()
                _register_exit_drain(self)
        self._queue.put(job)

    def _write_loop(self) -> None:
        heartbeat_every = lease_seconds() / 6
        while True:
            try:
                job = self._queue.get(timeout=FLUSH_INTERVAL)
            except queue.Empty:
                self._periodic(heartbeat_every)
                continue
            if isinstance(job, _Write):
                self._perform(job)
                continue
            try:
                job()
            except Exception as exc:  # pragma: no cover - control jobs do not fail
                self._late_warning(f"internal error in the writer ({type(exc).__name__}: {exc})")

    def _late_warning(self, message: str) -> None:
        with self._lock:
            if message not in self._late_warnings:
                self._late_warnings.append(message)

    def _perform(self, write: _Write) -> None:
        """Apply one write to the store, or spool it while the database is away.

        Writes keep their order: once one is spooled, every later write goes to the spool
        too until the spool has been replayed. While the spool waits for its next retry,
        writes go straight to it without trying the database (a connection attempt to a
        host that is down can take seconds).
        """
        from .store.spool import is_retryable

        pending = self._spooled
        if pending and time.monotonic() < self._next_replay:
            self._to_spool(write, None)
            return
        try:
            store = self.store()
            self._offline = False
            if not self._orphans_adopted:
                self._orphans_adopted = True
                self._adopt_orphans(store)
            if pending and not self._replay_spool(store, force=True):
                self._to_spool(write, None)
                return
            write.apply(store)
        except Exception as exc:
            if is_retryable(exc):
                self._to_spool(write, exc)
            else:
                self._late_warning(f"an earlier run was not fully recorded ({_describe(exc)})")

    def _spool_for(self) -> Spool | None:
        if self._spool is None:
            db_url = self._store_url()
            if db_url is None:
                return None
            from .store.spool import Spool, spool_dir_for

            self._spool = Spool(spool_dir_for(db_url))
        return self._spool

    def _to_spool(self, write: _Write, error: BaseException | None) -> None:
        from .store.spool import is_disk_full

        try:
            spool = self._spool_for()
            if spool is None:
                raise RuntimeError("this store has no spool")
            first = len(spool) == 0
            write.spool(spool)
        except Exception as spool_error:
            cause = error or spool_error
            if is_disk_full(cause) or is_disk_full(spool_error):
                self._late_warning(
                    "DISK FULL: an earlier run was not recorded: no space left for the run "
                    f"database {self._store_description()} nor for the local spool "
                    f"({_describe(cause)}). Runs already stored are intact; free some space "
                    "and run the cell again."
                )
            else:
                self._late_warning(
                    f"an earlier run was not fully recorded ({_describe(cause)}); it could not "
                    f"be spooled either ({_describe(spool_error)})"
                )
            return
        if first:
            self._replay_delay = _REPLAY_FIRST_DELAY
            self._next_replay = time.monotonic() + self._replay_delay
            what = "is full" if error is not None and is_disk_full(error) else "is unreachable"
            self._late_warning(
                f"the run database {self._store_description()} {what}"
                + (f" ({_describe(error)})" if error is not None else "")
                + f": runs are kept in the local spool {spool.directory} and will be synced "
                "when it answers again"
            )
        elif error is not None:
            self._back_off()

    @property
    def _spooled(self) -> bool:
        """Whether writes wait in the spool."""
        return self._spool is not None and len(self._spool) > 0

    def _back_off(self) -> None:
        """A retry of the spool failed: wait longer before the next one."""
        self._replay_delay = min(self._replay_delay * 2, _REPLAY_MAX_DELAY)
        self._next_replay = time.monotonic() + self._replay_delay

    def _replay_spool(self, store: RunStore, *, force: bool = False) -> bool:
        """Try to empty the spool (at most every few seconds unless ``force``).

        Returns:
            True if the spool is now empty.
        """
        spool = self._spool
        if spool is None or not len(spool):
            return True
        now = time.monotonic()
        if not force and now < self._next_replay:
            return False
        result = spool.replay(store)
        if result.remaining:
            self._back_off()
            return False
        self._late_warning(
            f"the run database {self._store_description()} answers again: {result.applied} "
            "spooled writes were synced"
        )
        for reason in result.dropped:
            self._late_warning(f"a spooled write could not be applied and was dropped ({reason})")
        return True

    def _adopt_orphans(self, store: RunStore) -> None:
        # Spools left by kernels that died while the database was away.
        db_url = self._store_url()
        if db_url is None:
            return
        try:
            from .store.spool import replay_orphans, spool_dir_for

            replay_orphans(store, spool_dir_for(db_url))
        except Exception as exc:  # the next process will try again
            self._late_warning(f"spooled runs of an earlier kernel not synced ({_describe(exc)})")

    def _periodic(self, heartbeat_every: float) -> None:
        """While idle: retry the spool; while a tracked cell runs: write its buffered
        metrics and renew its lease."""
        if self._spooled and time.monotonic() >= self._next_replay:
            try:
                store = self.store()
                self._offline = False
                self._replay_spool(store)
            except Exception:  # still away (the store cannot even be opened)
                self._back_off()
        active = _current
        if active is None or not active.stored:
            return
        try:
            points = self._drain(active)
        except Exception as exc:  # pragma: no cover - _drain validates every point
            active.warn("metrics not written", exc)
            return
        if points:
            self._perform(_Write("points", active.run.id, points=points))
        now = time.monotonic()
        if now - self._last_heartbeat >= heartbeat_every and not self._spooled:
            self._last_heartbeat = now
            try:
                self.store().heartbeat([active.run.id], utcnow())
            except Exception:  # noqa: S110
                # A lost heartbeat only matters after a whole lease; an unreachable
                # database is reported by the writes themselves.
                pass

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until pending git captures and queued writes are in the store.

        Returns:
            False if they did not finish within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            futures = list(self._git_futures)
        if futures:
            wait(futures, timeout=max(0.0, deadline - time.monotonic()))
        with self._lock:
            if self._writer is None or not self._writer.is_alive():
                return True
        done = threading.Event()

        def flush_spool() -> None:
            # Readers and interpreter exit: one more attempt, whatever the backoff says.
            try:
                if self._spooled:
                    self._replay_spool(self.store(), force=True)
            except Exception:  # noqa: S110
                pass  # still away: the writer retries with backoff
            finally:
                done.set()

        self._queue.put(flush_spool)
        return done.wait(max(0.0, deadline - time.monotonic()))


#: Environment variable through which a reproduction tells the kernel what it reproduces.
REPRODUCTION_ENV = "MLOPS_JUPYTER_REPRODUCTION"
#: Set by :mod:`mlops_jupyter.sweep` for the kernel of each sweep execution.
SWEEP_ENV = "MLOPS_JUPYTER_SWEEP"

#: Calls in a cell's source that usually read a data file.
_READS_FILES_RE = r"read_csv|read_parquet|open\(|np\.load|load\(|read_json|read_excel"


def source_sha256(source: str) -> str:
    """The sha256 of a cell source, normalized (see ``capture.notebook.normalize_source``)."""
    import hashlib

    from .capture.notebook import normalize_source

    return hashlib.sha256(normalize_source(source).encode("utf-8")).hexdigest()


def _matches_reproduced_cell(spec: Mapping[str, Any], ctx: CellContext, run: Run) -> bool:
    cell_id = spec.get("cell_id")
    if isinstance(cell_id, str) and cell_id and cell_id == ctx.cell_id:
        return True
    expected = spec.get("source_sha256")
    if not isinstance(expected, str):
        return False
    return expected in (source_sha256(run.source), source_sha256(ctx.raw_cell))


def _assess_reproducibility(run: Run, opts: TrackOptions, random_named: bool | None) -> None:
    """Set ``run.extra["pin"]`` (the code a reproduction will execute) and ``["risks"]``."""
    try:
        run.extra["pin"] = compute_pin(run)
        run.extra["risks"] = compute_risks(run, opts, random_named=random_named)
    except Exception as exc:  # never break the cell for an assessment
        run.extra["pin"] = None
        run.extra["risks"] = [f"reproducibility not assessed ({type(exc).__name__}: {exc})"]


def compute_pin(run: Run) -> dict[str, Any] | None:
    """Which code a reproduction of ``run`` executes.

    Returns:
        ``{"kind": "git", "commit", "root", "path"}`` for a clean git tree holding the saved
        notebook, ``{"kind": "snapshot", "sha256"}`` for a saved notebook snapshot,
        ``{"kind": "history"}`` when only the execution history holds the code that ran (the
        cell was not saved, or cells ran out of order), None when nothing can be reproduced.
    """
    notebook = run.notebook
    saved = (
        notebook is not None
        and notebook.snapshot_sha256 is not None
        and notebook.saved_matches_source is True
    )
    in_order = run.history_out_of_order is not True
    if saved and in_order and notebook is not None and notebook.path:
        git = run.git
        if git is not None and git.commit and not git.dirty:
            root = os.path.realpath(git.root)
            path = os.path.realpath(notebook.path)
            if path.startswith(root + os.sep):
                relative = os.path.relpath(path, root).replace(os.sep, "/")
                return {"kind": "git", "commit": git.commit, "root": git.root, "path": relative}
        return {"kind": "snapshot", "sha256": notebook.snapshot_sha256}
    if run.history:
        return {"kind": "history"}
    return None


def names_random(text: str) -> bool:
    """Whether code ``text`` mentions the standard library's ``random``."""
    return _RANDOM_RE.search(text) is not None


def compute_risks(
    run: Run, opts: TrackOptions | None = None, *, random_named: bool | None = None
) -> list[str]:
    """Plain-words reasons why ``run`` may not reproduce, as far as the kernel can tell.

    Args:
        run: The run (with notebook, history, git, seed and inputs captured).
        opts: The ``%%track`` options (for ``--seed``; ``run.seed`` is used otherwise).
        random_named: Whether the session's code named ``random``, when the caller already
            knows (the tracker scans each executed cell once instead of the whole history
            on every run); computed from ``run.history`` otherwise.
    """

    from .capture.seeds import random_libraries_in_use

    risks: list[str] = []
    if run.notebook is not None and run.notebook.saved_matches_source is False:
        risks.append("the executed cell was not saved in the notebook")
    if run.history_out_of_order:
        risks.append("cells ran out of order in this session")
    seed = run.seed if opts is None or opts.seed is None else opts.seed
    if seed is None:
        libraries = random_libraries_in_use()
        if "random" in libraries:
            # The standard library's random is imported by every kernel (tempfile uses it):
            # it counts only when the code executed in the session names it.
            if random_named is None:
                sources = [run.source, *(str(h.get("source", "")) for h in run.history)]
                random_named = any(names_random(text) for text in sources)
            if not random_named:
                libraries.remove("random")
        if libraries:
            risks.append("no seed set while random libraries were used: " + ", ".join(libraries))
    if not run.inputs and re.search(_READS_FILES_RE, run.source):
        risks.append("the cell reads files that were not hashed with --input")
    if run.git is not None and run.git.dirty:
        risks.append("git tree was dirty")
    return risks


_RANDOM_RE = re.compile(r"\brandom\b")

_exit_drain_registered: set[int] = set()


def _register_exit_drain(tracker: Tracker) -> None:
    # A kernel shut down normally must not lose the runs still queued.
    if id(tracker) not in _exit_drain_registered:
        _exit_drain_registered.add(id(tracker))
        atexit.register(tracker.drain, 10.0)


def _snapshot(run: Run) -> Run:
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


def _status_for(error: BaseException | None) -> RunStatus:
    if error is None:
        return RunStatus.FINISHED
    if isinstance(error, KeyboardInterrupt):
        return RunStatus.INTERRUPTED
    return RunStatus.FAILED


def _error_info(error: BaseException) -> ErrorInfo:
    tb = error.__traceback__
    # Drop our own frames (the magic and the exec call): the user's code starts after them.
    package_dir = os.path.dirname(__file__)
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(package_dir):
        tb = tb.tb_next
    lines = traceback.format_exception(type(error), error, tb)
    return ErrorInfo(
        type=type(error).__name__,
        message=_redact(str(error))[:4000],
        traceback=_redact("".join(lines))[-20000:],
    )


def _redact(text: str) -> str:
    from .capture.redact import redact_text

    return redact_text(text) if text else text


def _default_experiment(ctx: CellContext) -> str:
    return experiment_for_notebook(ctx.notebook_path)


def experiment_for_notebook(path: str | None) -> str:
    """The default experiment of runs recorded in the notebook at ``path``: its path, with
    the home folder shown as ``~`` (``"default"`` when the notebook is unknown)."""
    if path:
        home = os.path.expanduser("~")
        if path.startswith(home + os.sep):
            return "~" + path[len(home) :]
        return path
    return "default"


_tracker: Tracker | None = None


def get_tracker() -> Tracker:
    """This process's tracker."""
    global _tracker
    if _tracker is None:
        _tracker = Tracker()
    return _tracker


def runs(
    experiment: str | None = None, *, status: str | None = None, limit: int | None = None
) -> Any:
    """Runs from the store, newest first: a pandas DataFrame if pandas is installed.

    Args:
        experiment: Only runs of this experiment.
        status: Only runs with this status (``finished``, ``failed``, ...).
        limit: At most this many runs (default: all).
    """
    from .store import get_store

    if _tracker is not None:
        _tracker.drain()  # this kernel's own runs first
    store = get_store()
    store.mark_stale_runs_crashed(lease_seconds())
    found = store.search_runs(
        experiment=experiment,
        status=RunStatus(status) if status is not None else None,
        limit=limit,
    )
    try:
        import pandas as pd
    except ImportError:
        return found
    rows = [run_row(run) for run in found]
    frame = pd.DataFrame(rows)
    if not rows:
        frame = pd.DataFrame(
            columns=["id", "name", "experiment", "status", "started_at", "ended_at", "duration"]
        )
    return frame


def run_row(run: Run) -> dict[str, Any]:
    """A flat row of a run: attributes, then ``params.*`` and ``metrics.*`` columns."""
    row: dict[str, Any] = {
        "id": run.id,
        "name": run.name,
        "experiment": run.experiment,
        "status": run.status.value,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
        "duration": run.duration,
    }
    row.update({f"params.{k}": v for k, v in run.params.items()})
    row.update({f"metrics.{k}": v for k, v in run.metrics.items()})
    return row
