"""Verified reproduction: re-execute the code a run pinned and tell whether its metrics come back.

:func:`reproduce` loads a run, has its pinned notebook prepared in a scratch folder
(:mod:`mlops_jupyter.pin`), executes it with papermill in a fresh kernel with the run's
parameters injected (:mod:`mlops_jupyter.execution`), and judges the resulting run against the
original (:mod:`mlops_jupyter.verdict`).

Plain Python: no Tornado, no IPython.
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import InvalidArgumentError
from .execution import ExecutionCancelled, ProgressCallback, execute_notebook, wait_for_runs
from .formatting import format_value
from .links import NOTEBOOK_ENV, reproduction_env
from .pin import (
    RISK_OUT_OF_ORDER,
    RISK_UNSAVED,
    injectable_params,
    missing_kernel,
    run_kernel,
    runnable_pin,
)
from .scratch import PinPreparer, PreparedNotebook
from .verdict import (
    DEFAULT_TOLERANCE,
    Attempt,
    Verdict,
    add_causes,
    compare_metrics,
    describe_differences,
    ensure_a_cause,
    judge,
    risk_causes,
)

if TYPE_CHECKING:
    from .models import Run
    from .store.base import RunStore

__all__ = [
    "DEFAULT_TOLERANCE",
    "ExecutionCancelled",
    "ProgressCallback",
    "Verdict",
    "reproduce",
]


def reproduce(
    run_id: str,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    twice: bool = False,
    store: RunStore | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    workdir: str | None = None,
    kernel_env: Mapping[str, str] | None = None,
) -> Verdict:
    """Re-execute the code a run pinned and compare the metrics.

    Args:
        run_id: The run to reproduce.
        tolerance: Relative tolerance for float metrics (integral values compare exactly).
        twice: Reproduce twice and report whether the notebook is deterministic.
        store: The store (default: the shared one of :func:`mlops_jupyter.store.get_store`).
        progress: Called as each cell starts, with its number (from 1) and the cell count.
        cancel: Set it to stop: checked as each cell starts, and the running cell is
            interrupted.
        workdir: Where the scratch folders go (default: the system's temporary folder).
        kernel_env: Environment variables added for the kernels, e.g. the server's
            ``MLOPS_JUPYTER_STORE`` so that the reproduction is recorded where it looks.

    Returns:
        The verdict.

    Raises:
        RunNotFoundError: If no run has this id.
        InvalidArgumentError: If the request is invalid (a bad tolerance, a parameter name
            that is not an identifier); nothing is executed.
        ConflictError: If the run cannot be reproduced at all (nothing pinned).
        ExecutionCancelled: If ``cancel`` was set.
    """
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float):
        raise InvalidArgumentError("tolerance must be a number")
    if not (math.isfinite(tolerance) and tolerance > 0):
        raise InvalidArgumentError(f"tolerance must be a finite number > 0, got {tolerance!r}")
    if store is None:
        from .store import get_store

        store = get_store()
    original = store.get_run(run_id)
    params, secret_notes = injectable_params(original)
    pin = runnable_pin(original, "reproduced")
    kernel = run_kernel(store, original)
    verdict = Verdict(status="failed", original_run_id=original.id, pin=dict(pin))
    verdict.notes.extend(secret_notes)
    missing = missing_kernel(kernel)
    if missing is not None:
        verdict.causes.append(missing)
        return verdict
    runner = _Runner(
        PinPreparer(store, original, kernel), params, progress, cancel or threading.Event()
    )
    runner.kernel_env = dict(kernel_env or {})
    runner.pin = dict(pin)
    with tempfile.TemporaryDirectory(prefix="mlops-reproduce-", dir=workdir) as scratch:
        if pin.get("kind") == "history":
            _reproduce_history(runner, scratch, verdict, tolerance)
        else:
            _reproduce_saved(runner, scratch, verdict, tolerance, pin, twice)
    if verdict.status == "diverged":
        add_causes(verdict, risk_causes(original))
    ensure_a_cause(verdict)
    return verdict


class _Runner:
    """Executes the prepared notebooks of one reproduction and finds the runs they record."""

    def __init__(
        self,
        preparer: PinPreparer,
        params: dict[str, Any],
        progress: ProgressCallback | None,
        cancel: threading.Event,
    ) -> None:
        self.preparer = preparer
        self.original: Run = preparer.original
        self.params = params
        self.progress = progress
        self.cancel = cancel
        self.kernel_env: dict[str, str] = {}
        self.pin: dict[str, Any] = {}

    def _pinned_git(self) -> dict[str, Any] | None:
        """The git state the reproduction runs from: the pin's commit (a scratch folder has
        no repository of its own)."""
        git = self.original.git
        if self.pin.get("kind") == "git" and isinstance(self.pin.get("commit"), str):
            return {
                "root": str(self.pin.get("root") or (git.root if git else "")),
                "commit": self.pin["commit"],
                "branch": git.branch if git else None,
                "remote": git.remote if git else None,
            }
        if git is not None and git.commit:
            return {
                "root": git.root,
                "commit": git.commit,
                "branch": git.branch,
                "remote": git.remote,
                "dirty": git.dirty,
            }
        return None

    def execute(self, prepared: PreparedNotebook, notes: list[str]) -> Attempt:
        """Run the prepared notebook with papermill; find the run of the tracked cell."""
        from .capture.notebook import source_sha256

        report = prepared.notebook + ".runs"
        env = {
            **self.kernel_env,
            NOTEBOOK_ENV: prepared.notebook,
            **reproduction_env(
                of=self.original.id,
                cell_id=prepared.cell_id,
                source_sha256=[
                    source_sha256(text)
                    for text in (self.original.source, prepared.cell_source)
                    if text is not None
                ],
                experiment=self.original.experiment,
                notebook=self.preparer.original_notebook,
                report=report,
                git=self._pinned_git(),
            ),
        }
        outcome = execute_notebook(
            prepared.notebook,
            parameters=self.params,
            kernel_name=self.preparer.kernel,
            cwd=prepared.cwd,
            env=env,
            cancel=self.cancel,
            progress=self.progress,
        )
        if outcome.error is not None:
            return Attempt(run=None, error=outcome.error)
        _ids, run = wait_for_runs(self.preparer.store, report)
        failure = None if outcome.failure is None else outcome.failure.to_json()
        if run is None and failure is None:
            notes.append("the tracked cell recorded no run in the reproduction")
        return Attempt(run=run, failure=failure)


def _reproduce_saved(
    runner: _Runner,
    scratch: str,
    verdict: Verdict,
    tolerance: float,
    pin: Mapping[str, Any],
    twice: bool,
) -> None:
    """A git or snapshot pin: run the pinned notebook (twice on request) and judge it."""
    attempts: list[Attempt] = []
    prepared: PreparedNotebook | None = None
    for number in range(2 if twice else 1):
        folder = os.path.join(scratch, f"run{number + 1}")
        notes = verdict.notes if number == 0 else []
        prepared = runner.preparer.prepare_saved(folder, pin, notes)
        attempts.append(runner.execute(prepared, verdict.notes))
    assert prepared is not None  # noqa: S101 - the loop ran at least once
    first = attempts[0]
    judge(runner.original, first, verdict, tolerance, prepared.input_causes, prepared.locations)
    if twice and first.run is not None and attempts[1].run is not None:
        table = compare_metrics(first.run.metrics, attempts[1].run.metrics, tolerance)
        differing = [k for k, row in table.items() if not row["equal"]]
        verdict.nondeterministic = bool(differing)
        if differing:
            shown = ", ".join(
                f"{k} {format_value(table[k]['original'])} vs "
                f"{format_value(table[k]['reproduced'])}"
                for k in differing[:3]
            )
            cause = f"the notebook is not deterministic: two reproductions differ ({shown})"
            # Measured facts come before the risks guessed at capture time (added last).
            verdict.causes.append(cause)
            if verdict.status == "reproduced":
                verdict.status = "diverged"
    elif twice:
        verdict.notes.append("determinism not checked: a reproduction recorded no run")


def _reproduce_history(runner: _Runner, scratch: str, verdict: Verdict, tolerance: float) -> None:
    """A history pin: the saved notebook, run top to bottom, is what must reproduce.

    The execution history is replayed too (cells that raised left out), and its result
    reported in the notes: it tells whether the numbers came from the session's order or
    unsaved code rather than from chance. An unsaved edit that does not change the result
    (a comment, a parameter the run's values override) gives ``reproduced`` with a note.
    """
    original = runner.original
    replay = runner.preparer.prepare_history(os.path.join(scratch, "history"))
    replayed = runner.execute(replay, verdict.notes)
    _note_replay(original, replayed, verdict, tolerance)

    notebook = original.notebook
    unsaved = notebook is None or notebook.saved_matches_source is not True
    has_snapshot = notebook is not None and notebook.snapshot_sha256 is not None
    findable = has_snapshot and (not unsaved or bool(original.cell_id))
    if not findable:
        # No saved notebook holding the tracked cell: the code that gave the result is not
        # in any notebook anyone can open.
        judge(original, replayed, verdict, tolerance, replay.input_causes, replay.locations)
        verdict.status = "failed" if verdict.status == "failed" else "diverged"
        verdict.causes.insert(0, RISK_UNSAVED)
        return
    assert notebook is not None and notebook.snapshot_sha256 is not None  # noqa: S101
    saved = runner.preparer.prepare_saved(
        os.path.join(scratch, "saved"),
        {"kind": "snapshot", "sha256": notebook.snapshot_sha256},
        verdict.notes,
    )
    attempt = runner.execute(saved, verdict.notes)
    judge(original, attempt, verdict, tolerance, saved.input_causes, saved.locations)
    what = RISK_UNSAVED if unsaved else RISK_OUT_OF_ORDER
    if verdict.status == "reproduced":
        verdict.notes.append(
            f"{what}, but the saved notebook run top to bottom reproduces the metrics"
        )
        return
    if attempt.run is not None and verdict.status == "diverged":
        cause = f"{what}: the saved notebook run top to bottom gives " + describe_differences(
            verdict.metrics
        )
    else:
        cause = f"{what}: the saved notebook run top to bottom fails"
    verdict.causes.insert(0, cause)


def _note_replay(original: Run, replayed: Attempt, verdict: Verdict, tolerance: float) -> None:
    """Say in the notes whether replaying the execution history got the numbers back."""
    if replayed.failure is not None:
        verdict.notes.append(
            "replaying the execution history failed in cell "
            f"{replayed.failure.get('cell', replayed.failure['cell_index'] + 1)}: "
            f"{replayed.failure['ename']}"
        )
    elif replayed.run is not None:
        table = compare_metrics(original.metrics, replayed.run.metrics, tolerance)
        if all(row["equal"] for row in table.values()):
            verdict.notes.append("replaying the execution history reproduces the metrics")
        else:
            verdict.notes.append(
                "replaying the execution history does not reproduce the metrics either: "
                + describe_differences(table)
            )
    elif replayed.error:
        verdict.notes.append(f"replaying the execution history failed: {replayed.error}")
