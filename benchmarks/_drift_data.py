"""The synthetic frames of bench_drift.py, built the same way on both sides.

Imported by ``bench_drift.py`` (our venv) and ``_evidently_drift.py`` (Evidently's venv,
another pandas): the frames are generated here from a seed into plain numpy arrays, saved
to one ``.npz`` file and rebuilt as DataFrames on each side, so both see identical values.

20 columns: 14 floats (normal, scales 1 to 2.3), 2 integers (Poisson), 3 strings (30 levels,
Zipf-like shares), 1 boolean.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

LEVELS = np.array([f"level_{i:02d}" for i in range(30)] + ["brand_new"], dtype=object)
_SHARES = 1.0 / np.arange(1, 31)
_SHARES = _SHARES / _SHARES.sum()
NUMERIC = [f"f{i}" for i in range(14)] + ["i0", "i1"]
STRINGS = ["s0", "s1", "s2"]


def arrays(
    n: int,
    seed: int,
    *,
    shift: float = 0.0,
    shift_columns: tuple[str, ...] = ("f0",),
    new_category: float = 0.0,
) -> dict[str, Any]:
    """The columns of one frame as numpy arrays (strings as codes into LEVELS).

    Args:
        n: Rows.
        seed: The generator's seed.
        shift: Mean shift, in each column's std, of ``shift_columns``.
        shift_columns: The numeric columns shifted.
        new_category: Share of ``s0`` replaced by a level the reference never has.
    """
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {}
    for i in range(14):
        std = 1 + i / 10
        mean = i + (shift * std if f"f{i}" in shift_columns else 0.0)
        data[f"f{i}"] = rng.normal(mean, std, n)
    for i, lam in enumerate((3.0, 20.0)):
        col = f"i{i}"
        data[col] = rng.poisson(lam, n).astype(np.int64)
        if col in shift_columns and shift:
            data[col] = data[col] + np.int64(round(shift * np.sqrt(lam)))
    for col in STRINGS:
        codes = rng.choice(30, n, p=_SHARES).astype(np.int16)
        if col == "s0" and new_category:
            codes[rng.random(n) < new_category] = 30
        data[col] = codes
    data["b"] = rng.random(n) < 0.3
    return data


def save(path: Path, **frames: dict[str, Any]) -> None:
    """Save several frames' arrays into one .npz (keys ``frame|column``)."""
    flat = {
        f"{name}|{col}": values for name, cols in frames.items() for col, values in cols.items()
    }
    np.savez(path, **flat)


def load(path: Path, pandas: Any) -> dict[str, Any]:
    """The frames saved in ``path``, as DataFrames of the given pandas module."""
    stored = np.load(path)
    grouped: dict[str, dict[str, Any]] = {}
    for key in stored.files:
        name, col = key.rsplit("|", 1)
        values = stored[key]
        grouped.setdefault(name, {})[col] = LEVELS[values] if col in STRINGS else values
    return {name: pandas.DataFrame(cols) for name, cols in grouped.items()}
