"""The kernel-facing frame of tracking: the cell being tracked and ``log_metric``.

What the execution layer knows about a cell (:class:`CellContext`), the parsed ``%%track``
arguments (:class:`TrackOptions`) and the run whose cell executes (:class:`ActiveRun`).
``log_metric`` sits in training loops: it only appends to the active run's buffer.

Stdlib only: the kernel extension imports this module on load.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from ..models import FileRecord, GitInfo, MetricPoint, Run

if TYPE_CHECKING:
    from ..capture.inputs import InputMonitor
    from ..capture.randomness import RandomnessMonitor

__all__ = [
    "ActiveRun",
    "CellContext",
    "MetricValue",
    "TrackOptions",
    "current",
    "log_metric",
    "log_metrics",
    "set_current",
]

#: A metric value: a real number (NumPy scalars are accepted too).
MetricValue: TypeAlias = Any


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
        failed_cells: Execution counts of the session's cells that raised.
        input_monitor: What the session read (None: input capture is off).
        randomness: Unseeded draws from global random generators, if followed.
    """

    raw_cell: str
    body: str
    cell_id: str | None = None
    execution_count: int | None = None
    history: list[tuple[int, str]] = field(default_factory=list)
    notebook_path: str | None = None
    cwd: str = field(default_factory=os.getcwd)
    kernel_name: str | None = None
    failed_cells: frozenset[int] = frozenset()
    input_monitor: InputMonitor | None = None
    randomness: RandomnessMonitor | None = None


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
    capture_inputs: bool = True
    register: str | None = None


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
    ctx: CellContext | None = None
    random_named: bool | None = None
    git_result: GitInfo | None = None
    git_done: bool = False
    # A reproduction's runs record the pinned commit: its scratch folder has no repository.
    pinned_git: GitInfo | None = None
    # Called with each batch of metric points as they are written (the writer thread about
    # once a second, then the final batch): the kernel's live view. Must not raise.
    on_points: Callable[[list[MetricPoint]], None] | None = None
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
#: Inputs logged with ``log_input`` outside a tracked cell: the next tracked run's.
pending_inputs: list[FileRecord] = []
#: Model versions loaded outside a tracked cell (``name/3``): the next tracked run evaluates
#: them; and predictions logged there (``{"sha256", "n"}``).
pending_models: list[str] = []
pending_predictions: dict[str, Any] = {}
_time = time.time


def current() -> ActiveRun | None:
    """The run whose tracked cell is executing, if any."""
    return _current


def set_current(active: ActiveRun | None) -> None:
    """Make ``active`` the run that ``log_metric`` records into (None: no tracked cell)."""
    global _current
    _current = active


def log_metric(name: str, value: MetricValue, step: int | None = None) -> None:
    """Buffer one metric point for the run of the ``%%track`` cell being executed.

    Validation happens when the buffer is written, so a training loop pays only an append.
    Outside a tracked cell the call is ignored with a one-time warning.

    Args:
        name: The metric's name.
        value: A real number.
        step: The step (default: one more than the metric's last step).
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
