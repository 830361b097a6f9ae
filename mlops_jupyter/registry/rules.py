"""Gate rules: one metric's requirement (``auc:higher,min=0.7,abs=0.01``), parsed from text
or JSON and checked when a policy is set, a gate runs or a trigger is created."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidArgumentError
from ..formatting import format_value

__all__ = ["Rule", "parse_rule", "parse_rules"]

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RULE_KEYS = {
    "min": "min",
    "max": "max",
    "abs": "min_absolute_change",
    "min_absolute_change": "min_absolute_change",
    "rel": "min_relative_change",
    "min_relative_change": "min_relative_change",
    "stat": "statistic",
    "statistic": "statistic",
}


@dataclass(frozen=True)
class Rule:
    """One metric's requirement.

    Attributes:
        metric: The metric's name.
        greater_is_better: Whether higher is better.
        min: The candidate's value must be at least this (if set).
        max: ... at most this (if set).
        min_absolute_change: Improvement over the champion at least this, in the metric's
            units (default 0: not worse).
        min_relative_change: Improvement at least this fraction of the champion's value.
        statistic: What the bootstrap recomputes from predictions (default: from the name).
    """

    metric: str
    greater_is_better: bool = True
    min: float | None = None
    max: float | None = None
    min_absolute_change: float | None = None
    min_relative_change: float | None = None
    statistic: str | None = None

    def to_json(self) -> dict[str, Any]:
        """As recorded in gates and policies."""
        return {
            "metric": self.metric,
            "greater_is_better": self.greater_is_better,
            "min": self.min,
            "max": self.max,
            "min_absolute_change": self.min_absolute_change,
            "min_relative_change": self.min_relative_change,
            "statistic": self.statistic,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rule:
        """A rule from JSON, checked."""
        metric = data.get("metric")
        if not isinstance(metric, str) or not metric.strip():
            raise InvalidArgumentError("a rule needs a 'metric'")
        higher = data.get("greater_is_better", True)
        if not isinstance(higher, bool):
            raise InvalidArgumentError("'greater_is_better' must be true or false")
        numbers: dict[str, float | None] = {}
        for key in ("min", "max", "min_absolute_change", "min_relative_change"):
            value = data.get(key)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float))
                or not math.isfinite(value)
            ):  # fmt: skip
                raise InvalidArgumentError(f"rule {metric}: {key} must be a finite number")
            numbers[key] = None if value is None else float(value)
        for key in ("min_absolute_change", "min_relative_change"):
            value = numbers[key]
            if value is not None and value < 0:
                raise InvalidArgumentError(f"rule {metric}: {key} must be >= 0")
        statistic = data.get("statistic")
        if statistic is not None and not isinstance(statistic, str):
            raise InvalidArgumentError(f"rule {metric}: statistic must be a name")
        return cls(metric.strip(), higher, statistic=statistic, **numbers)

    def describe(self) -> str:
        """``auc higher, min 0.8, +0.01`` -- for messages."""
        parts = [f"{self.metric} {'higher' if self.greater_is_better else 'lower'} is better"]
        if self.min is not None:
            parts.append(f"min {format_value(self.min)}")
        if self.max is not None:
            parts.append(f"max {format_value(self.max)}")
        if self.min_absolute_change:
            parts.append(f"improve by >= {format_value(self.min_absolute_change)}")
        if self.min_relative_change:
            parts.append(f"improve by >= {self.min_relative_change:.2%}")
        return ", ".join(parts)


def parse_rule(text: str) -> Rule:
    """Parse ``METRIC[:higher|:lower][,min=X][,max=X][,abs=X][,rel=X|X%][,stat=NAME]``.

    ``auc:higher,min=0.8,abs=0.01``; ``rmse:lower,max=3.5,rel=5%``. A JSON object is
    accepted too.

    Raises:
        InvalidArgumentError: For anything else.
    """
    text = text.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise InvalidArgumentError(f"invalid rule {text!r:.80}: not JSON") from None
        if not isinstance(data, dict):
            raise InvalidArgumentError("a JSON rule is an object")
        return Rule.from_json(data)
    head, *options = [part.strip() for part in text.split(",")]
    metric, _, direction = head.partition(":")
    values: dict[str, Any] = {"metric": metric}
    if direction:
        if direction not in ("higher", "lower"):
            raise InvalidArgumentError(
                f"invalid rule {text!r:.80}: after ':' comes higher or lower, not {direction!r}"
            )
        values["greater_is_better"] = direction == "higher"
    for option in options:
        key, sep, raw = option.partition("=")
        name = _RULE_KEYS.get(key.strip())
        if not sep or name is None:
            raise InvalidArgumentError(
                f"invalid rule {text!r:.80}: options are min=, max=, abs=, rel=, stat="
            )
        raw = raw.strip()
        if name == "statistic":
            values[name] = raw
            continue
        percent = raw.endswith("%")
        number = raw[:-1] if percent else raw
        if not re.fullmatch(_NUMBER, number):
            raise InvalidArgumentError(f"invalid rule {text!r:.80}: {key}={raw} is not a number")
        values[name] = float(number) / (100 if percent else 1)
    return Rule.from_json(values)


def parse_rules(items: Sequence[str | Mapping[str, Any] | Rule]) -> list[Rule]:
    """Rules from text, JSON objects or rules; one per metric.

    Raises:
        InvalidArgumentError: If one is malformed or a metric appears twice.
    """
    rules: list[Rule] = []
    for item in items:
        if isinstance(item, Rule):
            rules.append(item)
        elif isinstance(item, str):
            rules.append(parse_rule(item))
        elif isinstance(item, Mapping):
            rules.append(Rule.from_json(item))
        else:
            raise InvalidArgumentError("a rule is text (auc:higher,min=0.8) or a JSON object")
    names = [r.metric for r in rules]
    twice = {n for n in names if names.count(n) > 1}
    if twice:
        raise InvalidArgumentError(f"one rule per metric: {', '.join(sorted(twice))} twice")
    return rules
