"""Tests for mlops_jupyter.capture.files (content digests)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from mlops_jupyter.capture.files import CHUNK_SIZE, FileDigest, hash_file


def test_hash_small_file(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b\n1,2\n")
    digest = hash_file(path)
    assert digest == FileDigest(
        path=str(path), sha256=hashlib.sha256(b"a,b\n1,2\n").hexdigest(), size=8
    )


def test_hash_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    assert hash_file(str(path)).sha256 == hashlib.sha256(b"").hexdigest()
    assert hash_file(str(path)).size == 0


def test_hash_file_larger_than_chunks(tmp_path: Path) -> None:
    content = os.urandom(CHUNK_SIZE * 2 + 12345)
    path = tmp_path / "big.bin"
    path.write_bytes(content)
    digest = hash_file(path)
    assert digest.sha256 == hashlib.sha256(content).hexdigest()
    assert digest.size == len(content)


def test_path_relative_to_base(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "x.txt"
    path.write_text("x")
    assert hash_file(path, base=str(tmp_path)).path == "sub/x.txt"
    assert hash_file(path, base=str(tmp_path / "sub")).path == "x.txt"


def test_path_outside_base_is_absolute(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base2").mkdir()
    path = tmp_path / "base2" / "x.txt"
    path.write_text("x")
    # "base2" starts with "base" but is not inside it.
    assert hash_file(path, base=str(tmp_path / "base")).path == str(path)


def test_relative_input_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("rel.txt").write_text("r")
    assert hash_file("rel.txt").path == str(tmp_path / "rel.txt")
    assert hash_file("rel.txt", base=".").path == "rel.txt"


def test_missing_file_message_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(FileNotFoundError) as info:
        hash_file(missing)
    assert info.value.filename == str(missing)
    assert str(missing) in str(info.value)


def test_directory_message_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError) as info:
        hash_file(tmp_path)
    assert info.value.filename == str(tmp_path)
    assert "directory" in str(info.value)
