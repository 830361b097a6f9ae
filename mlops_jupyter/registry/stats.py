"""Per-example metrics and the paired bootstrap of a metric's difference (numpy only).

A gate with ``bootstrap=N`` resamples the evaluation examples N times (the same indices for
the candidate and the champion: both were scored on the same data, in the same order) and
takes the 2.5 and 97.5 percentiles of the difference: "better" must not be noise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import InvalidArgumentError

__all__ = ["METRICS", "metric_function", "paired_bootstrap"]

_PREFIXES = ("val_", "valid_", "validation_", "test_", "eval_", "holdout_")


def _accuracy(y: Any, p: Any) -> Any:
    import numpy as np

    labels = p.argmax(axis=-1) if p.ndim == y.ndim + 1 else p
    return np.asarray(labels == y, dtype=float).mean(axis=-1)


def _error_rate(y: Any, p: Any) -> Any:
    return 1.0 - _accuracy(y, p)


def _mae(y: Any, p: Any) -> Any:
    import numpy as np

    return np.abs(p - y).mean(axis=-1)


def _mse(y: Any, p: Any) -> Any:
    return ((p - y) ** 2).mean(axis=-1)


def _rmse(y: Any, p: Any) -> Any:
    import numpy as np

    return np.sqrt(_mse(y, p))


def _r2(y: Any, p: Any) -> Any:
    residual = ((y - p) ** 2).sum(axis=-1)
    total = ((y - y.mean(axis=-1, keepdims=True)) ** 2).sum(axis=-1)
    return 1.0 - residual / total


def _log_loss(y: Any, p: Any) -> Any:
    import numpy as np

    eps = 1e-15
    if p.ndim == y.ndim + 1:  # class probabilities
        picked = np.take_along_axis(p, y.astype(int)[..., None], axis=-1)[..., 0]
        return -np.log(np.clip(picked, eps, 1.0)).mean(axis=-1)
    q = np.clip(p, eps, 1 - eps)
    return -(y * np.log(q) + (1 - y) * np.log(1 - q)).mean(axis=-1)


def _auc(y: Any, p: Any) -> Any:
    """Binary ROC AUC per row (Mann-Whitney U over average ranks)."""
    import numpy as np

    y2, p2 = np.atleast_2d(y), np.atleast_2d(p)
    out = np.empty(len(y2))
    for i, (labels, scores) in enumerate(zip(y2, p2, strict=True)):
        order = np.argsort(scores, kind="mergesort")
        ranks = np.empty(len(scores))
        sorted_scores = scores[order]
        # Average ranks over ties.
        _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
        average = first + (counts + 1) / 2.0
        ranks[order] = np.repeat(average, counts)
        positives = labels == 1
        n_pos, n_neg = positives.sum(), (~positives).sum()
        out[i] = (
            np.nan
            if n_pos == 0 or n_neg == 0
            else ((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
        )
    return out if y.ndim == 2 else out[0]


#: Metrics the bootstrap can recompute from per-example predictions.
METRICS: dict[str, Callable[[Any, Any], Any]] = {
    "accuracy": _accuracy,
    "acc": _accuracy,
    "error_rate": _error_rate,
    "mae": _mae,
    "mse": _mse,
    "rmse": _rmse,
    "r2": _r2,
    "log_loss": _log_loss,
    "logloss": _log_loss,
    "auc": _auc,
    "roc_auc": _auc,
}


def metric_function(name: str, statistic: str | None = None) -> Callable[[Any, Any], Any]:
    """The function recomputing metric ``name`` (``val_accuracy`` -> accuracy), or the one
    ``statistic`` names.

    Raises:
        InvalidArgumentError: If neither names a known metric.
    """
    wanted = (statistic or name).lower()
    for prefix in _PREFIXES:
        if wanted.startswith(prefix):
            wanted = wanted[len(prefix) :]
            break
    if wanted not in METRICS:
        raise InvalidArgumentError(
            f"the bootstrap cannot recompute {name!r} from predictions: name its statistic "
            f"(one of {', '.join(sorted(METRICS))}) in the rule"
        )
    return METRICS[wanted]


def paired_bootstrap(
    y_true: Any,
    candidate: Any,
    champion: Any,
    metric: Callable[[Any, Any], Any],
    *,
    resamples: int,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, float]:
    """The ``level`` interval of ``metric(candidate) - metric(champion)`` over resamples.

    Args:
        y_true: The true values (one per example).
        candidate: The candidate's predictions (labels, scores, or class probabilities).
        champion: The champion's, for the same examples in the same order.
        metric: See :func:`metric_function`.
        resamples: How many bootstrap samples (10..100000).
        seed: The random seed (the interval is reproducible).
        level: The interval's coverage.

    Returns:
        ``{"difference", "low", "high", "resamples", "seed", "level"}``.
    """
    import numpy as np

    if (
        isinstance(resamples, bool)
        or not isinstance(resamples, int)
        or not 10 <= resamples <= 100_000
    ):
        raise InvalidArgumentError("bootstrap resamples must be a whole number from 10 to 100000")
    y = np.asarray(y_true)
    a, b = np.asarray(candidate, dtype=float), np.asarray(champion, dtype=float)
    if len(y) == 0 or len(a) != len(y) or len(b) != len(y):
        raise InvalidArgumentError(
            f"the predictions do not line up: {len(y)} examples, candidate {len(a)}, "
            f"champion {len(b)}"
        )
    rng = np.random.default_rng(seed)
    chunk = max(1, min(resamples, 2_000_000 // max(1, len(y))))
    diffs: list[Any] = []
    done = 0
    while done < resamples:
        n = min(chunk, resamples - done)
        idx = rng.integers(0, len(y), size=(n, len(y)))
        diffs.append(metric(y[idx], a[idx]) - metric(y[idx], b[idx]))
        done += n
    all_diffs = np.concatenate(diffs)
    tail = (1 - level) / 2 * 100
    low, high = np.nanpercentile(all_diffs, [tail, 100 - tail])
    return {
        "difference": float(metric(y, a) - metric(y, b)),
        "low": float(low),
        "high": float(high),
        "resamples": resamples,
        "seed": seed,
        "level": level,
    }
