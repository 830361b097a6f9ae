"""How a reproduction or a sweep tells the kernels it starts what they are part of.

The process that starts a kernel (a reproduction, a sweep execution) sets environment
variables; ``%%track`` in that kernel reads them to link the runs it records: to the run
being reproduced, or to the sweep. Each link also names a report file where the kernel
appends the id of every run it records, so the starter learns which runs came out.

Stdlib only: the kernel reads these on every tracked cell.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

__all__ = [
    "NOTEBOOK_ENV",
    "REPRODUCTION_ENV",
    "SWEEP_ENV",
    "append_report",
    "read_link",
    "read_report",
    "reproduction_env",
    "sweep_env",
]

#: The notebook a kernel started by papermill runs (papermill does not tell the kernel).
NOTEBOOK_ENV = "MLOPS_JUPYTER_NOTEBOOK"
#: JSON naming the run a reproduction reproduces (see :func:`reproduction_env`).
REPRODUCTION_ENV = "MLOPS_JUPYTER_REPRODUCTION"
#: JSON naming the sweep and execution a kernel runs for (see :func:`sweep_env`).
SWEEP_ENV = "MLOPS_JUPYTER_SWEEP"


def reproduction_env(
    *,
    of: str,
    cell_id: str | None,
    source_sha256: str | list[str],
    experiment: str,
    notebook: str | None,
    report: str,
    git: dict[str, Any] | None = None,
) -> dict[str, str]:
    """The variable telling a kernel which run it reproduces.

    Args:
        of: The original run's id.
        cell_id: The tracked cell's id, if known.
        source_sha256: sha256 of the tracked cell's normalized source, or several (the
            run's and the saved notebook's when the executed cell was not saved): finds the
            cell when the frontend sends no cell id.
        experiment: The experiment the reproduction's run joins.
        notebook: The original notebook's path (the scratch copy is not "the notebook").
        report: File where the kernel appends the ids of the runs it records.
        git: The git state the reproduction runs from (the pinned commit), recorded with
            its runs: a scratch folder has no repository of its own.
    """
    spec = {
        "git": git,
        "of": of,
        "cell_id": cell_id,
        "source_sha256": source_sha256,
        "experiment": experiment,
        "notebook": notebook,
        "report": report,
    }
    return {REPRODUCTION_ENV: json.dumps(spec)}


def sweep_env(
    *,
    sweep_id: str,
    index: int,
    notebook: str,
    report: str,
    triggered_by: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """The variable telling a kernel which sweep execution it runs.

    Args:
        sweep_id: The sweep.
        index: The execution's position in the sweep.
        notebook: The notebook swept (its runs belong to its experiment, not the copy's).
        report: File where the kernel appends the ids of the runs it records.
        triggered_by: The trigger firing that started the sweep (``{"trigger", "firing"}``):
            its runs record it, and are left out of that trigger's condition.
    """
    spec: dict[str, Any] = {"id": sweep_id, "index": index, "notebook": notebook, "report": report}
    if triggered_by:
        spec["triggered_by"] = dict(triggered_by)
    return {SWEEP_ENV: json.dumps(spec)}


def read_link(name: str, environ: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """The link ``name`` (:data:`REPRODUCTION_ENV` or :data:`SWEEP_ENV`), if set and valid.

    Returns:
        The decoded object, or None when the variable is unset or not a JSON object.
    """
    raw = (os.environ if environ is None else environ).get(name)
    if not raw:
        return None
    try:
        spec = json.loads(raw)
    except ValueError:
        return None
    return spec if isinstance(spec, dict) else None


def append_report(spec: Mapping[str, Any], run_id: str) -> None:
    """Append ``run_id`` to the link's report file, if it names one."""
    report = spec.get("report")
    if isinstance(report, str) and report:
        with open(report, "a", encoding="utf-8") as handle:
            handle.write(run_id + "\n")


def read_report(path: str) -> list[str]:
    """The run ids a kernel appended to ``path``, in order, without repeats."""
    try:
        with open(path, encoding="utf-8") as handle:
            return list(dict.fromkeys(line.strip() for line in handle if line.strip()))
    except FileNotFoundError:
        return []
