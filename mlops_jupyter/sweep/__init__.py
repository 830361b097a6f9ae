"""Parameter sweeps: one papermill execution of a notebook per combination of parameters.

* :mod:`.combinations` -- grids and explicit lists of parameters, validated;
* :mod:`.manifest` -- the sweep's manifest (``sweeps/<id>.json``), resumable;
* :mod:`.executors` -- where executions run (``local``, ``dask://``), a registry;
* :mod:`.worker` -- one execution, in a worker process;
* :mod:`.runner` -- :func:`run_sweep`, the coordinator.
"""

from __future__ import annotations

from .combinations import (
    MAX_COMBINATIONS,
    SweepError,
    expand_grid,
    load_combinations,
    validate_combinations,
)
from .executors import EXECUTORS, open_executor, validate_executor
from .manifest import Execution, Sweep, SweepResult, load_sweep
from .runner import run_sweep
from .worker import ExecutionTask, execute_combination

__all__ = [
    "EXECUTORS",
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
    "open_executor",
    "run_sweep",
    "validate_combinations",
    "validate_executor",
]
