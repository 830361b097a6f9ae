"""Continuous training over REST: triggers, their firings, and an evaluation on demand.

Reading is ``read``; defining, enabling, disabling and removing triggers ``write``;
evaluating them ``execute`` (a firing executes a notebook).
"""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from ...errors import InvalidArgumentError, TooManyRequestsError
from .base import BaseHandler, json_object

__all__ = ["MonitorRunHandler", "TriggerHandler", "TriggerStateHandler", "TriggersHandler"]

_FIELDS = {
    "when": str, "experiment": str, "model": str, "retrain": str, "register": str,
    "against": str, "executor": str, "webhook": str, "webhook_secret_env": str,
}  # fmt: skip


def _actor(handler: BaseHandler) -> str:
    user = handler.current_user
    return str(getattr(user, "username", None) or "unknown")


def _definition(body: dict[str, Any]) -> dict[str, Any]:
    """The trigger's fields from a request body, type-checked."""
    values: dict[str, Any] = {}
    for key, kind in _FIELDS.items():
        if body.get(key) is not None:
            if not isinstance(body[key], kind):
                raise InvalidArgumentError(f"{key!r} must be a string")
            values[key] = body[key]
    for key in ("window",):
        if body.get(key) is not None:
            if not isinstance(body[key], int) or isinstance(body[key], bool):
                raise InvalidArgumentError(f"{key!r} must be a whole number")
            values[key] = body[key]
    if body.get("cooldown") is not None:
        if not isinstance(body["cooldown"], (int, float)) or isinstance(body["cooldown"], bool):
            raise InvalidArgumentError("'cooldown' must be a number of seconds")
        values["cooldown"] = float(body["cooldown"])
    for key in ("promote", "enabled"):
        if body.get(key) is not None:
            if not isinstance(body[key], bool):
                raise InvalidArgumentError(f"{key!r} must be true or false")
            values[key] = body[key]
    params = body.get("params") or {}
    if not isinstance(params, dict):
        raise InvalidArgumentError("'params' must be an object")
    rules = body.get("rules") or []
    if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
        raise InvalidArgumentError("'rules' must be a list of rule strings")
    return {**values, "params": params, "rules": tuple(rules)}


class TriggersHandler(BaseHandler):
    """``GET triggers`` (each with its last firing) and ``POST triggers`` (define one)."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self) -> None:
        """The triggers."""
        self.finish_json({"triggers": self.services.monitor(_actor(self)).status()})

    @tornado.web.authenticated
    @authorized("write")
    def post(self) -> None:
        """Body: ``{"name", "when", "experiment" | "model", "retrain", ...}`` -> 201 and the
        trigger, checked now (a bad condition is a 400 naming the problem)."""
        from ...triggers import Trigger

        body = json_object(self.json_body())
        name = body.get("name")
        if not isinstance(name, str) or not isinstance(body.get("when"), str):
            raise InvalidArgumentError("give 'name' and 'when'")
        values = _definition(body)
        values.setdefault("retrain", "")
        trigger = Trigger(name=name, kind="", **values)
        root = str(self.settings.get("server_root_dir") or "")
        added = self.services.monitor(_actor(self), "authenticated").add(trigger, cwd=root or None)
        self.set_status(201)
        self.finish_json(added.to_json())


class TriggerHandler(BaseHandler):
    """``GET triggers/{name}`` (with its firings) and ``DELETE triggers/{name}``."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self, name: str) -> None:
        """The trigger and its firings, newest first."""
        monitor = self.services.monitor(_actor(self))
        trigger = monitor.get(name)
        self.finish_json({**trigger.to_json(), "firings": monitor.firings(name)})

    @tornado.web.authenticated
    @authorized("write")
    def delete(self, name: str) -> None:
        """Remove it (its firings stay in the log)."""
        self.services.monitor(_actor(self), "authenticated").remove(name)
        self.finish_json({"name": name, "removed": True})


class TriggerStateHandler(BaseHandler):
    """``PUT triggers/{name}/enabled``: ``{"enabled": true|false}``."""

    @tornado.web.authenticated
    @authorized("write")
    def put(self, name: str) -> None:
        """Enable or disable it."""
        body = json_object(self.json_body())
        enabled = body.get("enabled")
        if not isinstance(enabled, bool):
            raise InvalidArgumentError("'enabled' must be true or false")
        trigger = self.services.monitor(_actor(self), "authenticated").set_enabled(name, enabled)
        self.finish_json(trigger.to_json())


class MonitorRunHandler(BaseHandler):
    """``POST monitor/run``: evaluate the triggers now (as ``monitor run --once``)."""

    @tornado.web.authenticated
    @authorized("execute")
    async def post(self) -> None:
        """-> ``{"firings": [...]}`` when done; 429 while another evaluation runs."""
        import asyncio

        firings = await asyncio.get_running_loop().run_in_executor(
            None, self.services.evaluate_triggers, _actor(self)
        )
        if firings is None:
            raise TooManyRequestsError("the triggers are being evaluated: try again later")
        self.finish_json({"firings": firings})
