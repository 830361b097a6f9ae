"""The drift check: a batch against a reference profile, column by column, then a verdict.

Per column, a distance and its threshold:

- numeric: Wasserstein-1 from quantiles, divided by the reference's std (drift at >= 0.1);
  PSI on the reference's decile bins is reported beside it, never judged;
- categorical and boolean: Jensen-Shannon distance, base 2 (drift at >= 0.1), over the
  reference's named categories, OTHER (everything else it saw) and NEW (what it never saw),
  categories a batch would expect fewer than 5 times pooled into OTHER;
- datetime, text/identifier and other columns: profiled, not compared.

A column's threshold is the highest of the fixed one, the calibrated one (mean + 3 std of
the reference's own chunk scores, when it has them) and the noise floor (the score that a
batch of this size drawn from the reference itself stays under 99 % of the time). A score
under the fixed (or calibrated) threshold is ``ok``; at or above the threshold ``drift``;
in between, the batch is too small to tell: ``insufficient``. So is a column whose batch
would expect fewer than 5 values in one of its bins.

The verdict: ``insufficient_data`` when the batch has fewer than 100 rows; ``drift`` when a
critical column drifted (or is missing) or at least half the compared columns drifted;
``ok`` only when the undecided columns could not change that; else ``insufficient_data``.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidArgumentError
from ..models import json_safe
from . import statistics as st
from .observe import Observed, observe_frame, observe_profile_column
from .profile import CategorySummary, ColumnKind, ColumnProfile, Profile

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FORMAT",
    "ColumnDrift",
    "DriftReport",
    "Thresholds",
    "Verdict",
    "check_drift",
]

#: The format written in every report's ``format`` key.
FORMAT = "mlops-jupyter/drift-check@1"
SIGNIFICANCE_NOTE = (
    "significance tests: a p-value says whether a difference is detectable at this sample "
    "size, not whether it matters (at 100k rows a 0.01 std shift is 'significant'); they "
    "never decide the verdict"
)


class Verdict:
    """The three verdicts of a check."""

    OK = "ok"
    DRIFT = "drift"
    INSUFFICIENT_DATA = "insufficient_data"


@dataclass(frozen=True)
class Thresholds:
    """The limits a check applies (the defaults hold at any sample size).

    Attributes:
        wasserstein: Numeric columns drift at this normalised Wasserstein distance.
        jensen_shannon: Categorical and boolean columns drift at this Jensen-Shannon distance.
        columns: Per-column thresholds that replace the two above.
        drift_share: The dataset drifts when at least this share of compared columns drift.
        min_rows: Fewer batch rows than this give ``insufficient_data``.
        min_expected: A bin a batch would expect fewer values in is too small to test.
        new_category_share: Categories the reference never saw are named above this share.
        sigmas: Calibration: thresholds become ``mean + sigmas * std`` of chunk scores.
    """

    wasserstein: float = 0.1
    jensen_shannon: float = 0.1
    columns: Mapping[str, float] = field(default_factory=dict)
    drift_share: float = 0.5
    min_rows: int = 100
    min_expected: float = 5.0
    new_category_share: float = 0.01
    sigmas: float = 3.0

    def fixed(self, column: str, method: str) -> float:
        """The fixed threshold of ``column`` compared with ``method``."""
        if column in self.columns:
            return float(self.columns[column])
        return self.wasserstein if method == "wasserstein" else self.jensen_shannon

    def to_json(self) -> dict[str, Any]:
        """The thresholds as a JSON object."""
        return {
            "wasserstein": self.wasserstein,
            "jensen_shannon": self.jensen_shannon,
            "columns": dict(self.columns),
            "drift_share": self.drift_share,
            "min_rows": self.min_rows,
            "min_expected": self.min_expected,
            "new_category_share": self.new_category_share,
            "sigmas": self.sigmas,
        }


@dataclass
class ColumnDrift:
    """The result of one column.

    Attributes:
        method: ``"wasserstein"``, ``"jensen_shannon"`` or ``"none"`` (not compared).
        status: ``"ok"``, ``"drift"``, ``"insufficient"`` or ``"not_compared"``.
        kind: The reference column's kind.
        score: The distance (None when not compared).
        threshold: The score at which the column drifts: the highest of ``fixed``,
            ``calibrated`` and ``noise``.
        fixed: The fixed threshold.
        calibrated: The calibrated threshold (None without calibration).
        noise: The 99 % noise floor at this batch size.
        critical: Whether the column was marked critical.
        reason: Why the column is not ``ok`` (or not compared), in words.
        n_reference: The reference's values present.
        n_batch: The batch's values present.
        missing_reference: The reference's missing share.
        missing_batch: The batch's missing share.
        psi: Numeric: the PSI on the reference's decile bins.
        new_categories: Categorical: categories the reference never saw, above 1 %, by
            share.
        new_share: Categorical: the share of the NEW bucket.
        distribution: The bins compared and both sides' shares (for plots).
        exact: Whether the batch was read from data (not from a profile).
    """

    method: str
    status: str
    kind: str
    score: float | None = None
    threshold: float | None = None
    fixed: float | None = None
    calibrated: float | None = None
    noise: float | None = None
    critical: bool = False
    reason: str | None = None
    n_reference: int = 0
    n_batch: int = 0
    missing_reference: float = 0.0
    missing_batch: float = 0.0
    psi: float | None = None
    new_categories: dict[str, float] = field(default_factory=dict)
    new_share: float | None = None
    distribution: dict[str, Any] | None = None
    exact: bool = True

    @property
    def drifted(self) -> bool:
        """Whether the column drifted."""
        return self.status == "drift"

    def to_json(self) -> dict[str, Any]:
        """The column's result as a JSON object."""
        data: dict[str, Any] = {
            "method": self.method,
            "score": _rounded(self.score),
            "threshold": _rounded(self.threshold),
            "drifted": self.drifted,
            "status": self.status,
            "kind": self.kind,
            "critical": self.critical,
            "thresholds": {
                "fixed": self.fixed,
                "calibrated": _rounded(self.calibrated),
                "noise": _rounded(self.noise),
            },
            "n": {"reference": self.n_reference, "batch": self.n_batch},
            "missing": {
                "reference": round(self.missing_reference, 6),
                "batch": round(self.missing_batch, 6),
                "change": round(self.missing_batch - self.missing_reference, 6),
            },
        }
        if self.reason:
            data["reason"] = self.reason
        if self.psi is not None:
            data["psi"] = _rounded(self.psi)
            data["psi_band"] = st.psi_band(self.psi)
        if self.new_share is not None:
            data["new_share"] = _rounded(self.new_share)
            data["new_categories"] = {k: _rounded(v) for k, v in self.new_categories.items()}
        if self.distribution is not None:
            data["distribution"] = self.distribution
        if not self.exact:
            data["exact"] = False
        return data


def _rounded(value: float | None, digits: int = 6) -> float | None:
    if value is None or not math.isfinite(value):
        return value
    return round(value, digits)


@dataclass
class DriftReport:
    """The result of a drift check (see :func:`check_drift`).

    Attributes:
        verdict: ``"ok"``, ``"drift"`` or ``"insufficient_data"``.
        drift_share: Drifted columns over compared columns.
        columns: Each reference column's result, in the reference's order.
        schema_changes: Columns ``added``, ``removed`` or ``retyped`` (dtype changed).
        new_categories: Per column, the categories the reference never saw, above 1 %.
        reasons: Why the verdict, in words.
        n_reference: The reference's rows.
        n_batch: The batch's rows.
        reference_name: The reference profile's name.
        reference_digest: The reference data's digest.
        batch_digest: The batch data's digest.
        critical: The columns marked critical.
        calibrated: Whether calibration was asked for.
        thresholds: The limits applied.
        significance: p-values, when asked for (never part of the verdict).
    """

    verdict: str
    drift_share: float
    columns: dict[str, ColumnDrift]
    schema_changes: list[dict[str, Any]]
    new_categories: dict[str, dict[str, float]]
    reasons: list[str]
    n_reference: int
    n_batch: int
    reference_name: str | None
    reference_digest: str
    batch_digest: str
    critical: list[str]
    calibrated: bool
    thresholds: Thresholds
    significance: dict[str, Any] | None = None
    #: What the reference was asked for as (a file, run, ``NAME@alias``), when resolved.
    reference_ref: str | None = None
    #: The recorded check's number in the lifecycle log, when recorded.
    check_id: int | None = None

    @property
    def drifted_columns(self) -> list[str]:
        """The names of the columns that drifted."""
        return [name for name, column in self.columns.items() if column.drifted]

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON object; scripts depend on its key names."""
        data: dict[str, Any] = {
            "format": FORMAT,
            "verdict": self.verdict,
            "drift_share": round(self.drift_share, 6),
            "columns": {name: column.to_json() for name, column in self.columns.items()},
            "schema_changes": self.schema_changes,
            "new_categories": self.new_categories,
            "drifted_columns": self.drifted_columns,
            "reasons": self.reasons,
            "n_reference": self.n_reference,
            "n_batch": self.n_batch,
            "reference_name": self.reference_name,
            "reference_digest": self.reference_digest,
            "batch_digest": self.batch_digest,
            "critical": self.critical,
            "calibrated": self.calibrated,
            "thresholds": self.thresholds.to_json(),
        }
        if self.significance is not None:
            data["significance_tests"] = self.significance
        if self.reference_ref is not None:
            data["reference"] = self.reference_ref
        if self.check_id is not None:
            data["check_id"] = self.check_id
        result: dict[str, Any] = json_safe(data)
        return result


# -- per column ---------------------------------------------------------------------------


def _calibrated(reference: ColumnProfile, thresholds: Thresholds, calibrate: bool) -> float | None:
    chunks = reference.chunks
    if not calibrate or chunks is None:
        return None
    return chunks.mean + thresholds.sigmas * chunks.std


def _judge(result: ColumnDrift, score: float, too_few: str | None) -> None:
    # ok below the fixed (or calibrated) threshold, drift at or above the effective one,
    # and in between the batch cannot tell drift from noise.
    result.score = score
    base = max(result.fixed or 0.0, result.calibrated or 0.0)
    result.threshold = max(base, result.noise or 0.0)
    if too_few is not None:
        result.status, result.reason = "insufficient", too_few
    elif score >= result.threshold:
        result.status = "drift"
    elif score < base:
        result.status = "ok"
    else:
        result.status = "insufficient"
        result.reason = (
            f"score {score:.3g} is above the threshold {base:.3g} but within sampling noise "
            f"for {result.n_batch} values (noise floor {result.noise:.3g})"
        )


def _compare_numeric(
    name: str,
    reference: ColumnProfile,
    batch: Observed,
    result: ColumnDrift,
    thresholds: Thresholds,
    calibrate: bool,
) -> None:
    summary = reference.numeric
    if summary is None or not summary.quantiles or batch.quantiles is None:
        result.method, result.status = "none", "not_compared"
        result.reason = "the reference profile keeps no quantiles for this column"
        return
    ref_q = np.asarray(summary.quantiles, dtype=np.float64)
    result.method = "wasserstein"
    result.fixed = thresholds.fixed(name, "wasserstein")
    result.calibrated = _calibrated(reference, thresholds, calibrate)
    # A constant reference has no spread to measure a move by: the batch's spread is used
    # (so a constant column that starts to vary drifts), or the data's unit if both are.
    scale = summary.std if summary.std > 0 else (batch.std or 1.0)
    if summary.std == 0:
        result.reason = "the reference column is constant: distances are in the batch's std"
    result.noise = st.wasserstein_noise_floor(ref_q, batch.count, reference.count) / scale
    score = st.wasserstein_from_quantiles(ref_q, batch.quantiles) / scale
    ref_counts = np.asarray(summary.bin_counts, dtype=np.int64)
    batch_counts = batch.bin_counts if batch.bin_counts is not None else np.zeros_like(ref_counts)
    result.psi = st.psi(ref_counts, batch_counts)
    too_few = _too_few(batch.count, ref_counts, "a decile bin", thresholds)
    result.distribution = {
        "edges": list(summary.bin_edges),
        "reference": _shares(ref_counts),
        "batch": _shares(batch_counts),
    }
    _judge(result, score, too_few)


def _too_few(count: int, reference_bins: Any, what: str, thresholds: Thresholds) -> str | None:
    # The expected-count rule: the smallest bin the reference has would expect this many of
    # the batch's values.
    bins = np.asarray(reference_bins)
    expected = count * bins[bins > 0].min() / max(bins.sum(), 1)
    if expected >= thresholds.min_expected:
        return None
    return (
        f"{count} values: {what} would expect {expected:.1f} "
        f"(at least {thresholds.min_expected:g} are needed)"
    )


def _shares(counts: Any) -> list[float]:
    values = np.asarray(counts, dtype=np.float64)
    total = values.sum()
    shares: list[float] = (values / total).round(6).tolist() if total else [0.0] * len(values)
    return shares


def _category_distribution(
    labels: list[str], names: list[int | str], ref_bins: Any, batch_bins: Any
) -> dict[str, Any]:
    # The named categories kept, then the OTHER and NEW buckets under keys of their own (a
    # category may well be called "OTHER").
    ref_shares, batch_shares = _shares(ref_bins), _shares(batch_bins)
    named = [i for i, n in enumerate(names) if isinstance(n, int)]
    result: dict[str, Any] = {
        "categories": [labels[int(names[i])] for i in named],
        "reference": [ref_shares[i] for i in named],
        "batch": [batch_shares[i] for i in named],
    }
    for bucket in ("OTHER", "NEW"):
        where = names.index(bucket) if bucket in names else None
        result[bucket.lower()] = {
            "reference": ref_shares[where] if where is not None else 0.0,
            "batch": batch_shares[where] if where is not None else 0.0,
        }
    return result


def _new_or_other(
    summary: CategorySummary, reference: ColumnProfile, batch: Observed
) -> tuple[dict[str, int], int]:
    """Split the batch's unnamed categories into NEW ones (by label) and OTHER."""
    if summary.other == 0:  # the reference named everything it saw
        return dict(batch.unseen), batch.unknown
    # A category outside the reference's top-k had at most the k-th count; a batch share
    # clearly above that (3 binomial std) means it is new (or grew far beyond its share).
    ceiling = min(min(summary.top.values(), default=0), summary.other) / max(reference.count, 1)
    margin = 3 * math.sqrt(ceiling * (1 - ceiling) / max(batch.count, 1))
    new = {k: v for k, v in batch.unseen.items() if v / max(batch.count, 1) > ceiling + margin}
    other = batch.unknown + sum(v for k, v in batch.unseen.items() if k not in new)
    return new, other


def _compare_categorical(
    name: str,
    reference: ColumnProfile,
    batch: Observed,
    result: ColumnDrift,
    thresholds: Thresholds,
    calibrate: bool,
) -> tuple[Any, Any] | None:
    summary = reference.categories
    if summary is None or summary.high_cardinality or not summary.top or batch.named is None:
        result.method, result.status = "none", "not_compared"
        result.reason = (
            "text or identifiers (more distinct values than half the rows): not compared"
            if summary is not None and summary.high_cardinality
            else "the reference profile keeps no categories for this column"
        )
        return None
    new, other = _new_or_other(summary, reference, batch)
    ref_counts = np.array([*summary.top.values(), summary.other], dtype=np.int64)
    batch_counts = np.array([*batch.named, other, sum(new.values())], dtype=np.int64)
    ref_bins, batch_bins, names = st.pool_bins(ref_counts, batch_counts)
    result.method = "jensen_shannon"
    result.fixed = thresholds.fixed(name, "jensen_shannon")
    result.calibrated = _calibrated(reference, thresholds, calibrate)
    seen_bins = int(np.count_nonzero(ref_bins))
    result.noise = st.js_noise_floor(seen_bins, batch.count, reference.count)
    total = max(batch.count, 1)
    result.new_share = sum(new.values()) / total
    result.new_categories = {
        label: count / total
        for label, count in sorted(new.items(), key=lambda kv: -kv[1])
        if count / total > thresholds.new_category_share
    }
    result.distribution = _category_distribution(list(summary.top), names, ref_bins, batch_bins)
    too_few = _too_few(batch.count, ref_bins, "a category bin", thresholds)
    _judge(result, st.js_distance(ref_bins, batch_bins), too_few)
    return ref_bins, batch_bins


_COMPARABLE = {
    ColumnKind.NUMERIC: {ColumnKind.NUMERIC},
    ColumnKind.CATEGORICAL: {ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN},
    ColumnKind.BOOLEAN: {ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN},
}


def _compare_column(
    name: str,
    reference: ColumnProfile,
    batch: Observed,
    thresholds: Thresholds,
    *,
    critical: bool,
    calibrate: bool,
) -> tuple[ColumnDrift, tuple[Any, Any] | None]:
    result = ColumnDrift(
        method="none",
        status="not_compared",
        kind=reference.kind.value,
        critical=critical,
        n_reference=reference.count,
        n_batch=batch.count,
        missing_reference=reference.nulls,
        missing_batch=batch.nulls,
        exact=batch.exact,
    )
    bins = None
    if reference.kind not in _COMPARABLE:
        result.reason = f"{reference.kind.value} columns are profiled, not compared"
        if reference.kind is ColumnKind.DATETIME:
            result.reason += " (a later batch always differs in time)"
    elif batch.count == 0 and reference.count > 0:  # (its dtype says little then)
        result.status = "drift"
        result.reason = "every value is missing in the batch"
    elif batch.kind not in _COMPARABLE[reference.kind]:
        result.status = "drift"
        result.reason = f"was {reference.kind.value} ({reference.dtype}), now {batch.kind.value}"
    elif reference.kind is ColumnKind.NUMERIC:
        _compare_numeric(name, reference, batch, result, thresholds, calibrate)
    else:
        bins = _compare_categorical(name, reference, batch, result, thresholds, calibrate)
    return result, bins


# -- the dataset ----------------------------------------------------------------------------


def _schema_changes(reference: Profile, batch_schema: Mapping[str, str]) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    for name, dtype in reference.schema.items():
        if name not in batch_schema:
            changes.append({"column": name, "change": "removed", "reference": dtype, "batch": None})
        elif batch_schema[name] != dtype:
            changes.append(
                {
                    "column": name,
                    "change": "retyped",
                    "reference": dtype,
                    "batch": batch_schema[name],
                }
            )
    # A reference that had to leave columns out cannot say a column is new.
    added = "unprofiled" if reference.omitted_columns else "added"
    for name, dtype in batch_schema.items():
        if name not in reference.columns:
            changes.append({"column": name, "change": added, "reference": None, "batch": dtype})
    return changes


def _verdict(
    columns: Mapping[str, ColumnDrift],
    missing_critical: list[str],
    n_batch: int,
    thresholds: Thresholds,
) -> tuple[str, float, list[str]]:
    compared = [c for c in columns.values() if c.status != "not_compared"]
    drifted = [n for n, c in columns.items() if c.status == "drift"]
    undecided = [n for n, c in columns.items() if c.status == "insufficient"]
    share = len(drifted) / len(compared) if compared else 0.0
    reasons: list[str] = []
    if n_batch < thresholds.min_rows:
        reasons.append(f"the batch has {n_batch} rows: at least {thresholds.min_rows} are needed")
        return Verdict.INSUFFICIENT_DATA, share, reasons
    critical_drifted = [n for n in drifted if columns[n].critical]
    reasons += [f"critical column {n!r} is missing from the batch" for n in missing_critical]
    reasons += [f"critical column {n!r} drifted" for n in critical_drifted]
    if compared:
        reasons.append(
            f"{len(drifted)} of {len(compared)} compared columns drifted ({share:.0%})"
            + (f": {', '.join(drifted)}" if drifted else "")
        )
    if missing_critical or critical_drifted or (compared and share >= thresholds.drift_share):
        return Verdict.DRIFT, share, reasons
    if not compared:
        reasons.append("no column could be compared")
        return Verdict.INSUFFICIENT_DATA, share, reasons
    critical_undecided = [n for n in undecided if columns[n].critical]
    if (
        critical_undecided
        or (len(drifted) + len(undecided)) / len(compared) >= thresholds.drift_share
    ):
        reasons.append(
            f"too little data to decide {len(undecided)} column(s), enough to change the verdict: "
            + ", ".join(undecided)
        )
        return Verdict.INSUFFICIENT_DATA, share, reasons
    return Verdict.OK, share, reasons


def _observe(
    batch: pd.DataFrame | Profile, reference: Profile
) -> tuple[str, int, dict[str, str], dict[str, Observed]]:
    if isinstance(batch, Profile):
        observed = {
            name: observe_profile_column(column, reference.columns[name])
            for name, column in batch.columns.items()
            if name in reference.columns
        }
        return batch.digest, batch.rows, batch.schema, observed
    from .profile import require_pandas

    pd = require_pandas()
    if not isinstance(batch, pd.DataFrame):
        raise InvalidArgumentError(
            f"a batch is a pandas DataFrame or a Profile, not {type(batch).__name__}"
        )
    names = [str(c) for c in batch.columns]
    if len(set(names)) != len(names):
        raise InvalidArgumentError("the batch has duplicate column names")
    digest, observed = observe_frame(batch, reference)
    schema = {name: str(dtype) for name, dtype in zip(names, batch.dtypes, strict=True)}
    return digest, len(batch), schema, observed


def check_drift(
    batch: pd.DataFrame | Profile,
    reference: Profile,
    *,
    critical: Collection[str] = (),
    thresholds: Thresholds | Mapping[str, float] | None = None,
    calibrate: bool = True,
    pvalues: bool = False,
) -> DriftReport:
    """Check a batch of data against a reference profile.

    Args:
        batch: The new data: a DataFrame (read exactly) or its stored profile (approximate:
            bins read off its quantiles, categories beyond its top-k unknown).
        reference: The reference's profile (:func:`~mlops_jupyter.drift.profile_frame`).
        critical: Columns whose drift alone makes the verdict ``drift`` (as does their
            absence from the batch).
        thresholds: The limits, or per-column fixed thresholds (``{"age": 0.2}``); default
            :class:`Thresholds`.
        calibrate: Raise a column's threshold to mean + 3 std of the reference's own chunk
            scores, when the reference has them (>= 10 chunks of >= 500 values).
        pvalues: Add KS and chi-square p-values (needs scipy), labelled as significance
            tests; they never change the verdict.

    Returns:
        The report; ``report.to_json()`` is what scripts read.

    Raises:
        InvalidArgumentError: If the batch is neither a DataFrame nor a Profile, a critical
            column is not in the reference, or a threshold is not a positive number.
        MissingDependencyError: If pandas (for a DataFrame) or scipy (for p-values) is
            missing.
    """
    if not isinstance(reference, Profile):
        raise InvalidArgumentError(f"the reference is a Profile, not {type(reference).__name__}")
    limits = _thresholds(thresholds)
    critical = (critical,) if isinstance(critical, str) else tuple(critical)
    unknown = sorted(set(critical) - set(reference.columns))
    if unknown:
        raise InvalidArgumentError(f"critical column(s) not in the reference: {', '.join(unknown)}")
    if pvalues:
        from .significance import require_scipy

        require_scipy()
    digest, rows, schema, observed = _observe(batch, reference)
    columns: dict[str, ColumnDrift] = {}
    tested: dict[str, tuple[Any, Any] | None] = {}
    for name, column in reference.columns.items():
        if name in observed:
            columns[name], tested[name] = _compare_column(
                name, column, observed[name], limits, critical=name in critical, calibrate=calibrate
            )
    missing_critical = [name for name in critical if name not in observed]
    verdict, share, reasons = _verdict(columns, missing_critical, rows, limits)
    significance = None
    if pvalues:
        from .significance import tests

        significance = {"note": SIGNIFICANCE_NOTE, "columns": tests(reference, observed, tested)}
    return DriftReport(
        verdict=verdict,
        drift_share=share,
        columns=columns,
        schema_changes=_schema_changes(reference, schema),
        new_categories={n: c.new_categories for n, c in columns.items() if c.new_categories},
        reasons=reasons,
        n_reference=reference.rows,
        n_batch=rows,
        reference_name=reference.name,
        reference_digest=reference.digest,
        batch_digest=digest,
        critical=sorted(critical),
        calibrated=calibrate,
        thresholds=limits,
        significance=significance,
    )


def _thresholds(value: Thresholds | Mapping[str, float] | None) -> Thresholds:
    limits = Thresholds(columns=dict(value)) if isinstance(value, Mapping) else value
    limits = limits if limits is not None else Thresholds()
    numbers = [limits.wasserstein, limits.jensen_shannon, *limits.columns.values()]
    if not all(isinstance(v, int | float) and v > 0 and math.isfinite(v) for v in numbers):
        raise InvalidArgumentError("thresholds must be positive numbers")
    if not 0 < limits.drift_share <= 1:
        raise InvalidArgumentError("drift_share must be in (0, 1]")
    return limits
