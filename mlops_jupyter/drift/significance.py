"""p-values for a drift check, when asked for and scipy is installed: Kolmogorov-Smirnov for
numeric columns, chi-square for categorical ones.

They answer "is the difference detectable at this sample size?", which at 100k rows is yes
for a harmless 0.01 std shift: reported as significance tests beside the distances, never
part of the verdict. The reference side is its stored profile, so the KS statistic is
computed against the reference's quantile function (linear between percentiles).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import statistics as st
from .errors import require
from .observe import Observed
from .profile import ColumnProfile, Profile

__all__ = ["require_scipy", "tests"]


def require_scipy() -> None:
    """Import scipy.stats, or say that p-values need it.

    Raises:
        MissingDependencyError: If scipy is not installed.
    """
    require("scipy.stats", "p-values")


def _ks_statistic(reference: ColumnProfile, batch: Observed) -> float | None:
    summary = reference.numeric
    if summary is None or not summary.quantiles:
        return None
    ref_q = np.asarray(summary.quantiles)
    levels = st.quantile_levels(len(ref_q))
    if batch.sorted_values is not None and len(batch.sorted_values):
        values = batch.sorted_values
        cdf = np.interp(values, ref_q, levels, left=0.0, right=1.0)
        n = len(values)
        above = np.arange(1, n + 1) / n - cdf
        below = cdf - np.arange(n) / n
        return float(max(above.max(), below.max()))
    if batch.quantiles is not None:
        cdf = np.interp(batch.quantiles, ref_q, levels, left=0.0, right=1.0)
        return float(np.abs(cdf - levels).max())
    return None


def tests(
    reference: Profile,
    observed: Mapping[str, Observed],
    binned: Mapping[str, tuple[Any, Any] | None],
) -> dict[str, dict[str, Any]]:
    """The p-value of each compared column.

    Args:
        reference: The reference profile.
        observed: The batch's columns as observed.
        binned: Per categorical column, the pooled (reference, batch) counts its distance
            used.

    Returns:
        Per column ``{"test", "statistic", "pvalue"}`` (plus ``"dof"`` for chi-square);
        ``"kolmogorov_smirnov"`` is approximate (reference from its quantiles).
    """
    from scipy import stats

    results: dict[str, dict[str, Any]] = {}
    for name, batch in observed.items():
        column = reference.columns[name]
        pair = binned.get(name)
        if pair is not None:
            ref_bins, batch_bins = pair
            if len(ref_bins) < 2:
                continue
            table = np.vstack([ref_bins, batch_bins])
            chi2, pvalue, dof, _expected = stats.chi2_contingency(table)
            results[name] = {
                "test": "chi_square",
                "statistic": float(chi2),
                "pvalue": float(pvalue),
                "dof": int(dof),
            }
            continue
        statistic = _ks_statistic(column, batch) if batch.count else None
        if statistic is None:
            continue
        effective = math.sqrt(batch.count * column.count / (batch.count + column.count))
        results[name] = {
            "test": "kolmogorov_smirnov",
            "statistic": statistic,
            "pvalue": float(stats.kstwobign.sf(statistic * effective)),
        }
    return results
