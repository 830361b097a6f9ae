"""Verified reproduction: re-execute the code a run pinned and tell whether its metrics come back.

:func:`reproduce` loads a run, rebuilds the notebook its pin names (a git commit, the saved
snapshot or the execution history) in a scratch folder laid out like the original's, runs it
with papermill in a fresh kernel with the run's parameters injected, and compares the metrics
of the resulting run with the original's. When they differ, the verdict ranks the likely causes
in plain words: changed input data, changed parameters or code, a changed environment, then
the risks noticed when the original ran (no seed, out-of-order execution, an unsaved cell).

Plain Python: no Tornado, no IPython. papermill (seconds to import) is imported on first use.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .models import FileRecord, Run, RunStatus
from .store.errors import RunNotFoundError, StoreError
from .tracking import REPRODUCTION_ENV, compute_pin, compute_risks, source_sha256

if TYPE_CHECKING:
    from .store.base import RunStore

__all__ = [
    "DEFAULT_TOLERANCE",
    "PinnedNotebook",
    "ProgressCallback",
    "ReproductionCancelled",
    "ReproductionError",
    "Verdict",
    "compare_metrics",
    "prepare_pinned_notebook",
    "reproduce",
]

#: Default relative tolerance when comparing float metrics.
DEFAULT_TOLERANCE = 1e-9
#: Seconds allowed for ``git archive`` of the pinned commit.
GIT_ARCHIVE_TIMEOUT = 60.0

#: ``progress(cell, total)``: a cell (1-based) of the notebook being executed starts.
ProgressCallback = Callable[[int, int], None]

VerdictStatus = Literal["reproduced", "diverged", "failed"]


class ReproductionError(StoreError):
    """A reproduction cannot be started: a bad request (400) or an unusable run."""

    code = 400


class ReproductionCancelled(Exception):
    """The reproduction was cancelled through its ``cancel`` event."""


@dataclass
class Verdict:
    """The outcome of a reproduction.

    Attributes:
        status: ``reproduced`` (every metric equal within tolerance), ``diverged`` or
            ``failed`` (the notebook raised, or could not be run).
        causes: Likely reasons for a divergence or failure, most likely first.
        metrics: Per metric key ``{"original", "reproduced", "equal"}``.
        reproduction_run_id: The run recorded by the reproduction, if one was recorded.
        original_run_id: The run reproduced.
        pin: The pin that was executed (see ``Run.extra["pin"]``).
        notes: What else happened (fallbacks, the history replay's result, ...).
        failure: ``{"cell_index", "ename", "evalue"}`` when a cell raised, else None.
            ``cell_index`` counts the cells of the notebook as pinned, from 0.
        nondeterministic: With ``twice``: whether the two reproductions differed; else None.
    """

    status: VerdictStatus
    original_run_id: str
    causes: list[str] = field(default_factory=list)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    reproduction_run_id: str | None = None
    pin: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    failure: dict[str, Any] | None = None
    nondeterministic: bool | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the verdict as a JSON-ready dict (non-finite metric values as strings)."""
        from .models import json_safe

        data: dict[str, Any] = json_safe(
            {
                "status": self.status,
                "causes": list(self.causes),
                "metrics": {k: dict(v) for k, v in self.metrics.items()},
                "reproduction_run_id": self.reproduction_run_id,
                "original_run_id": self.original_run_id,
                "pin": self.pin,
                "notes": list(self.notes),
                "failure": self.failure,
                "nondeterministic": self.nondeterministic,
            }
        )
        return data


@dataclass
class _Prepared:
    """A notebook ready to run in a scratch folder."""

    notebook: str
    cwd: str
    cell_id: str | None
    input_causes: list[str] = field(default_factory=list)


@dataclass
class _Attempt:
    """One execution of a prepared notebook."""

    run: Run | None
    failure: dict[str, Any] | None = None
    error: str | None = None


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
        ReproductionError: If the request is invalid (a bad tolerance, a parameter name that
            is not an identifier) or the run cannot be reproduced at all; nothing is executed.
        ReproductionCancelled: If ``cancel`` was set.
    """
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float):
        raise ReproductionError("tolerance must be a number")
    if not (math.isfinite(tolerance) and tolerance > 0):
        raise ReproductionError(f"tolerance must be a finite number > 0, got {tolerance!r}")
    if store is None:
        from .store import get_store

        store = get_store()
    original = store.get_run(run_id)
    params = _checked_params(original.params)
    pin = _runnable_pin(original, "reproduced")
    kernel = original.kernel_name or _snapshot_kernel(store, original) or "python3"
    verdict = Verdict(status="failed", original_run_id=original.id, pin=dict(pin))
    missing = _missing_kernel(kernel)
    if missing is not None:
        verdict.causes.append(missing)
        return verdict
    cancel = cancel or threading.Event()
    runner = _Runner(store, original, params, kernel, progress, cancel, kernel_env or {})
    with tempfile.TemporaryDirectory(prefix="mlops-reproduce-", dir=workdir) as scratch:
        if pin.get("kind") == "history":
            _reproduce_history(runner, scratch, verdict, tolerance)
        else:
            _reproduce_saved(runner, scratch, verdict, tolerance, pin, twice)
    if verdict.status == "diverged":
        verdict.causes.extend(c for c in _risk_causes(original) if c not in verdict.causes)
    return verdict


def _runnable_pin(original: Run, what: str) -> dict[str, Any]:
    """The run's pin (recorded, or computed for runs older than pins).

    Raises:
        ReproductionError: If the run recorded neither a notebook nor a history (409).
    """
    pin = original.extra.get("pin") if "pin" in original.extra else compute_pin(original)
    if pin is None:
        raise ReproductionError(
            f"run {original.id} cannot be {what}: it recorded neither a notebook nor an "
            "execution history",
            code=409,
        )
    return dict(pin)


@dataclass
class PinnedNotebook:
    """A run's pinned notebook, written to a folder and ready for papermill.

    Attributes:
        notebook: Path of the notebook (truncated after the tracked cell for saved pins).
        cwd: The folder to start its kernel in, laid out like the original's.
        kernel: The kernel spec name to run it with.
        params: The run's parameters (names checked, values JSON).
        notes: What the preparation fell back to (a missing commit, a moved notebook, ...).
    """

    notebook: str
    cwd: str
    kernel: str
    params: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def prepare_pinned_notebook(store: RunStore, original: Run, folder: str) -> PinnedNotebook:
    """Write the notebook ``original`` pinned into ``folder``, as a reproduction would run it.

    Shared with :mod:`mlops_jupyter.sweep`, which runs it again with other parameters.

    Raises:
        ReproductionError: If the run pinned nothing runnable, has parameters that cannot be
            injected, or its kernel is not installed.
    """
    params = _checked_params(original.params)
    pin = _runnable_pin(original, "run again")
    kernel = original.kernel_name or _snapshot_kernel(store, original) or "python3"
    missing = _missing_kernel(kernel)
    if missing is not None:
        raise ReproductionError(missing, code=409)
    runner = _Runner(store, original, params, kernel, None, threading.Event(), {})
    notes: list[str] = []
    if pin.get("kind") == "history":
        prepared = runner.prepare_history(folder)
    else:
        prepared = runner.prepare_saved(folder, pin, notes)
    return PinnedNotebook(prepared.notebook, prepared.cwd, kernel, params, notes)


# --------------------------------------------------------------------------- strategies


def _reproduce_saved(
    runner: _Runner,
    scratch: str,
    verdict: Verdict,
    tolerance: float,
    pin: Mapping[str, Any],
    twice: bool,
) -> None:
    """A git or snapshot pin: run the pinned notebook (twice on request) and judge it."""
    attempts: list[_Attempt] = []
    prepared: _Prepared | None = None
    for number in range(2 if twice else 1):
        folder = os.path.join(scratch, f"run{number + 1}")
        prepared = runner.prepare_saved(folder, pin, verdict.notes if number == 0 else [])
        attempts.append(runner.execute(prepared, verdict.notes))
    assert prepared is not None
    first = attempts[0]
    _judge(runner.original, first, verdict, tolerance, prepared.input_causes)
    if twice and first.run is not None and attempts[1].run is not None:
        table = compare_metrics(first.run.metrics, attempts[1].run.metrics, tolerance)
        differing = [k for k, row in table.items() if not row["equal"]]
        verdict.nondeterministic = bool(differing)
        if differing:
            shown = ", ".join(
                f"{k} {_fmt(table[k]['original'])} vs {_fmt(table[k]['reproduced'])}"
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

    The execution history is replayed too, and its result reported in the notes: it tells
    whether the numbers came from the session's order (or unsaved code) rather than from
    chance.
    """
    original = runner.original
    replay = runner.prepare_history(os.path.join(scratch, "history"))
    replayed = runner.execute(replay, verdict.notes)
    replay_table = (
        compare_metrics(original.metrics, replayed.run.metrics, tolerance)
        if replayed.run is not None
        else None
    )
    if replayed.failure is not None:
        verdict.notes.append(
            "replaying the execution history failed in cell "
            f"{replayed.failure['cell_index']}: {replayed.failure['ename']}"
        )
    elif replay_table is not None:
        if all(row["equal"] for row in replay_table.values()):
            verdict.notes.append("replaying the execution history reproduces the metrics")
        else:
            verdict.notes.append(
                "replaying the execution history does not reproduce the metrics either: "
                + _differences(replay_table)
            )
    elif replayed.error:
        verdict.notes.append(f"replaying the execution history failed: {replayed.error}")

    notebook = original.notebook
    unsaved = (
        notebook is None
        or notebook.snapshot_sha256 is None
        or notebook.saved_matches_source is not True
    )
    if unsaved:
        # The saved notebook cannot give the result: the code that did is not in it.
        _judge(original, replayed, verdict, tolerance, replay.input_causes)
        verdict.status = "failed" if verdict.status == "failed" else "diverged"
        verdict.causes.insert(0, "the executed cell was not saved in the notebook")
        return
    assert notebook is not None and notebook.snapshot_sha256 is not None
    saved = runner.prepare_saved(
        os.path.join(scratch, "saved"),
        {"kind": "snapshot", "sha256": notebook.snapshot_sha256},
        verdict.notes,
    )
    attempt = runner.execute(saved, verdict.notes)
    _judge(original, attempt, verdict, tolerance, saved.input_causes)
    if verdict.status == "reproduced":
        verdict.notes.append(
            "the saved notebook run top to bottom reproduces the metrics despite the "
            "out-of-order session"
        )
        return
    if attempt.run is not None and verdict.status == "diverged":
        cause = (
            "cells ran out of order in the original session: the saved notebook run top to "
            f"bottom gives {_differences(verdict.metrics)}"
        )
    else:
        cause = (
            "cells ran out of order in the original session: the saved notebook run top to "
            "bottom fails"
        )
    verdict.causes.insert(0, cause)


# --------------------------------------------------------------------------- judging


def compare_metrics(
    original: Mapping[str, float], reproduced: Mapping[str, float], tolerance: float
) -> dict[str, dict[str, Any]]:
    """Compare two runs' final metric values.

    Integral values on both sides compare exactly, other floats within the relative
    ``tolerance``; NaN equals NaN; a metric missing on one side is not equal.

    Returns:
        Per key (sorted): ``{"original", "reproduced", "equal"}``, a missing side as None.
    """
    table: dict[str, dict[str, Any]] = {}
    for key in sorted(set(original) | set(reproduced)):
        a, b = original.get(key), reproduced.get(key)
        table[key] = {"original": a, "reproduced": b, "equal": _values_equal(a, b, tolerance)}
    return table


def _values_equal(a: float | None, b: float | None, tolerance: float) -> bool:
    if a is None or b is None:
        return False
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    if a.is_integer() and b.is_integer():
        return a == b
    return math.isclose(a, b, rel_tol=tolerance, abs_tol=0.0)


def _judge(
    original: Run,
    attempt: _Attempt,
    verdict: Verdict,
    tolerance: float,
    input_causes: Sequence[str],
) -> None:
    """Fill status, metrics, failure and the measured causes from one attempt."""
    repro = attempt.run
    verdict.reproduction_run_id = None if repro is None else repro.id
    facts: list[str] = list(input_causes)
    if repro is not None:
        facts += _param_causes(original, repro)
        if _source_changed(original, repro):
            facts.append("the source of the tracked cell differs from the original's")
        facts += _environment_causes(original.env, repro.env)
        verdict.metrics = compare_metrics(original.metrics, repro.metrics, tolerance)
    if attempt.failure is not None or attempt.error is not None or repro is None:
        verdict.status = "failed"
        verdict.failure = attempt.failure
        if attempt.failure is not None:
            where = attempt.failure["cell_index"]
            verdict.causes.append(
                f"cell {where} raised {attempt.failure['ename']}: {attempt.failure['evalue']}"
            )
        elif attempt.error is not None:
            verdict.causes.append(attempt.error)
        else:
            verdict.causes.append("the reproduction recorded no run for the tracked cell")
        verdict.causes.extend(facts)
        return
    if repro.status is not RunStatus.FINISHED:
        verdict.status = "failed"
        verdict.causes.append(f"the reproduced cell ended {repro.status.value}")
        verdict.causes.extend(facts)
        return
    if not verdict.metrics:
        verdict.notes.append("the run has no metrics: only the successful execution is checked")
    if all(row["equal"] for row in verdict.metrics.values()):
        verdict.status = "reproduced"
        if facts:
            verdict.notes.extend(f"despite: {fact}" for fact in facts)
        return
    verdict.status = "diverged"
    verdict.causes.extend(facts)


def _risk_causes(original: Run) -> list[str]:
    """The original's capture-time risks, worded as causes."""
    risks = original.extra.get("risks")
    if not isinstance(risks, list):
        risks = compute_risks(original)
    causes: list[str] = []
    for risk in risks:
        if not isinstance(risk, str):
            continue
        if risk.startswith("no seed set while random libraries were used: "):
            libraries = risk.split(": ", 1)[1]
            causes.append(f"no seed set and random number generators were used: {libraries}")
        elif risk == "cells ran out of order in this session":
            causes.append("cell ran out of order in the original session")
        elif risk == "the executed cell was not saved in the notebook":
            causes.append("the executed cell was not saved")
        else:
            causes.append(risk)
    return causes


def _param_causes(original: Run, repro: Run) -> list[str]:
    """Parameters whose value differs between the code that ran originally and now.

    The original's value is the one its executed source assigned, if it assigned it a
    literal (the stored parameters might not match the code that produced the metrics),
    else the recorded one.
    """
    from .capture.source import extract_literal_params

    ran_with = dict(original.params)
    ran_with.update(
        {k: v for k, v in extract_literal_params(_body(original.source)).items() if k in ran_with}
    )
    causes = []
    for key in sorted(set(ran_with) | set(repro.params)):
        before, after = ran_with.get(key, "(unset)"), repro.params.get(key, "(unset)")
        if not _same_json(before, after):
            causes.append(f"parameter {key}: {_fmt(before)} → {_fmt(after)}")
    return causes


def _source_changed(original: Run, repro: Run) -> bool:
    """Whether the tracked cell's code differs, parameter values aside."""
    from .capture.notebook import normalize_source
    from .capture.source import apply_param_overrides

    def masked(run: Run) -> str:
        body = _body(run.source)
        try:
            body, _ = apply_param_overrides(body, {k: 0 for k in run.params})
        except (ValueError, SyntaxError):
            pass
        return normalize_source(body)

    return masked(original) != masked(repro)


def _body(source: str) -> str:
    first, newline, rest = source.partition("\n")
    return rest if first.lstrip().startswith("%%") else source


def _environment_causes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    causes: list[str] = []
    if not before or not after:
        return causes
    old_py = (before.get("python") or {}).get("version")
    new_py = (after.get("python") or {}).get("version")
    if old_py and new_py and old_py != new_py:
        causes.append(f"Python {old_py} → {new_py}")
    old_pk, new_pk = before.get("packages") or {}, after.get("packages") or {}
    for name in sorted(set(old_pk) | set(new_pk)):
        a, b = old_pk.get(name), new_pk.get(name)
        if a != b:
            causes.append(f"{name} {a or '(absent)'} → {b or '(absent)'}")
    old_pf = (before.get("platform") or {}).get("platform")
    new_pf = (after.get("platform") or {}).get("platform")
    if old_pf and new_pf and old_pf != new_pf:
        causes.append(f"platform {old_pf} → {new_pf}")
    return causes


def _differences(table: Mapping[str, Mapping[str, Any]]) -> str:
    rows = [(k, row) for k, row in table.items() if not row["equal"]]
    return ", ".join(
        f"{k}={_fmt(row['reproduced'])} instead of {_fmt(row['original'])}" for k, row in rows[:3]
    )


def _same_json(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _fmt(value: Any) -> str:
    if value is None:
        return "(missing)"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value) if isinstance(value, str) else json.dumps(value, default=str)


# --------------------------------------------------------------------------- preparing


def _checked_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The run's parameters, refused unless every name is an identifier and values JSON."""
    from .capture.source import validate_param_name

    checked: dict[str, Any] = {}
    for name, value in params.items():
        try:
            validate_param_name(name)
        except ValueError as exc:
            raise ReproductionError(f"refusing to reproduce: {exc}") from None
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise ReproductionError(
                f"refusing to reproduce: parameter {name!r} is not a JSON value"
            ) from None
        checked[name] = value
    return checked


def _missing_kernel(name: str) -> str | None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return f"kernel spec {name!r} is not installed"
    return None


def _snapshot_kernel(store: RunStore, run: Run) -> str | None:
    sha = run.notebook.snapshot_sha256 if run.notebook is not None else None
    if sha is None:
        return None
    try:
        document = json.loads(store.blobs.get_bytes(sha))
        name = document["metadata"]["kernelspec"]["name"]
    except (StoreError, ValueError, KeyError, TypeError):
        return None
    return name if isinstance(name, str) else None


class _Runner:
    """Prepares and executes the notebooks of one reproduction."""

    def __init__(
        self,
        store: RunStore,
        original: Run,
        params: dict[str, Any],
        kernel: str,
        progress: ProgressCallback | None,
        cancel: threading.Event,
        kernel_env: Mapping[str, str],
    ) -> None:
        self.store = store
        self.kernel_env = dict(kernel_env)
        self.original = original
        self.params = params
        self.kernel = kernel
        self.progress = progress
        self.cancel = cancel
        cwd = original.extra.get("cwd")
        nb_path = original.notebook.path if original.notebook is not None else None
        if not isinstance(cwd, str) or not cwd:
            cwd = os.path.dirname(nb_path) if nb_path else os.getcwd()
        self.original_cwd: str = cwd
        self.original_notebook: str | None = nb_path

    # -- layout ----------------------------------------------------------------------

    def _layout(self, folder: str) -> tuple[str, str]:
        """Where the notebook and the working folder go in ``folder``, mirroring the
        original's relative placement of the two."""
        nb = self.original_notebook
        if not nb:
            return os.path.join(folder, "reproduction.ipynb"), folder
        cwd = os.path.abspath(self.original_cwd)
        nb_dir = os.path.dirname(os.path.abspath(nb))
        try:
            common = os.path.commonpath([cwd, nb_dir])
        except ValueError:
            common = nb_dir
        if common == os.path.sep:  # nothing in common worth mirroring
            return os.path.join(folder, os.path.basename(nb)), folder
        return (
            os.path.join(folder, os.path.relpath(os.path.abspath(nb), common)),
            os.path.normpath(os.path.join(folder, os.path.relpath(cwd, common))),
        )

    def prepare_saved(self, folder: str, pin: Mapping[str, Any], notes: list[str]) -> _Prepared:
        """The pinned notebook (a git commit, else the snapshot) truncated after the cell."""
        os.makedirs(folder, exist_ok=True)
        if pin.get("kind") == "git":
            prepared = self._prepare_git(folder, pin, notes)
            if prepared is not None:
                return prepared
        sha = pin.get("sha256")
        if not isinstance(sha, str) and self.original.notebook is not None:
            sha = self.original.notebook.snapshot_sha256
        if not isinstance(sha, str):
            raise ReproductionError("the run has no notebook snapshot to reproduce from")
        nb_path, cwd = self._layout(folder)
        if self.original_notebook and not os.path.isfile(self.original_notebook):
            notes.append(
                f"the notebook {self.original_notebook} was moved or deleted since the run: "
                "reproducing from its snapshot"
            )
        document = json.loads(self.store.blobs.get_bytes(sha))
        return self._finish_prepare(document, nb_path, cwd)

    def _prepare_git(
        self, folder: str, pin: Mapping[str, Any], notes: list[str]
    ) -> _Prepared | None:
        commit, root, path = pin.get("commit"), pin.get("root"), pin.get("path")
        short = str(commit)[:12]
        if not (isinstance(commit, str) and isinstance(root, str) and isinstance(path, str)):
            notes.append("the git pin is incomplete: reproducing from the snapshot")
            return None
        tree = os.path.join(folder, "repo")
        try:
            _git_archive(root, commit, tree)
        except (OSError, subprocess.SubprocessError, tarfile.TarError) as exc:
            notes.append(
                f"commit {short} could not be extracted ({exc}): reproducing from the snapshot"
            )
            shutil.rmtree(tree, ignore_errors=True)
            return None
        nb_path = os.path.join(tree, *path.split("/"))
        if not os.path.isfile(nb_path):
            notes.append(
                f"the notebook {path} is not in commit {short}: reproducing from the snapshot"
            )
            shutil.rmtree(tree, ignore_errors=True)
            return None
        rel_cwd = os.path.relpath(os.path.realpath(self.original_cwd), os.path.realpath(root))
        cwd = tree if rel_cwd.startswith("..") else os.path.join(tree, rel_cwd)
        if not os.path.isdir(cwd):
            cwd = os.path.dirname(nb_path)
        notes.append(f"reproducing {path} at commit {short}")
        with open(nb_path, "rb") as handle:
            document = json.loads(handle.read())
        return self._finish_prepare(document, nb_path, cwd)

    def prepare_history(self, folder: str) -> _Prepared:
        """A notebook of the executed cells, in the order the kernel ran them."""
        from .capture.notebook import notebook_from_history
        from .capture.source import parse_papermill_parameters

        # papermill injects the parameters again; an old injected cell would run after them.
        sources = [
            str(entry.get("source", ""))
            for entry in self.original.history
            if isinstance(entry, dict)
            and parse_papermill_parameters(str(entry.get("source", ""))) is None
        ]
        document = notebook_from_history(sources, kernel_name=self.kernel)
        if document["cells"] and self.original.cell_id:
            # The last executed source is the tracked cell: give it its id, so the kernel
            # recognizes it even when parameters changed its text.
            document["cells"][-1]["id"] = self.original.cell_id
        nb_path, cwd = self._layout(folder)
        return self._finish_prepare(document, nb_path, cwd, truncate=False)

    def _finish_prepare(
        self, document: dict[str, Any], nb_path: str, cwd: str, *, truncate: bool = True
    ) -> _Prepared:
        if truncate:
            document = self._truncate(document)
        kernelspec = document.setdefault("metadata", {}).setdefault("kernelspec", {})
        kernelspec.update(
            {"name": self.kernel, "display_name": kernelspec.get("display_name") or self.kernel}
        )
        kernelspec.setdefault("language", "python")
        os.makedirs(os.path.dirname(nb_path), exist_ok=True)
        os.makedirs(cwd, exist_ok=True)
        with open(nb_path, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
        prepared = _Prepared(notebook=nb_path, cwd=cwd, cell_id=self.original.cell_id)
        prepared.input_causes = self._link_inputs(cwd)
        return prepared

    def _truncate(self, document: dict[str, Any]) -> dict[str, Any]:
        """Drop the cells after the tracked one (by id, else by source), so they don't run."""
        from .capture.notebook import normalize_source

        cells = document.get("cells")
        if not isinstance(cells, list):
            raise ReproductionError("the pinned notebook has no cells")
        index: int | None = None
        cell_id = self.original.cell_id
        if cell_id:
            index = next((i for i, c in enumerate(cells) if c.get("id") == cell_id), None)
        if index is None:
            wanted = {
                normalize_source(self.original.source),
                normalize_source(_body(self.original.source)),
            }
            for i, cell in enumerate(cells):
                if cell.get("cell_type") != "code":
                    continue
                source = cell.get("source", "")
                text = "".join(source) if isinstance(source, list) else str(source)
                if normalize_source(text) in wanted or normalize_source(_body(text)) in wanted:
                    index = i
                    break
        if index is not None:
            document = dict(document, cells=cells[: index + 1])
        for cell in document["cells"]:
            if cell.get("cell_type") == "code":
                cell["outputs"], cell["execution_count"] = [], None
        return document

    def _link_inputs(self, cwd: str) -> list[str]:
        """Make every recorded input readable at its original relative path; report changes."""
        from .capture.files import hash_file

        causes: list[str] = []
        for record in self.original.inputs:
            target = record.path if os.path.isabs(record.path) else os.path.join(cwd, record.path)
            source = (
                record.path
                if os.path.isabs(record.path)
                else os.path.join(self.original_cwd, record.path)
            )
            if not os.path.lexists(target) and os.path.exists(source):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.symlink(os.path.abspath(source), target)
            causes.extend(_input_cause(record, target, hash_file))
        return causes

    # -- executing -------------------------------------------------------------------

    def execute(self, prepared: _Prepared, notes: list[str]) -> _Attempt:
        """Run the prepared notebook with papermill; find the run of the tracked cell."""
        from papermill.exceptions import PapermillExecutionError

        if self.cancel.is_set():
            raise ReproductionCancelled()
        report = prepared.notebook + ".runs"
        spec = {
            "of": self.original.id,
            "cell_id": prepared.cell_id,
            "source_sha256": source_sha256(self.original.source),
            "experiment": self.original.experiment,
            "notebook": self.original_notebook,
            "report": report,
        }
        env = {
            **self.kernel_env,
            "MLOPS_JUPYTER_NOTEBOOK": prepared.notebook,
            REPRODUCTION_ENV: json.dumps(spec),
        }
        managers: list[Any] = []
        manager_class = _kernel_manager_class(env, prepared.cwd, managers)
        total = [0]

        def on_cell_start(cell: Any, cell_index: int) -> None:
            if self.cancel.is_set():
                raise ReproductionCancelled()
            if self.progress is not None:
                self.progress(cell_index + 1, total[0])

        output = prepared.notebook[: -len(".ipynb")] + ".out.ipynb"
        with open(prepared.notebook, encoding="utf-8") as handle:
            total[0] = len(json.load(handle).get("cells", [])) + (1 if self.params else 0)
        watcher = _CancelWatcher(self.cancel, managers)
        watcher.start()
        failure: dict[str, Any] | None = None
        try:
            run_papermill(
                prepared.notebook,
                output,
                parameters=self.params,
                kernel_name=self.kernel,
                manager_class=manager_class,
                on_cell_start=on_cell_start,
            )
        except PapermillExecutionError as exc:
            if self.cancel.is_set():
                raise ReproductionCancelled() from None
            failure = {
                "cell_index": _pinned_index(output, exc.cell_index),
                "ename": exc.ename,
                "evalue": exc.evalue,
            }
        except ReproductionCancelled:
            raise
        except Exception as exc:
            if self.cancel.is_set():
                raise ReproductionCancelled() from None
            return _Attempt(
                run=None, error=f"the notebook could not be run: {type(exc).__name__}: {exc}"
            )
        finally:
            watcher.stop()
        run = self._find_run(report)
        if run is None and failure is None:
            notes.append("the tracked cell recorded no run in the reproduction")
        return _Attempt(run=run, failure=failure)

    def _find_run(self, report: str) -> Run | None:
        try:
            with open(report, encoding="utf-8") as handle:
                ids = [line.strip() for line in handle if line.strip()]
        except FileNotFoundError:
            return None
        if not ids:
            return None
        # The kernel writes through a background thread and drains it as it exits, which
        # nbclient waits for; allow a little slack for a slow disk.
        deadline = time.monotonic() + 10.0
        while True:
            try:
                run = self.store.get_run(ids[-1])
            except RunNotFoundError:
                run = None
            if run is not None and run.status is not RunStatus.RUNNING:
                return run
            if time.monotonic() > deadline:
                return run
            time.sleep(0.05)


def run_papermill(
    notebook: str,
    output: str,
    *,
    parameters: Mapping[str, Any],
    kernel_name: str,
    manager_class: type[Any],
    on_cell_start: Callable[[Any, int], None],
) -> None:
    """Execute ``notebook`` with papermill the way every reproduction and sweep does.

    The kernel's folder and environment come from ``manager_class`` (papermill's ``cwd=``
    would ``os.chdir`` the whole process); nothing is saved per cell; ``on_cell_start``
    reports progress and may raise to stop. Raises papermill's ``PapermillExecutionError``
    when a cell fails.
    """
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

    thread = threading.Thread(target=target, name="mlops-reproduce-papermill", daemon=True)
    thread.start()
    thread.join()
    if raised:
        raise raised[0]


def _input_cause(record: FileRecord, path: str, hash_file: Callable[..., Any]) -> list[str]:
    try:
        digest = hash_file(path)
    except OSError:
        return [f"input {record.path} is missing"]
    if digest.sha256 != record.sha256:
        return [f"input {record.path} changed (sha256 differs)"]
    return []


def _pinned_index(output: str, index: int) -> int:
    """The index of executed cell ``index`` in the notebook before papermill injected its
    parameters cell."""
    try:
        with open(output, encoding="utf-8") as handle:
            cells = json.load(handle).get("cells", [])
    except (OSError, ValueError):
        return index
    for i, cell in enumerate(cells[:index]):
        tags = (cell.get("metadata") or {}).get("tags") or []
        if "injected-parameters" in tags and i < index:
            return index - 1
    return index


def _kernel_manager_class(env: Mapping[str, str], cwd: str, created: list[Any]) -> type[Any]:
    """A kernel manager that starts its kernel in ``cwd`` with ``env`` added.

    papermill's own ``cwd`` argument changes the working folder of this whole process, which
    would break every other thread; the kernel's folder is set here instead.
    """
    from jupyter_client.manager import AsyncKernelManager

    class ReproductionKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            merged = dict(kw.pop("env", None) or os.environ)
            merged.update(env)
            kw["env"] = merged
            kw["cwd"] = cwd
            created.append(self)
            await super().start_kernel(**kw)

    return ReproductionKernelManager


class _CancelWatcher:
    """Interrupts the running cell as soon as the cancel event is set."""

    def __init__(self, cancel: threading.Event, managers: list[Any]) -> None:
        self._cancel = cancel
        self._managers = managers
        self._done = threading.Event()
        self._thread = threading.Thread(
            target=self._watch, name="mlops-reproduce-cancel", daemon=True
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


def _git_archive(root: str, commit: str, destination: str) -> None:
    """Extract the files of ``commit`` into ``destination`` (git hardened as in capture)."""
    from .capture.git import _ENV, _HARDENING_OPTIONS

    os.makedirs(destination, exist_ok=True)
    if not all(c in "0123456789abcdef" for c in commit) or len(commit) < 7:
        raise subprocess.SubprocessError(f"not a commit id: {commit!r}")
    with tempfile.TemporaryFile() as archive:
        subprocess.run(
            ["git", *_HARDENING_OPTIONS, "archive", "--format=tar", commit],
            cwd=root,
            stdout=archive,
            stderr=subprocess.PIPE,
            env={**os.environ, **_ENV},
            timeout=GIT_ARCHIVE_TIMEOUT,
            check=True,
        )
        archive.seek(0)
        with tarfile.open(fileobj=archive) as tar:
            tar.extractall(destination, filter="data")
