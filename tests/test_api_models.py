"""REST: models, versions, aliases, rollback, history, file downloads and lineage."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import tornado.httpclient
from _api_helpers import fetch

from mlops_jupyter.models import FileRecord, Run, RunStatus
from mlops_jupyter.store import get_store

MODEL = b"\x80\x04\x95model bytes\x00" * 100


@pytest.fixture
def trained() -> Run:
    store = get_store()
    sha = store.blobs.put_bytes(MODEL)
    run = Run.new("api", status=RunStatus.FINISHED, metrics={"auc": 0.91}, params={"C": 1})
    run.artifacts = [FileRecord("out/model.pkl", sha, len(MODEL))]
    run.inputs = [FileRecord("data/train.csv", hashlib.sha256(b"x").hexdigest(), 1)]
    run.extra["cwd"] = "/srv/project"
    store.create_run(run)
    return run


async def register(jp_fetch: Any, run: Run, name: str = "churn", **body: Any) -> tuple[int, Any]:
    return await fetch(
        jp_fetch, "models", name, "versions", method="POST", body=_json({"run_id": run.id, **body})
    )


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


async def test_register_move_roll_back_and_read_the_history(jp_fetch: Any, trained: Run) -> None:
    code, first = await register(jp_fetch, trained, description="first")
    assert code == 201 and first["version"] == 1 and first["run"]["metrics"] == {"auc": 0.91}
    assert first["manifest"][0]["path"] == "out/model.pkl"
    code, second = await register(jp_fetch, trained, artifacts=["model.pkl"])
    assert code == 201 and second["version"] == 2
    for version, reason in ((1, "first"), (2, "better")):
        code, moved = await fetch(
            jp_fetch, "models", "churn", "aliases", "champion", method="PUT",
            body=_json({"version": version, "reason": reason}),
        )  # fmt: skip
        assert code == 200 and moved["event"]["to_version"] == version
    code, back = await fetch(
        jp_fetch, "models", "churn", "aliases", "champion", "rollback", method="POST",
        body=_json({"reason": "v2 misbehaves"}),
    )  # fmt: skip
    assert code == 200 and back["event"]["kind"] == "alias_rollback"
    assert back["event"]["to_version"] == 1
    code, history = await fetch(
        jp_fetch, "models", "churn", "history", params={"alias": "champion"}
    )
    assert code == 200
    assert [(e["from_version"], e["to_version"], e["reason"]) for e in history["events"]] == [
        (None, 1, "first"), (1, 2, "better"), (2, 1, "v2 misbehaves"),
    ]  # fmt: skip
    # The authenticated user (a token's user is anonymous, named anew on every request).
    assert all(len(e["actor"]) == 32 for e in history["events"])
    code, model = await fetch(jp_fetch, "models", "churn")
    assert code == 200 and model["aliases"] == {"champion": 1}
    assert [v["version"] for v in model["versions"]] == [2, 1]
    assert model["versions"][1]["aliases"] == ["champion"]
    assert model["versions"][0]["metrics"] == {"auc": 0.91}
    code, listing = await fetch(jp_fetch, "models")
    assert listing["models"][0]["name"] == "churn" and listing["models"][0]["versions"] == 2
    code, version = await fetch(jp_fetch, "models", "churn", "versions", "1")
    assert version["aliases"] == ["champion"]


async def test_refusals_are_json_with_the_right_status(jp_fetch: Any, trained: Run) -> None:
    assert (await register(jp_fetch, trained))[0] == 201
    put = {"method": "PUT"}
    cases = [
        (("models", "churn", "aliases", "champion"), put, {"version": 1}, 400),  # no reason
        (("models", "churn", "aliases", "Champ"), put, {"version": 1, "reason": "r"}, 400),
        (("models", "churn", "aliases", "champion"), put, {"version": 7, "reason": "r"}, 404),
        (("models", "nope", "aliases", "champion"), put, {"version": 1, "reason": "r"}, 404),
        (("models", "churn", "aliases", "champion"), put,
         {"version": 1, "reason": "r", "expect": 3}, 409),
        (("models", "churn", "aliases", "champion", "rollback"), {"method": "POST"},
         {"reason": "r"}, 409),
        (("models", "churn", "versions"), {"method": "POST"}, {"run_id": "0" * 32}, 404),
        (("models", "churn", "versions"), {"method": "POST"}, {"run_id": "../x"}, 400),
    ]  # fmt: skip
    for parts, kwargs, body, status in cases:
        code, answer = await fetch(jp_fetch, *parts, body=_json(body), **kwargs)
        assert code == status, (parts, body, answer)
        assert isinstance(answer["message"], str) and answer["message"]
    for parts in (("models", "churn", "versions", "0"), ("models", "churn", "versions", "x")):
        assert (await fetch(jp_fetch, *parts))[0] == 400
    assert (await fetch(jp_fetch, "models", "churn", "versions", "9"))[0] == 404
    assert (await fetch(jp_fetch, "models", "a b"))[0] == 400


async def test_a_request_never_registers_a_server_file(
    jp_fetch: Any, trained: Run, tmp_path: Path
) -> None:
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE")
    code, answer = await register(jp_fetch, trained, artifacts=[str(secret)])
    assert code == 400 and "not an artifact of the run" in answer["message"]
    assert (await fetch(jp_fetch, "models"))[1]["models"] == []


async def test_version_files_download_as_attachments(jp_fetch: Any, trained: Run) -> None:
    await register(jp_fetch, trained)
    response = await jp_fetch(
        "mlops-jupyter", "api", "models", "churn", "versions", "1", "files", "0"
    )
    assert response.body == MODEL
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="model.pkl"')
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    for index, status in (("1", 404), ("../0", 404), ("x", 400)):
        with pytest.raises(tornado.httpclient.HTTPClientError) as info:
            await jp_fetch(
                "mlops-jupyter", "api", "models", "churn", "versions", "1", "files", index
            )
        assert info.value.code == status, index


async def test_lineage_over_rest(jp_fetch: Any, trained: Run, jp_root_dir: Path) -> None:
    await register(jp_fetch, trained)
    code, graph = await fetch(jp_fetch, "lineage", params={"ref": "churn/1"})
    assert code == 200 and graph["direction"] == "back"
    assert {(n["kind"], n["id"]) for n in graph["nodes"]} >= {
        ("version", "churn/1"), ("run", trained.id), ("data", hashlib.sha256(b"x").hexdigest()),
    }  # fmt: skip
    code, forward = await fetch(
        jp_fetch, "lineage", params={"ref": hashlib.sha256(b"x").hexdigest(), "reverse": "1"}
    )
    assert [n["id"] for n in forward["nodes"] if n["kind"] == "version"] == ["churn/1"]
    code, answer = await fetch(jp_fetch, "lineage", params={"ref": "../../etc/passwd"})
    assert code == 400 and "outside" in answer["message"]
    assert (await fetch(jp_fetch, "lineage", params={"ref": "nothing@here"}))[0] == 404
    assert (await fetch(jp_fetch, "lineage"))[0] == 400
