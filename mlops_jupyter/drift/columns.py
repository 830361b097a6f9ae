"""What profiling and checking read from a pandas column: its kind, its finite values, its
category counts, and the digest of a whole frame.

Profiling a reference and summarising a batch against it go through the same functions, so
the same data always gives the same numbers on both sides (identical data scores exactly 0).
pandas is imported by the callers, who pass its objects in; this module only needs numpy.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import statistics as st
from .profile import (
    BIN_MIN_SHARE,
    CategorySummary,
    ChunkScores,
    ColumnKind,
    NumericSummary,
    clip_label,
    round_to,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CHUNK_MAX_ROWS",
    "CHUNK_MIN_ROWS",
    "MIN_CHUNKS",
    "Categories",
    "category_bins",
    "chunk_starts",
    "column_digest",
    "column_kind",
    "decimals_for",
    "finite_values",
    "frame_digest",
    "numeric_summary",
    "read_categories",
    "summarize_categories",
    "time_range",
]

#: Calibration needs at least this many chunks of at least this many values (issue 15).
MIN_CHUNKS = 10
CHUNK_MIN_ROWS = 500
#: At most this many chunks, each at most this long: calibration costs a fraction of a
#: profile whatever the frame's length.
MAX_CHUNKS = 20
CHUNK_MAX_ROWS = 10_000
#: Significant digits kept below the spread: quantiles are stored to 1e-4 standard
#: deviations, far below what the 0.1 threshold can see, and short in JSON.
_DIGITS_BELOW_SPREAD = 4


def column_kind(series: pd.Series[Any]) -> ColumnKind:
    """The kind of a column: how it is profiled and compared.

    Args:
        series: A pandas column.

    Returns:
        ``numeric`` (numbers and durations), ``boolean``, ``datetime``, ``categorical``
        (strings, objects, pandas categoricals) or ``other`` (complex numbers, periods,
        intervals, ...).
    """
    from pandas.api import types

    dtype = series.dtype
    if types.is_bool_dtype(dtype):
        return ColumnKind.BOOLEAN
    if isinstance(dtype, types.CategoricalDtype):
        return ColumnKind.CATEGORICAL
    if types.is_datetime64_any_dtype(dtype):
        return ColumnKind.DATETIME
    if types.is_timedelta64_dtype(dtype):
        return ColumnKind.NUMERIC
    if types.is_numeric_dtype(dtype) and not types.is_complex_dtype(dtype):
        return ColumnKind.NUMERIC
    if types.is_string_dtype(dtype) or types.is_object_dtype(dtype):
        return ColumnKind.CATEGORICAL
    return ColumnKind.OTHER


def finite_values(series: pd.Series[Any]) -> tuple[st.FloatArray, int]:
    """The finite values of a numeric column, in row order, as float64.

    Args:
        series: A column of kind ``numeric``.

    Returns:
        ``(values, missing)``: the values, and how many rows were missing or infinite.
    """
    from pandas.api import types

    if types.is_timedelta64_dtype(series.dtype):
        series = series.dt.total_seconds()
    raw = series.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.isfinite(raw)
    if finite.all():
        return raw, 0
    values = raw[finite]
    return values, len(raw) - len(values)


def decimals_for(std: float, mean: float) -> int:
    """Decimal places that keep 4 significant digits below a column's spread.

    Args:
        std: The column's standard deviation.
        mean: Its mean (the scale of a constant column).

    Returns:
        The ``ndigits`` for :func:`round` (negative for large numbers).
    """
    spread = std if std > 0 else abs(mean)
    if not math.isfinite(spread) or spread == 0:
        return 6
    return _DIGITS_BELOW_SPREAD - math.floor(math.log10(spread))


def _merge_small_bins(edges: list[float], counts: list[int]) -> tuple[list[float], list[int]]:
    # Tied values make decile edges coincide or fall where no value is: merge every bin
    # under 5 % of the values into its smaller neighbour, so that each bin a batch is tested
    # on can expect 5 values from 100 rows.
    total = sum(counts)
    while len(counts) > 1 and min(counts) < BIN_MIN_SHARE * total:
        i = counts.index(min(counts))
        if i == 0:
            j = 1
        elif i == len(counts) - 1:
            j = i - 1
        else:
            j = i - 1 if counts[i - 1] <= counts[i + 1] else i + 1
        low = min(i, j)
        counts[low : low + 2] = [counts[i] + counts[j]]
        del edges[low]  # the edge between bins low and low + 1
    return edges, counts


def numeric_summary(
    values: st.FloatArray, grid: int, decimals: int | None = None
) -> tuple[NumericSummary, st.FloatArray]:
    """Summarise the finite values of a numeric column.

    Args:
        values: Finite values, at least one, in any order.
        grid: The number of quantile levels (:func:`statistics.quantile_levels`).
        decimals: Round to these decimal places (a batch uses its reference's, so that equal
            data gives equal numbers); by default derived from the values' spread.

    Returns:
        ``(summary, sorted_values)``; the summary's decile bins are the values' own.
    """
    ordered = np.sort(values)
    mean, std = float(ordered.mean()), float(ordered.std())
    if decimals is None:
        decimals = decimals_for(std, mean)
    quantiles = np.round(st.quantiles_of_sorted(ordered, st.quantile_levels(grid)), decimals)
    deciles = np.round(st.quantiles_of_sorted(ordered, st.quantile_levels(11)), decimals)
    inner = np.unique(deciles[1:-1])
    counts = st.bin_counts(ordered, inner)
    edges, merged = _merge_small_bins([float(e) for e in inner], [int(c) for c in counts])
    summary = NumericSummary(
        min=round_to(float(ordered[0]), decimals),
        max=round_to(float(ordered[-1]), decimals),
        mean=round_to(mean, decimals),
        std=round_to(std, decimals),
        decimals=decimals,
        quantiles=tuple(float(q) for q in quantiles),
        bin_edges=tuple(edges),
        bin_counts=tuple(merged),
    )
    return summary, ordered


def chunk_starts(count: int) -> tuple[list[int], int] | None:
    """Where the calibration chunks of a column with ``count`` values start, and their size.

    Args:
        count: The column's non-missing values.

    Returns:
        ``(starts, size)``: up to 20 chunks of up to 10,000 consecutive values, spread evenly
        over the rows; None when fewer than 10 chunks of 500 values fit.
    """
    chunks = min(MAX_CHUNKS, count // CHUNK_MIN_ROWS)
    if chunks < MIN_CHUNKS:
        return None
    stride = count // chunks
    return [i * stride for i in range(chunks)], min(stride, CHUNK_MAX_ROWS)


def _score_stats(scores: list[float], size: int) -> ChunkScores:
    return ChunkScores(
        n=len(scores),
        rows=size,
        mean=round(float(np.mean(scores)), 6),
        std=round(float(np.std(scores, ddof=1)), 6),
    )


def _chunk_rows(values: Any, plan: tuple[list[int], int]) -> Any:
    starts, size = plan
    return values[np.asarray(starts)[:, None] + np.arange(size)]


def numeric_chunks(values: st.FloatArray, summary: NumericSummary) -> ChunkScores | None:
    """The normalised Wasserstein scores of consecutive chunks of a column against all of it.

    Args:
        values: The column's finite values in row order.
        summary: Their summary.

    Returns:
        The scores' count, chunk size, mean and standard deviation; None when the column is
        too short to calibrate.
    """
    plan = chunk_starts(len(values))
    if plan is None:
        return None
    chunks = np.sort(_chunk_rows(values, plan), axis=1)
    whole = np.asarray(summary.quantiles)
    levels = st.quantile_levels(len(whole))
    # quantiles_of_sorted, for every chunk (row) at once.
    position = levels * (plan[1] - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, plan[1] - 1)
    low, high = chunks[:, below], chunks[:, above]
    quantiles = np.round(low + (high - low) * (position - below), summary.decimals)
    gaps = np.abs(quantiles[:, 1:-1] - whole[1:-1])
    scores = gaps @ st.wasserstein_weights(len(whole)) / summary.scale
    return _score_stats([float(s) for s in scores], plan[1])


def time_range(series: pd.Series[Any]) -> tuple[str, str] | None:
    """The first and last time of a datetime column (ISO 8601), None if all are missing."""
    present = series.dropna()
    if present.empty:
        return None
    return present.min().isoformat(), present.max().isoformat()


@dataclass(frozen=True)
class Categories:
    """The categories of a column as counted.

    Attributes:
        row_codes: Per row, the index of its category (-1 where missing).
        counts: Per category, its number of rows.
        uniques: The categories' values, as pandas found them.
        missing: Rows with no value.
    """

    row_codes: Any
    counts: Any
    uniques: Any
    missing: int

    @property
    def codes(self) -> Any:
        """Per non-missing row (in row order), the index of its category."""
        return self.row_codes[self.row_codes >= 0] if self.missing else self.row_codes

    def labels(self, indices: Any, label_chars: int) -> list[str]:
        """The labels (text, clipped to ``label_chars``) of the categories at ``indices``."""
        return [clip_label(self.uniques[int(i)], label_chars) for i in indices]


def read_categories(series: pd.Series[Any]) -> Categories:
    """Count the categories of a categorical or boolean column.

    Args:
        series: The column.

    Returns:
        Its codes and counts.

    Raises:
        TypeError: If its values cannot be counted (unhashable objects such as lists).
    """
    import pandas as pd
    from pandas.api import types

    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, uniques = series.cat.codes.to_numpy(), series.cat.categories
    elif types.is_string_dtype(series.dtype) or types.is_object_dtype(series.dtype):
        # Through the plain object array: about 40 % faster than through the Series.
        codes, uniques = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
    else:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    missing = int(np.count_nonzero(codes < 0))
    counts = np.bincount(codes[codes >= 0] if missing else codes, minlength=len(uniques))
    return Categories(row_codes=codes, counts=counts, uniques=uniques, missing=missing)


def summarize_categories(
    found: Categories, top_k: int, label_chars: int, *, high_cardinality: bool
) -> tuple[CategorySummary, list[int]]:
    """The top-k categories of a column and the count of all the others.

    Args:
        found: The column's categories.
        top_k: How many categories to name.
        label_chars: Clip labels to this many characters.
        high_cardinality: Whether the column looks like text or identifiers.

    Returns:
        ``(summary, top_indices)``: the summary, and the indices (into ``found.uniques``) of
        its named categories, most frequent first.
    """
    counts = found.counts
    if len(counts) > top_k:
        candidates = np.argpartition(counts, len(counts) - top_k)[len(counts) - top_k :]
    else:
        candidates = np.arange(len(counts))
    # Most frequent first; ties by first appearance, so that equal data gives equal output.
    order = sorted((int(i) for i in candidates), key=lambda i: (-int(counts[i]), i))
    top: dict[str, int] = {}
    for index, label in zip(order, found.labels(order, label_chars), strict=True):
        top[label] = top.get(label, 0) + int(counts[index])  # clipped labels may collide
    summary = CategorySummary(
        top=top,
        other=int(counts.sum()) - sum(top.values()),
        distinct=len(counts),
        label_chars=label_chars,
        high_cardinality=high_cardinality,
    )
    return summary, order


def category_bins(
    found: Categories, summary: CategorySummary
) -> tuple[st.IntArray, dict[str, int]]:
    """Bin a column's rows into a reference's categories.

    Args:
        found: The column's categories (a reference's own, or a batch's).
        summary: The reference's category summary.

    Returns:
        ``(bins, unseen)``: per row, the index of its category among the reference's named
        ones, or ``len(summary.top)`` for any other; and the counts of the categories that
        are not among the reference's named ones, by label.
    """
    names = {label: i for i, label in enumerate(summary.top)}
    other = len(names)
    labels = found.labels(range(len(found.counts)), summary.label_chars)
    lookup = np.array([names.get(label, other) for label in labels], dtype=np.int64)
    unseen: dict[str, int] = {}
    for label, count, index in zip(labels, found.counts, lookup, strict=True):
        if index == other and count:
            unseen[label] = unseen.get(label, 0) + int(count)
    bins = lookup[found.codes] if len(lookup) else np.zeros(0, dtype=np.int64)
    return bins, unseen


def categorical_chunks(bins: st.IntArray, summary: CategorySummary) -> ChunkScores | None:
    """The Jensen-Shannon distances of consecutive chunks of a column against all of it.

    Args:
        bins: Per non-missing row in row order, its bin (named category or OTHER).
        summary: The column's summary (whose named categories the bins index).

    Returns:
        The scores' count, chunk size, mean and standard deviation; None when the column is
        too short to calibrate.
    """
    plan = chunk_starts(len(bins))
    if plan is None:
        return None
    width = len(summary.top) + 1
    whole = np.bincount(bins, minlength=width)
    # Every chunk has the same size, so the same bins are pooled in all of them.
    mapping, names = st.pooling(whole, plan[1])
    rows = _chunk_rows(mapping[bins], plan)
    offsets = np.arange(len(rows))[:, None] * len(names)
    counts = np.bincount((rows + offsets).ravel(), minlength=len(rows) * len(names))
    pooled_whole = np.bincount(mapping, weights=whole, minlength=len(names))
    scores = st.js_distances(pooled_whole, counts.reshape(len(rows), len(names)))
    return _score_stats([float(s) for s in scores], plan[1])


#: The row hash of a missing category (an arbitrary constant: no value hashes to it by design).
_MISSING_HASH = np.uint64(0x6D6C6F70735F6E61)


def column_digest(series: pd.Series[Any], categories: Categories | None = None) -> bytes:
    """The SHA-256 of a column's content, row by row.

    Plain numpy columns (numbers, booleans, times) are hashed as their raw values with their
    dtype; other columns through 64-bit row hashes (pandas' ``hash_array``).

    Args:
        series: The column.
        categories: Its categories when already counted: each row's hash is then its
            category's, which spares hashing every string again (50x faster).

    Returns:
        The 32-byte digest.
    """
    import pandas as pd

    digest = hashlib.sha256(str(series.dtype).encode() + b"\0")
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "biufcmM":
        digest.update(np.ascontiguousarray(series.to_numpy()).view(np.uint8).data)
        return digest.digest()
    if categories is not None and len(categories.uniques):
        uniques = np.asarray(categories.uniques, dtype=object)
        table = np.append(pd.util.hash_array(uniques, categorize=False), _MISSING_HASH)
        rows = table[categories.row_codes]  # code -1 takes the last entry: missing
    else:
        try:
            rows = pd.util.hash_pandas_object(series, index=False).to_numpy(dtype=np.uint64)
        except TypeError:  # unhashable objects (lists, dicts): through their repr
            rows = pd.util.hash_pandas_object(series.map(repr), index=False).to_numpy()
    digest.update(np.ascontiguousarray(rows, dtype=np.uint64).data)
    return digest.digest()


def frame_digest(frame: pd.DataFrame, column_digests: list[bytes]) -> str:
    """The content digest of a whole frame: every row, every column, dtypes and shape.

    ``sha256`` over the shape, column names and dtypes (JSON), the index's row hashes
    (pandas' ``hash_pandas_object``) and each column's :func:`column_digest`, in order; the
    columns' are computed by the callers (in parallel, reusing their category codes).

    Args:
        frame: The frame.
        column_digests: :func:`column_digest` of each column, in the frame's order.

    Returns:
        ``"sha256:<64 hex digits>"``.
    """
    import pandas as pd

    header = {
        "shape": list(frame.shape),
        "columns": [str(name) for name in frame.columns],
        "dtypes": [str(dtype) for dtype in frame.dtypes],
    }
    digest = hashlib.sha256(json.dumps(header, separators=(",", ":")).encode())
    index = pd.util.hash_pandas_object(frame.index).to_numpy(dtype=np.uint64)
    digest.update(hashlib.sha256(np.ascontiguousarray(index).data).digest())
    for column in column_digests:
        digest.update(column)
    return f"sha256:{digest.hexdigest()}"
