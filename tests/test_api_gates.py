"""REST: gates, approval requests and votes with real user identities, promotion (409 with
every reason), policies."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from _api_helpers import fetch

from mlops_jupyter.models import FileRecord, Run, RunStatus
from mlops_jupyter.registry import Registry
from mlops_jupyter.store import get_store


@pytest.fixture
def jp_server_config(isolated_store: Any) -> dict[str, Any]:
    return {
        "ServerApp": {
            "jpserver_extensions": {"mlops_jupyter": True},
            "allow_unauthenticated_access": False,
            "identity_provider_class": "_identity.HeaderIdentityProvider",
        }
    }


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def versions_with_evaluations() -> None:
    store = get_store()
    registry = Registry(store, actor="trainer")
    for number, auc in ((1, 0.80), (2, 0.86)):
        blob = store.blobs.put_bytes(f"model {number}".encode())
        run = Run.new("train", status=RunStatus.FINISHED, metrics={"auc": auc})
        run.artifacts = [FileRecord("model.pkl", blob, 7)]
        store.create_run(run)
        registry.register("churn", run=run.id)
        evaluation = Run.new("eval", status=RunStatus.FINISHED, metrics={"auc": auc})
        evaluation.inputs = [FileRecord("data/march.csv", sha("march"), 10)]
        evaluation.extra["models_loaded"] = [f"churn/{number}"]
        store.create_run(evaluation)
    registry.set_policy("churn", {"aliases": {"champion": {"gate": True, "approvals": 1}}})


async def call(
    jp_fetch: Any, user: str, *parts: str, body: Any = None, **kwargs: Any
) -> tuple[int, Any]:
    kwargs.setdefault("method", "POST" if body is not None else "GET")
    headers = {"X-Test-User": user, "Content-Type": "application/json"}
    return await fetch(
        jp_fetch, *parts, headers=headers, body=None if body is None else json.dumps(body), **kwargs
    )


async def test_gate_request_approve_and_promote_over_rest(jp_fetch: Any) -> None:
    versions_with_evaluations()
    rule = ["auc:higher,min=0.7,abs=0.01"]
    code, gate1 = await call(
        jp_fetch, "alice", "models", "churn", "versions", "1", "gate", body={"rules": rule}
    )
    assert code == 200 and gate1["passed"] and gate1["same_eval_data"] is None
    code, refused = await call(
        jp_fetch, "alice", "models", "churn", "promote",
        body={"version": 1, "alias": "champion", "reason": "first"},
    )  # fmt: skip
    assert code == 409 and refused["reasons"] == [
        "needs 1 approval(s) and nobody asked: run `mlops-jupyter models request-approval "
        "churn 1 --alias champion`"
    ]
    code, request = await call(
        jp_fetch, "alice", "models", "churn", "approvals", body={"version": 1, "alias": "champion"}
    )
    assert code == 201 and request["requester"] == "alice" and request["status"] == "pending"
    code, mine = await call(jp_fetch, "alice", "approvals", params={"for_me": "1"})
    assert mine["requests"] == [] and mine["user"] == "alice"
    code, theirs = await call(jp_fetch, "bob", "approvals", params={"for_me": "1"})
    assert [r["id"] for r in theirs["requests"]] == [request["id"]]
    assert theirs["requests"][0]["may_approve"] is True
    code, answer = await call(jp_fetch, "alice", "approvals", request["id"], "approve", body={})
    assert code == 409 and "own request" in answer["message"]
    code, approved = await call(
        jp_fetch, "bob", "approvals", request["id"], "approve", body={"comment": "ok"}
    )
    assert code == 200 and approved["status"] == "approved"
    assert approved["approvals"][0]["identity"] == "authenticated"
    code, promoted = await call(
        jp_fetch, "alice", "models", "churn", "promote",
        body={"version": 1, "alias": "champion", "reason": "first"},
    )  # fmt: skip
    assert code == 200 and promoted["promoted"] and promoted["event"]["actor"] == "alice"

    code, gate2 = await call(
        jp_fetch, "alice", "models", "churn", "versions", "2", "gate", body={"rules": rule}
    )
    assert gate2["passed"] and gate2["same_eval_data"] is True
    assert gate2["deltas"]["auc"]["delta"] == pytest.approx(0.06)
    code, model = await call(jp_fetch, "alice", "models", "churn")
    badge = model["versions"][0]["gate"]
    assert (
        model["versions"][0]["version"] == 2
        and badge["passed"]
        and badge["gate_id"] == gate2["gate_id"]
    )
    code, gates = await call(jp_fetch, "alice", "models", "churn", "gates", params={"version": "2"})
    assert [g["gate_id"] for g in gates["gates"]] == [gate2["gate_id"]]
    code, direct = await call(
        jp_fetch, "alice", "models", "churn", "aliases", "champion",
        body={"version": 2, "reason": "skip the gate"}, method="PUT",
    )  # fmt: skip
    assert code == 409 and "protected" in direct["message"]


async def test_rest_never_takes_the_actor_from_the_body(jp_fetch: Any) -> None:
    versions_with_evaluations()
    code, answer = await call(
        jp_fetch, "alice", "models", "churn", "approvals",
        body={"version": 1, "alias": "champion", "actor": "boss"},
    )  # fmt: skip
    assert code == 400 and "authenticated user" in answer["message"]


async def test_policy_over_rest(jp_fetch: Any) -> None:
    versions_with_evaluations()
    code, policy = await call(jp_fetch, "alice", "models", "churn", "policy")
    assert code == 200 and policy["aliases"]["champion"]["approvals"] == 1
    assert policy["aliases"]["production"]["gate"] is True  # a default
    code, changed = await call(
        jp_fetch, "alice", "models", "churn", "policy", method="PUT",
        body={"policy": {"aliases": {"champion": {"approvals": 2, "approvers": ["bob", "carol"]}}}},
    )  # fmt: skip
    assert code == 200 and changed["aliases"]["champion"]["approvers"] == ["bob", "carol"]
    code, _ = await call(
        jp_fetch, "alice", "models", "churn", "policy", method="PUT",
        body={"policy": {"aliases": {"champion": {"approvals": "two"}}}},
    )  # fmt: skip
    assert code == 400
    history = Registry(get_store()).history("churn")
    assert [e.actor for e in history if e.kind == "policy_set"][-1] == "alice"
