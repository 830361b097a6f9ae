"""Judging a re-execution: do the metrics come back, and if not, the likely causes, ranked.

Pure logic over runs: the metrics of the original and of its reproduction are compared
(:func:`compare_metrics`), and a divergence or failure is explained with measured facts first
(changed inputs, parameters, code, packages, Python, platform), then the risks noticed when
the original ran (no seed, out-of-order execution, an unsaved cell).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from .compare import diff_packages
from .formatting import format_bytes, format_value
from .models import FileRecord, Run, RunStatus, json_safe
from .pin import canonical_risk, compute_risks, tracked_body

__all__ = [
    "DEFAULT_TOLERANCE",
    "UNKNOWN_CAUSE",
    "Attempt",
    "Verdict",
    "VerdictStatus",
    "add_causes",
    "compare_metrics",
    "describe_differences",
    "ensure_a_cause",
    "environment_causes",
    "input_changed",
    "judge",
    "risk_causes",
]

#: Default relative tolerance when comparing float metrics.
DEFAULT_TOLERANCE = 1e-9

VerdictStatus = Literal["reproduced", "diverged", "failed"]


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
        failure: ``{"cell", "cell_index", "ename", "evalue"}`` when a cell raised, else
            None. ``cell`` numbers the cells of the notebook as pinned the way a person
            counts them, from 1 (``cell_index`` is the same from 0); 0 is papermill's
            injected parameters cell.
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
class Attempt:
    """One execution of a prepared notebook, as far as judging goes.

    Attributes:
        run: The run the tracked cell recorded (None: none was recorded).
        failure: ``{"cell_index", "ename", "evalue"}`` when a cell raised.
        error: Why the notebook could not be run at all.
    """

    run: Run | None
    failure: dict[str, Any] | None = None
    error: str | None = None


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


def judge(
    original: Run,
    attempt: Attempt,
    verdict: Verdict,
    tolerance: float,
    input_causes: Sequence[str],
    locations: Mapping[str, str] | None = None,
) -> None:
    """Fill status, metrics, failure and the measured causes from one attempt.

    Args:
        original: The run reproduced.
        attempt: The execution.
        verdict: Filled in place.
        tolerance: Relative tolerance of float metrics.
        input_causes: Declared inputs found missing or changed before the execution.
        locations: Where the reproduction read each recorded input (recorded path ->
            path), to tell a missing input from one the code did not read again.
    """
    repro = attempt.run
    verdict.reproduction_run_id = None if repro is None else repro.id
    missing, changed = _input_facts(original, repro, locations or {})
    facts: list[str] = [*changed, *input_causes]
    if repro is not None:
        facts += _param_causes(original, repro)
        if _source_changed(original, repro):
            facts.append("the source of the tracked cell differs from the original's")
        facts += environment_causes(original.env, repro.env)
        verdict.metrics = compare_metrics(original.metrics, repro.metrics, tolerance)
    if attempt.failure is not None or attempt.error is not None or repro is None:
        verdict.status = "failed"
        verdict.failure = attempt.failure
        verdict.causes.extend(missing)
        if attempt.failure is not None:
            where = attempt.failure.get("cell", attempt.failure["cell_index"] + 1)
            label = "the injected parameters cell" if where == 0 else f"cell {where}"
            verdict.causes.append(
                f"{label} raised {attempt.failure['ename']}: {attempt.failure['evalue']}"
            )
        elif attempt.error is not None:
            verdict.causes.append(attempt.error)
        else:
            verdict.causes.append("the reproduction recorded no run for the tracked cell")
        verdict.causes.extend(facts)
        return
    if repro.status is not RunStatus.FINISHED:
        verdict.status = "failed"
        verdict.causes.extend(missing)
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
    verdict.causes.extend([*missing, *facts])


#: The cause a divergence gets when nothing measured or noticed explains it.
UNKNOWN_CAUSE = (
    "unknown: inputs, parameters, code and environment are the same as the original's; the "
    "result may depend on something not recorded (time, network, hardware, threads)"
)


def risk_causes(original: Run) -> list[str]:
    """The original's capture-time risks, worded as causes (one cause, one wording)."""
    risks = original.extra.get("risks")
    if not isinstance(risks, list):
        risks = compute_risks(original)
    return [canonical_risk(risk) for risk in risks if isinstance(risk, str)]


def add_causes(verdict: Verdict, causes: Sequence[str]) -> None:
    """Append causes not already given: a cause that another one spells out in more
    detail (``"X"`` beside ``"X: details"``) is given once."""
    for cause in causes:
        if not any(c == cause or c.startswith(cause + ":") for c in verdict.causes):
            verdict.causes.append(cause)


def ensure_a_cause(verdict: Verdict) -> None:
    """A divergence always names at least one cause, ``unknown`` included."""
    if verdict.status == "diverged" and not verdict.causes:
        verdict.causes.append(UNKNOWN_CAUSE)


def _input_facts(
    original: Run, repro: Run | None, locations: Mapping[str, str]
) -> tuple[list[str], list[str]]:
    """(missing inputs, changed inputs) of the original, judged from what the reproduction
    read (its own record) and where it would have read the rest."""
    read = {} if repro is None else {r.path: r for r in repro.inputs}
    missing: list[str] = []
    changed: list[str] = []
    for record in original.inputs:
        if record.via in (None, "declared"):
            continue  # checked before the execution (read by another process, maybe)
        again = read.get(record.path)
        if again is not None:
            if record.kind == "url":
                if record.version and again.version and record.version != again.version:
                    changed.append(
                        f"input {record.path} changed (version {record.version} → {again.version})"
                    )
            elif again.sha256 != record.sha256 and record.hashing != "none":
                changed.append(input_changed(record, again))
            continue
        location = locations.get(record.path)
        if location is not None and not os.path.exists(location):  # a dangling link too
            missing.append(f"input {record.path} is missing (was read {_when(record)})")
    return missing, changed


def _when(record: FileRecord) -> str:
    cell = f"in cell [{record.cell}]" if record.cell is not None else "by the session"
    if record.mtime is None:
        return cell
    stamp = datetime.fromtimestamp(record.mtime, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")
    return f"{cell}, file dated {stamp} UTC"


def input_changed(before: FileRecord, after: FileRecord) -> str:
    """``input X changed (sha256 differs: a → b; size, date → size, date)``."""

    def state(record: FileRecord) -> str:
        size = format_bytes(record.size)
        if record.mtime is None:
            return size
        stamp = datetime.fromtimestamp(record.mtime, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")
        return f"{size}, {stamp} UTC"

    what = "folder" if before.kind == "folder" else "input"
    return (
        f"{what} {before.path} changed (sha256 differs: {before.sha256[:12]} → "
        f"{after.sha256[:12]}; "
        f"{state(before)} → {state(after)})"
    )


def _param_causes(original: Run, repro: Run) -> list[str]:
    """Parameters whose value differs between the code that ran originally and now.

    The original's value is the one its executed source assigned, if it assigned it a
    literal (the stored parameters might not match the code that produced the metrics),
    else the recorded one.
    """
    from .capture.source import extract_literal_params

    ran_with = dict(original.params)
    ran_with.update(
        {
            k: v
            for k, v in extract_literal_params(tracked_body(original.source)).items()
            if k in ran_with
        }
    )
    causes = []
    for key in sorted(set(ran_with) | set(repro.params)):
        before, after = ran_with.get(key, "(unset)"), repro.params.get(key, "(unset)")
        if not _same_json(before, after):
            causes.append(f"parameter {key}: {format_value(before)} → {format_value(after)}")
    return causes


def _source_changed(original: Run, repro: Run) -> bool:
    """Whether the tracked cell's code differs, parameter values aside."""
    from .capture.notebook import normalize_source
    from .capture.source import apply_param_overrides

    def masked(run: Run) -> str:
        body = tracked_body(run.source)
        try:
            body, _ = apply_param_overrides(body, {k: 0 for k in run.params})
        except (ValueError, SyntaxError):
            pass
        return normalize_source(body)

    return masked(original) != masked(repro)


def environment_causes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """What changed between two environment manifests: Python, packages, platform."""
    causes: list[str] = []
    if not before or not after:
        return causes
    old_py = (before.get("python") or {}).get("version")
    new_py = (after.get("python") or {}).get("version")
    if old_py and new_py and old_py != new_py:
        causes.append(f"Python {old_py} → {new_py}")
    diff = diff_packages(before.get("packages") or {}, after.get("packages") or {})
    changes = {
        **{name: (None, version) for name, version in diff["added"].items()},
        **{name: (version, None) for name, version in diff["removed"].items()},
        **{name: (a, b) for name, (a, b) in diff["changed"].items()},
    }
    for name in sorted(changes):
        a, b = changes[name]
        causes.append(f"{name} {a or '(absent)'} → {b or '(absent)'}")
    old_pf = (before.get("platform") or {}).get("platform")
    new_pf = (after.get("platform") or {}).get("platform")
    if old_pf and new_pf and old_pf != new_pf:
        causes.append(f"platform {old_pf} → {new_pf}")
    return causes


def describe_differences(table: Mapping[str, Mapping[str, Any]]) -> str:
    """The first three differing metrics of a :func:`compare_metrics` table, in words."""
    rows = [(k, row) for k, row in table.items() if not row["equal"]]
    return ", ".join(
        f"{k}={format_value(row['reproduced'])} instead of {format_value(row['original'])}"
        for k, row in rows[:3]
    )


def _same_json(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
