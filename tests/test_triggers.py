"""Continuous training: triggers checked at creation, causes, one firing per cause however
many evaluators, cooldowns, drift and data and schedule conditions, signed webhooks."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops_jupyter.errors import ConflictError, InvalidArgumentError, NotFoundError
from mlops_jupyter.models import FileRecord, Run, RunStatus
from mlops_jupyter.registry import Registry
from mlops_jupyter.store import StoreLocation
from mlops_jupyter.store.base import RunStore
from mlops_jupyter.triggers import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Monitor,
    Trigger,
    WebhookSender,
)


def finished(store: RunStore, experiment: str = "churn", **metrics: float) -> Run:
    run = Run.new(experiment, status=RunStatus.FINISHED, metrics=metrics, params={"depth": 3})
    store.create_run(run)
    return run


def trigger(name: str = "low-accuracy", **kw: Any) -> Trigger:
    values: dict[str, Any] = {"when": "metrics.accuracy < 0.9", "kind": "", "experiment": "churn"}
    values.update(kw)
    values.setdefault("retrain", "")
    return Trigger(name=name, **values)


def test_bad_triggers_are_refused_at_creation(store: RunStore, tmp_path: Path) -> None:
    monitor = Monitor(store)
    source = finished(store, accuracy=0.95)
    cases = [
        (trigger(when="metrics.accuracy <", retrain=source.id), "column"),
        (trigger(when="status = 'failed'", retrain=source.id), "metrics and params"),
        (trigger(when="params.depth > 2", retrain=source.id), "names no metric"),
        (
            trigger(when="metrics.accuracy < 0.9", experiment=None, retrain=source.id),
            "--experiment",
        ),
        (trigger(when="drift", experiment=None, retrain=source.id), "--model"),
        (trigger(when="every 10s", retrain=source.id), "once a minute"),
        (trigger(when="new-data:missing.csv", retrain=source.id), "no such file"),
        (trigger(retrain="ffff0000"), "no run starts with"),
        (trigger(retrain="nope@champion"), "not found"),
        (trigger(name="bad name!", retrain=source.id), "invalid trigger name"),
        (trigger(retrain=source.id, params={"not valid": 1}), "--param"),
        (trigger(retrain=source.id, webhook="https://hooks.example/x?token=abc"), "secret"),
        (trigger(retrain=source.id, webhook="ftp://x"), "an http"),
        (trigger(retrain=source.id, rules=("auc:sideways",)), "higher or lower"),
    ]
    for bad, message in cases:
        with pytest.raises((InvalidArgumentError, NotFoundError), match=message):
            monitor.add(bad, cwd=str(tmp_path))
    assert monitor.triggers() == {}
    monitor.add(trigger(retrain=source.id[:8]))
    with pytest.raises(ConflictError, match="exists"):
        monitor.add(trigger(retrain=source.id))


def test_a_metric_cause_fires_once_and_a_retrain_never_refires_it(store: RunStore) -> None:
    monitor = Monitor(store)
    source = finished(store, accuracy=0.95)
    added = monitor.add(trigger(retrain=source.id, cooldown=0))
    assert added.kind == "metric" and added.retrain == source.id
    assert monitor.evaluate(act=False) == []  # 0.95: the condition does not hold
    low = finished(store, accuracy=0.85)
    (firing,) = monitor.evaluate(act=False)
    assert firing.trigger == "low-accuracy" and "metrics.accuracy = 0.85" in firing.cause
    assert low.id[:8] in firing.cause
    assert monitor.evaluate(act=False) == []  # the same cause: once
    # A run the trigger launched is left out of its condition.
    relaunched = Run.new("churn", status=RunStatus.FINISHED, metrics={"accuracy": 0.5})
    relaunched.extra["triggered_by"] = {"trigger": "low-accuracy", "firing": firing.firing}
    store.create_run(relaunched)
    assert monitor.evaluate(act=False) == []
    finished(store, accuracy=0.8)  # a new evaluation that still fails: a new cause
    assert len(monitor.evaluate(act=False)) == 1


def test_the_window_and_the_cooldown(store: RunStore) -> None:
    monitor = Monitor(store)
    source = finished(store, accuracy=0.95)
    monitor.add(trigger(retrain=source.id, window=3, cooldown=3600))
    finished(store, accuracy=0.80)
    finished(store, accuracy=0.95)
    assert monitor.evaluate(act=False) == []  # mean of 0.95, 0.80, 0.95 = 0.9
    finished(store, accuracy=0.70)
    assert len(monitor.evaluate(act=False)) == 1  # mean 0.8167
    finished(store, accuracy=0.60)
    assert monitor.evaluate(act=False) == []  # a new cause, but cooling down
    history = Registry(store).log.events(kinds=["trigger_fired"])
    assert len(history) == 1


def test_drift_data_and_schedule_conditions(store: RunStore, tmp_path: Path) -> None:
    registry = Registry(store, actor="alice")
    source = finished(store, accuracy=0.9)
    blob = store.blobs.put_bytes(b"m")
    source.artifacts = [FileRecord("model.pkl", blob, 1)]
    store.update_run(source)
    registry.register("churn", run=source.id)
    registry.set_alias("churn", "champion", 1, reason="first")
    monitor = Monitor(store)
    monitor.add(trigger("on-drift", when="drift", experiment=None, model="churn@champion",
                        retrain="churn@champion"))  # fmt: skip
    data = tmp_path / "train.csv"
    data.write_text("x\n1\n")
    monitor.add(trigger("new-data", when="new-data:train.csv", experiment=None,
                        retrain=source.id), cwd=str(tmp_path))  # fmt: skip
    monitor.add(trigger("nightly", when="every 1d", experiment=None, retrain=source.id, cooldown=0))
    assert monitor.evaluate(act=False) == []

    def drift_check(verdict: str) -> None:
        registry.log.append_event(
            "drift_check", actor="alice", model="churn", to_version=1,
            payload={"verdict": verdict, "drifted_columns": ["age"] if verdict == "drift" else []},
        )  # fmt: skip

    drift_check("ok")
    assert monitor.evaluate(act=False) == []
    drift_check("drift")
    data.write_text("x\n2\n")
    fired = {f.trigger: f for f in monitor.evaluate(act=False, now=2e9)}
    assert set(fired) == {"on-drift", "new-data", "nightly"}
    assert "drift check" in fired["on-drift"].cause and "age" in fired["on-drift"].cause
    assert "new data in" in fired["new-data"].cause
    assert monitor.evaluate(act=False, now=2e9) == []  # the same check, digest and period
    assert [f.trigger for f in monitor.evaluate(act=False, now=2e9 + 86400)] == ["nightly"]


def test_disabled_and_removed_triggers_do_not_fire(store: RunStore) -> None:
    monitor = Monitor(store)
    source = finished(store, accuracy=0.5)
    monitor.add(trigger(retrain=source.id))
    monitor.set_enabled("low-accuracy", False)
    assert monitor.evaluate(act=False) == []
    assert monitor.status()[0]["enabled"] is False
    monitor.remove("low-accuracy")
    assert monitor.triggers() == {}
    with pytest.raises(NotFoundError):
        monitor.get("low-accuracy")


EVALUATOR = r"""
import sys, time
from pathlib import Path
from mlops_jupyter.store import StoreLocation, open_store
from mlops_jupyter.triggers import Monitor
url, blobs, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
monitor = Monitor(open_store(StoreLocation(url, blobs, "test")))
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
print(len(monitor.evaluate(act=False)), flush=True)
"""


def test_two_evaluators_at_once_fire_a_cause_once(
    store: RunStore, location: StoreLocation, tmp_path: Path
) -> None:
    monitor = Monitor(store)
    source = finished(store, accuracy=0.5)
    monitor.add(trigger(retrain=source.id, cooldown=0))
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", EVALUATOR, location.db_url, location.blob_root, str(go)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    go.touch()
    fired = []
    for worker in workers:
        assert worker.stdout is not None
        fired.append(int(worker.stdout.read().strip()))
        assert worker.wait(timeout=120) == 0
        worker.stdout.close()
    assert sorted(fired) == [0, 0, 1]
    assert len(Registry(store).log.events(kinds=["trigger_fired"])) == 1


# -- webhooks ---------------------------------------------------------------------------------


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []
    fail_first = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if _Receiver.fail_first > 0:
            _Receiver.fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        _Receiver.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.received, _Receiver.fail_first = [], 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def test_webhooks_are_signed_and_retried(receiver: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "s3cr3t")
    _Receiver.fail_first = 2
    sender = WebhookSender(attempts=4, backoff=0.05)
    sender.send(receiver, {"trigger": "t", "outcome": "retrained"}, "HOOK_SECRET")
    sender.close(timeout=30)
    ((headers, body),) = _Receiver.received
    expected = hmac.new(
        b"s3cr3t", headers[TIMESTAMP_HEADER].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers[SIGNATURE_HEADER] == f"sha256={expected}"
    assert json.loads(body) == {"trigger": "t", "outcome": "retrained"}
    assert b"s3cr3t" not in body


def test_a_failing_webhook_never_blocks(receiver: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.delenv("NO_SUCH_SECRET", raising=False)
    sender = WebhookSender(attempts=2, backoff=0.05, timeout=1)
    started = time.monotonic()
    sender.send("http://127.0.0.1:9/refused", {"x": 1}, None)  # nothing listens on port 9
    sender.send(receiver, {"x": 2}, "NO_SUCH_SECRET")  # unsigned would be unsafe: not sent
    assert time.monotonic() - started < 0.5
    sender.close(timeout=30)
    assert _Receiver.received == []


# -- REST -------------------------------------------------------------------------------------


async def test_triggers_over_rest(jp_fetch: Any, isolated_store: Path) -> None:
    from _api_helpers import fetch

    from mlops_jupyter.store import get_store

    store = get_store()
    source = finished(store, accuracy=0.5)  # nothing pinned: its retrain cannot run
    code, bad = await fetch(
        jp_fetch, "triggers", method="POST",
        body=json.dumps({"name": "t", "when": "metrics.accuracy <", "experiment": "churn",
                         "retrain": source.id}),
    )  # fmt: skip
    assert code == 400 and "column" in bad["message"]
    code, added = await fetch(
        jp_fetch, "triggers", method="POST",
        body=json.dumps({"name": "t", "when": "metrics.accuracy < 0.9", "experiment": "churn",
                         "retrain": source.id, "cooldown": 0}),
    )  # fmt: skip
    assert code == 201 and added["kind"] == "metric"
    code, fired = await fetch(jp_fetch, "monitor", "run", method="POST", body="")
    assert code == 200
    (firing,) = fired["firings"]
    assert firing["outcome"] == "error" and firing["error"]["message"]
    code, shown = await fetch(jp_fetch, "triggers", "t")
    assert [f["outcome"] for f in shown["firings"]] == ["error"]
    code, disabled = await fetch(
        jp_fetch, "triggers", "t", "enabled", method="PUT", body=json.dumps({"enabled": False})
    )
    assert code == 200 and disabled["enabled"] is False
    code, listing = await fetch(jp_fetch, "triggers")
    assert listing["triggers"][0]["last_firing"]["outcome"] == "error"
    code, _ = await fetch(jp_fetch, "triggers", "t", method="DELETE")
    assert code == 200 and (await fetch(jp_fetch, "triggers", "t"))[0] == 404
