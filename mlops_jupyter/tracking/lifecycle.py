"""The run lifecycle behind ``%%track``: :class:`Tracker` begins and finishes runs.

The IPython layer (:mod:`mlops_jupyter.kernel`) describes the cell in a
:class:`~mlops_jupyter.tracking.context.CellContext`, calls :meth:`Tracker.begin`, executes
the cell and calls :meth:`Tracker.finish`. Everything here is plain Python so it can be
tested without a shell.

Cost model: ``begin`` and ``finish`` capture on the cell's thread and queue their writes on
the writer thread (:mod:`mlops_jupyter.tracking.writer`); the environment manifest and the
notebook snapshot are cached and only re-read when they change; git runs in a background
thread started with the cell; ``log_metric`` appends to an in-memory buffer that the writer
flushes every second.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..capture.discovery import experiment_for_notebook
from ..models import ErrorInfo, GitInfo, MetricPoint, Run, RunStatus, utcnow
from ..pin import compute_pin, compute_risks, names_random
from ..store.housekeeping import lease_seconds
from . import steps
from .context import ActiveRun, CellContext, TrackOptions, current, set_current
from .writer import Write, Writer, describe_error

if TYPE_CHECKING:
    from ..capture.inputs import Read
    from ..store.base import RunStore

__all__ = ["GIT_TIMEOUT", "MAX_GIT_DIFF_BYTES", "OUTPUT_TAIL_CHARS", "Tracker", "output_tail"]

#: Characters of stdout/stderr kept with a run.
OUTPUT_TAIL_CHARS = 8192
# The line that starts a cut output tail (see output_tail).
_CUT_RE = re.compile(r"…\[(\d+) earlier characters not kept\]\n")
#: Bytes of ``git diff`` kept with a run.
MAX_GIT_DIFF_BYTES = 1_000_000
#: Seconds a git capture may take before it is abandoned.
GIT_TIMEOUT = 5.0


def output_tail(text: str, earlier: int = 0) -> str:
    """The end of a cell's output as a run keeps it.

    At most :data:`OUTPUT_TAIL_CHARS` characters; when some were cut, a first line says how
    many: ``…[N earlier characters not kept]``. A text that already starts with that line
    (a tail this function made) keeps its count.

    Args:
        text: The end of the output.
        earlier: Characters that came before ``text`` and were already dropped.

    Returns:
        The tail, marked if anything was cut.
    """
    marked = _CUT_RE.match(text)
    if marked is not None:
        earlier += int(marked.group(1))
        text = text[marked.end() :]
    cut = max(0, len(text) - OUTPUT_TAIL_CHARS)
    earlier += cut
    if not earlier:
        return text
    return f"…[{earlier} earlier characters not kept]\n{text[cut:]}"


class Tracker:
    """Records runs for one process (one kernel).

    Capture happens on the cell's thread; every store write goes through the writer thread,
    in order. Readers in this process call :meth:`drain` first; at exit the queue is
    drained too.

    Args:
        store_factory: Returns the store to write to (default: the shared store of
            :func:`mlops_jupyter.store.get_store`). Called lazily, on the first tracked cell.
    """

    def __init__(self, store_factory: Callable[[], RunStore] | None = None) -> None:
        self.writer = Writer(store_factory)
        #: The last run this process recorded (``register_model`` links to it by default).
        self.last_run_id: str | None = None
        self.writer.on_idle = self._flush_active
        self._lock = threading.Lock()
        self._environment = steps.EnvironmentStep()
        self._reaped = False
        # One long-lived worker: starting a thread per cell costs about a millisecond.
        self._git_worker: ThreadPoolExecutor | None = None
        self._git_futures: list[Future[None]] = []
        self._random_scanned = 0
        self._random_seen = False
        self._masked_history: dict[int, tuple[tuple[Any, ...], str]] = {}

    def store(self) -> RunStore:
        """The store runs are written to (opened on first use)."""
        return self.writer.store()

    # -- the cell ------------------------------------------------------------------------

    def begin(self, ctx: CellContext, opts: TrackOptions) -> ActiveRun:
        """Capture what is known before the cell runs and queue the ``running`` record.

        Never raises: what cannot be captured becomes a warning on the returned run, and if
        the store cannot be opened the cell still runs, untracked.
        """
        run = Run.new(
            opts.experiment or experiment_for_notebook(ctx.notebook_path),
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
        active.ctx = ctx
        # The history (which grows with the session) is attached at the end only, so it is
        # serialized once per run; a crashed run keeps everything but it.
        active.history = ctx.history
        active.notices.extend(self.writer.take_late_warnings())
        with _paused(ctx):
            self._open_store(active)
            notebook = (
                steps.capture_notebook(active, ctx, self._put_blob_once) if active.stored else None
            )
            steps.capture_params(active, ctx, opts, notebook)
            steps.mark_reproduction(active, ctx, opts)
            steps.mark_sweep(active, opts)
            self._environment(active)
            steps.capture_inputs(active, opts, _input_base(ctx), ctx.execution_count)
            steps.attach_pending_frames(active)
            if opts.seed is not None:
                steps.seed(active, opts.seed)
                if ctx.randomness is not None:
                    ctx.randomness.seeded_all()
            if active.stored:
                active.git_future = self._start_git(active, ctx)
                run.heartbeat_at = run.started_at
                self.writer.submit(Write("create", run.id, run=steps.snapshot(run)))
        set_current(active)
        return active

    def _open_store(self, active: ActiveRun) -> None:
        """Open the store on the cell's thread (an unusable store is reported at once)."""
        if self.writer.offline:
            # The database was unreachable: the writer thread retries, not the cell.
            active.stored = True
            return
        try:
            store = self.writer.store()
            if not self._reaped:
                self._reaped = True
                store.mark_stale_runs_crashed(lease_seconds())
            active.stored = True
        except Exception as exc:  # the cell must run even if the store is unusable
            if not self.writer.has_factory and getattr(exc, "code", None) == 503:
                # Unreachable, not broken: record the run into the spool.
                self.writer.offline = True
                active.stored = True
                active.notices.append(
                    f"the run database is unreachable ({describe_error(exc)}): runs are kept "
                    "in a local spool and synced when it answers again"
                )
            else:
                active.warn("run not recorded: the store failed", exc)

    def finish(
        self,
        active: ActiveRun,
        *,
        error: BaseException | None,
        namespace: Mapping[str, Any],
        stdout_tail: str = "",
        stderr_tail: str = "",
        assigned: set[str] | None = None,
    ) -> Run:
        """Record the outcome of the cell: status, metrics, artifacts, outputs, inputs.

        Args:
            active: The run :meth:`begin` returned.
            error: What the cell raised (None: it finished).
            namespace: The user namespace (for ``--metric`` variables).
            stdout_tail: The end of what the cell printed.
            stderr_tail: The end of what it wrote to stderr.
            assigned: The ``--metric`` variables the cell assigned (None: all that exist);
                a value left from an earlier cell is not recorded.

        Never raises. Returns the run as recorded (the writes themselves are queued; the
        inputs are hashed on the writer thread).
        """
        ctx = active.ctx
        with _paused(ctx):
            return self._finish(active, error, namespace, stdout_tail, stderr_tail, assigned)

    def _finish(
        self,
        active: ActiveRun,
        error: BaseException | None,
        namespace: Mapping[str, Any],
        stdout_tail: str,
        stderr_tail: str,
        assigned: set[str] | None,
    ) -> Run:
        run = active.run
        if current() is active:
            set_current(None)
        run.ended_at = utcnow()
        ctx = active.ctx
        failed = ctx.failed_cells if ctx is not None else frozenset()
        masked = run.extra.get("masked_params") or []
        run.history = [
            {"execution_count": n, "source": self._masked(n, s, masked), "failed": True}
            if n in failed
            else {"execution_count": n, "source": self._masked(n, s, masked)}
            for n, s in active.history
        ]
        run.status = steps.status_for(error)
        if error is not None and run.status is RunStatus.FAILED:
            run.error = steps.error_info(error)
        elif run.status is RunStatus.INTERRUPTED:
            run.error = ErrorInfo(type="KeyboardInterrupt", message="interrupted", traceback="")
        run.stdout_tail = steps.redact(output_tail(stdout_tail))
        run.stderr_tail = steps.redact(output_tail(stderr_tail))
        if not active.stored:
            return run
        self.last_run_id = run.id
        steps.capture_metric_vars(active, namespace, assigned)
        if run.status is RunStatus.FINISHED:
            # A failed cell usually did not write its artifacts: nothing worth a warning.
            steps.capture_artifacts(active, self.writer.blobs())
        if ctx is not None and ctx.randomness is not None:
            try:
                ctx.randomness.after_cell(ctx.execution_count, ctx.raw_cell)
                run.extra["randomness"] = ctx.randomness.report()
            except Exception as exc:
                active.warn("random generators", exc)
        reads = steps.session_reads(active)
        run.extra["inputs_captured"] = bool(
            ctx is not None and ctx.input_monitor is not None and active.opts.capture_inputs
        )
        points = steps.drain_points(active)
        if points:
            _tell(active, points)
        with active.lock:
            if active.git_done:
                run.git = active.pinned_git or active.git_result
            active.finalized = True
            active.random_named = self._scan_for_random(active)
            _assess_reproducibility(run, active.opts, active.random_named)
            snapshot = steps.snapshot(run)
            notice = self.writer.spool_notice()
            if notice is not None:
                active.notices.append(notice)
        if points:
            self.writer.submit(Write("points", run.id, points=points))
        if reads:
            self.writer.submit(lambda: self._record_inputs(active, reads))
        else:
            self.writer.submit(Write("update", run.id, run=snapshot))
        return run

    def _record_inputs(self, active: ActiveRun, reads: list[Read]) -> None:
        """On the writer thread: hash what the session read, then write the final record."""
        from .inputs import resolve_inputs

        run = active.run
        ctx = active.ctx
        base = _input_base(ctx) if ctx is not None else active.cwd
        skip = [os.path.join(active.cwd, a) for a in active.opts.artifacts]
        skip += [os.path.join(base, r.path) for r in run.inputs if r.kind == "file"]
        if run.notebook is not None and run.notebook.path:
            skip.append(run.notebook.path)
        try:
            records, warnings = resolve_inputs(
                reads, base=base, blobs=self.writer.blobs(), skip=skip
            )
        except Exception as exc:  # never lose the run for its inputs
            records, warnings = [], [f"inputs not recorded ({describe_error(exc)})"]
        for warning in warnings:
            self.writer.late_warning(warning)
        with active.lock:
            run.inputs = [*run.inputs, *records]
            snapshot = steps.snapshot(run)
        self.writer.perform(Write("update", run.id, run=snapshot))

    # -- background work -----------------------------------------------------------------

    def _flush_active(self) -> None:
        """On the writer thread, about once a second: write the active run's buffered
        metrics and renew its lease."""
        active = current()
        if active is None or not active.stored:
            return
        try:
            points = steps.drain_points(active)
        except Exception as exc:  # pragma: no cover - drain_points validates every point
            active.warn("metrics not written", exc)
            return
        if points:
            self.writer.perform(Write("points", active.run.id, points=points))
            _tell(active, points)
        self.writer.heartbeat(active.run.id)

    def _masked(self, number: int, source: str, names: list[str]) -> str:
        """A history entry with its credentials masked (each entry masked once)."""
        key = (number, source, tuple(names))
        cached = self._masked_history.get(number)
        if cached is not None and cached[0] == key:
            return cached[1]
        from ..capture.source import mask_code

        masked = mask_code(source, names)
        self._masked_history[number] = (key, masked)
        return masked

    def _put_blob_once(self, sha: str, data: bytes) -> str:
        blobs = self.writer.blobs()
        if not blobs.exists(sha):
            return blobs.put_bytes(data, fsync=False)
        return sha

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
            from ..capture.inputs import get_monitor

            get_monitor().pause_thread()  # git's reads are not the session's inputs
            result: GitInfo | None = None
            try:
                from ..capture.git import capture_git

                state = capture_git(folder, timeout=GIT_TIMEOUT, max_diff_bytes=MAX_GIT_DIFF_BYTES)
                if state is not None:
                    diff_sha = None
                    if state.diff:
                        diff_sha = self.writer.blobs().put_bytes(state.diff.encode(), fsync=False)
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
                active.git_result = active.pinned_git or result
                result = active.git_result
                active.git_done = True
                if active.finalized and result is not None:
                    # The cell ended first: complete the stored run, after its final write
                    # (snapshot taken on the writer thread: the inputs are added there).
                    active.run.git = result
                    _assess_reproducibility(active.run, active.opts, active.random_named)
                    self.writer.submit(lambda: self._write_late(active))

        if self._git_worker is None:
            self._git_worker = ThreadPoolExecutor(1, thread_name_prefix="mlops-jupyter-git")
        future = self._git_worker.submit(capture)
        with self._lock:
            self._git_futures = [f for f in self._git_futures if not f.done()] + [future]
        return future

    def _write_late(self, active: ActiveRun) -> None:
        with active.lock:
            snapshot = steps.snapshot(active.run)
        self.writer.perform(Write("update", snapshot.id, run=snapshot))

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until pending git captures and queued writes are in the store.

        Returns:
            False if they did not finish within ``timeout`` seconds.
        """
        import time

        deadline = time.monotonic() + timeout
        with self._lock:
            futures = list(self._git_futures)
        if futures:
            wait(futures, timeout=max(0.0, deadline - time.monotonic()))
        return self.writer.drain(max(0.0, deadline - time.monotonic()))


def _input_base(ctx: CellContext | None) -> str:
    """Inputs are recorded relative to the notebook's folder (the working folder without one)."""
    if ctx is None:
        return os.getcwd()
    return os.path.dirname(ctx.notebook_path) if ctx.notebook_path else ctx.cwd


@contextmanager
def _paused(ctx: CellContext | None) -> Iterator[None]:
    """Our own capture's reads are not the session's inputs."""
    if ctx is None or ctx.input_monitor is None:
        yield
        return
    with ctx.input_monitor.paused():
        yield


def _assess_reproducibility(run: Run, opts: TrackOptions, random_named: bool | None) -> None:
    """Set ``run.extra["pin"]`` (the code a reproduction will execute) and ``["risks"]``."""
    try:
        run.extra["pin"] = compute_pin(run)
        run.extra["risks"] = compute_risks(run, seed=opts.seed, random_named=random_named)
    except Exception as exc:  # never break the cell for an assessment
        run.extra["pin"] = None
        run.extra["risks"] = [f"reproducibility not assessed ({type(exc).__name__}: {exc})"]


def _tell(active: ActiveRun, points: list[MetricPoint]) -> None:
    """Give the points to the live view, if any (it never breaks the recording)."""
    if active.on_points is not None:
        try:
            active.on_points(points)
        except Exception:  # noqa: S110 - a display, nothing to record
            pass
