"""Executing a notebook in a fresh kernel with papermill: shared by reproductions and sweeps.

:func:`execute_notebook` starts the kernel in a given folder with extra environment
variables (papermill's own ``cwd`` would ``os.chdir`` this whole process), injects the
parameters, reports each cell as it starts, interrupts the running cell as soon as a
cancel event is set, and says how the execution ended. :func:`wait_for_runs` waits until
the runs the kernel reported are written.

Plain Python: no Tornado, no IPython. papermill (seconds to import) is imported on first use.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .links import read_report
from .models import RunStatus

if TYPE_CHECKING:
    from .models import Run
    from .store.base import RunStore

__all__ = [
    "CancelFilePoller",
    "CellFailure",
    "ExecutionCancelled",
    "NotebookOutcome",
    "execute_notebook",
    "wait_for_runs",
]

#: ``progress(cell, total)``: a cell (1-based) of the notebook being executed starts.
ProgressCallback = Callable[[int, int], None]


class ExecutionCancelled(Exception):
    """The execution was cancelled through its ``cancel`` event."""


@dataclass(frozen=True)
class CellFailure:
    """A cell that raised.

    Attributes:
        cell_index: Its index in the notebook as given (papermill's injected parameters
            cell not counted), from 0; -1 for the injected parameters cell itself.
        ename: The exception's name.
        evalue: Its message.
    """

    cell_index: int
    ename: str
    evalue: str

    @property
    def cell(self) -> int:
        """Its number as a person counts the cells of the notebook: from 1 (0: the
        injected parameters cell)."""
        return self.cell_index + 1

    def to_json(self) -> dict[str, Any]:
        """``{"cell", "cell_index", "ename", "evalue"}``."""
        return {
            "cell": self.cell,
            "cell_index": self.cell_index,
            "ename": self.ename,
            "evalue": self.evalue,
        }


@dataclass(frozen=True)
class NotebookOutcome:
    """How an execution ended: every cell ran, a cell raised, or nothing could run.

    Attributes:
        failure: The cell that raised, if one did.
        error: Why the notebook could not be run at all (bad kernel, invalid notebook).
    """

    failure: CellFailure | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether every cell ran."""
        return self.failure is None and self.error is None


class _PapermillNoise(logging.Filter):
    """Drops papermill's warnings about parameters: ``%%track`` applies the injected
    parameters itself, whether or not the notebook declares them in a ``parameters`` cell."""

    NOISE = ("Passed unknown parameter", "does not contain a cell with tag 'parameters'")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(noise in message for noise in self.NOISE)


def _quiet_papermill() -> None:
    logger = logging.getLogger("papermill")
    if not any(isinstance(f, _PapermillNoise) for f in logger.filters):
        logger.addFilter(_PapermillNoise())


def execute_notebook(
    notebook: str,
    *,
    parameters: Mapping[str, Any],
    kernel_name: str,
    cwd: str,
    env: Mapping[str, str],
    cancel: threading.Event,
    progress: ProgressCallback | None = None,
    output: str | None = None,
) -> NotebookOutcome:
    """Run ``notebook`` with papermill in a fresh kernel.

    Args:
        notebook: The notebook (kept as it is; the executed copy goes to ``output``).
        parameters: Injected by papermill (names already checked).
        kernel_name: The kernel spec.
        cwd: The kernel's working folder.
        env: Variables added to this process's environment for the kernel.
        cancel: Set it to stop: checked as each cell starts, and the running cell is
            interrupted (SIGINT to the kernel).
        progress: Called as each cell starts, with its number (from 1) and the count
            (papermill's injected parameters cell included).
        output: Where the executed notebook is written (default: beside ``notebook``).

    Returns:
        How it ended.

    Raises:
        ExecutionCancelled: If ``cancel`` was set.
        KeyboardInterrupt: If this process was interrupted (and ``cancel`` was not set).
    """
    _quiet_papermill()
    from papermill.exceptions import PapermillExecutionError

    if cancel.is_set():
        raise ExecutionCancelled()
    managers: list[Any] = []
    manager_class = _kernel_manager_class(env, cwd, managers)
    output = output or notebook[: -len(".ipynb")] + ".out.ipynb"
    with open(notebook, encoding="utf-8") as handle:
        total = len(json.load(handle).get("cells", []))
    injected: list[int] = []

    def on_cell_start(cell: Any, cell_index: int) -> None:
        if cancel.is_set():
            raise ExecutionCancelled()
        tags = (getattr(cell, "metadata", None) or {}).get("tags") or []
        if "injected-parameters" in tags:
            injected.append(cell_index)
            return  # not a cell of the notebook: the one numbering counts the notebook's
        if progress is not None:
            progress(cell_index + 1 - len(injected), total)

    watcher = _CancelWatcher(cancel, managers)
    watcher.start()
    try:
        _run_papermill(
            notebook,
            output,
            parameters=parameters,
            kernel_name=kernel_name,
            manager_class=manager_class,
            on_cell_start=on_cell_start,
        )
    except PapermillExecutionError as exc:
        if cancel.is_set():
            raise ExecutionCancelled() from None
        index = _pinned_index(output, exc.cell_index)
        return NotebookOutcome(failure=CellFailure(index, str(exc.ename), str(exc.evalue)))
    except ExecutionCancelled:
        raise
    except (Exception, KeyboardInterrupt) as exc:
        if cancel.is_set():
            raise ExecutionCancelled() from None
        if isinstance(exc, KeyboardInterrupt):
            raise
        return NotebookOutcome(error=f"the notebook could not be run: {type(exc).__name__}: {exc}")
    finally:
        watcher.stop()
    return NotebookOutcome()


def wait_for_runs(
    store: RunStore, report: str, slack: float = 10.0
) -> tuple[list[str], Run | None]:
    """The runs a kernel reported in ``report``, once written.

    The kernel writes through a background thread and drains it as it exits, which the
    execution waits for; ``slack`` seconds are allowed for a slow disk.

    Returns:
        Every reported run id, and the last one's run (None if it is not stored).
    """
    from .store.errors import RunNotFoundError

    ids = read_report(report)
    deadline = time.monotonic() + slack
    last: Run | None = None
    for run_id in ids:
        while True:
            try:
                last = store.get_run(run_id)
            except RunNotFoundError:
                last = None
            if last is not None and last.status is not RunStatus.RUNNING:
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
    return ids, last


def _run_papermill(
    notebook: str,
    output: str,
    *,
    parameters: Mapping[str, Any],
    kernel_name: str,
    manager_class: type[Any],
    on_cell_start: Callable[[Any, int], None],
) -> None:
    """Execute ``notebook`` with papermill: nothing saved per cell, progress per cell."""
    import papermill

    _in_own_thread(
        lambda: papermill.execute_notebook(
            notebook,
            output,
            parameters=dict(parameters),
            kernel_name=kernel_name,
            progress_bar=False,
            request_save_on_cell_execute=False,
            kernel_manager_class=manager_class,
            on_cell_start=on_cell_start,
        )
    )


def _in_own_thread(work: Callable[[], object]) -> None:
    """Run ``work`` on a new thread and wait for it, re-raising what it raised.

    nbclient runs its event loop in a loop it keeps per thread (jupyter_core's
    ``ensure_event_loop``); on a thread of our own that loop is ours to close afterwards, and
    the caller's (a server's, a test's) is never touched.
    """
    raised: list[BaseException] = []

    def target() -> None:
        from jupyter_core.utils import ensure_event_loop

        try:
            work()
        except BaseException as exc:  # handed to the caller below
            raised.append(exc)
        finally:
            loop = ensure_event_loop()
            if not loop.is_running():
                loop.close()

    thread = threading.Thread(target=target, name="mlops-execution-papermill", daemon=True)
    thread.start()
    thread.join()
    if raised:
        raise raised[0]


_PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"


def _pinned_index(output: str, index: int) -> int:
    """The index of executed cell ``index`` in the notebook before papermill injected its
    parameters cell (-1 for that cell itself)."""
    try:
        with open(output, encoding="utf-8") as handle:
            cells = json.load(handle).get("cells", [])
    except (OSError, ValueError):
        return index
    # On a failure papermill inserts a markdown cell naming it at the top of its output
    # notebook: that cell is not one of the executed ones.
    cells = [
        c
        for c in cells
        if _PAPERMILL_ERROR_TAG not in ((c.get("metadata") or {}).get("tags") or [])
    ]
    for i, cell in enumerate(cells[: index + 1]):
        tags = (cell.get("metadata") or {}).get("tags") or []
        if "injected-parameters" in tags:
            return -1 if i == index else index - 1
    return index


#: Lines a kernel prints on stderr that say nothing to the person running a reproduction
#: or a sweep: papermill interrupts every kernel it shuts down.
_KERNEL_NOISE = ("KeyboardInterrupt caught in kernel",)


def _forward_stderr(fd: int) -> None:
    """Copy a kernel's stderr to ours, line by line, without the known noise."""
    with os.fdopen(fd, "rb") as pipe:
        for line in pipe:
            text = line.decode("utf-8", "replace")
            if not any(noise in text for noise in _KERNEL_NOISE):
                sys.stderr.write(text)
                sys.stderr.flush()


def _kernel_manager_class(env: Mapping[str, str], cwd: str, created: list[Any]) -> type[Any]:
    """A kernel manager that starts its kernel in ``cwd`` with ``env`` added.

    On POSIX the kernel listens on Unix sockets in a private folder (``ipc``), not on
    loopback TCP ports: nothing else on the machine can connect, and the kernel has no
    reason to warn about unencrypted TCP. Its stderr reaches ours without the noise of
    papermill's shutdown.
    """
    from jupyter_client.manager import AsyncKernelManager

    class ExecutionKernelManager(AsyncKernelManager):
        ipc_folder: str | None = None

        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            merged = dict(kw.pop("env", None) or os.environ)
            merged.update(env)
            kw["env"] = merged
            kw["cwd"] = cwd
            created.append(self)
            if os.name == "posix":
                self.ipc_folder = tempfile.mkdtemp(prefix="mlops-kernel-")
                self.transport = "ipc"
                self.ip = os.path.join(self.ipc_folder, "k")
            read_end, write_end = os.pipe()
            kw["stderr"] = write_end
            try:
                await super().start_kernel(**kw)
            finally:
                os.close(write_end)
                threading.Thread(
                    target=_forward_stderr, args=(read_end,), name="mlops-kernel-stderr",
                    daemon=True,
                ).start()  # fmt: skip

        async def cleanup_resources(self, restart: bool = False) -> None:  # type: ignore[override]
            await super().cleanup_resources(restart=restart)
            if self.ipc_folder is not None and not restart:
                shutil.rmtree(self.ipc_folder, ignore_errors=True)

    return ExecutionKernelManager


class _CancelWatcher:
    """Interrupts the running cell as soon as the cancel event is set."""

    def __init__(self, cancel: threading.Event, managers: list[Any]) -> None:
        self._cancel = cancel
        self._managers = managers
        self._done = threading.Event()
        self._thread = threading.Thread(
            target=self._watch, name="mlops-execution-cancel", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join(timeout=5)

    def _watch(self) -> None:
        while not self._done.wait(0.1):
            if self._cancel.is_set():
                for manager in self._managers:
                    process = getattr(getattr(manager, "provisioner", None), "process", None)
                    if process is not None and process.poll() is None:
                        try:
                            process.send_signal(signal.SIGINT)
                        except OSError:
                            pass
                return


class CancelFilePoller:
    """Sets ``event`` once ``path`` exists: how a coordinator reaches workers anywhere.

    Args:
        path: The file whose appearance means "cancel".
        event: The event to set.
    """

    def __init__(self, path: str, event: threading.Event) -> None:
        self._path, self._event, self._done = path, event, threading.Event()
        self._thread = threading.Thread(target=self._poll, name="mlops-cancel-file", daemon=True)

    def start(self) -> None:
        """Start polling (every 0.2 s)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling."""
        self._done.set()
        self._thread.join(timeout=5)

    def _poll(self) -> None:
        while not self._done.wait(0.2):
            if os.path.exists(self._path):
                self._event.set()
                return
