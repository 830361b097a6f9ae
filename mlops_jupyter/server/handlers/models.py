"""The model registry and lineage over REST: ``models...`` and ``lineage``.

Reads are authorized ``read``; registering, moving and rolling back aliases ``write``. The
actor of every event is the authenticated Jupyter user. A version's files are only ever
downloaded as attachments.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from ...errors import InvalidArgumentError, MlopsError, NotFoundError
from .base import BaseHandler, json_object, validate_run_id

if TYPE_CHECKING:
    from ...registry import Registry

__all__ = [
    "ApprovalsHandler",
    "ApproveHandler",
    "LineageHandler",
    "ModelAliasHandler",
    "ModelApprovalsHandler",
    "ModelGateHandler",
    "ModelGatesHandler",
    "ModelHandler",
    "ModelHistoryHandler",
    "ModelPolicyHandler",
    "ModelPromoteHandler",
    "ModelRollbackHandler",
    "ModelVersionFileHandler",
    "ModelVersionHandler",
    "ModelVersionsHandler",
    "ModelsHandler",
    "RejectHandler",
]

_VERSION_RE = re.compile(r"[1-9][0-9]{0,8}")
_INDEX_RE = re.compile(r"[0-9]{1,6}")
#: Versions of a model listed with their run's metrics.
MAX_VERSIONS = 500


def _version_number(text: str) -> int:
    if not _VERSION_RE.fullmatch(text):
        raise InvalidArgumentError(f"invalid version {text!r:.40}: a positive number")
    return int(text)


def _string(body: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise InvalidArgumentError(f"{key!r} is required")
        return None
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{key!r} must be a string")
    return value


class _RegistryHandler(BaseHandler):
    def registry(self) -> Registry:
        """The registry over the server's store; the actor is the authenticated user."""
        from ...registry import Registry

        user = self.current_user
        actor = getattr(user, "username", None) or getattr(user, "name", None) or "unknown"
        return Registry(self.store(), actor=str(actor), identity="authenticated")

    def body(self) -> dict[str, Any]:
        """The JSON body; the actor is never taken from it (it is the authenticated user)."""
        body = json_object(self.json_body() or b"{}")
        if "actor" in body:
            raise InvalidArgumentError(
                "the actor is the authenticated user: a request cannot name another"
            )
        return body


class ModelsHandler(_RegistryHandler):
    """``GET models``: every model with its versions count, latest version and aliases."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self) -> None:
        """The models, by name."""
        self.finish_json({"models": self.registry().summaries()})


class ModelHandler(_RegistryHandler):
    """``GET models/{name}``: a model, its aliases, and its versions with their run's
    metrics."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self, name: str) -> None:
        """The model, newest version first."""
        registry = self.registry()
        model = registry.model(name)
        versions = registry.log.list_versions(name)[-MAX_VERSIONS:]
        aliases = registry.log.aliases(name)
        gates: dict[int, dict[str, Any]] = {}
        for event in registry.log.events(model=name, kinds=["gate"]):
            details = event.details if isinstance(event.details, dict) else {}
            if event.to_version is not None:
                gates[event.to_version] = {
                    "gate_id": event.seq,
                    "at": event.at,
                    **{k: details.get(k) for k in (
                        "against", "against_version", "passed", "same_eval_data", "deltas",
                        "reasons", "bootstrap",
                    )},
                }  # fmt: skip
        listed = []
        for version in reversed(versions):
            data = version.to_json()
            data["aliases"] = sorted(a for a, v in aliases.items() if v == version.version)
            data["gate"] = gates.get(version.version)
            data["metrics"] = {}
            if version.run_id:
                try:
                    data["metrics"] = registry.store.get_run(version.run_id).metrics
                except MlopsError:
                    data["run_missing"] = True
            listed.append(data)
        self.finish_json({**model.to_json(), "aliases": aliases, "versions": listed})


class ModelVersionsHandler(_RegistryHandler):
    """``POST models/{name}/versions``: register a version from a run's artifacts."""

    @tornado.web.authenticated
    @authorized("write")
    def post(self, name: str) -> None:
        """Body ``{"run_id", "artifacts"?: [path], "description"?, "tags"?}`` -> 201 and
        the version. Only the run's own artifacts can be named (never a server file)."""
        body = self.body()
        run_id = validate_run_id(_string(body, "run_id", required=True) or "")
        artifacts = body.get("artifacts") or []
        if not isinstance(artifacts, list) or not all(isinstance(a, str) for a in artifacts):
            raise InvalidArgumentError("'artifacts' must be a list of paths")
        tags = body.get("tags") or {}
        if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
            raise InvalidArgumentError("'tags' must map names to strings")
        registry = self.registry()
        version = registry.register(
            name,
            run=run_id,
            artifacts=artifacts,
            description=_string(body, "description") or "",
            tags={str(k): v for k, v in tags.items()},
            local_files=False,
        )
        self.set_status(201)
        self.finish_json(registry.describe(version))


class ModelVersionHandler(_RegistryHandler):
    """``GET models/{name}/versions/{version}``: one version, its files, aliases and run."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self, name: str, version: str) -> None:
        """The version."""
        registry = self.registry()
        found = registry.log.get_version(name, _version_number(version))
        self.finish_json(registry.describe(found))


class ModelVersionFileHandler(_RegistryHandler):
    """``GET models/{name}/versions/{version}/files/{index}``: a file, as a download."""

    @tornado.web.authenticated
    @authorized("read")
    async def get(self, name: str, version: str, index: str) -> None:
        """Stream the file (``application/octet-stream``, an attachment), checked against
        its hash as it is sent."""
        registry = self.registry()
        found = registry.log.get_version(name, _version_number(version))
        files = registry.manifest(found).files
        if not _INDEX_RE.fullmatch(index):
            raise InvalidArgumentError(f"invalid file {index!r:.40}: its index (from 0)")
        if int(index) >= len(files):
            raise NotFoundError(f"{found.ref} has no file {index}")
        entry = files[int(index)]
        await self.send_attachment(entry.sha256, entry.path)


class ModelAliasHandler(_RegistryHandler):
    """``PUT|DELETE models/{name}/aliases/{alias}``: move or remove an alias."""

    @tornado.web.authenticated
    @authorized("write")
    def put(self, name: str, alias: str) -> None:
        """Body ``{"version", "reason", "expect"?}`` -> the event. ``expect``: the version the
        client saw holding the alias (null: unset); if it moved meanwhile, a 409."""
        body = self.body()
        version = body.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise InvalidArgumentError("'version' must be a positive integer")
        event = self.registry().set_alias(
            name, alias, version, reason=_string(body, "reason") or "", **self._expect(body)
        )
        self.finish_json({"event": event.to_json()})

    @tornado.web.authenticated
    @authorized("write")
    def delete(self, name: str, alias: str) -> None:
        """Body ``{"reason", "expect"?}`` -> the event."""
        body = self.body()
        event = self.registry().set_alias(
            name, alias, None, reason=_string(body, "reason") or "", **self._expect(body)
        )
        self.finish_json({"event": event.to_json()})

    @staticmethod
    def _expect(body: dict[str, Any]) -> dict[str, Any]:
        if "expect" not in body:
            return {}
        expect = body["expect"]
        if expect is not None and (not isinstance(expect, int) or isinstance(expect, bool)):
            raise InvalidArgumentError("'expect' must be a version number or null")
        return {"expect": expect}


class ModelRollbackHandler(_RegistryHandler):
    """``POST models/{name}/aliases/{alias}/rollback``: back to the previous holder."""

    @tornado.web.authenticated
    @authorized("write")
    def post(self, name: str, alias: str) -> None:
        """Body ``{"reason"}`` -> the event (409 when there is nothing to roll back to)."""
        body = self.body()
        event = self.registry().rollback(name, alias, reason=_string(body, "reason") or "")
        self.finish_json({"event": event.to_json()})


class ModelHistoryHandler(_RegistryHandler):
    """``GET models/{name}/history[?alias=A]``: the model's events, oldest first."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self, name: str) -> None:
        """The events (an alias's moves with ``?alias=``)."""
        alias = self.get_query_argument("alias", None) or None
        events = self.registry().history(name, alias)
        self.finish_json({"events": [e.to_json() for e in events]})


class LineageHandler(_RegistryHandler):
    """``GET lineage?ref=REF[&reverse=1]``: what REF was made from (or what used it)."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self) -> None:
        """The lineage graph. File paths are relative to the server's root and must stay
        inside it."""
        from ...registry import lineage

        ref = self.get_query_argument("ref", "")
        reverse = self.get_query_argument("reverse", "0").lower() in ("1", "true", "yes")
        root = os.path.abspath(str(self.settings.get("server_root_dir") or os.getcwd()))
        result = lineage(self.registry(), ref, reverse=reverse, cwd=root, confine=root)
        self.finish_json(result.to_json())


class ModelGateHandler(_RegistryHandler):
    """``POST models/{name}/versions/{version}/gate``: gate a candidate."""

    @tornado.web.authenticated
    @authorized("write")
    def post(self, name: str, version: str) -> None:
        """Body ``{"against"?, "rules"?, "data"?, "bootstrap"?, "seed"?}`` -> the gate's
        result (200 whether it passed or not; ``passed`` says)."""
        body = self.body()
        if body.get("reevaluate"):
            raise InvalidArgumentError(
                "re-evaluating the champion executes its notebook: use `mlops-jupyter models "
                "gate --reevaluate` or the Python API"
            )
        rules = body.get("rules")
        if rules is not None and not isinstance(rules, list):
            raise InvalidArgumentError("'rules' must be a list")
        bootstrap = body.get("bootstrap")
        if bootstrap is not None and (
            not isinstance(bootstrap, int) or isinstance(bootstrap, bool)
        ):
            raise InvalidArgumentError("'bootstrap' must be a whole number of resamples")
        seed = body.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise InvalidArgumentError("'seed' must be a whole number")
        result = self.registry().gate(
            name,
            _version_number(version),
            against=_string(body, "against") or "champion",
            rules=rules,
            data=_string(body, "data"),
            bootstrap=bootstrap,
            seed=seed,
        )
        self.finish_json(result.to_json())


class ModelGatesHandler(_RegistryHandler):
    """``GET models/{name}/gates[?version=N&against=A]``: gate results, newest first."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self, name: str) -> None:
        """The recorded gates of a model."""
        registry = self.registry()
        registry.model(name)
        version = self.get_query_argument("version", None)
        against = self.get_query_argument("against", None) or None
        wanted = None if not version else _version_number(version)
        gates = []
        for event in reversed(registry.log.events(model=name, alias=against, kinds=["gate"])):
            if wanted is not None and event.to_version != wanted:
                continue
            details = event.details if isinstance(event.details, dict) else {}
            gates.append(
                {"gate_id": event.seq, "at": event.at, "actor": event.actor, "name": name,
                 "version": event.to_version, **details}
            )  # fmt: skip
        self.finish_json({"gates": gates})


class ModelApprovalsHandler(_RegistryHandler):
    """``POST models/{name}/approvals``: ask for approval to promote a version."""

    @tornado.web.authenticated
    @authorized("write")
    def post(self, name: str) -> None:
        """Body ``{"version", "alias", "comment"?}`` -> 201 and the request."""
        body = self.body()
        version = body.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise InvalidArgumentError("'version' must be a positive integer")
        state = self.registry().request_approval(
            name, version, _string(body, "alias", required=True) or "",
            comment=_string(body, "comment"),
        )  # fmt: skip
        self.set_status(201)
        self.finish_json(state)


class ApprovalsHandler(_RegistryHandler):
    """``GET approvals[?name=&status=&for_me=1]``: approval requests, newest first."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self) -> None:
        """Requests with their state; ``for_me=1``: pending ones the user may approve."""
        from ...registry.approvals import may_approve

        registry = self.registry()
        name = self.get_query_argument("name", None) or None
        status = self.get_query_argument("status", None) or None
        found = registry.requests(name, status=status)
        if self.get_query_argument("for_me", "0").lower() in ("1", "true", "yes"):
            found = [s for s in found if s["status"] == "pending" and may_approve(registry, s)]
        for state in found:
            state["may_approve"] = may_approve(registry, state)
        self.finish_json({"requests": found, "user": registry.actor})


class _VoteHandler(_RegistryHandler):
    verdict = "approve"

    def vote(self, request_id: str) -> None:
        body = self.body()
        comment = _string(body, "comment")
        registry = self.registry()
        if self.verdict == "approve":
            state = registry.approve(request_id, comment=comment)
        else:
            state = registry.reject(request_id, comment=comment or "")
        self.finish_json(state)


class ApproveHandler(_VoteHandler):
    """``POST approvals/{id}/approve``: approve a request (not one's own by default)."""

    verdict = "approve"

    @tornado.web.authenticated
    @authorized("write")
    def post(self, request_id: str) -> None:
        """Body ``{"comment"?}`` -> the request's state (409 when not allowed)."""
        self.vote(request_id)


class RejectHandler(_VoteHandler):
    """``POST approvals/{id}/reject``: reject a request, saying why."""

    verdict = "reject"

    @tornado.web.authenticated
    @authorized("write")
    def post(self, request_id: str) -> None:
        """Body ``{"comment"}`` (required) -> the request's state."""
        self.vote(request_id)


class ModelPromoteHandler(_RegistryHandler):
    """``POST models/{name}/promote``: move a gated alias, if the policy allows it now."""

    @tornado.web.authenticated
    @authorized("write")
    def post(self, name: str) -> None:
        """Body ``{"version", "alias", "reason"}`` -> ``{"promoted": true, "event"}``, or 409
        ``{"message", "reasons"}`` listing every missing condition (nothing moved)."""
        body = self.body()
        version = body.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise InvalidArgumentError("'version' must be a positive integer")
        event = self.registry().promote(
            name, version, _string(body, "alias", required=True) or "",
            reason=_string(body, "reason") or "",
        )  # fmt: skip
        self.finish_json({"promoted": True, "event": event.to_json()})


class ModelPolicyHandler(_RegistryHandler):
    """``GET|PUT models/{name}/policy``: the approval policy (defaults included)."""

    @tornado.web.authenticated
    @authorized("read")
    def get(self, name: str) -> None:
        """The effective policy."""
        self.finish_json({"name": name, **self.registry().policy(name).describe()})

    @tornado.web.authenticated
    @authorized("write")
    def put(self, name: str) -> None:
        """Body ``{"policy": {...} | null, "reason"?}`` -> the effective policy."""
        body = self.body()
        if "policy" not in body:
            raise InvalidArgumentError("give 'policy' (an object, or null for the defaults)")
        registry = self.registry()
        registry.set_policy(name, body["policy"], reason=_string(body, "reason"))
        self.finish_json({"name": name, **registry.policy(name).describe()})
