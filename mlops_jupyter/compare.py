"""Side-by-side comparison of runs: what differs in params, metrics, code and environment.

Pure logic over :class:`~mlops_jupyter.models.Run` objects: no store, no web framework.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .models import Run, dumps_strict, json_safe
from .query import run_summary

__all__ = ["compare_runs", "diff_packages", "input_rows", "value_rows"]

_ABSENT = object()


def _differs(values: Sequence[Any]) -> bool:
    # Compared as strict JSON text: NaN equals NaN, and 1 differs from 1.0 (shown differently).
    texts = {"\0absent" if v is _ABSENT else dumps_strict(v) for v in values}
    return len(texts) > 1


def value_rows(mappings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Align the keys of several mappings (one per run) into comparison rows.

    Args:
        mappings: E.g. the params of each run.

    Returns:
        One ``{"key", "values", "differs"}`` per key present in any mapping, sorted by key;
        ``values`` has one entry per mapping (None where the key is absent, non-finite
        floats as strings) and ``differs`` tells whether they are not all equal (an absent
        key differs from any value, None included).
    """
    keys = sorted({str(k) for m in mappings for k in m})
    rows = []
    for key in keys:
        raw = [m.get(key, _ABSENT) for m in mappings]
        rows.append(
            {
                "key": key,
                "values": [None if v is _ABSENT else json_safe(v) for v in raw],
                "differs": _differs(raw),
            }
        )
    return rows


def input_rows(runs: Sequence[Run]) -> list[dict[str, Any]]:
    """Align the inputs of several runs by path: what each run read and whether it changed.

    Args:
        runs: The runs, in display order.

    Returns:
        One ``{"path", "values", "status"}`` per input path of any run, sorted by path;
        ``values`` has one entry per run: the input's sha256 (a remote object's version when it
        was not hashed, "" when neither is known), None where the run did not read it;
        ``status`` is ``"same"`` (every run read the same content), ``"changed"`` (every run
        read it, not all the same content) or ``"only"`` (some runs did not read it).
    """
    by_run = [
        {record.path: record.sha256 or record.version or "" for record in r.inputs} for r in runs
    ]
    rows = []
    for path in sorted({p for inputs in by_run for p in inputs}):
        values = [inputs.get(path) for inputs in by_run]
        if any(v is None for v in values):
            status = "only"
        elif len(set(values)) > 1:
            status = "changed"
        else:
            status = "same"
        rows.append({"path": path, "values": values, "status": status})
    return rows


def diff_packages(first: Mapping[str, str], other: Mapping[str, str]) -> dict[str, Any]:
    """Compare two ``{distribution: version}`` maps.

    Args:
        first: The reference run's packages.
        other: Another run's packages.

    Returns:
        ``{"added": {name: version}, "removed": {name: version},
        "changed": {name: [version_in_first, version_in_other]}}``, each sorted by name.
    """
    return {
        "added": {n: other[n] for n in sorted(other) if n not in first},
        "removed": {n: first[n] for n in sorted(first) if n not in other},
        "changed": {
            n: [first[n], other[n]] for n in sorted(first) if n in other and first[n] != other[n]
        },
    }


def _env_part(run: Run, name: str) -> Any:
    value = run.env.get(name) if isinstance(run.env, dict) else None
    return json_safe(value) if value is not None else None


def _packages(run: Run) -> dict[str, str] | None:
    packages = run.env.get("packages") if isinstance(run.env, dict) else None
    if not isinstance(packages, dict):
        return None
    return {str(k): str(v) for k, v in packages.items()}


def _values(values: list[Any]) -> dict[str, Any]:
    return {"values": values, "differs": _differs(values)}


def compare_runs(runs: Sequence[Run]) -> dict[str, Any]:
    """Compare runs: the first is the reference for the package differences.

    Args:
        runs: One or more runs, in display order.

    Returns:
        A strict-JSON-ready dict: ``runs`` (summaries), ``params`` and ``metrics`` (see
        :func:`value_rows`), ``inputs`` (see :func:`input_rows`), ``sources`` (the tracked
        cell of each run), ``notebooks`` (``{"path", "snapshot_sha256"}`` or None per run),
        and ``env`` with ``python``,
        ``platform`` and ``git`` (``{"values", "differs"}``), ``packages_by_run`` (one
        :func:`diff_packages` per run after the first, against the first), ``packages``
        (the first of those, or empty), and ``packages_known`` (per run, whether its
        package list was captured; a diff involving a run without one is empty).
    """
    if not runs:
        raise ValueError("compare_runs needs at least one run")
    git = [
        None
        if r.git is None
        else {"commit": r.git.commit, "branch": r.git.branch, "dirty": r.git.dirty}
        for r in runs
    ]
    packages = [_packages(r) for r in runs]
    first = packages[0]
    empty: dict[str, Any] = {"added": {}, "removed": {}, "changed": {}}
    by_run = [
        diff_packages(first, other) if first is not None and other is not None else dict(empty)
        for other in packages[1:]
    ]
    return {
        "runs": [run_summary(r) for r in runs],
        "params": value_rows([r.params for r in runs]),
        "metrics": value_rows([r.metrics for r in runs]),
        "inputs": input_rows(runs),
        "sources": [r.source for r in runs],
        "notebooks": [
            None
            if r.notebook is None
            else {"path": r.notebook.path, "snapshot_sha256": r.notebook.snapshot_sha256}
            for r in runs
        ],
        "env": {
            "python": _values([_env_part(r, "python") for r in runs]),
            "platform": _values([_env_part(r, "platform") for r in runs]),
            "git": _values(git),
            "packages": by_run[0] if by_run else empty,
            "packages_by_run": by_run,
            "packages_known": [p is not None for p in packages],
        },
    }
