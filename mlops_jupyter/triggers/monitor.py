"""Evaluating triggers and acting on them: ``monitor run`` and the server's opt-in callback
both call :meth:`Monitor.evaluate`.

A firing is claimed atomically: inside one transaction under the lifecycle log's lock, the
trigger's cooldown is checked against its last firing and the cause's key is claimed (unique
in the store), then the ``trigger_fired`` event is appended. Two evaluators that see the same
cause at the same moment fire it once. The action -- the pinned notebook executed with
papermill (as a sweep of one, locally or on Dask), the result registered, gated against the
alias and put up for approval -- runs after the claim; its outcome (``retrained``,
``gate_failed``, ``awaiting_approval``, ``promoted``, ``error``) is a ``trigger_outcome``
event. The runs it launches carry ``triggered_by`` and are left out of the trigger's own
condition, so a retrain never re-fires the trigger that launched it. One trigger's failure
never stops the others.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..errors import ConflictError, InvalidArgumentError, MlopsError, NotFoundError
from ..models import RunStatus, format_datetime, parse_datetime, utcnow
from ..store.lifecycle import Event, GuardRefusedError, LogView
from .conditions import Cause, cause_of
from .definition import DEFINITION_KINDS, Trigger, current_triggers, ensure_new, validate

if TYPE_CHECKING:
    from ..registry import Registry
    from ..store.base import RunStore
    from .webhook import WebhookSender

__all__ = ["OUTCOMES", "Firing", "Monitor"]

#: What a firing can come to.
OUTCOMES = ("retrained", "gate_failed", "awaiting_approval", "promoted", "error")
_FIRING_KINDS = ("trigger_fired", "trigger_outcome")


@dataclass
class Firing:
    """One firing and what came of it (``monitor run --json`` lists these).

    Attributes:
        trigger: The trigger's name.
        cause: Why it fired, in words.
        firing: The ``trigger_fired`` event's number.
        outcome: See :data:`OUTCOMES`.
        run_ids: The runs the retrain recorded.
        version: The version registered (``name/3``), if any.
        gate_id: The gate's event number, if gated.
        gate_passed: Whether the gate passed.
        request_id: The approval request opened, if any.
        error: ``{"message", "cell"?}`` when the outcome is ``error``.
        key: The cause's key.
    """

    trigger: str
    cause: str
    firing: int
    outcome: str = "error"
    run_ids: list[str] = field(default_factory=list)
    version: str | None = None
    gate_id: int | None = None
    gate_passed: bool | None = None
    request_id: str | None = None
    error: dict[str, Any] | None = None
    key: str = ""

    def to_json(self) -> dict[str, Any]:
        """As recorded and reported."""
        return {
            "trigger": self.trigger,
            "cause": self.cause,
            "firing": self.firing,
            "outcome": self.outcome,
            "run_ids": list(self.run_ids),
            "version": self.version,
            "gate_id": self.gate_id,
            "gate_passed": self.gate_passed,
            "request_id": self.request_id,
            "error": self.error,
            "key": self.key,
        }


class Monitor:
    """Triggers over a store: define them, evaluate them, act.

    Args:
        store: The run store.
        actor: Who evaluates (default: ``monitor`` plus the login).
        store_setting: The store the retrain's kernels record into (directory or URL; None:
            the environment's).
        webhooks: Delivers webhook payloads (None: a sender of its own, closed by
            :meth:`close`).
        identity: ``authenticated`` when a server's user defines triggers.
    """

    def __init__(
        self,
        store: RunStore,
        *,
        actor: str | None = None,
        store_setting: str | None = None,
        webhooks: WebhookSender | None = None,
        identity: str = "local",
    ) -> None:
        from ..registry import Registry, default_actor

        self.store = store
        self.registry: Registry = Registry(
            store, actor=actor or f"monitor ({default_actor()})", identity=identity
        )
        self.store_setting = store_setting
        self._webhooks = webhooks
        self._own_webhooks = webhooks is None

    # -- definitions ------------------------------------------------------------------------

    def triggers(self) -> dict[str, Trigger]:
        """The triggers defined now, by name."""
        return current_triggers(self.registry.log.events(kinds=DEFINITION_KINDS))

    def get(self, name: str) -> Trigger:
        """One trigger (``NotFoundError`` if unknown)."""
        found = self.triggers().get(name)
        if found is None:
            raise NotFoundError(f"no trigger named {name!r:.60}")
        return found

    def add(self, trigger: Trigger, *, cwd: str | None = None) -> Trigger:
        """Define a trigger, checked now (see :func:`.definition.validate`)."""
        checked = validate(self.registry, trigger, cwd=cwd)
        ensure_new(self.triggers(), checked.name)
        self.registry.log.append_event(
            "trigger_defined",
            actor=self.registry.actor,
            model=self._model_of(checked),
            reason=checked.when,
            payload={"name": checked.name, "definition": checked.to_json()},
        )
        return checked

    def _model_of(self, trigger: Trigger) -> str | None:
        """The model the trigger's events are about (so they show in its history)."""
        name = trigger.register
        return name if name and self._model_exists(name) else None

    def _model_exists(self, name: str) -> bool:
        try:
            self.registry.model(name)
        except MlopsError:
            return False
        return True

    def set_enabled(self, name: str, enabled: bool) -> Trigger:
        """Enable or disable a trigger."""
        trigger = self.get(name)
        self.registry.log.append_event(
            "trigger_enabled" if enabled else "trigger_disabled",
            actor=self.registry.actor,
            payload={"name": name},
        )
        return replace(trigger, enabled=enabled)

    def remove(self, name: str) -> None:
        """Remove a trigger (its firings stay in the log)."""
        self.get(name)
        self.registry.log.append_event(
            "trigger_removed", actor=self.registry.actor, payload={"name": name}
        )

    def firings(self, name: str | None = None, *, limit: int = 50) -> list[dict[str, Any]]:
        """Firings with their outcomes, newest first."""
        fired: dict[int, dict[str, Any]] = {}
        for event in self.registry.log.events(kinds=_FIRING_KINDS):
            details = event.details if isinstance(event.details, dict) else {}
            if name is not None and details.get("trigger") != name:
                continue
            if event.kind == "trigger_fired":
                fired[event.seq] = {
                    "trigger": details.get("trigger"),
                    "cause": details.get("cause"),
                    "firing": event.seq,
                    "at": event.at,
                    "outcome": "running",
                    "key": details.get("key"),
                    "details": details.get("details"),
                }
            elif details.get("firing") in fired:
                fired[int(details["firing"])].update(
                    {k: v for k, v in details.items() if k not in ("trigger", "firing")},
                    finished_at=event.at,
                )
        return sorted(fired.values(), key=lambda f: int(f["firing"]), reverse=True)[:limit]

    def status(self) -> list[dict[str, Any]]:
        """Each trigger with its last firing and outcome."""
        firings = self.firings(limit=100_000)
        listed = []
        for trigger in self.triggers().values():
            last = next((f for f in firings if f["trigger"] == trigger.name), None)
            listed.append({**trigger.to_json(), "last_firing": last})
        return listed

    # -- evaluation -------------------------------------------------------------------------

    def evaluate(self, *, now: float | None = None, act: bool = True) -> list[Firing]:
        """Evaluate every enabled trigger once; fire and act on those whose condition holds.

        Never raises for one trigger's failure: it is that firing's ``error`` outcome (or,
        when the condition cannot even be read, an ``error`` firing-less entry is logged)."""
        done: list[Firing] = []
        for trigger in self.triggers().values():
            if not trigger.enabled:
                continue
            try:
                cause = cause_of(
                    self.registry, trigger, now=now, last_seen=self._last_seen(trigger)
                )
            except MlopsError:
                continue  # e.g. the model was removed: nothing to read, nothing to fire
            if cause is None:
                continue
            event = self.claim(trigger, cause)
            if event is None:
                continue
            firing = Firing(trigger.name, cause.summary, event.seq, key=cause.key)
            if act:
                self._act(trigger, firing)
            done.append(firing)
        return done

    def _last_seen(self, trigger: Trigger) -> str | None:
        if trigger.kind != "data":
            return None
        for event in reversed(self.registry.log.events(kinds=["trigger_fired"])):
            details = event.details if isinstance(event.details, dict) else {}
            if details.get("trigger") == trigger.name:
                cause = details.get("details") or {}
                return str(cause.get("digest")) if cause.get("digest") else None
        return None

    def claim(self, trigger: Trigger, cause: Cause) -> Event | None:
        """Append ``trigger_fired`` if the cooldown allows it and the key is new (atomic).

        Returns:
            The event, or None when cooling down or another evaluator fired it.
        """

        def cooling(view: LogView) -> list[str]:
            for event in reversed(view.events(kinds=["trigger_fired"])):
                details = event.details if isinstance(event.details, dict) else {}
                if details.get("trigger") == trigger.name:
                    elapsed = (utcnow() - parse_datetime(event.at)).total_seconds()
                    if elapsed < trigger.cooldown:
                        return [f"cooling down: fired {elapsed:.0f} s ago (event {event.seq})"]
                    return []
            return []

        try:
            return self.registry.log.append_event(
                "trigger_fired",
                actor=self.registry.actor,
                model=self._model_of(trigger),
                reason=cause.summary[:500],
                payload={
                    "trigger": trigger.name,
                    "cause": cause.summary,
                    "key": cause.key,
                    "details": cause.details,
                },
                unique_key=cause.key[:200],
                guard=cooling,
            )
        except (GuardRefusedError, ConflictError):
            return None  # cooling down, or another evaluator fired it

    # -- the action -------------------------------------------------------------------------

    def _act(self, trigger: Trigger, firing: Firing) -> None:
        try:
            self._retrain(trigger, firing)
        except Exception as exc:  # one trigger's failure is its outcome, never the others'
            firing.outcome = "error"
            message = str(exc) if isinstance(exc, MlopsError) else f"{type(exc).__name__}: {exc}"
            firing.error = firing.error or {"message": message[:2000]}
            if not isinstance(exc, MlopsError):
                firing.error["traceback"] = traceback.format_exc()[-4000:]
        self.record_outcome(trigger, firing)

    def _source_run(self, trigger: Trigger) -> str:
        if "@" in trigger.retrain:
            version = self.registry.resolve(trigger.retrain)
            if version.run_id is None:
                raise NotFoundError(f"{trigger.retrain} has no producing run to retrain from")
            return version.run_id
        return trigger.retrain

    def _retrain(self, trigger: Trigger, firing: Firing) -> None:
        from ..sweep import run_sweep

        source = self.store.get_run(self._source_run(trigger))
        result = run_sweep(
            from_run=source.id,
            combinations=[{**source.params, **trigger.params}],
            executor=trigger.executor,
            store=self.store_setting,
            triggered_by={"trigger": trigger.name, "firing": firing.firing},
        )
        (execution,) = result.sweep.executions
        firing.run_ids = list(execution.run_ids)
        if execution.status != "finished":
            firing.outcome = "error"
            firing.error = {"message": execution.error or execution.status}
            if execution.cell is not None:
                firing.error["cell"] = execution.cell
            return
        if trigger.register is None:
            firing.outcome = "retrained"
            return
        self._register_and_gate(trigger, firing)

    def _register_and_gate(self, trigger: Trigger, firing: Firing) -> None:
        assert trigger.register is not None  # noqa: S101 - checked by the caller
        runs = [self.store.get_run(r) for r in firing.run_ids]
        produced = [r for r in runs if r.status is RunStatus.FINISHED and r.artifacts]
        if not produced:
            raise InvalidArgumentError(
                "the retrain recorded no artifact to register (its %%track cell needs --artifact)"
            )
        version = self.registry.register(trigger.register, run=produced[-1])
        firing.version = version.ref
        gate = self.registry.gate(
            trigger.register, version.version, against=trigger.against,
            rules=list(trigger.rules) or None,
        )  # fmt: skip
        firing.gate_id = gate.event.seq if gate.event else None
        firing.gate_passed = gate.passed
        if not gate.passed:
            firing.outcome = "gate_failed"
            firing.error = {"message": "; ".join(gate.reasons)[:2000]}
            return
        rules = self.registry.policy(trigger.register).for_alias(trigger.against)
        if rules.approvals > 0:
            request = self.registry.request_approval(
                trigger.register, version.version, trigger.against,
                comment=f"retrained by trigger {trigger.name}: {firing.cause}"[:2000],
            )  # fmt: skip
            firing.request_id = str(request["id"])
            firing.outcome = "awaiting_approval"
            return
        if trigger.promote:
            self.registry.promote(
                trigger.register, version.version, trigger.against,
                reason=f"trigger {trigger.name}: {firing.cause}"[:2000],
            )  # fmt: skip
            firing.outcome = "promoted"
            return
        firing.outcome = "retrained"

    def record_outcome(self, trigger: Trigger, firing: Firing) -> None:
        """Append the ``trigger_outcome`` event of a claimed firing."""
        payload = firing.to_json()
        self.registry.log.append_event(
            "trigger_outcome",
            actor=self.registry.actor,
            model=self._model_of(trigger),
            reason=firing.outcome + (f": {firing.error['message'][:300]}" if firing.error else ""),
            payload=payload,
        )
        if trigger.webhook:
            self._sender().send(
                trigger.webhook,
                {"event": "trigger.outcome", "at": format_datetime(utcnow()), **payload},
                trigger.webhook_secret_env,
            )

    def _sender(self) -> WebhookSender:
        if self._webhooks is None:
            from .webhook import WebhookSender

            self._webhooks = WebhookSender()
        return self._webhooks

    def close(self, timeout: float = 60.0) -> None:
        """Wait for webhook deliveries (when the sender is this monitor's own)."""
        if self._own_webhooks and self._webhooks is not None:
            self._webhooks.close(timeout)
