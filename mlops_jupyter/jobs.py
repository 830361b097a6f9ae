"""Background jobs: reproductions, determinism checks and sweeps run in a bounded thread pool.

A :class:`JobManager` belongs to one server. papermill blocks, so each reproduction runs on a
worker thread (the kernel it drives is a separate process) and the server's event loop stays
free; a sweep's thread coordinates its worker processes. At most one reproduction per run is
active at a time, and at most ``max_queued`` jobs wait for a worker: past that, a submission
is refused (:class:`~mlops_jupyter.errors.TooManyRequestsError`, 429) rather than queued
without bound. The REST layer only submits, polls and cancels. No Tornado here.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from .errors import MlopsError, NotFoundError, TooManyRequestsError
from .execution import ExecutionCancelled
from .models import format_datetime, utcnow
from .reproduce import DEFAULT_TOLERANCE, Verdict, reproduce

if TYPE_CHECKING:
    from .determinism import DeterminismReport
    from .sweep import SweepResult

__all__ = ["Job", "JobManager", "JobNotFoundError", "JobState"]

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]
_ACTIVE = ("queued", "running")
#: Characters of log kept per job.
LOG_TAIL_CHARS = 4096
#: Finished jobs kept in memory, oldest forgotten first.
MAX_FINISHED_JOBS = 200
#: Jobs that may wait for a worker by default; more are refused.
MAX_QUEUED_JOBS = 8

#: ``runner(run_id, tolerance=, twice=, progress=, cancel=)`` returns a verdict.
Runner = Callable[..., Verdict]
#: ``sweep_runner(run_id, grid=, workers=, sweep_id=, progress=, cancel=)`` runs a sweep.
SweepRunner = Callable[..., "SweepResult"]
#: ``determinism_runner(run_id, repeats=, strict=, tolerance=, progress=, cancel=)``.
DeterminismRunner = Callable[..., "DeterminismReport"]


class JobNotFoundError(NotFoundError):
    """No job has the requested id (jobs live in the server's memory)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"job {job_id!r} not found")
        self.job_id = job_id


@dataclass
class Job:
    """One reproduction or sweep, queued, running or finished.

    Attributes:
        id: uuid4 hex.
        kind: ``"reproduce"``, ``"determinism"`` or ``"sweep"``.
        run_id: The run reproduced, or whose pinned notebook is swept.
        state: ``queued``, ``running``, ``succeeded`` (a verdict was reached, whatever it
            says; for a sweep: every execution ran, whether it finished or failed),
            ``failed`` (no verdict: an error) or ``cancelled``.
        progress: ``{"cell", "total"}`` of the notebook being executed; for a sweep or a
            determinism check ``{"done", "running", "failed", "total"}`` executions.
        sweep_id: The sweep's id (sweep jobs only).
        log_tail: The last ~4 KB of the job's log (cell starts, errors).
        verdict: The verdict's JSON once succeeded (a determinism check: its report).
        error: What went wrong when failed.
    """

    run_id: str
    tolerance: float = DEFAULT_TOLERANCE
    twice: bool = False
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    kind: str = "reproduce"
    state: JobState = "queued"
    cell: int = 0
    total: int = 0
    sweep_id: str | None = None
    grid: dict[str, list[Any]] = field(default_factory=dict)
    workers: int = 1
    repeats: int = 2
    strict: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    log: str = ""
    verdict: dict[str, Any] | None = None
    error: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event, repr=False)
    done_event: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def active(self) -> bool:
        """Whether the job is queued or running."""
        return self.state in _ACTIVE

    def append_log(self, line: str) -> None:
        """Add a line to the log, keeping its tail."""
        self.log = (self.log + line.rstrip("\n") + "\n")[-LOG_TAIL_CHARS:]

    def to_json(self) -> dict[str, Any]:
        """Return the job as the REST API shows it."""
        progress: dict[str, int]
        if self.kind in ("sweep", "determinism"):
            progress = {k: self.counts.get(k, 0) for k in ("done", "running", "failed", "total")}
        else:
            progress = {"cell": self.cell, "total": self.total}
        data = {
            "id": self.id,
            "kind": self.kind,
            "run_id": self.run_id,
            "state": self.state,
            "progress": progress,
            "log_tail": self.log,
            "verdict": self.verdict,
            "error": self.error,
            "created_at": format_datetime(self.created_at),
            "started_at": None if self.started_at is None else format_datetime(self.started_at),
            "ended_at": None if self.ended_at is None else format_datetime(self.ended_at),
        }
        if self.kind == "sweep":
            data["sweep_id"] = self.sweep_id
        return data


class JobManager:
    """Runs reproductions in the background, at most ``max_workers`` at once.

    Args:
        max_workers: Reproductions running at the same time (each drives one kernel).
        runner: The function doing the work (default :func:`mlops_jupyter.reproduce.reproduce`
            on the shared store); the REST layer passes one bound to its store.
        sweep_runner: Runs sweeps (default: :func:`mlops_jupyter.sweep.run_sweep` of the
            run's pinned notebook over the grid, on the shared store).
        max_finished: Finished jobs remembered.
        max_queued: Jobs that may wait for a worker, beyond the ``max_workers`` running.
    """

    def __init__(
        self,
        max_workers: int = 2,
        *,
        runner: Runner | None = None,
        sweep_runner: SweepRunner | None = None,
        determinism_runner: DeterminismRunner | None = None,
        max_finished: int = MAX_FINISHED_JOBS,
        max_queued: int = MAX_QUEUED_JOBS,
    ) -> None:
        self._runner: Runner = runner or reproduce
        self._sweep_runner: SweepRunner = sweep_runner or _run_sweep
        self._determinism_runner: DeterminismRunner = determinism_runner or _run_determinism
        self._pool = ThreadPoolExecutor(max_workers, thread_name_prefix="mlops-jupyter-job")
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._max_finished = max_finished
        self._max_workers = max_workers
        self._max_queued = max(0, max_queued)

    def submit_reproduce(
        self, run_id: str, tolerance: float = DEFAULT_TOLERANCE, twice: bool = False
    ) -> tuple[Job, bool]:
        """Queue a reproduction of ``run_id``.

        Returns:
            The job, and True if it was created now; while a job for the run is queued or
            running, that job is returned with False instead.

        Raises:
            TooManyRequestsError: If the queue is full (joining an active job never is).
        """
        with self._lock:
            for job in self._jobs.values():
                if job.kind == "reproduce" and job.run_id == run_id and job.active:
                    return job, False
            self._check_room()
            job = Job(run_id=run_id, tolerance=tolerance, twice=twice)
            self._jobs[job.id] = job
            self._forget_old()
        job.append_log(f"queued: reproduce run {run_id}")
        self._pool.submit(self._run, job)
        return job, True

    def submit_determinism(
        self, run_id: str, repeats: int = 2, strict: bool = False, tolerance: float = 0.0
    ) -> tuple[Job, bool]:
        """Queue a determinism check of ``run_id`` (arguments already validated).

        Returns:
            The job, and True if it was created now; while a check of the run is queued or
            running, that job is returned with False instead.

        Raises:
            TooManyRequestsError: If the queue is full (joining an active job never is).
        """
        with self._lock:
            for job in self._jobs.values():
                if job.kind == "determinism" and job.run_id == run_id and job.active:
                    return job, False
            self._check_room()
            job = Job(
                run_id=run_id,
                kind="determinism",
                tolerance=tolerance,
                repeats=repeats,
                strict=strict,
            )
            job.counts = {"total": repeats + (3 if strict else 0)}
            self._jobs[job.id] = job
            self._forget_old()
        job.append_log(f"queued: determinism check of run {run_id}")
        self._pool.submit(self._run, job)
        return job, True

    def submit_sweep(self, run_id: str, grid: dict[str, list[Any]], workers: int = 1) -> Job:
        """Queue a sweep of the notebook ``run_id`` pinned over ``grid`` (already validated).

        Returns:
            The job; its ``sweep_id`` is the id the sweep's runs will carry.

        Raises:
            TooManyRequestsError: If the queue is full.
        """
        import math

        job = Job(
            run_id=run_id,
            kind="sweep",
            sweep_id=uuid.uuid4().hex,
            grid=grid,
            workers=workers,
        )
        job.counts = {"total": math.prod(len(v) for v in grid.values())}
        with self._lock:
            self._check_room()
            self._jobs[job.id] = job
            self._forget_old()
        job.append_log(f"queued: sweep {job.sweep_id} of run {run_id}")
        self._pool.submit(self._run, job)
        return job

    def get(self, job_id: str) -> Job:
        """The job with id ``job_id``.

        Raises:
            JobNotFoundError: If there is none (or it was forgotten).
        """
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise JobNotFoundError(job_id)
        return job

    def list(self, run_id: str | None = None) -> list[Job]:
        """Jobs, newest first, optionally only those of one run."""
        with self._lock:
            jobs = list(self._jobs.values())
        jobs.reverse()
        return [job for job in jobs if run_id is None or job.run_id == run_id]

    def cancel(self, job_id: str) -> Job:
        """Cancel a job: a queued one never starts, a running one is interrupted.

        Cancelling a finished job changes nothing.

        Raises:
            JobNotFoundError: If there is no such job.
        """
        job = self.get(job_id)
        with self._lock:
            if job.state == "queued":
                self._end(job, "cancelled")
                job.append_log("cancelled before it started")
            elif job.state == "running":
                job.append_log("cancel requested: interrupting the kernel")
            job.cancel_event.set()
        return job

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until the job has ended (for tests and the CLI); return it."""
        job = self.get(job_id)
        job.done_event.wait(timeout)
        return job

    def shutdown(self, cancel_running: bool = True) -> None:
        """Stop taking jobs; cancel the running ones unless told otherwise."""
        if cancel_running:
            for job in self.list():
                if job.active:
                    self.cancel(job.id)
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- internals ---------------------------------------------------------------------

    def _check_room(self) -> None:
        # Called with the lock held. Active jobs are the running ones (at most max_workers)
        # and those waiting for a worker.
        active = sum(1 for job in self._jobs.values() if job.active)
        if active >= self._max_workers + self._max_queued:
            raise TooManyRequestsError(
                f"{active} reproductions and sweeps are running or queued (at most "
                f"{self._max_workers} run at a time and {self._max_queued} wait): try again "
                "when one has ended"
            )

    def _run(self, job: Job) -> None:
        with self._lock:
            if job.state != "queued":
                return  # cancelled while queued
            job.state = "running"
            job.started_at = utcnow()
        job.append_log("started")
        if job.kind == "sweep":
            self._run_sweep(job)
            return
        if job.kind == "determinism":
            self._run_determinism(job)
            return

        def progress(cell: int, total: int) -> None:
            job.cell, job.total = cell, total
            job.append_log(f"cell {cell} of {total}")

        try:
            verdict = self._runner(
                job.run_id,
                tolerance=job.tolerance,
                twice=job.twice,
                progress=progress,
                cancel=job.cancel_event,
            )
        except ExecutionCancelled:
            job.append_log("cancelled")
            with self._lock:
                self._end(job, "cancelled")
            return
        except Exception as exc:  # a job must end whatever happens
            self._fail(job, exc)
            return
        job.append_log(f"verdict: {verdict.status}")
        for cause in verdict.causes:
            job.append_log(f"  {cause}")
        with self._lock:
            job.verdict = verdict.to_json()
            self._end(job, "cancelled" if job.cancel_event.is_set() else "succeeded")

    def _run_determinism(self, job: Job) -> None:
        def progress(done: int, running: int, total: int) -> None:
            job.counts = {"done": done, "running": running, "failed": 0, "total": total}
            job.append_log(f"{done} of {total} executions done, {running} running")

        try:
            report = self._determinism_runner(
                job.run_id,
                repeats=job.repeats,
                strict=job.strict,
                tolerance=job.tolerance,
                progress=progress,
                cancel=job.cancel_event,
            )
        except ExecutionCancelled:
            job.append_log("cancelled")
            with self._lock:
                self._end(job, "cancelled")
            return
        except Exception as exc:  # a job must end whatever happens
            self._fail(job, exc)
            return
        job.append_log(f"verdict: {report.verdict}")
        for cause in report.causes:
            job.append_log(f"  {cause}")
        with self._lock:
            job.counts["failed"] = sum(
                1 for e in report.executions if e.get("status") not in ("finished",)
            )
            job.verdict = report.to_json()
            self._end(job, "cancelled" if job.cancel_event.is_set() else "succeeded")

    def _run_sweep(self, job: Job) -> None:
        def progress(counts: Any) -> None:
            if dict(counts) != job.counts:
                job.counts = dict(counts)
                job.append_log(
                    f"{counts['done']} of {counts['total']} done, {counts['running']} running, "
                    f"{counts['failed']} failed"
                )

        try:
            result = self._sweep_runner(
                job.run_id,
                grid=job.grid,
                workers=job.workers,
                sweep_id=job.sweep_id,
                progress=progress,
                cancel=job.cancel_event,
            )
        except Exception as exc:  # a job must end whatever happens
            self._fail(job, exc)
            return
        job.counts = result.sweep.counts()
        for execution in result.sweep.executions:
            if execution.error:
                job.append_log(f"  #{execution.index} {execution.status}: {execution.error}")
        with self._lock:
            self._end(job, "cancelled" if job.cancel_event.is_set() else "succeeded")

    def _fail(self, job: Job, error: Exception) -> None:
        # Our own errors say what went wrong in words; anything else is named by its type.
        message = (
            str(error) if isinstance(error, MlopsError) else f"{type(error).__name__}: {error}"
        )
        job.append_log(f"error: {message}")
        with self._lock:
            job.error = message
            self._end(job, "failed")

    def _end(self, job: Job, state: JobState) -> None:
        job.state = state
        job.ended_at = utcnow()
        job.done_event.set()

    def _forget_old(self) -> None:
        finished = [job_id for job_id, job in self._jobs.items() if not job.active]
        for job_id in finished[: max(0, len(finished) - self._max_finished)]:
            del self._jobs[job_id]


def _run_determinism(run_id: str, **kwargs: Any) -> DeterminismReport:
    from .determinism import check_determinism

    return check_determinism(run_id, **kwargs)


def _run_sweep(run_id: str, *, grid: dict[str, list[Any]], **kwargs: Any) -> SweepResult:
    from .sweep import expand_grid, run_sweep

    return run_sweep(from_run=run_id, combinations=expand_grid(grid), grid=grid, **kwargs)
