"""What a drift check sees of a batch, column by column, in the reference's terms.

A batch is a DataFrame (read exactly: its quantiles on the reference's grid, its values in
the reference's bins, all its categories) or a stored profile (read approximately: bins from
its quantile function, categories beyond its top-k unknown).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import columns as col
from . import statistics as st
from .profile import ColumnKind, ColumnProfile, Profile, clip_label

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Observed", "observe_column", "observe_frame", "observe_profile_column"]


@dataclass
class Observed:
    """A batch's column, summarised against a reference column.

    Attributes:
        kind: The batch column's kind.
        dtype: Its pandas dtype.
        count: Its values present.
        nulls: Its share of rows missing (or not finite).
        exact: Read from the data (True) or from a profile (False).
        quantiles: Numeric: the quantiles at the reference's levels, rounded as the
            reference's.
        bin_counts: Numeric: the values in the reference's bins.
        sorted_values: Numeric, exact only: the values, sorted (for the KS test).
        std: Numeric: the values' standard deviation.
        named: Categorical: counts of the reference's named categories, in its order.
        unseen: Categorical: counts of categories the reference did not name, by label.
        unknown: Categorical, from a profile: values in the batch's own OTHER.
    """

    kind: ColumnKind
    dtype: str
    count: int
    nulls: float
    exact: bool = True
    quantiles: st.FloatArray | None = None
    bin_counts: st.IntArray | None = None
    sorted_values: st.FloatArray | None = None
    std: float = 0.0
    named: st.IntArray | None = None
    unseen: dict[str, int] = field(default_factory=dict)
    unknown: int = 0


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _observe_numeric(series: pd.Series[Any], reference: ColumnProfile, rows: int) -> Observed:
    values, missing = col.finite_values(series)
    observed = Observed(ColumnKind.NUMERIC, str(series.dtype), len(values), _share(missing, rows))
    summary = reference.numeric
    if not len(values) or summary is None or not summary.quantiles:
        return observed
    ordered = np.sort(values)
    levels = st.quantile_levels(len(summary.quantiles))
    observed.quantiles = np.round(st.quantiles_of_sorted(ordered, levels), summary.decimals)
    edges = np.asarray(summary.bin_edges, dtype=np.float64)
    observed.bin_counts = st.bin_counts(ordered, edges)
    observed.sorted_values = ordered
    observed.std = float(ordered.std())
    return observed


def _observe_categories(
    series: pd.Series[Any], reference: ColumnProfile, rows: int
) -> tuple[Observed, bytes]:
    kind = col.column_kind(series)
    try:
        found = col.read_categories(series)
    except TypeError:  # unhashable values: not comparable
        present = int(series.count())
        observed = Observed(
            ColumnKind.OTHER, str(series.dtype), present, _share(rows - present, rows)
        )
        return observed, col.column_digest(series)
    present = rows - found.missing
    observed = Observed(kind, str(series.dtype), present, _share(found.missing, rows))
    summary = reference.categories
    if summary is not None:
        bins, unseen = col.category_bins(found, summary)
        observed.named = np.bincount(bins, minlength=len(summary.top) + 1)[: len(summary.top)]
        observed.unseen = unseen
    return observed, col.column_digest(series, found)


def observe_column(series: pd.Series[Any], reference: ColumnProfile) -> tuple[Observed, bytes]:
    """Summarise a batch's column against the reference column of the same name.

    Args:
        series: The batch's column.
        reference: The reference's profile of that column.

    Returns:
        ``(observed, digest)``: what the check compares (quantiles, bins or categories are
        filled in only when the column's kind can be compared with the reference's), and
        the column's :func:`~mlops_jupyter.drift.columns.column_digest`.
    """
    rows = len(series)
    kind = col.column_kind(series)
    comparable = (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN)
    if kind in comparable and reference.kind in comparable:
        return _observe_categories(series, reference, rows)
    digest = col.column_digest(series)
    if kind is ColumnKind.NUMERIC and reference.kind is ColumnKind.NUMERIC:
        return _observe_numeric(series, reference, rows), digest
    if kind is ColumnKind.NUMERIC:
        values, missing = col.finite_values(series)
        return Observed(kind, str(series.dtype), len(values), _share(missing, rows)), digest
    present = int(series.count())
    return Observed(kind, str(series.dtype), present, _share(rows - present, rows)), digest


def _resample(quantiles: st.FloatArray, points: int) -> st.FloatArray:
    if len(quantiles) == points:
        return quantiles
    result: st.FloatArray = np.interp(
        st.quantile_levels(points), st.quantile_levels(len(quantiles)), quantiles
    )
    return result


def _cdf_counts(quantiles: st.FloatArray, edges: st.FloatArray, count: int) -> st.IntArray:
    # The batch's share below each edge, read off its quantile function (approximate).
    levels = st.quantile_levels(len(quantiles))
    below = np.interp(edges, quantiles, levels, left=0.0, right=1.0)
    bounds = np.concatenate(([0.0], below, [1.0])) * count
    counts: st.IntArray = np.round(np.diff(bounds)).astype(np.int64)
    return counts


def observe_profile_column(batch: ColumnProfile, reference: ColumnProfile) -> Observed:
    """Summarise a batch's stored column profile against the reference's (approximately).

    Args:
        batch: The batch's profile of the column.
        reference: The reference's.

    Returns:
        What the check compares: quantiles resampled to the reference's grid, bin counts
        read off the batch's quantile function, categories from the batch's top-k (its
        OTHER stays unknown).
    """
    observed = Observed(batch.kind, batch.dtype, batch.count, batch.nulls, exact=False)
    ref_numeric, numeric = reference.numeric, batch.numeric
    if ref_numeric is not None and numeric is not None and ref_numeric.quantiles:
        if numeric.quantiles:
            quantiles = _resample(np.asarray(numeric.quantiles), len(ref_numeric.quantiles))
            observed.quantiles = np.round(quantiles, ref_numeric.decimals)
            edges = np.asarray(ref_numeric.bin_edges, dtype=np.float64)
            observed.bin_counts = _cdf_counts(observed.quantiles, edges, batch.count)
            observed.std = numeric.std
    ref_categories, categories = reference.categories, batch.categories
    if ref_categories is not None and categories is not None:
        names = {label: i for i, label in enumerate(ref_categories.top)}
        named = np.zeros(len(names), dtype=np.int64)
        for label, count in categories.top.items():
            text = clip_label(label, ref_categories.label_chars)
            if text in names:
                named[names[text]] += count
            else:
                observed.unseen[text] = observed.unseen.get(text, 0) + count
        observed.named = named
        observed.unknown = categories.other
    return observed


def observe_frame(frame: pd.DataFrame, reference: Profile) -> tuple[str, dict[str, Observed]]:
    """Observe every column of a batch frame that the reference also has, and digest it.

    Args:
        frame: The batch.
        reference: The reference profile.

    Returns:
        ``(digest, observed)``: the batch's digest (as a profile's) and its shared columns,
        observed against the reference's (several threads for large batches).
    """
    from .profile import map_columns

    names = [str(c) for c in frame.columns]
    parallel = len(frame) * max(len(names), 1) >= 1_000_000

    def work(item: tuple[str, pd.Series[Any]]) -> tuple[Observed | None, bytes]:
        name, series = item
        reference_column = reference.columns.get(name)
        if reference_column is None:
            return None, col.column_digest(series)
        return observe_column(series, reference_column)

    # items(), not iloc: a tenth of the cost per column, which counts at 10k rows.
    series = [series for _name, series in frame.items()]
    results = map_columns(work, zip(names, series, strict=True), parallel=parallel)
    digest = col.frame_digest(frame, [column_digest for _observed, column_digest in results])
    observed = {
        name: seen for name, (seen, _digest) in zip(names, results, strict=True) if seen is not None
    }
    return digest, observed


def is_finite(value: float | None) -> bool:
    """Whether ``value`` is a finite number."""
    return value is not None and math.isfinite(value)
