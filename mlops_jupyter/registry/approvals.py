"""Approvals and promotion: separation of duties over the hash-chained log.

A request binds a version's manifest and its latest gate result against an alias; approvals
and rejections carry a comment; a request expires, and is void once the version's latest gate
result against that alias differs from the one it was bound to. ``promote`` moves a gated
alias only when the latest gate passed against the alias's current holder and an approved
request is in -- checked inside the move's transaction, so two kernels promoting at once see
one consistent state. Requests, votes, gates, promotions and refused promotions are all
events; their state is derived from the log, never stored beside it.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..errors import ConflictError, InvalidArgumentError, NotFoundError
from ..models import format_datetime, parse_datetime, utcnow
from ..store.lifecycle import Event, LogView, check_alias
from .gates import gate_fingerprint
from .policy import AliasPolicy, Policy

if TYPE_CHECKING:
    from .registry import VersionRegistry

__all__ = [
    "REQUEST_KINDS",
    "may_approve",
    "promote",
    "request_approval",
    "request_states",
    "requests",
    "vote",
]

#: The events an approval's state is derived from.
REQUEST_KINDS = ("approval_requested", "approved", "rejected", "promotion", "gate", "policy_set")


def _policy(events: Sequence[Event], fallback: Any = None) -> Policy:
    for event in reversed(events):
        if event.kind == "policy_set":
            return Policy.from_json(event.details)
    return Policy.from_json(fallback)


def _latest_gate(events: Sequence[Event], version: int, alias: str) -> Event | None:
    for event in reversed(events):
        if event.kind == "gate" and event.alias == alias and event.to_version == version:
            return event
    return None


def _fingerprint(gate: Event | None) -> str | None:
    return (
        None
        if gate is None or not isinstance(gate.details, dict)
        else gate_fingerprint(gate.details)
    )


def _eligible(rules: AliasPolicy, requester: str, actor: str, identity: str) -> str | None:
    """Why ``actor`` may not approve (None: they may)."""
    if actor == requester and not rules.self_approval:
        return f"{actor} asked for it: the policy does not allow approving one's own request"
    if rules.approvers and actor not in rules.approvers:
        return f"{actor} is not among the approvers ({', '.join(rules.approvers)})"
    if rules.authenticated_only and identity != "authenticated":
        return "the policy counts only approvals given through the Jupyter server (authenticated)"
    return None


def may_approve(registry: VersionRegistry, state: dict[str, Any]) -> bool:
    """Whether the registry's actor may approve this request now."""
    if state.get("status") not in ("pending", "approved"):
        return False
    if any(v["actor"] == registry.actor for v in state["approvals"] + state["rejections"]):
        return False
    model = registry.model(str(state["name"]))
    rules = _policy(_model_events(registry, model.name), model.policy).for_alias(
        str(state["alias"])
    )
    return _eligible(rules, str(state["requester"]), registry.actor, registry.identity) is None


def request_states(
    events: Sequence[Event], *, now: datetime | None = None, policy_fallback: Any = None
) -> list[dict[str, Any]]:
    """Every request in ``events`` (one model's, oldest first) with its state: ``pending``,
    ``approved``, ``rejected``, ``expired``, ``void`` or ``used``."""
    now = now or utcnow()
    policy = _policy(events, policy_fallback)
    states: dict[str, dict[str, Any]] = {}
    for event in events:
        details = event.details if isinstance(event.details, dict) else {}
        if event.kind == "approval_requested":
            states[str(details.get("id"))] = {
                "id": details.get("id"),
                "name": event.model,
                "version": event.to_version,
                "alias": event.alias,
                "requester": event.actor,
                "comment": event.reason,
                "created_at": event.at,
                "expires_at": details.get("expires_at"),
                "manifest_sha256": details.get("manifest_sha256"),
                "gate_id": details.get("gate_id"),
                "gate_fingerprint": details.get("gate_fingerprint"),
                "approvals": [],
                "rejections": [],
                "promoted_by": None,
            }
        elif event.kind in ("approved", "rejected"):
            state = states.get(str(details.get("request")))
            if state is not None:
                key = "approvals" if event.kind == "approved" else "rejections"
                state[key].append(
                    {"actor": event.actor, "comment": event.reason, "at": event.at,
                     "identity": details.get("identity", "local")}
                )  # fmt: skip
        elif event.kind == "promotion" and details.get("request") in states:
            states[str(details["request"])]["promoted_by"] = event.seq
    for state in states.values():
        rules = policy.for_alias(str(state["alias"]))
        current = _fingerprint(_latest_gate(events, int(state["version"]), str(state["alias"])))
        counted = [
            a for a in state["approvals"]
            if _eligible(rules, state["requester"], a["actor"], a["identity"]) is None
        ]  # fmt: skip
        state["required"] = rules.approvals
        state["counted"] = len(counted)
        expires = state["expires_at"]
        if state["promoted_by"] is not None:
            state["status"] = "used"
        elif state["rejections"]:
            state["status"] = "rejected"
        elif current != state["gate_fingerprint"]:
            state["status"] = "void"
        elif isinstance(expires, str) and parse_datetime(expires) < now:
            state["status"] = "expired"
        elif len(counted) >= rules.approvals:
            state["status"] = "approved"
        else:
            state["status"] = "pending"
    return list(states.values())


def _model_events(registry: VersionRegistry, name: str) -> list[Event]:
    return registry.log.events(model=name, kinds=REQUEST_KINDS)


def request_approval(
    registry: VersionRegistry, name: str, version: int, alias: str, *, comment: str | None = None
) -> dict[str, Any]:
    """Ask for approval to promote ``name/version`` to ``alias``.

    The request is bound to the version's manifest and to its latest gate against ``alias``
    (a later, different gate result voids it).

    Raises:
        NotFoundError: Unknown model or version.
        ConflictError: The alias needs no approval, or a request is already open.
    """
    check_alias(alias)
    record = registry.log.get_version(name, version)
    model = registry.model(name)
    events = _model_events(registry, name)
    policy = _policy(events, model.policy)
    rules = policy.for_alias(alias)
    if rules.approvals == 0:
        raise ConflictError(f"{name}@{alias} needs no approval under its policy")
    for state in request_states(events, policy_fallback=model.policy):
        if (state["version"], state["alias"], state["status"]) in (
            (version, alias, "pending"), (version, alias, "approved"),
        ):  # fmt: skip
            raise ConflictError(
                f"request {state['id']} for {name}/{version} → @{alias} is already "
                f"{state['status']}"
            )
    gate = _latest_gate(events, version, alias)
    expires = utcnow() + timedelta(days=policy.expiry_days)
    request_id = secrets.token_hex(6)
    registry.log.append_event(
        "approval_requested",
        actor=registry.actor,
        model=name,
        alias=alias,
        to_version=version,
        reason=comment,
        payload={
            "id": request_id,
            "manifest_sha256": record.manifest_sha256,
            "gate_id": None if gate is None else gate.seq,
            "gate_fingerprint": _fingerprint(gate),
            "expires_at": format_datetime(expires),
            "identity": registry.identity,
        },
    )
    return _find(registry, request_id)


def _find(registry: VersionRegistry, request_id: str) -> dict[str, Any]:
    if not isinstance(request_id, str) or not request_id.strip():
        raise InvalidArgumentError("give a request id")
    for event in registry.log.events(kinds=["approval_requested"]):
        details = event.details if isinstance(event.details, dict) else {}
        if details.get("id") == request_id.strip() and event.model is not None:
            model = registry.model(event.model)
            for state in request_states(
                _model_events(registry, event.model), policy_fallback=model.policy
            ):
                if state["id"] == request_id.strip():
                    return state
    raise NotFoundError(f"no approval request {request_id!r:.40}")


def requests(
    registry: VersionRegistry, name: str | None = None, *, status: str | None = None
) -> list[dict[str, Any]]:
    """Approval requests with their state, newest first (of one model, or of all)."""
    names = [name] if name else [m.name for m in registry.log.list_models()]
    found: list[dict[str, Any]] = []
    for model_name in names:
        model = registry.model(model_name)
        found += request_states(_model_events(registry, model_name), policy_fallback=model.policy)
    if status is not None:
        found = [s for s in found if s["status"] == status]
    return sorted(found, key=lambda s: str(s["created_at"]), reverse=True)


def vote(
    registry: VersionRegistry, request_id: str, *, approve: bool, comment: str | None = None
) -> dict[str, Any]:
    """Approve or reject a request (a rejection needs a comment).

    Raises:
        NotFoundError: Unknown request.
        ConflictError: The request is not pending, the actor may not vote on it (the
            requester, someone not among the approvers), or already voted.
        InvalidArgumentError: A rejection without a comment.
    """
    state = _find(registry, request_id)
    if not approve and not (comment or "").strip():
        raise InvalidArgumentError("a rejection says why: give a comment")
    if state["status"] not in ("pending", "approved"):
        raise ConflictError(f"request {state['id']} is {state['status']}: no more votes")
    model = registry.model(str(state["name"]))
    rules = _policy(_model_events(registry, model.name), model.policy).for_alias(
        str(state["alias"])
    )
    if approve:
        why_not = _eligible(rules, str(state["requester"]), registry.actor, registry.identity)
        if why_not is not None:
            raise ConflictError(f"not approved: {why_not}")
    elif (
        rules.approvers
        and registry.actor not in rules.approvers
        and registry.actor != state["requester"]
    ):
        raise ConflictError(f"not rejected: {registry.actor} is not among the approvers")
    if any(v["actor"] == registry.actor for v in state["approvals"] + state["rejections"]):
        raise ConflictError(f"{registry.actor} already voted on request {state['id']}")
    registry.log.append_event(
        "approved" if approve else "rejected",
        actor=registry.actor,
        model=model.name,
        alias=str(state["alias"]),
        to_version=int(state["version"]),
        reason=comment,
        payload={"request": state["id"], "identity": registry.identity},
    )
    return _find(registry, str(state["id"]))


def promotion_reasons(
    view: LogView, name: str, version: int, alias: str, current: int | None,
    policy_fallback: Any, chosen: dict[str, Any],
) -> list[str]:  # fmt: skip
    """Every condition missing for ``name/version`` to become ``@alias`` (empty: promote).

    Fills ``chosen`` with the gate and the request that allow it."""
    events = view.events(model=name, kinds=REQUEST_KINDS)
    rules = _policy(events, policy_fallback).for_alias(alias)
    reasons: list[str] = []
    if current == version:
        reasons.append(f"version {version} already holds @{alias}")
    if rules.gate:
        gate = _latest_gate(events, version, alias)
        details = gate.details if gate is not None and isinstance(gate.details, dict) else None
        if gate is None or details is None:
            reasons.append(
                f"no gate: run `mlops-jupyter models gate {name} {version} --against {alias}`"
            )
        elif not details.get("passed"):
            why = "; ".join(details.get("reasons") or []) or "it failed"
            reasons.append(f"the latest gate (gate {gate.seq}) failed: {why}")
        elif details.get("against_version") != current:
            was = details.get("against_version")
            reasons.append(
                f"the latest gate compared against version {was}, but @{alias} now holds "
                f"{'no version' if current is None else f'version {current}'}: gate again"
            )
        else:
            chosen["gate_id"] = gate.seq
    if rules.approvals > 0:
        mine = [
            s for s in request_states(events, policy_fallback=policy_fallback)
            if s["version"] == version and s["alias"] == alias
        ]  # fmt: skip
        approved = [s for s in mine if s["status"] == "approved"]
        if approved:
            chosen["request"] = approved[-1]["id"]
            chosen["approvals"] = [a["actor"] for a in approved[-1]["approvals"]]
        elif not mine:
            reasons.append(
                f"needs {rules.approvals} approval(s) and nobody asked: run `mlops-jupyter "
                f"models request-approval {name} {version} --alias {alias}`"
            )
        else:
            last = mine[-1]
            detail = {
                "pending": f"has {last['counted']} of {last['required']} approval(s)",
                "rejected": "was rejected: "
                + "; ".join(f"{r['actor']}: {r['comment']}" for r in last["rejections"]),
                "expired": f"expired on {str(last['expires_at'])[:10]}",
                "void": "is void: the version's gate result changed since it was asked",
                "used": "was used by an earlier promotion",
            }[str(last["status"])]
            reasons.append(f"needs {rules.approvals} approval(s): request {last['id']} {detail}")
    return reasons


def promote(
    registry: VersionRegistry, name: str, version: int, alias: str, *, reason: str
) -> Event:
    """Move ``@alias`` to ``version`` if its policy allows it now (see the module).

    Raises:
        GuardRefusedError: With every missing condition; nothing moved, the refusal is in
            the log (CLI exit 1, REST 409).
    """
    from .registry import require_reason

    check_alias(alias)
    model = registry.model(name)
    chosen: dict[str, Any] = {}

    def guard(view: LogView, current: int | None) -> list[str]:
        return promotion_reasons(view, name, version, alias, current, model.policy, chosen)

    return registry.log.move_alias(
        name,
        alias,
        version,
        actor=registry.actor,
        reason=require_reason(reason),
        kind="promotion",
        payload=chosen,
        guard=guard,
    )
