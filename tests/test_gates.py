"""Champion/challenger gates, approvals with separation of duties, and promotion, on SQLite
and on a real PostgreSQL server."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mlops_jupyter.errors import ConflictError, InvalidArgumentError
from mlops_jupyter.models import FileRecord, Run, RunStatus
from mlops_jupyter.registry import Registry, parse_rule
from mlops_jupyter.store import StoreLocation
from mlops_jupyter.store.base import RunStore
from mlops_jupyter.store.lifecycle import GuardRefusedError


@pytest.fixture
def alice(store: RunStore) -> Registry:
    return Registry(store, actor="alice")


@pytest.fixture
def bob(store: RunStore) -> Registry:
    return Registry(store, actor="bob")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def version(registry: Registry, metrics: dict[str, float], *, content: str) -> int:
    """A version of "churn" from a producing run with these metrics (on data "train")."""
    store = registry.store
    blob = store.blobs.put_bytes(content.encode())
    run = Run.new("train", status=RunStatus.FINISHED, metrics=metrics)
    run.artifacts = [FileRecord("model.pkl", blob, len(content))]
    run.inputs = [FileRecord("data/train.csv", sha("train"), 10)]
    store.create_run(run)
    return registry.register("churn", run=run.id).version


def evaluate(
    registry: Registry,
    number: int,
    metrics: dict[str, float],
    *,
    data: str = "march",
    predictions: tuple[list[Any], list[Any]] | None = None,
) -> Run:
    """An evaluation run: it loaded churn/number and scored it on data/<data>.csv."""
    store = registry.store
    run = Run.new("eval", status=RunStatus.FINISHED, metrics=metrics)
    run.inputs = [FileRecord(f"data/{data}.csv", sha(data), 10)]
    run.extra["models_loaded"] = [f"churn/{number}"]
    if predictions is not None:
        body = json.dumps({"y_true": predictions[0], "y_pred": predictions[1]}).encode()
        run.extra["predictions"] = {"sha256": store.blobs.put_bytes(body), "n": len(predictions[0])}
    store.create_run(run)
    return run


AUC = ["auc:higher,min=0.7,abs=0.01"]


def champion_v1(alice: Registry, bob: Registry) -> None:
    """churn/1 is @champion, promoted through a gate and bob's approval."""
    version(alice, {"auc": 0.80}, content="v1")
    evaluate(alice, 1, {"auc": 0.80})
    assert alice.gate("churn", 1, rules=AUC).passed  # no champion yet: bounds only
    request = alice.request_approval("churn", 1, "champion")
    bob.approve(request["id"], comment="looks fine")
    alice.promote("churn", 1, "champion", reason="first model")


# -- rules ------------------------------------------------------------------------------------


def test_rules_parse_from_text_and_json() -> None:
    rule = parse_rule("rmse:lower,max=3.5,rel=5%,abs=0.1")
    assert (rule.metric, rule.greater_is_better, rule.max) == ("rmse", False, 3.5)
    assert rule.min_relative_change == pytest.approx(0.05) and rule.min_absolute_change == 0.1
    assert parse_rule('{"metric": "auc", "min": 0.8}').min == 0.8
    for bad in ("auc:sideways", "auc,foo=1", "auc,min=x", "", "auc,abs=-1", '{"min": 1}'):
        with pytest.raises(InvalidArgumentError):
            parse_rule(bad)


# -- gates ------------------------------------------------------------------------------------


def test_first_version_is_checked_against_bounds_only(alice: Registry) -> None:
    version(alice, {"auc": 0.65}, content="v1")
    result = alice.gate("churn", 1, rules=AUC)
    assert not result.passed and result.same_eval_data is None
    assert result.reasons == ["auc 0.65 is below the minimum 0.7"]
    assert result.candidate is not None and result.candidate.source == "producing run"


def test_candidate_beats_the_champion_on_the_same_data(alice: Registry, bob: Registry) -> None:
    champion_v1(alice, bob)
    version(alice, {"auc": 0.99}, content="v2")  # its training metric is not what counts
    evaluate(alice, 2, {"auc": 0.805})
    small = alice.gate("churn", 2, rules=AUC)
    assert not small.passed and small.same_eval_data is True
    assert "not enough better" in small.reasons[0] and small.against_version == 1
    evaluate(alice, 2, {"auc": 0.83})
    result = alice.gate("churn", 2, rules=AUC)
    assert result.passed, result.reasons
    row = result.deltas["auc"]
    assert row["candidate"] == 0.83 and row["champion"] == 0.80
    assert row["delta"] == pytest.approx(0.03) and row["relative"] == pytest.approx(0.0375)
    data = result.to_json()
    assert data["same_eval_data"] is True and data["candidate"]["source"] == "evaluation"
    assert data["gate_id"] == result.event.seq if result.event else False
    worse = alice.gate("churn", 2, rules=["auc:lower"])
    assert not worse.passed and "worse than the champion" in worse.reasons[0]


def test_gate_refuses_to_compare_on_different_data(alice: Registry, bob: Registry) -> None:
    champion_v1(alice, bob)
    version(alice, {"auc": 0.9}, content="v2")
    evaluate(alice, 2, {"auc": 0.95}, data="april")
    result = alice.gate("churn", 2, rules=AUC)
    assert not result.passed and result.same_eval_data is False and result.deltas == {}
    (reason,) = result.reasons
    assert reason.startswith("refused to compare")
    assert sha("april")[:12] in reason and sha("march")[:12] in reason
    assert "data/april.csv" in reason and "data/march.csv" in reason
    # An evaluation of the champion on the candidate's data is preferred when there is one.
    evaluate(alice, 1, {"auc": 0.85}, data="april")
    again = alice.gate("churn", 2, rules=AUC)
    assert again.passed and again.deltas["auc"]["champion"] == 0.85


def test_a_version_is_never_compared_with_itself(alice: Registry, bob: Registry) -> None:
    champion_v1(alice, bob)
    result = alice.gate("churn", 1, rules=AUC)
    assert not result.passed and "already holds @champion" in result.reasons[0]


def test_bootstrap_tells_an_improvement_from_noise(alice: Registry, bob: Registry) -> None:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 400)

    def predictions(correct: float) -> list[int]:
        return np.where(rng.random(400) < correct, y, 1 - y).tolist()

    version(alice, {"accuracy": 0.8}, content="v1")
    evaluate(alice, 1, {"accuracy": 0.8}, predictions=(y.tolist(), predictions(0.80)))
    alice.set_policy("churn", {"aliases": {"champion": {"gate": True, "approvals": 0}}})
    assert alice.gate("churn", 1, rules=["accuracy"]).passed
    alice.promote("churn", 1, "champion", reason="first")
    version(alice, {"accuracy": 0.9}, content="v2")
    evaluate(alice, 2, {"accuracy": 0.95}, predictions=(y.tolist(), predictions(0.95)))
    clear = alice.gate("churn", 2, rules=["accuracy"], bootstrap=500, seed=1)
    assert clear.passed, clear.reasons
    assert clear.bootstrap["accuracy"]["low"] > 0
    version(alice, {"accuracy": 0.9}, content="v3")
    evaluate(alice, 3, {"accuracy": 0.81}, predictions=(y.tolist(), predictions(0.81)))
    noise = alice.gate("churn", 3, rules=["accuracy"], bootstrap=500, seed=1)
    assert not noise.passed
    assert any("not significant" in r for r in noise.reasons), noise.reasons
    same_seed = alice.gate("churn", 3, rules=["accuracy"], bootstrap=500, seed=1)
    assert same_seed.bootstrap == noise.bootstrap  # seeded: the same interval again
    version(alice, {"accuracy": 0.9}, content="v4")
    evaluate(alice, 4, {"accuracy": 0.97})  # no predictions
    missing = alice.gate("churn", 4, rules=["accuracy"], bootstrap=200)
    assert any("per-example predictions" in r for r in missing.reasons)


def test_gates_need_rules(alice: Registry) -> None:
    version(alice, {"auc": 0.9}, content="v1")
    with pytest.raises(InvalidArgumentError, match="no rules"):
        alice.gate("churn", 1)
    alice.set_policy("churn", {"aliases": {"champion": {"gate": True, "rules": ["auc:higher"]}}})
    assert alice.gate("churn", 1).rules[0].metric == "auc"


# -- approvals and promotion ------------------------------------------------------------------


def test_refused_promotion_moves_nothing_and_lists_every_reason(
    alice: Registry, bob: Registry
) -> None:
    champion_v1(alice, bob)
    version(alice, {"auc": 0.9}, content="v2")
    evaluate(alice, 2, {"auc": 0.7})
    alice.gate("churn", 2, rules=AUC)  # fails: worse than the champion
    with pytest.raises(GuardRefusedError) as info:
        alice.promote("churn", 2, "champion", reason="please")
    reasons = info.value.reasons
    assert len(reasons) == 2
    assert reasons[0].startswith("the latest gate (gate ") and "failed" in reasons[0]
    assert "nobody asked" in reasons[1]
    assert alice.log.aliases("churn") == {"champion": 1}
    refused = alice.history("churn")[-1]
    assert refused.kind == "promotion_refused" and refused.details["reasons"] == reasons


def test_self_approval_is_refused_and_a_changed_gate_voids_approvals(
    alice: Registry, bob: Registry
) -> None:
    champion_v1(alice, bob)
    version(alice, {"auc": 0.9}, content="v2")
    evaluate(alice, 2, {"auc": 0.85})
    assert alice.gate("churn", 2, rules=AUC).passed
    request = alice.request_approval("churn", 2, "champion", comment="beats v1 by 5 points")
    with pytest.raises(ConflictError, match="own request"):
        alice.approve(request["id"])
    with pytest.raises(ConflictError, match="already pending"):
        alice.request_approval("churn", 2, "champion")
    approved = bob.approve(request["id"], comment="ok")
    assert approved["status"] == "approved" and approved["counted"] == 1
    with pytest.raises(ConflictError, match="already voted"):
        bob.approve(request["id"])
    # New evaluation, new gate result: the approval was for another result.
    evaluate(alice, 2, {"auc": 0.95})
    assert alice.gate("churn", 2, rules=AUC).passed
    assert alice.requests("churn", status="void")[0]["id"] == request["id"]
    with pytest.raises(GuardRefusedError) as info:
        alice.promote("churn", 2, "champion", reason="now")
    assert info.value.reasons == [
        f"needs 1 approval(s): request {request['id']} is void: the version's gate result "
        "changed since it was asked"
    ]
    fresh = alice.request_approval("churn", 2, "champion")
    bob.approve(fresh["id"])
    event = alice.promote("churn", 2, "champion", reason="beats v1")
    assert event.kind == "promotion" and event.details["request"] == fresh["id"]
    assert event.details["approvals"] == ["bob"] and alice.log.aliases("churn")["champion"] == 2
    assert alice.requests("churn")[0]["status"] == "used"
    # Rollback needs no gate, and says why.
    back = alice.rollback("churn", "champion", reason="v2 misbehaves in production")
    assert back.to_version == 1


def test_rejection_expiry_approvers_and_a_stale_gate(
    alice: Registry, bob: Registry, store: RunStore
) -> None:
    champion_v1(alice, bob)
    version(alice, {"auc": 0.9}, content="v2")
    evaluate(alice, 2, {"auc": 0.9})
    alice.gate("churn", 2, rules=AUC)
    request = alice.request_approval("churn", 2, "champion")
    with pytest.raises(InvalidArgumentError, match="says why"):
        bob.reject(request["id"], comment=" ")
    bob.reject(request["id"], comment="not on a Friday")
    with pytest.raises(GuardRefusedError, match="rejected: bob: not on a Friday"):
        alice.promote("churn", 2, "champion", reason="x")
    alice.set_policy(
        "churn",
        {"aliases": {"champion": {"gate": True, "approvals": 1, "approvers": ["carol"]}},
         "expiry_days": 0.00002},
    )  # fmt: skip
    request = alice.request_approval("churn", 2, "champion")
    with pytest.raises(ConflictError, match="not among the approvers"):
        bob.approve(request["id"])
    time.sleep(2)
    assert alice.requests("churn")[0]["status"] == "expired"
    with pytest.raises(ConflictError, match="expired"):
        Registry(store, actor="carol").approve(request["id"])
    # A gate against a holder that has moved since is stale.
    alice.set_policy("churn", {"aliases": {"champion": {"gate": True, "approvals": 0}}})
    version(alice, {"auc": 0.9}, content="v3")
    evaluate(alice, 3, {"auc": 0.95})
    assert alice.gate("churn", 3, rules=AUC).passed
    alice.promote("churn", 2, "champion", reason="v2 first")
    with pytest.raises(
        GuardRefusedError, match="compared against version 1, but @champion now holds version 2"
    ):
        alice.promote("churn", 3, "champion", reason="then v3")


def test_a_protected_alias_moves_only_by_promotion(alice: Registry, bob: Registry) -> None:
    version(alice, {"auc": 0.9}, content="v1")
    alice.set_alias("churn", "champion", 1, reason="no policy yet: a plain move")
    alice.set_policy("churn", {"aliases": {"production": {"approvals": 1}}})
    with pytest.raises(ConflictError, match="protected"):
        alice.set_alias("churn", "production", 1, reason="sneaky")
    request = alice.request_approval("churn", 1, "production")
    bob.approve(request["id"])
    assert alice.promote("churn", 1, "production", reason="ship it").to_version == 1
    with pytest.raises(InvalidArgumentError):
        alice.set_policy("churn", {"aliases": {"production": {"approvals": -1}}})
    with pytest.raises(InvalidArgumentError, match="unknown policy keys"):
        alice.set_policy("churn", {"aliases": {"production": {"aprovals": 1}}})


CONCURRENT_PROMOTER = r"""
import sys, time
from pathlib import Path
from mlops_jupyter.registry import Registry
from mlops_jupyter.store import StoreLocation, open_store
from mlops_jupyter.store.lifecycle import GuardRefusedError
url, blobs, go, version = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
store = open_store(StoreLocation(url, blobs, "test"))
registry = Registry(store, actor=f"kernel-{version}")
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
try:
    registry.promote("churn", version, "champion", reason=f"promote v{version}")
    print("promoted", flush=True)
except GuardRefusedError as exc:
    print("refused", flush=True)
store.close()
"""


def test_two_kernels_promoting_at_once_leave_one_consistent_alias(
    alice: Registry, bob: Registry, location: StoreLocation, tmp_path: Path
) -> None:
    champion_v1(alice, bob)
    for number, auc in ((2, 0.9), (3, 0.92)):
        version(alice, {"auc": 0.9}, content=f"v{number}")
        evaluate(alice, number, {"auc": auc})
        assert alice.gate("churn", number, rules=AUC).passed
        bob.approve(alice.request_approval("churn", number, "champion")["id"])
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CONCURRENT_PROMOTER,
                location.db_url,
                location.blob_root,
                str(go),
                str(n),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in (2, 3)
    ]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    go.touch()
    outcomes = []
    for worker in workers:
        assert worker.stdout is not None
        outcomes.append(worker.stdout.read().strip())
        assert worker.wait(timeout=120) == 0
        worker.stdout.close()
    assert sorted(outcomes) == ["promoted", "refused"]  # both gates compared against v1
    attempts = [
        e for e in alice.history("churn")
        if e.kind in ("promotion", "promotion_refused") and e.to_version in (2, 3)
    ]  # fmt: skip
    assert sorted(e.kind for e in attempts) == ["promotion", "promotion_refused"]
    winner = next(e for e in attempts if e.kind == "promotion")
    assert alice.log.aliases("churn")["champion"] == winner.to_version
    assert alice.log.verify_log() == []


# -- the CLI ----------------------------------------------------------------------------------


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    from mlops_jupyter.cli import main

    capsys.readouterr()
    status = main([*argv, "--json"])
    out = capsys.readouterr().out
    return status, json.loads(out)


def test_cli_contract(
    isolated_store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlops_jupyter.store import get_store

    store = get_store()
    monkeypatch.setenv("MLOPS_JUPYTER_USER", "alice")
    registry = Registry(store)
    version(registry, {"auc": 0.8}, content="v1")
    evaluate(registry, 1, {"auc": 0.8})
    status, gate = cli(capsys, "models", "gate", "churn", "1", "--against", "champion",
                       "--rule", "auc:higher,min=0.9")  # fmt: skip
    assert status == 1 and gate["passed"] is False and gate["same_eval_data"] is None
    assert gate["reasons"] == ["auc 0.8 is below the minimum 0.9"]
    status, gate = cli(capsys, "models", "gate", "churn", "1", "--rule", "auc:higher,min=0.7")
    assert status == 0 and gate["passed"] is True and isinstance(gate["gate_id"], int)
    status, refused = cli(capsys, "models", "promote", "churn", "1", "--alias", "champion",
                          "--reason", "first")  # fmt: skip
    assert status == 1 and refused["promoted"] is False and len(refused["reasons"]) == 1
    status, request = cli(capsys, "models", "request-approval", "churn", "1", "--alias", "champion")
    assert status == 0 and len(request["id"]) == 12 and request["status"] == "pending"
    status, answer = cli(capsys, "models", "approve", request["id"])
    assert status == 1 and "own request" in answer["error"]
    monkeypatch.setenv("MLOPS_JUPYTER_USER", "bob")
    status, approved = cli(capsys, "models", "approve", request["id"], "--comment", "ok")
    assert status == 0 and approved["status"] == "approved"
    status, promoted = cli(capsys, "models", "promote", "churn", "1", "--alias", "champion",
                           "--reason", "first")  # fmt: skip
    assert status == 0 and promoted["promoted"] is True and promoted["version"] == 1
    status, listing = cli(capsys, "models", "requests", "churn")
    assert [r["status"] for r in listing["requests"]] == ["used"]
    status, policy = cli(capsys, "models", "policy", "churn", "--alias", "champion",
                         "--approvals", "2", "--approvers", "carol,dan")  # fmt: skip
    assert status == 0 and policy["aliases"]["champion"]["approvers"] == ["carol", "dan"]
    assert policy["aliases"]["champion"]["protected"] is True and policy["explicit"] is True
    status, error = cli(capsys, "models", "reject", "nope", "--comment", "x")
    assert status == 2 and "no approval request" in error["error"]
    status, error = cli(capsys, "models", "gate", "churn", "1", "--rule", "auc:sideways")
    assert status == 2
