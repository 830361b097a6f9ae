"""REST: POST sweeps, GET sweeps/{id}, sweep jobs (a real server, real kernels)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from _api_helpers import fetch, stored_run

from mlops_jupyter.store import get_store

TRACKED = "%%track --quiet\nimport mlops_jupyter\nx = 1\nmlops_jupyter.log_metric('y', x * 10)"


@pytest.mark.kernel
async def test_sweep_job_runs_the_grid(jp_fetch: Any, tmp_path: Any) -> None:
    run = stored_run(tmp_path, TRACKED, params={"x": 1}, metrics={"y": 10.0})
    body = {"run_id": run.id, "grid": {"x": [2, 3]}, "workers": 2}
    code, answer = await fetch(jp_fetch, "sweeps", method="POST", body=json.dumps(body))
    assert code == 202
    job = answer["job"]
    assert set(job) == {
        "id", "kind", "run_id", "state", "progress", "log_tail", "verdict", "error",
        "created_at", "started_at", "ended_at", "sweep_id",
    }  # fmt: skip
    assert job["kind"] == "sweep" and job["run_id"] == run.id
    assert set(job["progress"]) == {"done", "running", "failed", "total"}
    assert job["progress"]["total"] == 2
    for _ in range(600):
        code, answer = await fetch(jp_fetch, "jobs", job["id"])
        if answer["job"]["state"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.1)
    done = answer["job"]
    assert done["state"] == "succeeded", done
    assert done["progress"] == {"done": 2, "running": 0, "failed": 0, "total": 2}
    code, answer = await fetch(jp_fetch, "sweeps", job["sweep_id"])
    assert code == 200
    sweep = answer["sweep"]
    assert set(sweep) == {"id", "notebook", "grid", "created_at", "executions"}
    assert sweep["id"] == job["sweep_id"] and sweep["grid"] == {"x": [2, 3]}
    assert sweep["notebook"] == str(tmp_path / "nb.ipynb")
    assert [(e["index"], e["params"], e["status"]) for e in sweep["executions"]] == [
        (0, {"x": 2}, "finished"),
        (1, {"x": 3}, "finished"),
    ]
    store = get_store()
    for execution in sweep["executions"]:
        (run_id,) = execution["run_ids"]
        swept = store.get_run(run_id)
        assert swept.sweep_id == sweep["id"] and swept.params == {"x": execution["params"]["x"]}
        assert swept.metrics == {"y": 10.0 * execution["params"]["x"]}
    # The run list shows the sweep.
    code, page = await fetch(jp_fetch, "runs")
    assert {r["sweep_id"] for r in page["runs"]} == {None, sweep["id"]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "not valid JSON"),
        (b"[]", "JSON object"),
        (b'{"grid": {"x": [1]}}', "run_id"),
        (b'{"run_id": "nope", "grid": {"x": [1]}}', "invalid run id"),
        (b'{"run_id": "RUN", "grid": []}', "grid"),
        (b'{"run_id": "RUN", "grid": {"x": 1}}', "grid"),
        (b'{"run_id": "RUN", "grid": {"x": []}}', "non-empty"),
        (b'{"run_id": "RUN", "grid": {"x; import os": [1]}}', "refusing"),
        (
            b'{"run_id": "RUN", "grid": {"a": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17], '
            b'"b": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}}',
            "at most 256",
        ),
        (b'{"run_id": "RUN", "grid": {"x": [1]}, "workers": 0}', "workers"),
        (b'{"run_id": "RUN", "grid": {"x": [1]}, "workers": 9}', "workers"),
        (b'{"run_id": "RUN", "grid": {"x": [1]}, "workers": true}', "workers"),
        (b'{"run_id": "RUN", "grid": {"x": [1]}, "extra": 1}', "unknown field"),
    ],
)
async def test_sweep_bad_bodies_are_400(
    jp_fetch: Any, tmp_path: Any, body: bytes, message: str
) -> None:
    run = stored_run(tmp_path, TRACKED, params={"x": 1}, metrics={"y": 10.0})
    body = body.replace(b"RUN", run.id.encode())
    code, answer = await fetch(jp_fetch, "sweeps", method="POST", body=body)
    assert code == 400, answer
    assert message in answer["message"]
    code, answer = await fetch(jp_fetch, "jobs")
    assert answer == {"jobs": []}


async def test_sweep_unknown_ids(jp_fetch: Any) -> None:
    body = json.dumps({"run_id": "f" * 32, "grid": {"x": [1]}})
    code, answer = await fetch(jp_fetch, "sweeps", method="POST", body=body)
    assert code == 404 and "not found" in answer["message"]
    code, answer = await fetch(jp_fetch, "sweeps", "0" * 32)
    assert code == 404 and "sweep" in answer["message"]
    code, answer = await fetch(jp_fetch, "sweeps", "XYZ")
    assert code == 400
