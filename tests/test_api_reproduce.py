"""REST: POST runs/{id}/reproduce, GET/DELETE jobs/{id}, GET jobs (a real server, real kernel)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from _api_helpers import fetch, stored_run

from mlops_jupyter.store import get_store

pytestmark = pytest.mark.kernel


async def test_reproduce_job_lifecycle(jp_fetch: Any, tmp_path: Any) -> None:
    run = stored_run(
        tmp_path,
        "%%track --quiet\nimport mlops_jupyter\nmlops_jupyter.log_metric('x', 1)",
        metrics={"x": 1.0},
    )
    code, body = await fetch(
        jp_fetch, "runs", run.id, "reproduce", method="POST", body=json.dumps({"twice": False})
    )
    assert code == 202
    job = body["job"]
    assert set(job) == {
        "id", "kind", "run_id", "state", "progress", "log_tail", "verdict", "error",
        "created_at", "started_at", "ended_at",
    }  # fmt: skip
    assert job["kind"] == "reproduce" and job["run_id"] == run.id
    assert job["state"] in ("queued", "running")
    # While it is active, posting again returns the same job.
    code, again = await fetch(jp_fetch, "runs", run.id, "reproduce", method="POST", body="")
    assert code == 200 and again["job"]["id"] == job["id"]
    for _ in range(600):
        code, body = await fetch(jp_fetch, "jobs", job["id"])
        assert code == 200
        if body["job"]["state"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.1)
    done = body["job"]
    assert done["state"] == "succeeded", done
    verdict = done["verdict"]
    assert verdict["status"] == "reproduced"
    assert verdict["metrics"] == {"x": {"original": 1.0, "reproduced": 1.0, "equal": True}}
    assert done["progress"] == {"cell": 2, "total": 2}
    repro = get_store().get_run(verdict["reproduction_run_id"])
    assert repro.reproduction_of == run.id
    code, listed = await fetch(jp_fetch, "jobs", params={"run_id": run.id})
    assert code == 200 and [j["id"] for j in listed["jobs"]] == [job["id"]]
    code, cancelled = await fetch(jp_fetch, "jobs", job["id"], method="DELETE")
    assert code == 200 and cancelled["job"]["state"] == "succeeded"  # finished: unchanged
    # The run list shows what the reproduction reproduces.
    code, page = await fetch(jp_fetch, "runs")
    by_id = {r["id"]: r for r in page["runs"]}
    assert by_id[repro.id]["reproduction_of"] == run.id
    code, full = await fetch(jp_fetch, "runs", run.id)
    assert full["extra"]["pin"]["kind"] == "snapshot"


async def test_delete_cancels_a_running_job(jp_fetch: Any, tmp_path: Any) -> None:
    run = stored_run(tmp_path, "%%track --quiet\nimport time\ntime.sleep(60)", metrics={"x": 1.0})
    code, body = await fetch(jp_fetch, "runs", run.id, "reproduce", method="POST", body="{}")
    assert code == 202
    job_id = body["job"]["id"]
    for _ in range(600):
        code, body = await fetch(jp_fetch, "jobs", job_id)
        if body["job"]["progress"]["cell"] == 2:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    code, body = await fetch(jp_fetch, "jobs", job_id, method="DELETE")
    assert code == 200
    for _ in range(300):
        code, body = await fetch(jp_fetch, "jobs", job_id)
        if body["job"]["state"] != "running":
            break
        await asyncio.sleep(0.1)
    assert body["job"]["state"] == "cancelled"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[]", "JSON object"),
        (b'{"tolerance": 0}', "tolerance"),
        (b'{"tolerance": -1e-3}', "tolerance"),
        (b'{"tolerance": "1e-3"}', "tolerance"),
        (b'{"tolerance": true}', "tolerance"),
        (b'{"twice": "yes"}', "twice"),
        (b'{"extra": 1}', "unknown field"),
    ],
)
async def test_reproduce_bad_bodies_are_400(
    jp_fetch: Any, tmp_path: Any, body: bytes, message: str
) -> None:
    run = stored_run(tmp_path, "%%track\nx = 1", metrics={"x": 1.0})
    code, answer = await fetch(jp_fetch, "runs", run.id, "reproduce", method="POST", body=body)
    assert code == 400
    assert message in answer["message"]


async def test_reproduce_and_job_errors(jp_fetch: Any) -> None:
    code, body = await fetch(jp_fetch, "runs", "f" * 32, "reproduce", method="POST", body="{}")
    assert code == 404 and "not found" in body["message"]
    code, body = await fetch(jp_fetch, "runs", "not-an-id", "reproduce", method="POST", body="{}")
    assert code == 400
    code, body = await fetch(jp_fetch, "jobs", "0" * 32)
    assert code == 404 and "job" in body["message"]
    code, body = await fetch(jp_fetch, "jobs", "0" * 32, method="DELETE")
    assert code == 404
    code, body = await fetch(jp_fetch, "jobs", "XYZ")
    assert code == 400
    code, body = await fetch(jp_fetch, "jobs", params={"run_id": "bad"})
    assert code == 400
    code, body = await fetch(jp_fetch, "jobs")
    assert code == 200 and body == {"jobs": []}
