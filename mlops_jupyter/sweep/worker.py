"""One execution of a sweep, in a worker process (local pool or a dask worker).

:func:`execute_combination` gets everything it needs in an :class:`ExecutionTask` (the
notebook travels as text, so a worker on another host needs only the kernel and the store),
runs it with papermill, and records a notebook-level run when the notebook tracked nothing.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..capture.discovery import experiment_for_notebook
from ..execution import CancelFilePoller, ExecutionCancelled, execute_notebook, wait_for_runs
from ..links import NOTEBOOK_ENV, sweep_env
from ..models import ErrorInfo, NotebookInfo, Run, RunStatus, utcnow
from ..store.location import STORE_ENV_VAR
from .manifest import ExecutionStatus

if TYPE_CHECKING:
    from ..store.base import RunStore

__all__ = ["RUN_WRITE_SLACK", "ExecutionOutcome", "ExecutionTask", "execute_combination"]

#: Seconds an execution waits for the runs its kernel recorded to be written.
RUN_WRITE_SLACK = 10.0


@dataclass(frozen=True)
class ExecutionTask:
    """Everything a worker needs to run one combination (picklable, for any executor).

    The notebook travels as text, so a worker on another host needs only the kernel and the
    store.
    """

    sweep_id: str
    index: int
    params: dict[str, Any]
    notebook_name: str
    notebook_text: str
    notebook_path: str
    cwd: str
    kernel: str
    store: str
    cancel_file: str
    parameters_source: str = ""
    #: What started the sweep, recorded with its runs (``{"trigger", "firing"}``).
    triggered_by: dict[str, Any] | None = None


@dataclass
class ExecutionOutcome:
    """What a worker reports back."""

    index: int
    status: ExecutionStatus
    run_ids: list[str]
    error: str | None
    seconds: float
    cell: int | None = None


def execute_combination(task: ExecutionTask) -> ExecutionOutcome:
    """Run one combination with papermill in a fresh kernel and record its runs.

    Never raises for a failing notebook: the failure is the outcome.
    """
    import logging

    # papermill logs every parameter a notebook without a parameters cell does not declare.
    logging.getLogger("papermill").setLevel(logging.ERROR)
    started = time.monotonic()
    started_at = utcnow()
    scratch = tempfile.mkdtemp(prefix="mlops-sweep-")
    try:
        notebook = os.path.join(scratch, task.notebook_name)
        with open(notebook, "w", encoding="utf-8") as handle:
            handle.write(task.notebook_text)
        report = os.path.join(scratch, "runs.txt")
        status, error, ename, cell = _execute(task, notebook, report, scratch)
        store = _open_store(task.store)
        run_ids, _last = wait_for_runs(store, report, RUN_WRITE_SLACK)
        if not run_ids:
            run_ids = [_notebook_run(store, task, status, error, ename, started_at).id]
        elif status == "finished":
            for run_id in run_ids:
                run = store.get_run(run_id)
                if run.status is not RunStatus.FINISHED:
                    status = "failed"
                    detail = f": {run.error.type}: {run.error.message}" if run.error else ""
                    error = f"run {run_id} ended {run.status.value}{detail}"
        seconds = time.monotonic() - started
        return ExecutionOutcome(task.index, status, run_ids, error, seconds, cell)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _execute(
    task: ExecutionTask, notebook: str, report: str, scratch: str
) -> tuple[ExecutionStatus, str | None, str | None, int | None]:
    """Run the notebook; return its status, error message, exception name and the cell that
    raised."""
    env = {
        STORE_ENV_VAR: task.store,
        NOTEBOOK_ENV: notebook,
        **sweep_env(
            sweep_id=task.sweep_id,
            index=task.index,
            notebook=task.notebook_path,
            report=report,
            triggered_by=task.triggered_by,
        ),
    }
    cancel = threading.Event()
    poller = CancelFilePoller(task.cancel_file, cancel)
    poller.start()
    try:
        outcome = execute_notebook(
            notebook,
            parameters=task.params,
            kernel_name=task.kernel,
            cwd=task.cwd if os.path.isdir(task.cwd) else scratch,
            env=env,
            cancel=cancel,
            output=os.path.join(scratch, "output.ipynb"),
        )
    except ExecutionCancelled:
        return "interrupted", "interrupted", "KeyboardInterrupt", None
    finally:
        poller.stop()
    if outcome.failure is not None:
        # A KeyboardInterrupt in a cell is an interrupted kernel (Ctrl-C reaches it too).
        if outcome.failure.ename == "KeyboardInterrupt":
            return "interrupted", "interrupted", "KeyboardInterrupt", None
        failure = outcome.failure
        return "failed", f"{failure.ename}: {failure.evalue}", failure.ename, failure.cell
    if outcome.error is not None:
        return "failed", outcome.error, None, None
    return "finished", None, None, None


def _open_store(setting: str) -> RunStore:
    from ..store import get_store
    from ..store.location import resolve_store_location

    return get_store(resolve_store_location(override=setting or None))


def _notebook_run(
    store: RunStore,
    task: ExecutionTask,
    status: ExecutionStatus,
    error: str | None,
    ename: str | None,
    started_at: Any,
) -> Run:
    """Record an execution whose notebook tracked nothing as one run of the notebook."""
    sha = store.blobs.put_bytes(task.notebook_text.encode("utf-8"), fsync=False)
    run = Run.new(
        experiment_for_notebook(task.notebook_path),
        params=dict(task.params),
        source=task.parameters_source,
        status={
            "finished": RunStatus.FINISHED,
            "interrupted": RunStatus.INTERRUPTED,
        }.get(status, RunStatus.FAILED),
        started_at=started_at,
        ended_at=utcnow(),
        tags={"sweep.index": str(task.index), "sweep.level": "notebook"},
        kernel_name=task.kernel,
        host=socket.gethostname(),
        pid=os.getpid(),
        sweep_id=task.sweep_id,
        notebook=NotebookInfo(path=task.notebook_path, snapshot_sha256=sha),
        extra={"cwd": task.cwd},
    )
    if error is not None:
        run.error = ErrorInfo(type=ename or "Error", message=error, traceback="")
    store.create_run(run)
    return run
