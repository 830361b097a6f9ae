"""api/openapi.yaml describes exactly the routes the server registers, and the whole Run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from mlops_jupyter.models import Run
from mlops_jupyter.server.handlers import ROUTES, URL_PREFIX

SPEC = Path(__file__).resolve().parent.parent / "api" / "openapi.yaml"
VERBS = ("get", "post", "put", "patch", "delete")


def _spec() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return data


def _route_path(pattern: str) -> str:
    """``runs/(?P<run_id>[^/]+)/metrics`` -> ``/runs/{run_id}/metrics``."""
    return "/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern)


def test_spec_and_routes_have_the_same_paths_and_verbs() -> None:
    spec = _spec()
    assert spec["servers"][0]["url"] == f"/{URL_PREFIX}"
    documented = {
        (path, verb) for path, item in spec["paths"].items() for verb in VERBS if verb in item
    }
    registered = {
        (_route_path(pattern), verb)
        for pattern, handler in ROUTES
        for verb in VERBS
        if next(k for k in handler.__mro__ if verb in vars(k)).__module__.startswith(
            "mlops_jupyter."
        )
    }
    assert documented == registered, (
        f"only in the spec: {sorted(documented - registered)}; "
        f"only registered: {sorted(registered - documented)}"
    )


def test_run_schema_lists_every_field_of_run_to_json() -> None:
    schema = _spec()["components"]["schemas"]["Run"]
    emitted = set(Run.new("exp").to_json())
    assert set(schema["properties"]) == emitted
    assert set(schema["required"]) <= emitted
