"""Profiling a frame or a file: the reference a drift check compares batches against.

Reads each column through :mod:`.columns` (the same functions a check uses on a batch) and
builds the :class:`~.profile.Profile` kept with a run.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError
from . import columns as col
from .columns import frame_digest
from .profile import (
    GRID,
    HIGH_CARDINALITY_SHARE,
    HIGH_CARDINALITY_TOP,
    LABEL_CHARS,
    MAX_PROFILE_BYTES,
    PARALLEL_CELLS,
    TOP_K,
    ColumnKind,
    ColumnProfile,
    Profile,
    fit_to_size,
    map_columns,
    read_frame,
    require_pandas,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["profile_file", "profile_frame"]


def _profile_column(series: pd.Series[Any], rows: int, top_k: int) -> tuple[ColumnProfile, bytes]:
    """The profile of one column, and its digest (:func:`columns.column_digest`)."""
    kind = col.column_kind(series)
    dtype = str(series.dtype)
    if kind in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN):
        try:
            found = col.read_categories(series)
        except TypeError:  # unhashable values (lists, dicts): counted, not compared
            kind = ColumnKind.OTHER
        else:
            return _profile_categories(found, kind, dtype, rows, top_k), col.column_digest(
                series, found
            )
    digest = col.column_digest(series)
    if kind is ColumnKind.NUMERIC:
        values, missing = col.finite_values(series)
        if not len(values):
            return ColumnProfile(kind, dtype, 0, 1.0 if rows else 0.0), digest
        summary, _ = col.numeric_summary(values, GRID)
        chunks = col.numeric_chunks(values, summary)
        profile = ColumnProfile(kind, dtype, len(values), _share(missing, rows), summary)
        return replace(profile, chunks=chunks), digest
    present = int(series.count())
    profile = ColumnProfile(kind, dtype, present, _share(rows - present, rows))
    if kind is ColumnKind.DATETIME:
        profile = replace(profile, time_range=col.time_range(series))
    return profile, digest


def _profile_categories(
    found: Any, kind: ColumnKind, dtype: str, rows: int, top_k: int
) -> ColumnProfile:
    present = rows - found.missing
    high = len(found.counts) > top_k and len(found.counts) > HIGH_CARDINALITY_SHARE * present
    named = min(top_k, HIGH_CARDINALITY_TOP) if high else top_k
    categories, _ = col.summarize_categories(found, named, LABEL_CHARS, high_cardinality=high)
    chunks = None
    if not high:
        bins, _unseen = col.category_bins(found, categories)
        chunks = col.categorical_chunks(bins, categories)
    return ColumnProfile(
        kind, dtype, present, _share(found.missing, rows), categories=categories, chunks=chunks
    )


def _share(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def profile_frame(
    frame: pd.DataFrame,
    *,
    name: str | None = None,
    top_k: int = TOP_K,
    max_bytes: int = MAX_PROFILE_BYTES,
) -> Profile:
    """Profile a pandas DataFrame: the reference a drift check compares batches against.

    Args:
        frame: The data.
        name: A name for it (e.g. ``"train"``).
        top_k: Categories named per column (the rest count as OTHER).
        max_bytes: The largest profile, in bytes of JSON (detail is reduced to fit).

    Returns:
        The profile (JSON-serialisable with :meth:`Profile.to_json`).

    Raises:
        MissingDependencyError: If pandas is not installed.
        InvalidArgumentError: If ``frame`` is not a DataFrame or has duplicate column names.
    """
    pd = require_pandas()
    if not isinstance(frame, pd.DataFrame):
        raise InvalidArgumentError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    names = [str(column) for column in frame.columns]
    if len(set(names)) != len(names):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        raise InvalidArgumentError(f"duplicate column names: {', '.join(duplicates[:5])}")
    if top_k < 1:
        raise InvalidArgumentError("top_k must be at least 1")
    rows = len(frame)
    parallel = rows * max(len(names), 1) >= PARALLEL_CELLS
    results = map_columns(
        lambda series: _profile_column(series, rows, top_k),
        [series for _name, series in frame.items()],
        parallel=parallel,
    )
    profile = Profile(
        rows=rows,
        digest=frame_digest(frame, [digest for _profile, digest in results]),
        columns={name: column for name, (column, _digest) in zip(names, results, strict=True)},
        name=name,
        pandas_version=pd.__version__,
    )
    return fit_to_size(profile, max_bytes)


def profile_file(path: str | os.PathLike[str], *, name: str | None = None) -> Profile:
    """Profile a ``.csv`` or ``.parquet`` file (see :func:`profile_frame`).

    Args:
        path: The file.
        name: A name for the data (default: the file's name without extension).

    Returns:
        The profile.

    Raises:
        NotFoundError: If the file does not exist.
        InvalidArgumentError: If it is not a readable CSV or parquet file.
        MissingDependencyError: If pandas (or, for parquet, pyarrow) is not installed.
    """
    frame = read_frame(path)
    return profile_frame(frame, name=name if name is not None else Path(path).stem)
