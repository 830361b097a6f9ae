"""Coordinating a sweep: one papermill execution of a notebook per combination of parameters.

:func:`run_sweep` executes a notebook (or the notebook a run pinned, with the run's
parameters as defaults) once per combination, on an executor (a local process pool or the
workers of a ``dask.distributed`` scheduler). Each execution's kernel learns its sweep
through ``MLOPS_JUPYTER_SWEEP``, so the runs its ``%%track`` cells record carry
``sweep_id``; the coordinator alone writes the manifest.

Plain Python: no Tornado, no IPython. papermill is imported by the workers only.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..scratch import prepare_pinned_notebook
from ..store.location import StoreLocation, default_store_dir, resolve_store_location, sweeps_folder
from .combinations import SweepError, validate_combinations
from .executors import Executor, open_executor, validate_executor
from .manifest import Execution, Sweep, SweepProgress, SweepResult, load_sweep
from .worker import ExecutionOutcome, ExecutionTask

if TYPE_CHECKING:
    from ..models import Run
    from ..store.base import RunStore

__all__ = ["run_sweep"]


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
    triggered_by: Mapping[str, Any] | None = None,
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
        triggered_by: The trigger firing that started the sweep: its runs record it.

    Returns:
        The sweep's manifest and how many executions ran.

    Raises:
        SweepError: For a bad request (nothing is executed).
        RunNotFoundError: If ``from_run`` names no run.
        InvalidArgumentError, ConflictError: If a run's pinned notebook cannot be prepared.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise SweepError("workers must be a positive integer")
    validate_executor(executor)
    store_setting = store or os.environ.get("MLOPS_JUPYTER_STORE") or str(default_store_dir())
    location = resolve_store_location(override=store_setting)
    from ..store import get_store

    run_store = get_store(location)
    if resume is not None:
        sweep = load_sweep(resume, location)
        notebook = sweep.notebook
    else:
        sweep = _new_sweep(run_store, notebook, combinations, from_run, from_runs, grid, sweep_id)
    with tempfile.TemporaryDirectory(prefix="mlops-sweep-", dir=workdir) as scratch:
        coordinator = _Coordinator(
            sweep,
            run_store,
            store_setting,
            location,
            notebook,
            scratch,
            progress,
            cancel or threading.Event(),
        )
        coordinator.triggered_by = dict(triggered_by) if triggered_by else None
        executed = coordinator.run(executor, workers)
    return SweepResult(sweep=sweep, executed=executed)


class _Coordinator:
    """Submits a sweep's executions to an executor and keeps its manifest up to date."""

    def __init__(
        self,
        sweep: Sweep,
        store: RunStore,
        store_setting: str,
        location: StoreLocation,
        notebook: str | None,
        scratch: str,
        progress: SweepProgress | None,
        cancel: threading.Event,
    ) -> None:
        self.sweep = sweep
        self.store = store
        self.store_setting = store_setting
        self.folder = sweeps_folder(location)
        self.notebook = notebook
        self.scratch = scratch
        self.progress = progress
        self.cancel = cancel
        self.cancel_file = os.path.join(self.folder, f"{sweep.id}.cancel")
        self.sources: dict[str | None, _Source] = {}
        self.running: dict[Any, Execution] = {}
        self.triggered_by: dict[str, Any] | None = None

    def source_for(self, execution: Execution) -> _Source:
        """The notebook an execution runs (prepared once per notebook or run)."""
        key = execution.from_run
        if key not in self.sources:
            if key is None:
                if self.notebook is None:
                    raise SweepError("the sweep has no notebook")
                self.sources[key] = _notebook_source(self.notebook)
            else:
                folder = os.path.join(self.scratch, key)
                self.sources[key] = _run_source(self.store, key, folder)
        return self.sources[key]

    def report(self) -> None:
        """Save the manifest and tell the progress callback."""
        self.sweep.save(self.folder)
        if self.progress is not None:
            self.progress(self.sweep.counts())

    def run(self, executor: str, workers: int) -> int:
        """Run every execution that did not finish; return how many were started."""
        todo = [e for e in self.sweep.executions if e.status != "finished"]
        for execution in todo:
            self.source_for(execution)  # a bad notebook or run fails before anything runs
            execution.status, execution.error, execution.run_ids = "pending", None, []
        self.sweep.save(self.folder)
        if os.path.exists(self.cancel_file):
            os.unlink(self.cancel_file)
        self.report()
        pool: Executor | None = None
        executed = 0
        try:
            if todo:
                pool = open_executor(executor, workers)
                executed = self._loop(pool, list(todo), workers)
        except KeyboardInterrupt:
            self.cancel.set()
        except BaseException:
            self.cancel.set()
            self._stop()
            if pool is not None:
                pool.close()
            os.unlink(self.cancel_file)
            raise
        if self.cancel.is_set():
            self._stop()
        if pool is not None:
            pool.close()
        if os.path.exists(self.cancel_file):
            os.unlink(self.cancel_file)
        for execution in self.sweep.executions:
            if execution.status in ("pending", "running"):
                execution.status, execution.error = "interrupted", "interrupted"
        self.report()
        return executed

    def _loop(self, pool: Executor, queue: list[Execution], workers: int) -> int:
        executed = 0
        while queue or self.running:
            if self.cancel.is_set():
                break
            while queue and len(self.running) < workers:
                execution = queue.pop(0)
                executed += 1
                self._submit(pool, execution)
            finished = [f for f in self.running if f.done()]
            if not finished:
                self.cancel.wait(0.05)
            for future in finished:
                _record(self.running.pop(future), future)
                self.report()
        return executed

    def _submit(self, pool: Executor, execution: Execution) -> None:
        source = self.source_for(execution)
        task = ExecutionTask(
            sweep_id=self.sweep.id,
            index=execution.index,
            params={**source.defaults, **execution.params},
            notebook_name=source.name,
            notebook_text=source.text,
            notebook_path=source.path,
            cwd=source.cwd,
            kernel=source.kernel,
            store=self.store_setting,
            cancel_file=self.cancel_file,
            parameters_source=source.parameters_source,
            triggered_by=self.triggered_by,
        )
        try:
            self.running[pool.submit(task)] = execution
            execution.status = "running"
        except Exception as exc:  # a broken pool or a lost scheduler
            execution.status = "failed"
            execution.error = f"could not be submitted: {type(exc).__name__}: {exc}"
        self.report()

    def _stop(self) -> None:
        """Interrupt the running executions through the cancel file and collect them."""
        with open(self.cancel_file, "w", encoding="utf-8"):
            pass
        deadline = time.monotonic() + 60.0
        while self.running and time.monotonic() < deadline:
            try:
                finished = [f for f in self.running if f.done()]
                for future in finished:
                    _record(self.running.pop(future), future, cancelled=True)
                    self.report()
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
    execution.cell = outcome.cell


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
