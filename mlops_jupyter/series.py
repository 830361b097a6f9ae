"""Downsampling of metric series for plotting: a long series never ships whole.

Pure Python (no store, no web framework): the store hands over ``(step, value)`` rows and
:func:`downsample` keeps the points a plot needs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import InvalidArgumentError

__all__ = ["MAX_POINTS", "MIN_POINTS", "SampledSeries", "downsample"]

#: Bounds of the number of points a caller may ask for.
MIN_POINTS = 2
MAX_POINTS = 5000


@dataclass
class SampledSeries:
    """A metric series, possibly reduced.

    Attributes:
        total: How many points the full series has.
        downsampled: Whether ``points`` leaves some out.
        points: ``(step, value)`` ordered by step; NaN where a NaN was logged.
    """

    total: int
    downsampled: bool
    points: list[tuple[int, float]]


def _value(value: float | None) -> float:
    return math.nan if value is None else value


def downsample(rows: Sequence[tuple[int, float | None]], max_points: int) -> SampledSeries:
    """Reduce a series to at most ``max_points`` points, keeping its shape and its spikes.

    The first and last points are always kept. The points between are cut into
    ``(max_points - 2) // 2`` buckets of (nearly) equal size, and each bucket contributes its
    minimum and its maximum (one point if they coincide), so a single spike anywhere
    survives. NaN values (``None`` or NaN) are skipped by min/max; a bucket holding only NaN
    contributes its first point, so gaps stay visible.

    Args:
        rows: ``(step, value)`` ordered by step; ``None`` stands for NaN.
        max_points: At most this many points come back (2 or more).

    Returns:
        The sampled series.

    Raises:
        InvalidArgumentError: If ``max_points`` is below 2.
    """
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < MIN_POINTS:
        raise InvalidArgumentError(f"max_points must be an integer >= 2, got {max_points!r}")
    total = len(rows)
    if total <= max_points:
        return SampledSeries(total, False, [(step, _value(v)) for step, v in rows])
    values = [None if v is None or v != v else v for _, v in rows]
    n_buckets = (max_points - 2) // 2
    inner = total - 2
    keep = {0, total - 1}
    for b in range(n_buckets):
        start = 1 + b * inner // n_buckets
        end = 1 + (b + 1) * inner // n_buckets
        if start >= end:
            continue
        segment = values[start:end]
        if None in segment:
            finite = [(v, i) for i, v in enumerate(segment) if v is not None]
            if not finite:
                keep.add(start)
                continue
            keep.add(start + min(finite)[1])
            keep.add(start + max(finite, key=lambda vi: (vi[0], -vi[1]))[1])
            continue
        # min()/max() and index() run in C: a million points take a few milliseconds.
        keep.add(start + segment.index(min(segment)))  # type: ignore[type-var]
        keep.add(start + segment.index(max(segment)))  # type: ignore[type-var]
    points = [(rows[i][0], _value(rows[i][1])) for i in sorted(keep)]
    return SampledSeries(total, True, points)
