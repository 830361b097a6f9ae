"""Parameter sweeps: one papermill execution of a notebook per combination of parameters.

:func:`run_sweep` executes a notebook (or the notebook a run pinned, with the run's parameters
as defaults) once per combination, in worker processes (a local process pool or the workers of
a ``dask.distributed`` scheduler). Each execution's kernel learns its sweep through
``MLOPS_JUPYTER_SWEEP``, so the runs its ``%%track`` cells record carry ``sweep_id``; an
execution that records no run (a notebook without ``%%track``) is recorded as one
notebook-level run. The sweep itself is a small manifest, ``sweeps/<id>.json`` next to the
store's blobs, written atomically by the coordinating process alone: the grid, the notebook and
each execution's status, so an interrupted sweep can be resumed.

Plain Python: no Tornado, no IPython. papermill is imported by the workers only.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .models import ErrorInfo, NotebookInfo, Run, RunStatus, format_datetime, utcnow
from .store.errors import InvalidArgumentError, StoreError
from .tracking import SWEEP_ENV, experiment_for_notebook

if TYPE_CHECKING:
    from .store.base import RunStore
    from .store.location import StoreLocation

__all__ = [
    "MAX_COMBINATIONS",
    "Execution",
    "ExecutionTask",
    "Sweep",
    "SweepError",
    "SweepResult",
    "execute_combination",
    "expand_grid",
    "load_combinations",
    "load_sweep",
    "run_sweep",
    "validate_combinations",
]

#: Most combinations a sweep may have.
MAX_COMBINATIONS = 256
#: Seconds an execution waits for the runs its kernel recorded to be written.
RUN_WRITE_SLACK = 10.0

ExecutionStatus = Literal["pending", "running", "finished", "failed", "interrupted"]
#: ``progress({"done", "running", "failed", "total"})`` after every change.
SweepProgress = Callable[[Mapping[str, int]], None]


class SweepError(InvalidArgumentError):
    """A sweep cannot be started: a bad grid, parameter name or value (400)."""


# --------------------------------------------------------------------------- combinations


def expand_grid(
    grid: Mapping[str, Sequence[Any]], limit: int = MAX_COMBINATIONS
) -> list[dict[str, Any]]:
    """Every combination of the grid's values, the first parameter varying slowest.

    Args:
        grid: Parameter name → the values to try (a non-empty list of JSON values).
        limit: Most combinations allowed.

    Returns:
        The combinations, e.g. ``{"lr": [1, 2], "n": [5]}`` → ``[{"lr": 1, "n": 5},
        {"lr": 2, "n": 5}]``.

    Raises:
        SweepError: If a name is not an identifier, a value not JSON, a list empty, or there
            are more than ``limit`` combinations.
    """
    if not isinstance(grid, Mapping) or not grid:
        raise SweepError("the grid must map at least one parameter name to its values")
    size = 1
    for name, values in grid.items():
        if not isinstance(values, list | tuple) or not values:
            raise SweepError(f"parameter {name!r:.60}: give a non-empty list of values")
        size *= len(values)
    if size > limit:
        raise SweepError(f"the grid has {size} combinations: at most {limit} are allowed")
    names = list(grid)
    combos = [dict(zip(names, values, strict=True)) for values in itertools.product(*grid.values())]
    return validate_combinations(combos, limit)


def validate_combinations(
    combos: Iterable[Mapping[str, Any]], limit: int = MAX_COMBINATIONS
) -> list[dict[str, Any]]:
    """Check explicit combinations: identifiers for names, JSON for values.

    Names become assignments in the kernel: anything but an identifier is refused before
    anything runs.

    Raises:
        SweepError: On the first problem, naming it.
    """
    from .capture.source import validate_param_name

    checked: list[dict[str, Any]] = []
    for number, combo in enumerate(combos):
        if not isinstance(combo, Mapping):
            raise SweepError(f"combination {number} is not an object of parameter values")
        for name, value in combo.items():
            try:
                validate_param_name(name)
            except ValueError as exc:
                raise SweepError(f"refusing the sweep: {exc}") from None
            if not _is_json(value):
                raise SweepError(f"parameter {name!r} = {value!r:.60} is not a JSON value")
        checked.append(dict(combo))
    if not checked:
        raise SweepError("the sweep has no combinations")
    if len(checked) > limit:
        raise SweepError(f"the sweep has {len(checked)} combinations: at most {limit} are allowed")
    return checked


def load_combinations(path: str) -> list[dict[str, Any]]:
    """Read explicit combinations from a YAML (if PyYAML is installed) or JSON file: a list
    of objects, one per execution.

    Raises:
        SweepError: If the file cannot be read or holds anything else.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise SweepError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        import yaml
    except ImportError:
        yaml = None
    try:
        data = yaml.safe_load(text) if yaml is not None else json.loads(text)
    except Exception as exc:  # yaml.YAMLError or ValueError: both a bad file
        raise SweepError(f"{path} is not valid {'YAML' if yaml else 'JSON'}: {exc}") from None
    if not isinstance(data, list):
        raise SweepError(f"{path} must hold a list of parameter objects")
    return validate_combinations(data)


def _is_json(value: Any) -> bool:
    if isinstance(value, float) and not math.isfinite(value):
        return False
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


# --------------------------------------------------------------------------- the manifest


@dataclass
class Execution:
    """One combination of a sweep and what became of it.

    Attributes:
        index: Position in the sweep, from 0.
        params: The parameters injected (with ``from_run``: the run's, overridden).
        status: ``pending``, ``running``, ``finished``, ``failed`` or ``interrupted``.
        run_ids: The runs it recorded (its ``%%track`` cells, else one notebook-level run).
        error: Why it failed, if it did.
        from_run: The run whose pinned notebook it executes, if any.
    """

    index: int
    params: dict[str, Any]
    status: ExecutionStatus = "pending"
    run_ids: list[str] = field(default_factory=list)
    error: str | None = None
    from_run: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The execution as the API and ``--json`` show it."""
        return {
            "index": self.index,
            "params": dict(self.params),
            "status": self.status,
            "run_ids": list(self.run_ids),
            "error": self.error,
        }


@dataclass
class Sweep:
    """A sweep's manifest.

    Attributes:
        id: uuid4 hex; every run the sweep records has it as ``sweep_id``.
        notebook: The notebook swept (for ``from_run``: the run's notebook, if known).
        grid: The grid expanded, or None for explicit combinations.
        executions: One per combination.
        from_run: The run whose pinned notebook is swept, if any.
        created_at: When the sweep was created.
    """

    id: str
    notebook: str | None
    grid: dict[str, list[Any]] | None
    executions: list[Execution]
    from_run: str | None = None
    created_at: str = field(default_factory=lambda: format_datetime(utcnow()))

    def to_json(self) -> dict[str, Any]:
        """The sweep as ``GET sweeps/{id}`` shows it."""
        return {
            "id": self.id,
            "notebook": self.notebook,
            "grid": self.grid,
            "created_at": self.created_at,
            "executions": [e.to_json() for e in self.executions],
        }

    def counts(self) -> dict[str, int]:
        """``{"done", "running", "failed", "total"}``: done counts every ended execution."""
        statuses = [e.status for e in self.executions]
        return {
            "done": sum(s in ("finished", "failed", "interrupted") for s in statuses),
            "running": statuses.count("running"),
            "failed": statuses.count("failed"),
            "total": len(statuses),
        }

    def save(self, folder: str) -> None:
        """Write the manifest atomically (a reader never sees half of it)."""
        os.makedirs(folder, exist_ok=True)
        data = self.to_json()
        data["from_run"] = self.from_run
        for entry, execution in zip(data["executions"], self.executions, strict=True):
            entry["from_run"] = execution.from_run
        fd, tmp = tempfile.mkstemp(prefix=f".{self.id}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1)
            os.replace(tmp, os.path.join(folder, f"{self.id}.json"))
        except BaseException:
            os.unlink(tmp)
            raise

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Sweep:
        """Rebuild a sweep from its manifest."""
        return cls(
            id=str(data["id"]),
            notebook=data.get("notebook"),
            grid=data.get("grid"),
            from_run=data.get("from_run"),
            created_at=str(data.get("created_at", "")),
            executions=[
                Execution(
                    index=int(e["index"]),
                    params=dict(e.get("params") or {}),
                    status=e.get("status", "pending"),
                    run_ids=list(e.get("run_ids") or []),
                    error=e.get("error"),
                    from_run=e.get("from_run"),
                )
                for e in data.get("executions", [])
            ],
        )


@dataclass
class SweepResult:
    """What :func:`run_sweep` did.

    Attributes:
        sweep: The manifest, as saved at the end.
        executed: Executions started by this call (a resumed sweep skips finished ones).
    """

    sweep: Sweep
    executed: int

    @property
    def ok(self) -> bool:
        """Whether every execution finished."""
        return all(e.status == "finished" for e in self.sweep.executions)


def sweeps_folder(
    store_setting: str | None = None, *, location: StoreLocation | None = None
) -> str:
    """Where the manifests of the store's sweeps are kept: ``sweeps/`` beside its blobs.

    Blobs on an fsspec URL (``MLOPS_JUPYTER_BLOBS=s3://...``) have no local folder beside
    them, and a manifest is rewritten with a local atomic rename: the manifests then go where
    the blobs would be without that setting (beside a SQLite database, else in the default
    store directory), so setting it does not move them.

    Args:
        store_setting: The store setting (see ``resolve_store_location``).
        location: An already resolved location, instead of ``store_setting``.

    Returns:
        The folder (not created).
    """
    from .store.location import default_store_dir, resolve_store_location

    if location is None:
        location = resolve_store_location(override=store_setting or None)
    if "://" not in location.blob_root:
        return os.path.join(os.path.dirname(location.blob_root), "sweeps")
    database = location.sqlite_path
    base = os.path.dirname(database) if database is not None else str(default_store_dir())
    return os.path.join(base, "sweeps")


def load_sweep(sweep_id: str, store_setting: str | None = None) -> Sweep:
    """The manifest of sweep ``sweep_id``.

    Raises:
        InvalidArgumentError: If the id is not 32 lowercase hex characters.
        StoreError: 404 if there is no such sweep.
    """
    if len(sweep_id) != 32 or not all(c in "0123456789abcdef" for c in sweep_id):
        raise InvalidArgumentError(f"invalid sweep id {sweep_id!r:.80}: expected 32 lowercase hex")
    path = os.path.join(sweeps_folder(store_setting), f"{sweep_id}.json")
    try:
        with open(path, encoding="utf-8") as handle:
            return Sweep.from_json(json.load(handle))
    except FileNotFoundError:
        raise StoreError(f"sweep {sweep_id!r} not found", code=404) from None


# --------------------------------------------------------------------------- one execution


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


@dataclass
class ExecutionOutcome:
    """What a worker reports back."""

    index: int
    status: ExecutionStatus
    run_ids: list[str]
    error: str | None
    seconds: float


def execute_combination(task: ExecutionTask) -> ExecutionOutcome:
    """Run one combination with papermill in a fresh kernel and record its runs.

    Never raises for a failing notebook: the failure is the outcome.
    """
    import logging
    import shutil

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
        status, error, ename = _papermill(task, notebook, report, scratch)
        store = _open_store(task.store)
        run_ids = _recorded_runs(store, report)
        if not run_ids:
            run_ids = [_notebook_run(store, task, status, error, ename, started_at).id]
        elif status == "finished":
            for run_id in run_ids:
                run = store.get_run(run_id)
                if run.status is not RunStatus.FINISHED:
                    status = "failed"
                    detail = f": {run.error.type}: {run.error.message}" if run.error else ""
                    error = f"run {run_id} ended {run.status.value}{detail}"
        return ExecutionOutcome(task.index, status, run_ids, error, time.monotonic() - started)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _papermill(
    task: ExecutionTask, notebook: str, report: str, scratch: str
) -> tuple[ExecutionStatus, str | None, str | None]:
    from papermill.exceptions import PapermillExecutionError

    from .reproduce import _CancelWatcher, _kernel_manager_class, run_papermill

    spec = {"id": task.sweep_id, "index": task.index, "notebook": task.notebook_path}
    env = {
        "MLOPS_JUPYTER_STORE": task.store,
        "MLOPS_JUPYTER_NOTEBOOK": notebook,
        SWEEP_ENV: json.dumps({**spec, "report": report}),
    }
    managers: list[Any] = []
    cwd = task.cwd if os.path.isdir(task.cwd) else scratch
    manager_class = _kernel_manager_class(env, cwd, managers)
    cancel = threading.Event()
    poller = _CancelFilePoller(task.cancel_file, cancel)
    watcher = _CancelWatcher(cancel, managers)

    def on_cell_start(cell: Any, cell_index: int) -> None:
        # The watcher interrupts a running cell; a cancel during the kernel's start is seen
        # here, before the next cell.
        if cancel.is_set():
            raise KeyboardInterrupt("sweep cancelled")

    poller.start()
    watcher.start()
    try:
        run_papermill(
            notebook,
            os.path.join(scratch, "output.ipynb"),
            parameters=task.params,
            kernel_name=task.kernel,
            manager_class=manager_class,
            on_cell_start=on_cell_start,
        )
    except PapermillExecutionError as exc:
        # A KeyboardInterrupt in a cell is an interrupted kernel (Ctrl-C reaches it too).
        if cancel.is_set() or exc.ename == "KeyboardInterrupt":
            return "interrupted", "interrupted", "KeyboardInterrupt"
        return "failed", f"{exc.ename}: {exc.evalue}", str(exc.ename)
    except (Exception, KeyboardInterrupt) as exc:
        if cancel.is_set():
            return "interrupted", "interrupted", "KeyboardInterrupt"
        if isinstance(exc, KeyboardInterrupt):
            raise
        return "failed", f"the notebook could not be run: {type(exc).__name__}: {exc}", None
    finally:
        watcher.stop()
        poller.stop()
    return "finished", None, None


class _CancelFilePoller:
    """Sets ``event`` once ``path`` exists: how a coordinator reaches workers anywhere."""

    def __init__(self, path: str, event: threading.Event) -> None:
        self._path, self._event, self._done = path, event, threading.Event()
        self._thread = threading.Thread(target=self._poll, name="mlops-sweep-cancel", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join(timeout=5)

    def _poll(self) -> None:
        while not self._done.wait(0.2):
            if os.path.exists(self._path):
                self._event.set()
                return


def _open_store(setting: str) -> RunStore:
    from .store import get_store
    from .store.location import resolve_store_location

    return get_store(resolve_store_location(override=setting or None))


def _recorded_runs(store: RunStore, report: str) -> list[str]:
    """The runs the kernel reported, once written (it drains its writes as it exits)."""
    from .store.errors import RunNotFoundError

    try:
        with open(report, encoding="utf-8") as handle:
            ids = list(dict.fromkeys(line.strip() for line in handle if line.strip()))
    except FileNotFoundError:
        return []
    deadline = time.monotonic() + RUN_WRITE_SLACK
    for run_id in ids:
        while True:
            try:
                if store.get_run(run_id).status is not RunStatus.RUNNING:
                    break
            except RunNotFoundError:
                pass
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
    return ids


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


# --------------------------------------------------------------------------- executors


class _Pool:
    """Submits tasks to worker processes; futures are polled with ``done()``."""

    def submit(self, task: ExecutionTask) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _LocalPool(_Pool):
    def __init__(self, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn: forking a process with threads (a server's, the store's writer) is unsafe.
        self._pool = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_sigint
        )

    def submit(self, task: ExecutionTask) -> Any:
        return self._pool.submit(execute_combination, task)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class _DaskPool(_Pool):
    def __init__(self, address: str) -> None:
        import distributed

        client_class: Any = distributed.Client  # untyped library
        try:
            self._client: Any = client_class(address, set_as_default=False, timeout=10)
        except (OSError, TimeoutError) as exc:
            raise SweepError(f"cannot reach the dask scheduler at {address}: {exc}") from None

    def submit(self, task: ExecutionTask) -> Any:
        return self._client.submit(
            execute_combination, task, pure=False, key=f"mlops-sweep-{task.sweep_id}-{task.index}"
        )

    def close(self) -> None:
        self._client.close()


def _ignore_sigint() -> None:
    """Ctrl-C reaches the pool's processes too: the coordinator alone handles it, through
    the cancel file, so each execution still records how it ended."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _open_pool(executor: str, workers: int) -> _Pool:
    if executor == "local":
        return _LocalPool(workers)
    if executor.startswith("dask://"):
        return _DaskPool("tcp://" + executor[len("dask://") :])
    if executor.startswith("tcp://"):
        return _DaskPool(executor)
    raise SweepError(f"unknown executor {executor!r}: use local or dask://HOST:PORT")


# --------------------------------------------------------------------------- the sweep


@dataclass
class _Source:
    """A notebook ready to be sent to workers."""

    name: str
    text: str
    path: str
    cwd: str
    kernel: str
    parameters_source: str
    defaults: dict[str, Any]


def run_sweep(
    notebook: str | None = None,
    combinations: Sequence[Mapping[str, Any]] = (),
    *,
    from_run: str | None = None,
    from_runs: Sequence[str] = (),
    grid: Mapping[str, Sequence[Any]] | None = None,
    workers: int = 1,
    executor: str = "local",
    resume: str | None = None,
    sweep_id: str | None = None,
    store: str | None = None,
    progress: SweepProgress | None = None,
    cancel: threading.Event | None = None,
    workdir: str | None = None,
) -> SweepResult:
    """Execute a notebook once per combination of parameters.

    Args:
        notebook: The notebook to sweep (its papermill ``parameters`` cell gives defaults).
        combinations: The parameters of each execution (see :func:`expand_grid`).
        from_run: Sweep the notebook this run pinned, its parameters as defaults, instead.
        from_runs: Run each of these runs again, each with its own parameters, as one sweep
            (``combinations`` are then ignored).
        grid: The grid ``combinations`` came from, kept in the manifest.
        workers: Executions running at once.
        executor: ``local`` (a process pool) or ``dask://HOST:PORT`` (a scheduler's workers,
            which must reach the same store).
        resume: Continue this sweep: executions that finished are skipped, the others run.
        sweep_id: The new sweep's id (default: a fresh uuid4 hex).
        store: The store setting (directory or URL) the workers record into (default:
            ``$MLOPS_JUPYTER_STORE``, else the per-user default).
        progress: Called with ``{"done", "running", "failed", "total"}`` on every change.
        cancel: Set it to stop: nothing more starts, running kernels are interrupted and the
            executions that did not finish are marked ``interrupted``. Ctrl-C does the same.
        workdir: Where scratch folders go (default: the system's temporary folder).

    Returns:
        The sweep's manifest and how many executions ran.

    Raises:
        SweepError: For a bad request (nothing is executed).
        RunNotFoundError: If ``from_run`` names no run.
        ReproductionError: If a run's pinned notebook cannot be prepared.
    """
    from .store.location import default_store_dir

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise SweepError("workers must be a positive integer")
    store_setting = store or os.environ.get("MLOPS_JUPYTER_STORE") or str(default_store_dir())
    folder = sweeps_folder(store_setting)
    run_store = _open_store(store_setting)
    cancel = cancel or threading.Event()
    if resume is not None:
        sweep = load_sweep(resume, store_setting)
        notebook, from_run = sweep.notebook, sweep.from_run
    else:
        sweep = _new_sweep(run_store, notebook, combinations, from_run, from_runs, grid, sweep_id)
    pool: _Pool | None = None
    with tempfile.TemporaryDirectory(prefix="mlops-sweep-", dir=workdir) as scratch:
        sources: dict[str | None, _Source] = {}

        def source_for(execution: Execution) -> _Source:
            key = execution.from_run
            if key not in sources:
                if key is None:
                    if notebook is None:
                        raise SweepError("the sweep has no notebook")
                    sources[key] = _notebook_source(notebook)
                else:
                    sources[key] = _run_source(run_store, key, os.path.join(scratch, key))
            return sources[key]

        todo = [e for e in sweep.executions if e.status != "finished"]
        for execution in todo:
            source_for(execution)  # a bad notebook or run fails before anything runs
            execution.status, execution.error, execution.run_ids = "pending", None, []
        sweep.save(folder)
        cancel_file = os.path.join(folder, f"{sweep.id}.cancel")
        if os.path.exists(cancel_file):
            os.unlink(cancel_file)

        def report() -> None:
            sweep.save(folder)
            if progress is not None:
                progress(sweep.counts())

        queue = list(todo)
        running: dict[Any, Execution] = {}
        executed = 0
        report()
        try:
            if queue:
                pool = _open_pool(executor, workers)
            while queue or running:
                if cancel.is_set():
                    break
                while queue and len(running) < workers:
                    execution = queue.pop(0)
                    task = _task(
                        sweep.id, execution, source_for(execution), store_setting, cancel_file
                    )
                    assert pool is not None
                    executed += 1
                    try:
                        running[pool.submit(task)] = execution
                        execution.status = "running"
                    except Exception as exc:  # a broken pool or a lost scheduler
                        execution.status = "failed"
                        execution.error = f"could not be submitted: {type(exc).__name__}: {exc}"
                    report()
                finished = [f for f in running if f.done()]
                if not finished:
                    cancel.wait(0.05)
                for future in finished:
                    _record(running.pop(future), future)
                    report()
        except KeyboardInterrupt:
            cancel.set()
        except BaseException:
            cancel.set()
            _stop(sweep, running, cancel_file, report)
            if pool is not None:
                pool.close()
            os.unlink(cancel_file)
            raise
        if cancel.is_set():
            _stop(sweep, running, cancel_file, report)
        if pool is not None:
            pool.close()
        if os.path.exists(cancel_file):
            os.unlink(cancel_file)
        for execution in sweep.executions:
            if execution.status in ("pending", "running"):
                execution.status, execution.error = "interrupted", "interrupted"
        report()
    return SweepResult(sweep=sweep, executed=executed)


def _stop(
    sweep: Sweep, running: dict[Any, Execution], cancel_file: str, report: Callable[[], None]
) -> None:
    """Interrupt the running executions through the cancel file and collect them."""
    with open(cancel_file, "w", encoding="utf-8"):
        pass
    deadline = time.monotonic() + 60.0
    while running and time.monotonic() < deadline:
        try:
            finished = [f for f in running if f.done()]
            for future in finished:
                _record(running.pop(future), future, cancelled=True)
                report()
            time.sleep(0.05)
        except KeyboardInterrupt:
            break  # a second Ctrl-C: stop waiting


def _record(execution: Execution, future: Any, cancelled: bool = False) -> None:
    try:
        outcome: ExecutionOutcome = future.result()
    except BaseException as exc:  # a worker died: the execution failed, the sweep goes on
        if cancelled:  # Ctrl-C reaches the pool's processes too
            execution.status, execution.error = "interrupted", "interrupted"
            return
        execution.status, execution.error = "failed", f"worker error: {type(exc).__name__}: {exc}"
        return
    execution.status = outcome.status
    execution.run_ids = list(outcome.run_ids)
    execution.error = outcome.error


def _task(
    sweep_id: str, execution: Execution, source: _Source, store: str, cancel_file: str
) -> ExecutionTask:
    return ExecutionTask(
        sweep_id=sweep_id,
        index=execution.index,
        params={**source.defaults, **execution.params},
        notebook_name=source.name,
        notebook_text=source.text,
        notebook_path=source.path,
        cwd=source.cwd,
        kernel=source.kernel,
        store=store,
        cancel_file=cancel_file,
        parameters_source=source.parameters_source,
    )


def _new_sweep(
    store: RunStore,
    notebook: str | None,
    combinations: Sequence[Mapping[str, Any]],
    from_run: str | None,
    from_runs: Sequence[str],
    grid: Mapping[str, Sequence[Any]] | None,
    sweep_id: str | None,
) -> Sweep:
    sweep_id = sweep_id or uuid.uuid4().hex
    stored_grid = {k: list(v) for k, v in grid.items()} if grid is not None else None
    if from_runs:
        executions = []
        for index, run_id in enumerate(from_runs):
            run = store.get_run(run_id)
            executions.append(Execution(index, dict(run.params), from_run=run.id))
        return Sweep(sweep_id, None, None, executions)
    combos = validate_combinations(combinations)
    if from_run is not None:
        run = store.get_run(from_run)
        path = run.notebook.path if run.notebook is not None else None
        executions = [Execution(i, c, from_run=run.id) for i, c in enumerate(combos)]
        return Sweep(sweep_id, path, stored_grid, executions, from_run=run.id)
    if notebook is None:
        raise SweepError("give a notebook or a run to sweep")
    path = os.path.abspath(notebook)
    executions = [Execution(i, c) for i, c in enumerate(combos)]
    return Sweep(sweep_id, path, stored_grid, executions)


def _notebook_source(notebook: str) -> _Source:
    try:
        with open(notebook, encoding="utf-8") as handle:
            text = handle.read()
        document = json.loads(text)
    except OSError as exc:
        raise SweepError(f"cannot read the notebook {notebook}: {exc.strerror or exc}") from None
    except ValueError:
        raise SweepError(f"{notebook} is not a notebook (invalid JSON)") from None
    kernel = ((document.get("metadata") or {}).get("kernelspec") or {}).get("name") or "python3"
    path = os.path.abspath(notebook)
    return _Source(
        name=os.path.basename(path),
        text=text,
        path=path,
        cwd=os.path.dirname(path),
        kernel=str(kernel),
        parameters_source=_parameters_cell(document),
        defaults={},
    )


def _run_source(store: RunStore, run_id: str, folder: str) -> _Source:
    from .reproduce import prepare_pinned_notebook

    run = store.get_run(run_id)
    if run.tags.get("sweep.level") == "notebook":
        return _notebook_run_source(store, run)
    pinned = prepare_pinned_notebook(store, run, folder)
    with open(pinned.notebook, encoding="utf-8") as handle:
        text = handle.read()
    path = (run.notebook.path if run.notebook is not None else None) or pinned.notebook
    return _Source(
        name=os.path.basename(pinned.notebook),
        text=text,
        path=path,
        cwd=pinned.cwd,
        kernel=pinned.kernel,
        parameters_source=_parameters_cell(json.loads(text)),
        defaults=pinned.params,
    )


def _notebook_run_source(store: RunStore, run: Run) -> _Source:
    """A notebook-level run (recorded by a sweep) ran its whole notebook: run it again."""
    sha = run.notebook.snapshot_sha256 if run.notebook is not None else None
    path = run.notebook.path if run.notebook is not None else None
    if sha is None or not path:
        raise SweepError(f"run {run.id} kept no notebook snapshot to run again")
    text = store.blobs.get_bytes(sha).decode("utf-8")
    cwd = run.extra.get("cwd")
    return _Source(
        name=os.path.basename(path),
        text=text,
        path=path,
        cwd=cwd if isinstance(cwd, str) else os.path.dirname(path),
        kernel=run.kernel_name or "python3",
        parameters_source=_parameters_cell(json.loads(text)),
        defaults=validate_combinations([run.params])[0],
    )


def _parameters_cell(document: Mapping[str, Any]) -> str:
    for cell in document.get("cells") or []:
        tags = (cell.get("metadata") or {}).get("tags") or []
        if cell.get("cell_type") == "code" and "parameters" in tags:
            source = cell.get("source", "")
            return "".join(source) if isinstance(source, list) else str(source)
    return ""
