"""Tests for mlops_jupyter.store.blobs: the content-addressed blob store."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from mlops_jupyter.store.blobs import LocalBlobStore
from mlops_jupyter.store.errors import BlobNotFoundError, InvalidArgumentError


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_put_bytes_is_content_addressed(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    sha = blobs.put_bytes(b"hello")
    assert sha == hashlib.sha256(b"hello").hexdigest()
    assert blobs.path_for(sha) == tmp_path / "blobs" / sha[:2] / sha
    assert blobs.get_bytes(sha) == b"hello"
    assert blobs.exists(sha)
    with blobs.open(sha) as f:
        assert f.read() == b"hello"


def test_root_is_created_lazily(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    assert not (tmp_path / "blobs").exists()
    assert not blobs.exists("0" * 64)
    assert not (tmp_path / "blobs").exists()


def test_identical_content_is_stored_once(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    sha = blobs.put_bytes(b"same")
    before = blobs.path_for(sha).stat()
    assert blobs.put_bytes(b"same") == sha
    after = blobs.path_for(sha).stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert all_files(tmp_path) == [blobs.path_for(sha)]


def test_put_file_streams_and_dedups(tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    data = os.urandom(3 * (1 << 20) + 17)  # spans several read chunks
    source.write_bytes(data)
    blobs = LocalBlobStore(tmp_path / "blobs")
    record = blobs.put_file(source)
    assert record.sha256 == hashlib.sha256(data).hexdigest()
    assert record.size == len(data)
    assert record.path == str(source)
    assert blobs.get_bytes(record.sha256) == data
    again = blobs.put_file(str(source))
    assert again.sha256 == record.sha256
    assert all_files(tmp_path / "blobs") == [blobs.path_for(record.sha256)]


def test_no_temporary_files_are_left(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    src = tmp_path / "f"
    for i in range(20):
        blobs.put_bytes(f"blob {i}".encode())
        src.write_bytes(f"file {i}".encode())
        blobs.put_file(src)
    files = all_files(tmp_path / "blobs")
    assert len(files) == 40
    for f in files:
        assert f.parent.name == f.name[:2]
        assert hashlib.sha256(f.read_bytes()).hexdigest() == f.name


def test_failed_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    src = tmp_path / "f"
    src.write_bytes(b"content")

    def failing_replace(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        blobs.put_bytes(b"x")
    with pytest.raises(OSError, match="disk full"):
        blobs.put_file(src)
    assert all_files(tmp_path / "blobs") == []


def test_missing_source_file_leaves_nothing_behind(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    with pytest.raises(FileNotFoundError):
        blobs.put_file(tmp_path / "missing")
    assert all_files(tmp_path / "blobs") == []


@pytest.mark.parametrize(
    "bad",
    [
        "../../etc/passwd",
        "../" + "a" * 61,
        "A" * 64,
        "a" * 63,
        "a" * 65,
        "g" * 64,
        "a" * 64 + "\n",
        "/" + "a" * 63,
        "",
        None,
        123,
    ],
)
def test_invalid_sha_is_rejected_before_touching_disk(tmp_path: Path, bad: object) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    for call in (blobs.get_bytes, blobs.open, blobs.exists, blobs.path_for):
        with pytest.raises(InvalidArgumentError) as info:
            call(bad)  # type: ignore[operator]
        assert info.value.code == 400


def test_unknown_blob(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    with pytest.raises(BlobNotFoundError) as info:
        blobs.get_bytes("0" * 64)
    assert info.value.code == 404
    with pytest.raises(BlobNotFoundError):
        blobs.open("0" * 64)
