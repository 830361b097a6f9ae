"""Pins: which code a run's reproduction executes, why it may not reproduce, and with what.

When a run is recorded, :func:`compute_pin` says what a later execution will run (a git
commit, the saved notebook snapshot, or the execution history) and :func:`compute_risks`
notes why it may not reproduce. Before anything runs again, :func:`runnable_pin`,
:func:`injectable_params` and :func:`missing_kernel` refuse what cannot run. Preparing the
pinned notebook in a scratch folder is :mod:`mlops_jupyter.scratch`.

Plain Python: no Tornado, no IPython.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import ConflictError, InvalidArgumentError, MlopsError
from .models import Run

if TYPE_CHECKING:
    from .store.base import RunStore

__all__ = [
    "RISK_DIRTY",
    "RISK_FILES_NOT_HASHED",
    "RISK_OUT_OF_ORDER",
    "RISK_UNSAVED",
    "canonical_risk",
    "checked_params",
    "compute_pin",
    "compute_risks",
    "injectable_params",
    "missing_kernel",
    "names_random",
    "run_kernel",
    "runnable_pin",
    "tracked_body",
]

#: Calls in a cell's source that usually read a data file.
_READS_FILES_RE = r"read_csv|read_parquet|open\(|np\.load|load\(|read_json|read_excel"
_RANDOM_RE = re.compile(r"\brandom\b")


# --------------------------------------------------------------------------- at capture


def compute_pin(run: Run) -> dict[str, Any] | None:
    """Which code a reproduction of ``run`` executes.

    Returns:
        ``{"kind": "git", "commit", "root", "path"}`` for a clean git tree holding the saved
        notebook, ``{"kind": "snapshot", "sha256"}`` for a saved notebook snapshot,
        ``{"kind": "history"}`` when only the execution history holds the code that ran (the
        cell was not saved, or cells ran out of order), None when nothing can be reproduced.
    """
    notebook = run.notebook
    saved = (
        notebook is not None
        and notebook.snapshot_sha256 is not None
        and notebook.saved_matches_source is True
    )
    in_order = run.history_out_of_order is not True
    if saved and in_order and notebook is not None and notebook.path:
        git = run.git
        if git is not None and git.commit and not git.dirty:
            root = os.path.realpath(git.root)
            path = os.path.realpath(notebook.path)
            if path.startswith(root + os.sep):
                relative = os.path.relpath(path, root).replace(os.sep, "/")
                return {"kind": "git", "commit": git.commit, "root": git.root, "path": relative}
        return {"kind": "snapshot", "sha256": notebook.snapshot_sha256}
    if run.history:
        return {"kind": "history"}
    return None


def names_random(text: str) -> bool:
    """Whether code ``text`` mentions the standard library's ``random``."""
    return _RANDOM_RE.search(text) is not None


#: The risks a run may carry, worded as the causes a verdict gives (one cause, one wording).
RISK_UNSAVED = "the executed cell was not saved in the notebook"
RISK_OUT_OF_ORDER = "cells ran out of order in the original session"
RISK_FILES_NOT_HASHED = "the cell reads files that were not recorded (input capture was off)"
RISK_DIRTY = "git tree was dirty"
_RISK_RANDOM = "random numbers were drawn without a seed: "
_LEGACY_WORDING = {
    "cells ran out of order in this session": RISK_OUT_OF_ORDER,
    "the cell reads files that were not hashed with --input": RISK_FILES_NOT_HASHED,
}


def compute_risks(
    run: Run, *, seed: int | None = None, random_named: bool | None = None
) -> list[str]:
    """Plain-words reasons why ``run`` may not reproduce, as far as the kernel can tell.

    Randomness is judged from ``run.extra["randomness"]`` (draws from a global generator
    before it was seeded, with their cell) when the kernel followed the session; for runs
    recorded before it did, from the random libraries imported without a seed.

    Args:
        run: The run (with notebook, history, git, seed, inputs and extras captured).
        seed: The ``--seed`` of the tracked cell (``run.seed`` when None).
        random_named: Whether the session's code named ``random`` (legacy judgement only).
    """
    risks: list[str] = []
    if run.notebook is not None and run.notebook.saved_matches_source is False:
        risks.append(RISK_UNSAVED)
    if run.history_out_of_order:
        risks.append(RISK_OUT_OF_ORDER)
    randomness = run.extra.get("randomness")
    if isinstance(randomness, dict):
        risks.extend(_randomness_risks(randomness))
    elif (run.seed if seed is None else seed) is None:
        risks.extend(_legacy_random_risks(run, random_named))
    capture_off = run.extra.get("inputs_captured") is False
    if capture_off and not run.inputs and re.search(_READS_FILES_RE, run.source):
        risks.append(RISK_FILES_NOT_HASHED)
    if run.git is not None and run.git.dirty:
        risks.append(RISK_DIRTY)
    return risks


def _randomness_risks(randomness: dict[str, Any]) -> list[str]:
    unseeded = randomness.get("unseeded") or {}
    risks = []
    if isinstance(unseeded, dict) and unseeded:
        where = ", ".join(
            f"{name} (cell [{cell}])" if isinstance(cell, int) else str(name)
            for name, cell in sorted(unseeded.items())
        )
        risks.append(_RISK_RANDOM + where)
    unknown = randomness.get("unknown") or []
    if isinstance(unknown, list) and unknown:
        risks.append(
            "imported without a seed (its generator cannot be checked): "
            + ", ".join(str(u) for u in unknown)
        )
    return risks


def _legacy_random_risks(run: Run, random_named: bool | None) -> list[str]:
    from .capture.seeds import random_libraries_in_use

    libraries = random_libraries_in_use()
    if "random" in libraries:
        # The standard library's random is imported by every kernel (tempfile uses it):
        # it counts only when the code executed in the session names it.
        if random_named is None:
            sources = [run.source, *(str(h.get("source", "")) for h in run.history)]
            random_named = any(names_random(text) for text in sources)
        if not random_named:
            libraries.remove("random")
    if libraries:
        return ["random numbers may have been drawn without a seed: " + ", ".join(libraries)]
    return []


def canonical_risk(risk: str) -> str:
    """A risk recorded by an older version, in today's wording."""
    if risk.startswith("no seed set while random libraries were used: "):
        return "random numbers may have been drawn without a seed: " + risk.split(": ", 1)[1]
    return _LEGACY_WORDING.get(risk, risk)


# --------------------------------------------------------------------------- checks


def runnable_pin(original: Run, what: str) -> dict[str, Any]:
    """The run's pin (recorded, or computed for runs older than pins).

    Args:
        original: The run.
        what: What is refused, for the message ("reproduced", "run again").

    Raises:
        ConflictError: If the run recorded neither a notebook nor a history (409).
    """
    pin = original.extra.get("pin") if "pin" in original.extra else compute_pin(original)
    reason = original.extra.get("not_reproducible")
    if pin is None and isinstance(reason, str) and reason:
        # An imported run says why in its own words (e.g. "imported from MLflow: ...").
        raise ConflictError(f"run {original.id} cannot be {what}: {reason}")
    if pin is None:
        raise ConflictError(
            f"run {original.id} cannot be {what}: it recorded neither a notebook nor an "
            "execution history"
        )
    return dict(pin)


def checked_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The run's parameters, refused unless every name is an identifier and values JSON.

    Raises:
        InvalidArgumentError: Naming the first bad parameter.
    """
    from .capture.source import validate_param_name

    checked: dict[str, Any] = {}
    for name, value in params.items():
        try:
            validate_param_name(name)
        except ValueError as exc:
            raise InvalidArgumentError(f"refusing to reproduce: {exc}") from None
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                f"refusing to reproduce: parameter {name!r} is not a JSON value"
            ) from None
        checked[name] = value
    return checked


def injectable_params(
    run: Run, environ: Mapping[str, str] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The parameters to inject into a re-execution of ``run``, and notes about secrets.

    Parameters masked at capture (credentials are never stored) are not injected with their
    marker: each is taken from the environment when ``MLOPS_JUPYTER_SECRET_<NAME>`` or
    ``<NAME>`` (the name in capitals) is set there, else left out with a note saying which
    variable would provide it.

    Raises:
        InvalidArgumentError: If a name is not an identifier or a value not JSON.
    """
    env = os.environ if environ is None else environ
    params = checked_params(run.params)
    masked = run.extra.get("masked_params")
    notes: list[str] = []
    for name in masked if isinstance(masked, list) else []:
        if name not in params:
            continue
        upper = str(name).upper()
        value = env.get(f"MLOPS_JUPYTER_SECRET_{upper}", env.get(upper))
        if value is not None:
            params[name] = value
            notes.append(f"secret parameter {name} taken from the environment")
        else:
            del params[name]
            notes.append(
                f"parameter {name} is a secret the run did not store: set "
                f"MLOPS_JUPYTER_SECRET_{upper} (or {upper}) to give it to the reproduction"
            )
    return params, notes


def missing_kernel(name: str) -> str | None:
    """Why the kernel spec ``name`` cannot be used (it is not installed), or None."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return f"kernel spec {name!r} is not installed"
    return None


def run_kernel(store: RunStore, run: Run) -> str:
    """The kernel spec a run's code runs with: the run's, its snapshot's, else python3."""
    return run.kernel_name or _snapshot_kernel(store, run) or "python3"


def _snapshot_kernel(store: RunStore, run: Run) -> str | None:
    sha = run.notebook.snapshot_sha256 if run.notebook is not None else None
    if sha is None:
        return None
    try:
        document = json.loads(store.blobs.get_bytes(sha))
        name = document["metadata"]["kernelspec"]["name"]
    except (MlopsError, ValueError, KeyError, TypeError):
        return None
    return name if isinstance(name, str) else None


def tracked_body(source: str) -> str:
    """The code of a tracked cell: its source without the ``%%`` magic line."""
    first, _newline, rest = source.partition("\n")
    return rest if first.lstrip().startswith("%%") else source
