"""Models, gates, approval requests and drift checks written into the Galata server's store.

The browser tests call this script (``helpers/models.ts``) with the store of the running
server (``MLOPS_JUPYTER_STORE``) to set up what a spec needs through the store's and the
registry's own APIs -- as kernels, the CLI and teammates would have -- in a second instead of
training models in a kernel. Acting as another user (``bob``) is how a spec gets a request
that the browser's user may approve: over REST the actor is always the authenticated user.

    python seed_models.py lifecycle NAME     # v1 @champion, v2 (same evaluation data), v3 (other data, gate refused)
    python seed_models.py request NAME       # lifecycle, v2 gated, and bob asks to promote it
    python seed_models.py approve ID ACTOR   # ACTOR approves request ID
    python seed_models.py move NAME ALIAS VERSION ACTOR   # ACTOR moves NAME@ALIAS (behind a page's back)
    python seed_models.py drift NAME         # NAME/1 @champion trained on a logged frame, three checks
    python seed_models.py trigger NAME       # lifecycle, trigger NAME on it, one firing whose gate failed
    python seed_models.py firing NAME        # another firing of trigger NAME, which failed at a cell

Each prints a JSON object (what a spec needs: ids, versions).
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import timedelta
from typing import Any

from mlops_jupyter.models import FileRecord, GitInfo, Run, RunStatus, utcnow
from mlops_jupyter.registry import Registry
from mlops_jupyter.store import get_store

#: A model's quality per version and the evaluation data it was scored on.
VERSIONS = (("1", 0.80, "data/march.csv"), ("2", 0.86, "data/march.csv"), ("3", 0.91, "data/feb.csv"))

RULE = "auc:higher,min=0.7,abs=0.01"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _training_run(
    store: Any, name: str, number: str, auc: float, frames: tuple[FileRecord, ...] = ()
) -> Run:
    started = utcnow() - timedelta(hours=10 - int(number))
    model = store.blobs.put_bytes(f"{name} model {number}\n".encode() * 8)
    run = Run.new(
        f"models/{name}/train.ipynb",
        name=f"train-{name}",
        status=RunStatus.FINISHED,
        started_at=started,
        ended_at=started + timedelta(seconds=42),
        params={"C": float(number), "solver": "lbfgs"},
        metrics={"auc": auc, "log_loss": round(0.9 - auc / 2, 4)},
        source=f"%%track --name train-{name}\nC = {number}\nmodel = fit(C)",
        git=GitInfo(root="/srv/project", commit=_sha(f"commit {number}")[:40], branch="main"),
        inputs=[FileRecord("data/train.csv", _sha("train.csv"), 48_213, cell=2), *frames],
        artifacts=[FileRecord("model.pkl", model, len(f"{name} model {number}\n".encode() * 8))],
    )
    store.create_run(run)
    return run


def _evaluation_run(store: Any, name: str, number: str, auc: float, data: str) -> Run:
    run = Run.new(
        f"models/{name}/evaluate.ipynb",
        name=f"evaluate-{name}",
        status=RunStatus.FINISHED,
        metrics={"auc": auc, "log_loss": round(0.9 - auc / 2, 4)},
        inputs=[FileRecord(data, _sha(data), 1_024)],
        extra={"models_loaded": [f"{name}/{number}"]},
    )
    store.create_run(run)
    return run


def lifecycle(name: str) -> dict[str, Any]:
    """Three versions by alice; v1 is @champion; v3 was scored on other data (gate refused)."""
    store = get_store()
    alice = Registry(store, actor="alice")
    for number, auc, data in VERSIONS:
        run = _training_run(store, name, number, auc)
        alice.register(name, run=run.id, description=f"logistic regression, C={number}")
        _evaluation_run(store, name, number, auc, data)
    alice.set_alias(name, "champion", 1, reason="first model in production")
    refused = alice.gate(name, 3, against="champion", rules=[RULE])
    return {"name": name, "refused_gate": refused.to_json()["gate_id"]}


def request(name: str) -> dict[str, Any]:
    """``lifecycle``, then bob gates v2 against @champion and asks to promote it."""
    seeded = lifecycle(name)
    bob = Registry(get_store(), actor="bob", identity="authenticated")
    bob.gate(name, 2, against="champion", rules=[RULE])
    state = bob.request_approval(name, 2, "champion", comment="beats v1 on March data")
    return {**seeded, "request": state["id"]}


def approve(request_id: str, actor: str) -> dict[str, Any]:
    """``actor`` approves a request."""
    state = Registry(get_store(), actor=actor, identity="authenticated").approve(
        request_id, comment="checked the March numbers"
    )
    return {"request": state["id"], "status": state["status"]}


def move(name: str, alias: str, version: str, actor: str) -> dict[str, Any]:
    """``actor`` points ``name@alias`` at ``version``, as a teammate's kernel would."""
    event = Registry(get_store(), actor=actor).set_alias(
        name, alias, int(version), reason=f"{actor} moved it from a kernel"
    )
    return {"seq": event.seq}


def _frame(rows: int, shift: float = 0.0, seed: int = 0, plans: Any = None) -> Any:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    names, shares = plans or (["basic", "pro", "team"], [0.6, 0.3, 0.1])
    return pd.DataFrame(
        {
            "age": rng.normal(40 + shift * 10, 10, rows),
            "income": rng.lognormal(10, 0.5, rows),
            "plan": rng.choice(names, rows, p=shares),
        }
    )


def drift(name: str) -> dict[str, Any]:
    """NAME/1 @champion trained on a logged ``train`` frame, and three recorded checks against
    it: a shifted batch with a new category (drift), a batch without ``income`` and a 50-row
    batch (insufficient data)."""
    from mlops_jupyter.drift import profile_frame
    from mlops_jupyter.drift.record import check

    store = get_store()
    profile = profile_frame(_frame(5_000), name="train")
    blob = store.blobs.put_bytes(profile.dumps().encode())
    frame = FileRecord(
        "train", profile.digest.removeprefix("sha256:"), profile.rows, kind="frame",
        via="log_input", profile_sha256=blob,
    )  # fmt: skip
    run = _training_run(store, name, "1", 0.8, (frame,))
    registry = Registry(store, actor="alice")
    registry.register(name, run=run.id)
    registry.set_alias(name, "champion", 1, reason="first")
    drifted = check(
        _frame(3_000, shift=1.5, seed=1, plans=(["basic", "pro", "team", "enterprise"], [0.45, 0.3, 0.1, 0.15])),
        f"{name}@champion", store=store, actor="alice", batch_name="april.csv",
    )  # fmt: skip
    schema = check(
        _frame(2_000, seed=2).drop(columns=["income"]), f"{name}@champion", store=store,
        actor="alice", batch_name="may.csv",
    )  # fmt: skip
    tiny = check(_frame(50, seed=3), f"{name}@champion", store=store, actor="bob", batch_name="tiny.csv")
    return {
        "name": name,
        "drift": drifted.check_id,
        "schema": schema.check_id,
        "insufficient": tiny.check_id,
    }


def _monitor() -> Any:
    from mlops_jupyter.triggers import Monitor

    return Monitor(get_store(), actor="monitor (ci)")


def _fire(name: str, summary: str, outcome: str, **recorded: Any) -> dict[str, Any]:
    """Fire trigger ``name`` as ``Monitor.evaluate`` does -- claim the firing (its cause's key
    unique in the store), then record what came of it -- without executing a retrain."""
    from mlops_jupyter.triggers import Cause, Firing

    monitor = _monitor()
    trigger = monitor.get(name)
    cause = Cause(key=f"seed:{name}:{utcnow().isoformat()}", summary=summary)
    event = monitor.claim(trigger, cause)
    if event is None:
        raise SystemExit(f"trigger {name} did not fire (cooling down?)")
    firing = Firing(trigger.name, cause.summary, event.seq, key=cause.key)
    firing.outcome = outcome
    for key, value in recorded.items():
        setattr(firing, key, value)
    monitor.record_outcome(trigger, firing)
    monitor.close()
    return firing.to_json()


def trigger(name: str) -> dict[str, Any]:
    """``lifecycle``, a trigger NAME retraining NAME@champion when its AUC drops, and one
    firing: v3 registered, its gate against @champion refused."""
    from mlops_jupyter.triggers import Trigger

    seeded = lifecycle(name)
    monitor = _monitor()
    monitor.add(
        Trigger(
            name=name, when="metrics.auc < 0.9", kind="", model=f"{name}@champion",
            retrain=f"{name}@champion", rules=(RULE,), cooldown=0,
        )
    )  # fmt: skip
    fired = _fire(
        name, "metrics.auc = 0.8 < 0.9 (latest evaluation)", "gate_failed",
        version=f"{name}/3", gate_id=seeded["refused_gate"], gate_passed=False,
        error={"message": "auc: evaluated on other data than the champion"},
    )  # fmt: skip
    return {**seeded, "trigger": name, "firing": fired["firing"]}


def firing(name: str) -> dict[str, Any]:
    """Another firing of trigger NAME: the retrain failed at cell 4."""
    fired = _fire(
        name, "metrics.auc = 0.79 < 0.9 (latest evaluation)", "error",
        error={"message": "ValueError: empty training set", "cell": 4},
    )  # fmt: skip
    return {"trigger": name, "firing": fired["firing"]}


def main(argv: list[str]) -> None:
    """Run one scenario and print its JSON."""
    scenario, *args = argv
    scenarios = {
        "lifecycle": lifecycle,
        "request": request,
        "approve": approve,
        "move": move,
        "drift": drift,
        "trigger": trigger,
        "firing": firing,
    }
    result = scenarios[scenario](*args)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
