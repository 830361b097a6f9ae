"""A model's approval policy: per alias, whether promotion needs a passing gate, how many
approvals, from whom, and whether direct moves are allowed.

Stored as JSON on the model (``models policy``); a model without one uses :data:`DEFAULTS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidArgumentError
from ..store.lifecycle import check_alias
from .rules import parse_rules

__all__ = ["DEFAULT_EXPIRY_DAYS", "AliasPolicy", "Policy"]

#: Days an approval request stays open.
DEFAULT_EXPIRY_DAYS = 14
#: Aliases that need a gate and an approval when no policy says otherwise.
GATED_BY_DEFAULT = ("champion", "production")


@dataclass(frozen=True)
class AliasPolicy:
    """What promoting a version to one alias takes.

    Attributes:
        gate: Whether the version's latest gate against this alias must have passed.
        approvals: How many approvals (0: none).
        approvers: Who may approve (empty: anyone but the requester).
        self_approval: Whether the requester may approve their own request.
        protected: Whether the alias only moves by ``promote`` (and ``rollback``): a plain
            ``models alias`` is refused. True for aliases a policy names explicitly.
        rules: Default gate rules (see :mod:`.gates`), used when a gate names none.
        authenticated_only: Whether only approvals given through the server (an authenticated
            Jupyter user) count, not a kernel's or CLI's self-declared login.
    """

    gate: bool = False
    approvals: int = 0
    approvers: tuple[str, ...] = ()
    self_approval: bool = False
    protected: bool = False
    rules: tuple[dict[str, Any], ...] = ()
    authenticated_only: bool = False

    @property
    def gated(self) -> bool:
        """Whether promotion to this alias checks anything."""
        return self.gate or self.approvals > 0

    def to_json(self) -> dict[str, Any]:
        """As stored."""
        return {
            "gate": self.gate,
            "approvals": self.approvals,
            "approvers": list(self.approvers),
            "self_approval": self.self_approval,
            "protected": self.protected,
            "rules": [dict(r) for r in self.rules],
            "authenticated_only": self.authenticated_only,
        }


_DEFAULT_GATED = AliasPolicy(gate=True, approvals=1)


@dataclass(frozen=True)
class Policy:
    """A model's policy: per-alias rules and how long requests stay open."""

    aliases: dict[str, AliasPolicy] = field(default_factory=dict)
    expiry_days: float = DEFAULT_EXPIRY_DAYS
    explicit: bool = False

    def for_alias(self, alias: str) -> AliasPolicy:
        """The rules of ``alias`` (defaults: champion and production gated, 1 approval)."""
        if alias in self.aliases:
            return self.aliases[alias]
        if alias in GATED_BY_DEFAULT:
            return _DEFAULT_GATED
        return AliasPolicy()

    def to_json(self) -> dict[str, Any]:
        """As stored on the model."""
        return {
            "aliases": {a: p.to_json() for a, p in sorted(self.aliases.items())},
            "expiry_days": self.expiry_days,
        }

    def describe(self) -> dict[str, Any]:
        """The effective policy, defaults included, as ``models policy`` shows it."""
        names = sorted({*GATED_BY_DEFAULT, *self.aliases})
        return {
            "explicit": self.explicit,
            "expiry_days": self.expiry_days,
            "aliases": {a: self.for_alias(a).to_json() for a in names},
        }

    @classmethod
    def from_json(cls, data: object) -> Policy:
        """Read a stored policy (None: the defaults).

        Raises:
            InvalidArgumentError: If it is malformed.
        """
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise InvalidArgumentError("a policy is a JSON object")
        aliases: dict[str, AliasPolicy] = {}
        raw = data.get("aliases") or {}
        if not isinstance(raw, Mapping):
            raise InvalidArgumentError("policy 'aliases' must map alias names to rules")
        for alias, rules in raw.items():
            aliases[check_alias(alias)] = alias_policy(rules, explicit=True)
        expiry = data.get("expiry_days", DEFAULT_EXPIRY_DAYS)
        if (
            not isinstance(expiry, (int, float))
            or isinstance(expiry, bool)
            or not 0 < expiry <= 3650
        ):
            raise InvalidArgumentError("policy 'expiry_days' must be a number of days (0, 3650]")
        return cls(aliases=aliases, expiry_days=float(expiry), explicit=True)


def alias_policy(rules: object, *, explicit: bool) -> AliasPolicy:
    """One alias's policy from JSON, checked."""
    if not isinstance(rules, Mapping):
        raise InvalidArgumentError("an alias's policy is a JSON object")
    unknown = set(rules) - set(AliasPolicy().to_json())
    if unknown:
        raise InvalidArgumentError(f"unknown policy keys: {', '.join(sorted(unknown))}")
    approvals = rules.get("approvals", 0)
    if not isinstance(approvals, int) or isinstance(approvals, bool) or not 0 <= approvals <= 20:
        raise InvalidArgumentError("'approvals' must be a whole number from 0 to 20")
    approvers = rules.get("approvers") or []
    if not isinstance(approvers, list) or not all(isinstance(a, str) and a for a in approvers):
        raise InvalidArgumentError("'approvers' must be a list of user names")
    flags = {}
    for key in ("gate", "self_approval", "authenticated_only"):
        value = rules.get(key, False)
        if not isinstance(value, bool):
            raise InvalidArgumentError(f"{key!r} must be true or false")
        flags[key] = value
    protected = rules.get("protected", explicit)
    if not isinstance(protected, bool):
        raise InvalidArgumentError("'protected' must be true or false")
    return AliasPolicy(
        gate=flags["gate"],
        approvals=approvals,
        approvers=tuple(approvers),
        self_approval=flags["self_approval"],
        protected=protected,
        rules=tuple(r.to_json() for r in parse_rules(rules.get("rules") or [])),
        authenticated_only=flags["authenticated_only"],
    )
