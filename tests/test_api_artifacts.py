"""GET runs/{id}/artifacts/{ref}: an artifact as a download, never rendered, never another blob."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import tornado.httpclient

from mlops_jupyter.models import FileRecord, NotebookInfo, Run, RunStatus
from mlops_jupyter.server.handlers.base import attachment_header
from mlops_jupyter.store import get_store

MODEL = b"\x80\x04model bytes\x00" * 1000
PAGE = b"<!doctype html><script>alert(1)</script>"


def _record(path: str, data: bytes) -> FileRecord:
    return FileRecord(path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


@pytest.fixture
def run_with_artifacts() -> Run:
    store = get_store()
    snapshot = store.blobs.put_bytes(b'{"cells": []}')
    for data in (MODEL, PAGE):
        store.blobs.put_bytes(data)
    run = Run.new(
        "exp",
        status=RunStatus.FINISHED,
        notebook=NotebookInfo(path="/nb.ipynb", snapshot_sha256=snapshot),
        artifacts=[_record("models/model.pkl", MODEL), _record("out/report é.html", PAGE)],
    )
    store.create_run(run)
    return run


async def _download(jp_fetch: Any, run: Run, ref: str) -> Any:
    return await jp_fetch("mlops-jupyter", "api", "runs", run.id, "artifacts", ref)


async def _error(jp_fetch: Any, run_id: str, ref: str) -> tuple[int, str]:
    with pytest.raises(tornado.httpclient.HTTPClientError) as info:
        await jp_fetch("mlops-jupyter", "api", "runs", run_id, "artifacts", ref)
    assert info.value.response is not None
    return info.value.code, json.loads(info.value.response.body)["message"]


async def test_an_artifact_downloads_by_index_or_sha(
    jp_fetch: Any, run_with_artifacts: Run
) -> None:
    by_index = await _download(jp_fetch, run_with_artifacts, "0")
    assert by_index.body == MODEL
    assert by_index.headers["Content-Type"] == "application/octet-stream"
    assert by_index.headers["Content-Disposition"] == (
        "attachment; filename=\"model.pkl\"; filename*=UTF-8''model.pkl"
    )
    sha = run_with_artifacts.artifacts[1].sha256
    by_sha = await _download(jp_fetch, run_with_artifacts, sha)
    assert by_sha.body == PAGE


async def test_html_is_an_attachment_the_browser_never_renders(
    jp_fetch: Any, run_with_artifacts: Run
) -> None:
    response = await _download(jp_fetch, run_with_artifacts, "1")
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="report e.html"'
    )
    assert "filename*=UTF-8''report%20%C3%A9.html" in response.headers["Content-Disposition"]


async def test_only_the_runs_own_artifacts_are_served(
    jp_fetch: Any, run_with_artifacts: Run
) -> None:
    # The notebook snapshot is a blob of the store, but not an artifact of the run.
    snapshot = run_with_artifacts.notebook.snapshot_sha256  # type: ignore[union-attr]
    assert snapshot is not None
    code, message = await _error(jp_fetch, run_with_artifacts.id, snapshot)
    assert code == 404 and "no artifact" in message
    assert (await _error(jp_fetch, run_with_artifacts.id, "2"))[0] == 404
    for bad in ("-1", "..", "abc", "0x1", "A" * 64, "1234567"):
        code, message = await _error(jp_fetch, run_with_artifacts.id, bad)
        assert code == 400, bad
        assert "index" in message
    assert (await _error(jp_fetch, "f" * 32, "0"))[0] == 404


async def test_a_missing_blob_is_404(jp_fetch: Any) -> None:
    run = Run.new("exp", artifacts=[_record("gone.bin", b"never stored")])
    get_store().create_run(run)
    assert (await _error(jp_fetch, run.id, "0"))[0] == 404


def _corrupt(store_dir: Path, data: bytes) -> None:
    """Replace a blob's content by other bytes of the same size."""
    blob = store_dir / "blobs" / hashlib.sha256(data).hexdigest()[:2]
    blob = blob / hashlib.sha256(data).hexdigest()
    blob.chmod(0o644)
    blob.write_bytes(b"X" + data[1:])


async def test_a_corrupted_artifact_is_refused_before_it_is_sent(
    jp_fetch: Any, run_with_artifacts: Run, isolated_store: Path
) -> None:
    _corrupt(isolated_store, MODEL)
    code, message = await _error(jp_fetch, run_with_artifacts.id, "0")
    assert code == 500 and "does not match its name" in message


async def test_a_large_corrupted_artifact_never_arrives_whole(
    jp_fetch: Any, isolated_store: Path
) -> None:
    big = bytes(range(256)) * 10_000  # 2.5 MB: more than one chunk is sent before the end
    get_store().blobs.put_bytes(big)
    run = Run.new("exp", artifacts=[_record("big.bin", big)])
    get_store().create_run(run)
    assert (await _download(jp_fetch, run, "0")).body == big
    _corrupt(isolated_store, big)
    with pytest.raises((tornado.httpclient.HTTPError, OSError)):
        await _download(jp_fetch, run, "0")


def test_attachment_names_are_plain() -> None:
    assert (
        attachment_header("a/b\\c.txt") == "attachment; filename=\"c.txt\"; filename*=UTF-8''c.txt"
    )
    header = attachment_header('x/"evil"\r\nSet-Cookie: a.txt')
    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="evilSet-Cookie: a.txt"')
    assert attachment_header("dir/") == "attachment; filename=\"dir\"; filename*=UTF-8''dir"
    assert attachment_header("").startswith('attachment; filename="artifact"')
