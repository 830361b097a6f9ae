"""The server extension: status endpoint, errors, and authentication of every route."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest
import tornado.httpclient
import tornado.web
import yaml

from mlops_jupyter import __version__
from mlops_jupyter.server.handlers import ROUTES, BaseHandler

HTTP_VERBS = ("GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS")
SPEC = Path(__file__).resolve().parent.parent / "api" / "openapi.yaml"


async def test_status_with_token(jp_fetch: Any, isolated_store: Any) -> None:
    response = await jp_fetch("mlops-jupyter", "api", "status")
    assert response.code == 200
    body = json.loads(response.body)
    assert body["version"] == __version__
    assert body["store"]["location"] == str(isolated_store)
    assert body["store"]["kind"] == "sqlite"


async def test_status_without_token_is_forbidden(jp_fetch: Any) -> None:
    with pytest.raises(tornado.httpclient.HTTPClientError) as info:
        await jp_fetch("mlops-jupyter", "api", "status", headers={"Authorization": ""})
    assert info.value.code == 403


async def test_store_traitlet_wins_over_environment(
    jp_fetch: Any, jp_serverapp: Any, tmp_path: Any
) -> None:
    app = jp_serverapp.extension_manager.extension_apps["mlops_jupyter"]
    app_instance = next(iter(app))
    app_instance.store = str(tmp_path / "team-store")
    response = await jp_fetch("mlops-jupyter", "api", "status")
    assert json.loads(response.body)["store"]["location"] == str(tmp_path / "team-store")


def _our_routes(app: Any) -> list[tuple[str, type[tornado.web.RequestHandler]]]:
    """Every (pattern, handler) the running server has for our handler classes."""
    found: list[tuple[str, type[tornado.web.RequestHandler]]] = []

    def walk(router: Any) -> None:
        for rule in getattr(router, "rules", []):
            target = rule.target
            if isinstance(target, type) and issubclass(target, BaseHandler):
                found.append((rule.matcher.regex.pattern, target))
            elif hasattr(target, "rules"):
                walk(target)

    walk(app.web_app.default_router)
    walk(app.web_app.wildcard_router)
    return found


def _sample_path(pattern: str) -> str:
    """A concrete URL path for a route regex (each group filled with a plausible id)."""
    path = re.sub(r"\(\?P<\w+>[^)]*\)|\([^)]*\)", "0123456789abcdef0123456789abcdef", pattern)
    return path.rstrip("$").replace("\\", "")


def _verbs(handler: type[tornado.web.RequestHandler]) -> list[str]:
    """The HTTP verbs implemented by our own classes (APIHandler's CORS preflight
    ``OPTIONS`` is jupyter_server's, deliberately open and answering nothing)."""
    verbs = []
    for verb in HTTP_VERBS:
        owner = next(k for k in handler.__mro__ if verb.lower() in vars(k))
        if owner.__module__.startswith("mlops_jupyter."):
            verbs.append(verb)
    return verbs


async def test_every_route_and_verb_requires_authentication(
    jp_serverapp: Any, http_server_client: Any, jp_base_url: str
) -> None:
    routes = _our_routes(jp_serverapp)
    registered = {handler for _, handler in routes}
    assert registered == {handler for _, handler in ROUTES}, "a route in ROUTES is not registered"
    checked = 0
    for pattern, handler in routes:
        for verb in _verbs(handler):
            body = b"{}" if verb in ("POST", "PUT", "PATCH") else None
            response = await http_server_client.fetch(
                _sample_path(pattern), method=verb, body=body, raise_error=False
            )
            assert response.code == 403, (
                f"{verb} {pattern} answered {response.code} without a token"
            )
            checked += 1
    assert checked >= len(ROUTES)


def test_every_verb_is_decorated_with_authenticated() -> None:
    """Even with allow_unauthenticated_access=True (the server default) no verb may be open."""
    for _, handler in ROUTES:
        for verb in _verbs(handler):
            method = getattr(handler, verb.lower())
            # tornado.web.authenticated wraps with functools.wraps: the wrapper's code lives in
            # tornado/web.py while the wrapped function is ours.
            assert hasattr(method, "__wrapped__"), f"{handler.__name__}.{verb} is not decorated"
            assert method.__code__.co_filename.endswith("tornado/web.py"), (
                f"{handler.__name__}.{verb} is not wrapped by tornado.web.authenticated"
            )


def test_every_verb_is_authorized_with_an_explicit_action() -> None:
    """Each verb declares resource and action (JupyterHub scopes, read-only authorizers):
    ``read`` for reads, ``execute`` for what runs code, ``write`` for other changes; the
    OpenAPI spec says the same action (``x-auth-action``)."""
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))["paths"]
    for pattern, handler in ROUTES:
        assert handler.auth_resource == "mlops-jupyter", handler.__name__
        for verb in _verbs(handler):
            name = f"{handler.__name__}.{verb}"
            # @tornado.web.authenticated outermost, then jupyter_server's @authorized.
            inner = getattr(getattr(handler, verb.lower()), "__wrapped__", None)
            assert inner is not None, f"{name} is not decorated"
            assert Path(inner.__code__.co_filename).parts[-3:] == (
                "jupyter_server",
                "auth",
                "decorator.py",
            ), f"{name} is not decorated with @authorized under @tornado.web.authenticated"
            action = inspect.getclosurevars(inner).nonlocals.get("action")
            assert action in ("read", "write", "execute"), f"{name}: no explicit action"
            if verb in ("GET", "HEAD"):
                assert action == "read", f"{name} reads: its action must be read"
            else:
                assert action != "read", f"{name} changes state: its action cannot be read"
            path = "/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern)
            documented = spec[path][verb.lower()].get("x-auth-action")
            assert documented == action, f"{name}: api/openapi.yaml says {documented!r}"


async def test_server_starts_and_explains_a_corrupted_store(
    jp_fetch: Any, isolated_store: Any
) -> None:
    # The store is opened lazily, per request: a corrupted database must not stop Jupyter
    # from starting, and every request says which file is damaged, without touching it.
    db = isolated_store / "runs.db"
    garbage = b"definitely not SQLite " * 512
    db.write_bytes(garbage)

    status = await jp_fetch("mlops-jupyter", "api", "status")
    assert status.code == 200
    with pytest.raises(tornado.httpclient.HTTPClientError) as info:
        await jp_fetch("mlops-jupyter", "api", "runs")
    assert info.value.code == 500
    assert info.value.response is not None
    message = json.loads(info.value.response.body)["message"]
    assert str(db) in message and "corrupted" in message and "NOT overwritten" in message
    assert "Traceback" not in message
    # Jupyter's own API is unaffected, and the file was neither repaired nor replaced.
    contents = await jp_fetch("api", "contents")
    assert contents.code == 200
    assert db.read_bytes() == garbage
