"""Champion/challenger gates: a candidate version is compared with the version an alias holds,
on the same evaluation data, by per-metric rules.

The metrics come from evaluation runs -- a tracked cell that loaded the version with
``load_model`` and logged metrics -- or, when none exists, from the run that produced the
version. A gate **refuses to compare** two versions evaluated on different data (it names both
digests) unless the champion is re-evaluated on the candidate's data. Each gate is an
immutable record: an event of kind ``gate`` in the hash-chained log, with the rules, both
metric sets, the deltas, the data digests, the verdict and its reasons.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError, MlopsError
from ..formatting import format_value
from ..models import Run, RunStatus
from ..store.lifecycle import Event, VersionRecord, canonical_payload, check_alias
from .rules import Rule, parse_rules

if TYPE_CHECKING:
    from .registry import VersionRegistry

__all__ = [
    "Evaluation",
    "GateResult",
    "Reevaluator",
    "find_evaluation",
    "gate_fingerprint",
    "latest_gate",
    "run_gate",
]

# -- evaluations -----------------------------------------------------------------------------


@dataclass
class Evaluation:
    """The metrics a version was scored with, and on what data.

    Attributes:
        run_id: The run that scored it.
        source: ``evaluation`` (a run that loaded the version), ``producing run`` (the run
            that registered it) or ``re-evaluation`` (the gate re-ran an evaluation).
        metrics: The run's metrics.
        data_digest: sha256 over the evaluation inputs' digests (sorted), or the one input's
            digest; None when the run recorded no input.
        data: The inputs that count as evaluation data (path, sha256).
        predictions: The per-example predictions blob, if logged.
    """

    run_id: str
    source: str
    metrics: dict[str, float]
    data_digest: str | None
    data: list[dict[str, Any]] = field(default_factory=list)
    predictions: str | None = None

    def to_json(self) -> dict[str, Any]:
        """As recorded in the gate."""
        return {
            "run_id": self.run_id,
            "source": self.source,
            "metrics": self.metrics,
            "data_digest": self.data_digest,
            "data": self.data,
            "predictions_sha256": self.predictions,
        }


def _matches(record: Any, data: str | None) -> bool:
    if data is None:
        return True
    return data in (record.path, record.sha256) or record.path.endswith("/" + data.lstrip("./"))


def evaluation_of(run: Run, source: str, exclude: set[str], data: str | None) -> Evaluation:
    """The evaluation ``run`` gives: its metrics, and its data (inputs other than the
    model's own files; only those matching ``data`` -- a path, frame name or digest -- if
    given)."""
    inputs = [r for r in run.inputs if r.sha256 and r.sha256 not in exclude and _matches(r, data)]
    shas = sorted({r.sha256 for r in inputs})
    if not shas:
        digest = None
    elif len(shas) == 1:
        digest = shas[0]
    else:
        digest = hashlib.sha256("\n".join(shas).encode()).hexdigest()
    predictions = run.extra.get("predictions")
    return Evaluation(
        run_id=run.id,
        source=source,
        metrics=dict(run.metrics),
        data_digest=digest,
        data=[{"path": r.path, "sha256": r.sha256} for r in inputs],
        predictions=predictions.get("sha256") if isinstance(predictions, dict) else None,
    )


def find_evaluation(
    registry: VersionRegistry,
    version: VersionRecord,
    *,
    data: str | None = None,
    prefer_digest: str | None = None,
) -> Evaluation | None:
    """The evaluation of ``version``: the newest finished run that loaded it (preferring one
    scored on ``prefer_digest``), else the run that produced it."""
    try:
        exclude = {f.sha256 for f in registry.manifest(version).files}
    except MlopsError:
        exclude = set()
    edges = registry.log.edges_from("version", [version.ref])
    found: list[tuple[datetime, Evaluation]] = []
    for edge in edges:
        if edge.relation != "evaluation" or edge.dst_kind != "run":
            continue
        try:
            run = registry.store.get_run(edge.dst)
        except MlopsError:
            continue
        if run.status is RunStatus.FINISHED and run.metrics:
            found.append((run.started_at, evaluation_of(run, "evaluation", exclude, data)))
    if found:
        found.sort(key=lambda pair: pair[0], reverse=True)
        evaluations = [e for _, e in found]
        if prefer_digest is not None:
            for evaluation in evaluations:
                if evaluation.data_digest == prefer_digest:
                    return evaluation
        return evaluations[0]
    if version.run_id:
        try:
            run = registry.store.get_run(version.run_id)
        except MlopsError:
            return None
        return evaluation_of(run, "producing run", exclude, data)
    return None


# -- the gate --------------------------------------------------------------------------------

#: Re-evaluates the champion on the candidate's data: (champion version, its evaluation, the
#: candidate's evaluation) -> the champion's new evaluation.
Reevaluator = Callable[[VersionRecord, Evaluation, Evaluation], Evaluation]


@dataclass
class GateResult:
    """A gate's verdict, as recorded in its event.

    Attributes:
        model: The model.
        version: The candidate.
        against: The alias compared against.
        against_version: The version it held (None: no holder, bounds only).
        rules: The rules applied.
        candidate: The candidate's evaluation.
        champion: The holder's evaluation (None without a holder).
        same_eval_data: Whether both were scored on the same data (None: nothing compared).
        deltas: Per metric: both values, the difference, the relative difference, whether
            the rule passed.
        bootstrap: Per metric: the paired bootstrap interval of the difference, if asked.
        passed: Whether the candidate passed.
        reasons: Why it did not (empty when passed), in words.
        event: The gate's event (its ``seq`` is the gate's id).
    """

    model: str
    version: int
    against: str
    against_version: int | None
    rules: list[Rule]
    candidate: Evaluation | None
    champion: Evaluation | None
    same_eval_data: bool | None
    deltas: dict[str, dict[str, Any]]
    bootstrap: dict[str, dict[str, Any]]
    passed: bool
    reasons: list[str]
    event: Event | None = None

    def payload(self) -> dict[str, Any]:
        """What the event records."""
        return {
            "against": self.against,
            "against_version": self.against_version,
            "rules": [r.to_json() for r in self.rules],
            "candidate": None if self.candidate is None else self.candidate.to_json(),
            "champion": None if self.champion is None else self.champion.to_json(),
            "same_eval_data": self.same_eval_data,
            "deltas": self.deltas,
            "bootstrap": self.bootstrap,
            "passed": self.passed,
            "reasons": self.reasons,
        }

    def to_json(self) -> dict[str, Any]:
        """As ``models gate --json`` and the API give it."""
        data = {"name": self.model, "version": self.version, **self.payload()}
        data["fingerprint"] = gate_fingerprint(self.payload())
        if self.event is not None:
            data.update(gate_id=self.event.seq, at=self.event.at, actor=self.event.actor)
        return data


def gate_fingerprint(payload: Mapping[str, Any]) -> str:
    """What makes two gate results the same result: the verdict, the versions, the rules, both
    metric sets and data digests. An approval bound to one is void once the latest differs."""
    decisive = {
        key: payload.get(key)
        for key in ("against", "against_version", "rules", "same_eval_data", "passed")
    }
    for side in ("candidate", "champion"):
        evaluation = payload.get(side)
        decisive[side] = (
            {"metrics": evaluation.get("metrics"), "data_digest": evaluation.get("data_digest")}
            if isinstance(evaluation, Mapping)
            else None
        )
    return hashlib.sha256((canonical_payload(decisive) or "").encode()).hexdigest()


def latest_gate(
    registry: VersionRegistry, name: str, version: int, against: str
) -> tuple[Event, dict[str, Any]] | None:
    """The newest gate of ``name/version`` against ``against``, with its recorded result."""
    for event in reversed(registry.log.events(model=name, alias=against, kinds=["gate"])):
        if event.to_version == version and isinstance(event.details, dict):
            return event, event.details
    return None


def _short(digest: str | None) -> str:
    return "none recorded" if digest is None else digest[:12]


def _data_words(evaluation: Evaluation) -> str:
    paths = ", ".join(d["path"] for d in evaluation.data[:3]) or "no input recorded"
    return f"{_short(evaluation.data_digest)} ({paths})"


def _check_rule(
    rule: Rule, candidate: Evaluation, champion: Evaluation | None
) -> tuple[dict[str, Any], list[str]]:
    reasons: list[str] = []
    value = candidate.metrics.get(rule.metric)
    row: dict[str, Any] = {"candidate": value, "champion": None, "delta": None, "relative": None}
    if value is None or not math.isfinite(value):
        reasons.append(f"the candidate has no {rule.metric} metric")
        row["passed"] = False
        return row, reasons
    if rule.min is not None and value < rule.min:
        reasons.append(
            f"{rule.metric} {format_value(value)} is below the minimum {format_value(rule.min)}"
        )
    if rule.max is not None and value > rule.max:
        reasons.append(
            f"{rule.metric} {format_value(value)} is above the maximum {format_value(rule.max)}"
        )
    if champion is not None:
        base = champion.metrics.get(rule.metric)
        row["champion"] = base
        if base is None or not math.isfinite(base):
            reasons.append(f"the champion has no {rule.metric} metric to compare with")
        else:
            delta = value - base
            gain = delta if rule.greater_is_better else -delta
            row["delta"] = delta
            row["relative"] = None if base == 0 else delta / abs(base)
            wanted = rule.min_absolute_change or 0.0
            if gain < wanted:
                what = "worse than" if gain < 0 else "not enough better than"
                reasons.append(
                    f"{rule.metric} {format_value(value)} is {what} the champion's "
                    f"{format_value(base)} (change {delta:+.4g}, needs "
                    f"{'+' if rule.greater_is_better else '-'}{format_value(wanted)})"
                )
            if rule.min_relative_change:
                relative_gain = (
                    math.inf if base == 0 and gain > 0 else (gain / abs(base) if base else 0.0)
                )
                if relative_gain < rule.min_relative_change:
                    reasons.append(
                        f"{rule.metric} improves by {relative_gain:.2%} relative to the champion, "
                        f"needs {rule.min_relative_change:.2%}"
                    )
    row["passed"] = not reasons
    return row, reasons


def _predictions(registry: VersionRegistry, evaluation: Evaluation) -> dict[str, Any] | None:
    if evaluation.predictions is None:
        return None
    data = registry.store.get_json_blob(evaluation.predictions)
    if not isinstance(data, dict) or "y_true" not in data or "y_pred" not in data:
        raise InvalidArgumentError(f"the predictions of run {evaluation.run_id[:12]} are malformed")
    return data


def _bootstrap(
    registry: VersionRegistry,
    rules: list[Rule],
    candidate: Evaluation,
    champion: Evaluation,
    resamples: int,
    seed: int,
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    from .stats import metric_function, paired_bootstrap

    ours, theirs = _predictions(registry, candidate), _predictions(registry, champion)
    if ours is None or theirs is None:
        missing = " and ".join(
            side for side, p in (("the candidate's", ours), ("the champion's", theirs)) if p is None
        )
        return {}, [
            f"the bootstrap needs per-example predictions: {missing} evaluation logged none "
            "(mlops_jupyter.log_predictions(y_true, y_pred))"
        ]
    if ours["y_true"] != theirs["y_true"]:
        return {}, ["the bootstrap needs both models scored on the same examples in the same order"]
    intervals: dict[str, dict[str, Any]] = {}
    reasons: list[str] = []
    for rule in rules:
        function = metric_function(rule.metric, rule.statistic)
        interval = paired_bootstrap(
            ours["y_true"], ours["y_pred"], theirs["y_pred"], function,
            resamples=resamples, seed=seed,
        )  # fmt: skip
        intervals[rule.metric] = interval
        low, high = interval["low"], interval["high"]
        noise = low <= 0 if rule.greater_is_better else high >= 0
        if noise:
            reasons.append(
                f"the {rule.metric} difference is not significant: its {interval['level']:.0%} "
                f"interval [{low:+.4g}, {high:+.4g}] includes no improvement"
            )
    return intervals, reasons


def run_gate(
    registry: VersionRegistry,
    name: str,
    version: int,
    *,
    against: str = "champion",
    rules: Sequence[str | Mapping[str, Any] | Rule] | None = None,
    data: str | None = None,
    bootstrap: int | None = None,
    seed: int = 0,
    reevaluate: Reevaluator | None = None,
) -> GateResult:
    """Gate ``name/version`` against the version ``against`` holds, and record the result.

    Args:
        registry: The registry.
        name: The model.
        version: The candidate version.
        against: The alias holding the version to beat.
        rules: The rules (default: the policy's rules for ``against``).
        data: Only inputs matching this (a path, a ``log_input`` name or a digest) count as
            evaluation data.
        bootstrap: Paired bootstrap resamples of each metric's difference (None: none).
        seed: The bootstrap's seed.
        reevaluate: Re-evaluates the holder on the candidate's data when they differ (None:
            refuse to compare).

    Raises:
        InvalidArgumentError: No rules, a malformed rule, a bad alias.
        NotFoundError: Unknown model or version.
    """
    from .policy import Policy

    check_alias(against)
    model = registry.model(name)
    candidate_version = registry.log.get_version(name, version)
    chosen = parse_rules(rules or [])
    if not chosen:
        chosen = parse_rules(list(Policy.from_json(model.policy).for_alias(against).rules))
    if not chosen:
        raise InvalidArgumentError(
            f"no rules: give --rule (e.g. auc:higher,min=0.8) or set them in the policy of "
            f"{name}@{against}"
        )
    holder = registry.log.aliases(name).get(against)
    result = GateResult(name, version, against, holder, chosen, None, None, None, {}, {}, False, [])
    result.candidate = find_evaluation(registry, candidate_version, data=data)
    if result.candidate is None:
        result.reasons.append(
            f"version {version} has no metrics: no evaluation run, no producing run"
        )
        return _record(registry, result)
    champion: Evaluation | None = None
    if holder is not None and holder == version:
        result.reasons.append(
            f"version {version} already holds @{against}: there is nothing to compare it with"
        )
        return _record(registry, result)
    if holder is not None:
        holder_version = registry.log.get_version(name, holder)
        champion = find_evaluation(
            registry, holder_version, data=data, prefer_digest=result.candidate.data_digest
        )
        if champion is None:
            result.reasons.append(f"the champion (version {holder}) has no metrics to compare with")
            return _record(registry, result)
        same = _same_data(result.candidate, champion)
        if not same and reevaluate is not None:
            try:
                champion = reevaluate(holder_version, champion, result.candidate)
            except MlopsError as exc:
                result.champion = champion
                result.same_eval_data = False
                result.reasons.append(f"the champion could not be re-evaluated: {exc}")
                return _record(registry, result)
            same = _same_data(result.candidate, champion)
        result.champion = champion
        result.same_eval_data = same
        if not same:
            result.reasons.append(
                "refused to compare: the candidate was evaluated on "
                f"{_data_words(result.candidate)}, the champion (version {holder}) on "
                f"{_data_words(champion)}; re-evaluate the champion on the candidate's data "
                "(--reevaluate) or evaluate both on the same data"
            )
            return _record(registry, result)
    for rule in chosen:
        row, reasons = _check_rule(rule, result.candidate, champion)
        result.deltas[rule.metric] = row
        result.reasons += reasons
    if bootstrap is not None and champion is not None:
        result.bootstrap, reasons = _bootstrap(
            registry, chosen, result.candidate, champion, bootstrap, seed
        )
        result.reasons += reasons
    result.passed = not result.reasons
    return _record(registry, result)


def _same_data(candidate: Evaluation, champion: Evaluation) -> bool:
    return candidate.data_digest is not None and candidate.data_digest == champion.data_digest


def _record(registry: VersionRegistry, result: GateResult) -> GateResult:
    summary = "passed" if result.passed else "failed: " + "; ".join(result.reasons)[:500]
    result.event = registry.log.append_event(
        "gate",
        actor=registry.actor,
        model=result.model,
        alias=result.against,
        from_version=result.against_version,
        to_version=result.version,
        reason=summary,
        payload=result.payload(),
    )
    return result
