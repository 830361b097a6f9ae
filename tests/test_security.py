"""Hardening (issue 18): records and blobs of a shared store, and requests, are untrusted input.

Each test reproduces one failure found by attacking a running server the way a hostile or
unlucky teammate with write access to a team store could, against the real components: a
real Jupyter server (pytest-jupyter), real SQLite and PostgreSQL stores, a real IPython
shell. The paths reproductions and sweeps resolve, pinned code and secrets in captured text
have tests of their own in the modules of that code.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tornado.httpclient

from mlops_jupyter.models import GitInfo, Run, RunStatus
from mlops_jupyter.store import get_store
from mlops_jupyter.store.blobs import FsspecBlobStore, LocalBlobStore
from mlops_jupyter.store.errors import BlobCorruptedError

API = ("mlops-jupyter", "api")


async def raw_fetch(jp_fetch: Any, *parts: str, **kwargs: Any) -> tuple[int, bytes, Any]:
    """Any verb below /mlops-jupyter/api/: (status, raw body, headers), errors included."""
    try:
        response = await jp_fetch(*API, *parts, **kwargs)
    except tornado.httpclient.HTTPClientError as exc:
        assert exc.response is not None
        return exc.code, exc.response.body, exc.response.headers
    return response.code, response.body, response.headers


def error_message(body: bytes) -> str:
    """The ``message`` of an error answer, checking it is nothing else (no traceback)."""
    data = json.loads(body)
    assert set(data) == {"message"}, data
    assert "Traceback" not in data["message"]
    return str(data["message"])


def diff_run(sha: str) -> Run:
    """A stored finished run whose git diff is the blob ``sha``."""
    run = Run.new(
        "security",
        status=RunStatus.FINISHED,
        git=GitInfo("/repo", "c" * 40, "main", True, None, sha),
    )
    get_store().create_run(run)
    return run


# --------------------------------------------------------------------------- 1. blobs


@pytest.fixture
def outside_secret(tmp_path: Path) -> Path:
    """A file outside the store that a hostile blob tries to expose."""
    secret = tmp_path / "outside" / "passwd"
    secret.parent.mkdir()
    secret.write_bytes(b"root:x:0:0:SECRET-OUTSIDE-THE-STORE:/root:/bin/sh\n")
    return secret


async def test_a_symlinked_blob_is_not_served(jp_fetch: Any, outside_secret: Path) -> None:
    blobs = get_store().blobs
    assert isinstance(blobs, LocalBlobStore)
    sha = blobs.put_bytes(b"diff --git a/x b/x\n")
    path = blobs.path_for(sha)
    path.unlink()
    path.symlink_to(outside_secret)
    run = diff_run(sha)

    code, body, _ = await raw_fetch(jp_fetch, "runs", run.id, "blobs", "diff")
    assert b"SECRET-OUTSIDE" not in body
    assert code == 500
    message = error_message(body)
    assert sha in message and "link" in message
    with pytest.raises(BlobCorruptedError, match="link"):
        blobs.get_bytes(sha)
    with pytest.raises(BlobCorruptedError):
        blobs.open(sha)
    assert not blobs.exists(sha)
    assert os.readlink(path) == str(outside_secret)  # reported, left as it is


def test_a_symlinked_blob_folder_is_neither_read_nor_written(
    tmp_path: Path, outside_secret: Path
) -> None:
    # blobs/ab -> a folder elsewhere: reading through it would serve that folder's files,
    # writing through it would create files there.
    blobs = LocalBlobStore(tmp_path / "blobs")
    data = b"planted"
    sha = hashlib.sha256(data).hexdigest()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / sha).write_bytes(data)
    (tmp_path / "blobs").mkdir()
    (tmp_path / "blobs" / sha[:2]).symlink_to(elsewhere)
    with pytest.raises(BlobCorruptedError, match="link"):
        blobs.get_bytes(sha)
    assert not blobs.exists(sha)
    before = sorted(p.name for p in elsewhere.iterdir())
    with pytest.raises(BlobCorruptedError, match="link"):
        blobs.put_bytes(data)
    source = tmp_path / "src"
    source.write_bytes(data)
    with pytest.raises(BlobCorruptedError, match="link"):
        blobs.put_file(source)
    assert sorted(p.name for p in elsewhere.iterdir()) == before
    assert list(blobs.iter_blobs()) == []


def test_a_fifo_under_a_blob_name_fails_at_once(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    sha = blobs.put_bytes(b"x")
    path = blobs.path_for(sha)
    path.unlink()
    os.mkfifo(path)  # opening it for reading would wait for a writer forever
    started = time.monotonic()
    with pytest.raises(BlobCorruptedError, match="not a regular file"):
        blobs.get_bytes(sha)
    assert time.monotonic() - started < 5


async def test_a_tampered_blob_is_refused(jp_fetch: Any) -> None:
    blobs = get_store().blobs
    assert isinstance(blobs, LocalBlobStore)
    sha = blobs.put_bytes(b"diff --git a/x b/x\n+harmless\n")
    blobs.path_for(sha).write_bytes(b"diff --git a/x b/x\n+import os; os.system('evil')\n")
    run = diff_run(sha)

    code, body, _ = await raw_fetch(jp_fetch, "runs", run.id, "blobs", "diff")
    assert b"evil" not in body
    assert code == 500
    message = error_message(body)
    assert sha in message and "does not match" in message
    with pytest.raises(BlobCorruptedError, match=sha):
        blobs.get_bytes(sha)


@pytest.mark.parametrize("kind", ["local", "memory"])
def test_streamed_reads_verify_the_content_at_the_end(
    kind: str, tmp_path: Path, memory_base: str
) -> None:
    store: LocalBlobStore | FsspecBlobStore
    if kind == "local":
        store = LocalBlobStore(tmp_path / "blobs")
    else:
        store = FsspecBlobStore(f"memory://{memory_base}")
    data = os.urandom(3 << 20)  # a few chunks
    source = tmp_path / "artifact.bin"
    source.write_bytes(data)
    sha = store.put_file(source).sha256
    with store.open(sha) as f:  # untouched: reads whole
        assert f.read() == data
    tampered = bytearray(data)
    tampered[-1] ^= 1
    if isinstance(store, LocalBlobStore):
        store.path_for(sha).write_bytes(bytes(tampered))
    else:
        store._fs.pipe_file(store._key(sha), bytes(tampered))
    with store.open(sha) as f, pytest.raises(BlobCorruptedError, match=sha):
        while f.read(1 << 20):
            pass
    with pytest.raises(BlobCorruptedError, match=sha):
        store.get_bytes(sha)


@pytest.fixture
def memory_base() -> Iterator[str]:
    """A fresh folder of fsspec's memory filesystem, removed afterwards."""
    import fsspec

    base = f"/sec{uuid.uuid4().hex}"
    yield base
    fs = fsspec.filesystem("memory")
    if fs.exists(base):
        fs.rm(base, recursive=True)
