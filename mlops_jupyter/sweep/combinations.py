"""The combinations of parameters a sweep executes: grids, explicit lists, validation.

Parameter names become assignments in a kernel: anything but an identifier is refused
before anything runs, and values must be JSON.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import InvalidArgumentError

__all__ = [
    "MAX_COMBINATIONS",
    "SweepError",
    "expand_grid",
    "load_combinations",
    "validate_combinations",
]

#: Most combinations a sweep may have.
MAX_COMBINATIONS = 256


class SweepError(InvalidArgumentError):
    """A sweep cannot be started: a bad grid, parameter name or value (400)."""


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
    from ..capture.source import validate_param_name

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
