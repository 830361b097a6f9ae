"""Tests for mlops_jupyter.store.blobs: the content-addressed blob stores.

The contract tests run over every kind of store: the local one, and the fsspec one on
fsspec's real ``memory://`` and ``file://`` filesystems.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import subprocess
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops_jupyter.errors import InvalidArgumentError
from mlops_jupyter.store.blobs import (
    BlobStore,
    FsspecBlobStore,
    LocalBlobStore,
    is_url,
    open_blob_store,
)
from mlops_jupyter.store.errors import BlobCorruptedError, BlobNotFoundError, StoreError
from mlops_jupyter.store.location import resolve_store_location, sweeps_folder

KINDS = ["local", "memory", "file"]


@dataclass
class Kind:
    """A blob store under test and a raw view of what it wrote."""

    name: str
    store: BlobStore
    # Every file under the store's root, temporaries included, as paths relative to it.
    files: Callable[[], list[str]]
    # Write raw bytes at a path relative to the store's root's parent (bypassing the store).
    plant: Callable[[str, bytes], None]
    # Whether a raw path relative to the root's parent exists.
    present: Callable[[str], bool]


def _local_view(root: Path) -> tuple[Callable[[], list[str]], Callable[[str, bytes], None]]:
    def files() -> list[str]:
        if not root.exists():
            return []
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())

    def plant(rel: str, data: bytes) -> None:
        target = root.parent / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    return files, plant


@pytest.fixture
def memory_base() -> Iterator[str]:
    """A fresh folder of fsspec's (process-global) memory filesystem, removed afterwards."""
    import fsspec

    base = f"/t{uuid.uuid4().hex}"
    yield base
    fs = fsspec.filesystem("memory")
    if fs.exists(base):
        fs.rm(base, recursive=True)


def make_kind(name: str, tmp_path: Path, memory_base: str) -> Kind:
    if name == "memory":
        import fsspec

        fs = fsspec.filesystem("memory")
        base = f"{memory_base}/a/blobs"

        def files() -> list[str]:
            return sorted(p[len(base) + 1 :] for p in fs.find(base))

        def plant(rel: str, data: bytes) -> None:
            fs.pipe_file(f"{memory_base}/a/{rel}", data)

        return Kind(
            name,
            FsspecBlobStore(f"memory://{base}"),
            files,
            plant,
            lambda rel: bool(fs.exists(f"{memory_base}/a/{rel}")),
        )
    root = tmp_path / "a" / "blobs"
    files, plant = _local_view(root)
    store: BlobStore
    store = LocalBlobStore(root) if name == "local" else FsspecBlobStore(f"file://{root}")
    return Kind(name, store, files, plant, lambda rel: (root.parent / rel).exists())


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest, tmp_path: Path, memory_base: str) -> Kind:
    return make_kind(request.param, tmp_path, memory_base)


def sha_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- the contract


def test_round_trip(kind: Kind) -> None:
    blobs = kind.store
    sha = blobs.put_bytes(b"hello")
    assert sha == sha_of(b"hello")
    assert blobs.get_bytes(sha) == b"hello"
    assert blobs.exists(sha)
    with blobs.open(sha) as f:
        assert f.read() == b"hello"
    # The same layout for every kind: a store written by one is readable by the other.
    assert kind.files() == [f"{sha[:2]}/{sha}"]


def test_identical_content_is_stored_once_and_never_rewritten(kind: Kind) -> None:
    blobs = kind.store
    sha = blobs.put_bytes(b"same")
    (before,) = list(blobs.iter_blobs())
    time.sleep(0.02)  # a rewrite would show in the modification time
    assert blobs.put_bytes(b"same") == sha
    assert blobs.put_bytes(b"same", fsync=False) == sha
    (after,) = list(blobs.iter_blobs())
    assert after == before
    assert kind.files() == [f"{sha[:2]}/{sha}"]


def test_put_file_streams_and_dedups(kind: Kind, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    data = os.urandom(3 * (1 << 20) + 17)  # spans several read chunks
    source.write_bytes(data)
    blobs = kind.store
    record = blobs.put_file(source)
    assert record.sha256 == sha_of(data)
    assert record.size == len(data)
    assert record.path == str(source)
    assert blobs.get_bytes(record.sha256) == data
    again = blobs.put_file(str(source))
    assert again.sha256 == record.sha256
    assert kind.files() == [f"{record.sha256[:2]}/{record.sha256}"]


def test_no_temporary_files_are_left(kind: Kind, tmp_path: Path) -> None:
    src = tmp_path / "f"
    expected = set()
    for i in range(10):
        expected.add(kind.store.put_bytes(f"blob {i}".encode()))
        src.write_bytes(f"file {i}".encode())
        expected.add(kind.store.put_file(src).sha256)
    assert kind.files() == sorted(f"{sha[:2]}/{sha}" for sha in expected)
    for sha in expected:
        assert sha_of(kind.store.get_bytes(sha)) == sha


def test_missing_source_file_leaves_nothing_behind(kind: Kind, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        kind.store.put_file(tmp_path / "missing")
    assert kind.files() == []


def test_missing_blob(kind: Kind) -> None:
    blobs = kind.store
    assert not blobs.exists("0" * 64)
    for call in (blobs.get_bytes, blobs.open, blobs.delete):
        with pytest.raises(BlobNotFoundError) as info:
            call("0" * 64)
        assert info.value.code == 404 and info.value.sha256 == "0" * 64


BAD_SHAS = [
    "../victim",
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
]


@pytest.mark.parametrize("bad", BAD_SHAS)
def test_invalid_sha_is_rejected_before_touching_the_filesystem(kind: Kind, bad: object) -> None:
    # "../victim" would name <root>/../../victim, the root's grandparent's child: plant a
    # file at every place a traversal could reach and check that nothing touched them.
    kind.plant("victim", b"keep me")
    kind.plant("../victim", b"keep me")
    blobs = kind.store
    for call in (blobs.get_bytes, blobs.open, blobs.exists, blobs.delete):
        with pytest.raises(InvalidArgumentError) as info:
            call(bad)  # type: ignore[arg-type]
        assert info.value.code == 400
    assert kind.present("victim") and kind.present("../victim")
    assert kind.files() == []


def test_iter_blobs_lists_blobs_only(kind: Kind, tmp_path: Path) -> None:
    blobs = kind.store
    start = time.time()
    shas = {blobs.put_bytes(b"one"), blobs.put_bytes(b"two" * 1000)}
    src = tmp_path / "artifact"
    src.write_bytes(b"three")
    shas.add(blobs.put_file(src).sha256)
    one = sha_of(b"one")
    # What killed writers and strangers leave: temporaries, in the root and in a blob
    # folder, a file named like a blob in the wrong folder, and an unrelated file.
    kind.plant("blobs/.tmp-0123456789abcdef", b"torn")
    kind.plant(f"blobs/{one[:2]}/.tmp-0123456789abcdef", b"torn")
    kind.plant(f"blobs/ff/{'0' * 64}", b"misplaced")
    kind.plant("blobs/README", b"hello")
    listed = {info.sha: info for info in blobs.iter_blobs()}
    assert set(listed) == shas
    assert listed[sha_of(b"two" * 1000)].size == 3000
    assert listed[one].size == 3
    for info in listed.values():
        assert info.mtime is not None and start - 5 < info.mtime < time.time() + 5


def test_iter_blobs_of_an_empty_or_absent_store(kind: Kind) -> None:
    assert list(kind.store.iter_blobs()) == []


def test_every_read_checks_the_content_against_its_name(kind: Kind) -> None:
    blobs = kind.store
    sha = blobs.put_bytes(b"what the run recorded")
    kind.plant(f"blobs/{sha[:2]}/{sha}", b"what someone wrote over it")
    with pytest.raises(BlobCorruptedError, match=f"{sha}.*does not match"):
        blobs.get_bytes(sha)
    with blobs.open(sha) as f, pytest.raises(BlobCorruptedError, match=sha):
        f.read()
    assert kind.files() == [f"{sha[:2]}/{sha}"]  # left for someone to look at
    # A write of the true content does not repair it (a stored blob is never rewritten):
    # the error says to delete it, after which the content is stored again.
    blobs.delete(sha)
    assert blobs.put_bytes(b"what the run recorded") == sha
    assert blobs.get_bytes(sha) == b"what the run recorded"


def test_temporaries_are_listed_and_deleted(kind: Kind) -> None:
    blobs = kind.store
    sha = blobs.put_bytes(b"kept")
    assert list(blobs.iter_temporaries()) == []
    kind.plant("blobs/.tmp-0123456789abcdef", b"torn")
    kind.plant("blobs/README.tmp-0123456789abcdef", b"a stranger")
    listed = {t.key: t for t in blobs.iter_temporaries()}
    if kind.name == "local":  # put_bytes stages in the blob's folder on a local disk
        kind.plant(f"blobs/{sha[:2]}/.tmp-fedcba9876543210", b"torn too")
        listed = {t.key: t for t in blobs.iter_temporaries()}
        assert listed[f"{sha[:2]}/.tmp-fedcba9876543210"].size == 8
    assert listed[".tmp-0123456789abcdef"].size == 4
    assert listed[".tmp-0123456789abcdef"].mtime is not None
    for key in listed:
        blobs.delete_temporary(key)
        blobs.delete_temporary(key)  # gone already: nothing
    assert list(blobs.iter_temporaries()) == []
    assert kind.files() == sorted([f"{sha[:2]}/{sha}", "README.tmp-0123456789abcdef"])
    for bad in ("../x/.tmp-0123456789abcdef", sha, "README", f"{sha[:2]}/{sha}"):
        with pytest.raises(InvalidArgumentError):
            blobs.delete_temporary(bad)


def test_delete(kind: Kind) -> None:
    blobs = kind.store
    keep, drop = blobs.put_bytes(b"keep"), blobs.put_bytes(b"drop")
    blobs.delete(drop)
    assert not blobs.exists(drop) and blobs.exists(keep)
    assert [info.sha for info in blobs.iter_blobs()] == [keep]
    with pytest.raises(BlobNotFoundError):
        blobs.get_bytes(drop)
    with pytest.raises(BlobNotFoundError):
        blobs.delete(drop)
    # Deleted content can be stored again.
    assert blobs.put_bytes(b"drop") == drop and blobs.get_bytes(drop) == b"drop"


@pytest.mark.parametrize("name", ["local", "file"])
def test_failed_publish_leaves_nothing_behind(name: str, tmp_path: Path) -> None:
    # A real failure: a file stands where the blob's folder must be created.
    kind = make_kind(name, tmp_path, "")
    sha = sha_of(b"x")
    kind.plant(f"blobs/{sha[:2]}", b"in the way")
    src = tmp_path / "src"
    src.write_bytes(b"x")
    expected: type[Exception] = OSError if name == "local" else StoreError
    with pytest.raises(expected):
        kind.store.put_bytes(b"x")
    with pytest.raises(expected):
        kind.store.put_file(src)
    assert kind.files() == [sha[:2]]


# --------------------------------------------------------------------------- concurrency

_WRITER = """
import hashlib, sys, time
from mlops_jupyter.store.blobs import open_blob_store, FsspecBlobStore
root, kind, rounds, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
store = FsspecBlobStore(root) if kind == "file" else open_blob_store(root)
while time.time() < start:
    time.sleep(0.001)
for i in range(rounds):
    data = hashlib.sha256(str(i).encode()).digest() * (8192 + i)
    assert store.put_bytes(data, fsync=False) == hashlib.sha256(data).hexdigest()
"""


@pytest.mark.parametrize("name", ["local", "file"])
def test_concurrent_writers_of_the_same_content(name: str, tmp_path: Path) -> None:
    """Processes racing to store the same blobs while a reader reads: never a torn blob."""
    root = tmp_path / "blobs"
    url = f"file://{root}" if name == "file" else str(root)
    rounds, writers = 30, 3
    contents = [hashlib.sha256(str(i).encode()).digest() * (8192 + i) for i in range(rounds)]
    shas = [sha_of(data) for data in contents]
    start = time.time() + 1.5  # every writer has imported by then
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, url, name, str(rounds), str(start)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(writers)
    ]
    reader = FsspecBlobStore(f"file://{root}") if name == "file" else LocalBlobStore(root)
    seen: set[str] = set()
    torn: list[str] = []
    while any(p.poll() is None for p in procs):
        for sha, data in zip(shas, contents, strict=True):
            try:
                got = reader.get_bytes(sha)
            except BlobNotFoundError:
                continue
            seen.add(sha)
            if got != data:
                torn.append(sha)
    for p in procs:
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    assert torn == []
    assert seen  # the reader did race the writers
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == (
        sorted(f"{sha[:2]}/{sha}" for sha in shas)
    )
    for sha, data in zip(shas, contents, strict=True):
        assert reader.get_bytes(sha) == data


# --------------------------------------------------------------------------- streaming


@pytest.mark.parametrize("name", ["local", "file"])  # memory:// keeps every blob in memory
def test_put_file_streams_a_large_file_in_bounded_memory(name: str, tmp_path: Path) -> None:
    size = 20 * (1 << 20)
    source = tmp_path / "large.bin"
    with open(source, "wb") as f:
        for _ in range(20):
            f.write(os.urandom(1 << 20))
    kind = make_kind(name, tmp_path, "")
    gc.collect()
    tracemalloc.start()
    try:
        record = kind.store.put_file(source)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert record.size == size
    assert peak < size / 5, f"put_file peaked at {peak / 2**20:.1f} MiB"
    with kind.store.open(record.sha256) as f:
        digest = hashlib.sha256()
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    assert digest.hexdigest() == record.sha256


# --------------------------------------------------------------------------- credentials


def test_credentials_never_show(tmp_path: Path) -> None:
    import traceback

    import fsspec

    base = f"/user:s3cret@host/t{uuid.uuid4().hex}"
    blobs = FsspecBlobStore(f"memory:/{base}/blobs?token=t0ken")
    for shown in (repr(blobs), str(blobs.root)):
        assert "s3cret" not in shown and "t0ken" not in shown
        assert "user:***@host" in shown and "token=***" in shown
    # The memory filesystem keeps the whole URL in its paths, so its own errors quote the
    # secrets: a file where the root folder should be makes every write fail.
    fs = fsspec.filesystem("memory")
    fs.pipe_file(f"{base}/blobs?token=t0ken", b"in the way")
    src = tmp_path / "src"
    src.write_bytes(b"y")
    try:
        for call in (lambda: blobs.put_bytes(b"x"), lambda: blobs.put_file(src)):
            with pytest.raises(StoreError) as info:
                call()
            shown = "".join(traceback.format_exception(info.value))
            assert "cannot store a blob" in shown and "user:***@host" in shown
            assert "s3cret" not in shown and "t0ken" not in shown
    finally:
        fs.rm(base, recursive=True)


def test_chained_url_credentials_never_show() -> None:
    import fsspec

    base = f"u:s3cret@h/t{uuid.uuid4().hex}"
    blobs = FsspecBlobStore(f"simplecache::memory://{base}/blobs")
    assert "s3cret" not in repr(blobs) and "simplecache::memory://u:***@h/" in repr(blobs)
    try:
        sha = blobs.put_bytes(b"through a cache")
        assert blobs.get_bytes(sha) == b"through a cache"
    finally:
        fsspec.filesystem("memory").rm(f"/{base}", recursive=True)


def test_unknown_protocol_is_a_clear_error() -> None:
    with pytest.raises(StoreError) as info:
        FsspecBlobStore("nosuchproto://user:s3cret@host/blobs")
    assert "nosuchproto://user:***@host/blobs" in str(info.value)
    assert "s3cret" not in str(info.value)


# --------------------------------------------------------------------------- the factory


def test_open_blob_store_picks_the_store(tmp_path: Path, memory_base: str) -> None:
    local = open_blob_store(str(tmp_path / "b"))
    assert isinstance(local, LocalBlobStore) and local.root == tmp_path / "b"
    # file:// is the local filesystem: the local store, with fsync and without fsspec.
    from_url = open_blob_store(f"file://{tmp_path}/c")
    assert isinstance(from_url, LocalBlobStore) and from_url.root == tmp_path / "c"
    remote = open_blob_store(f"memory://{memory_base}/d")
    assert isinstance(remote, FsspecBlobStore)
    sha = remote.put_bytes(b"x")
    assert FsspecBlobStore(f"memory://{memory_base}/d").get_bytes(sha) == b"x"
    assert is_url("s3://bucket/x") and not is_url(str(tmp_path))


def test_local_and_fsspec_stores_share_the_layout(tmp_path: Path) -> None:
    local = LocalBlobStore(tmp_path / "blobs")
    remote = FsspecBlobStore(f"file://{tmp_path}/blobs")
    a = local.put_bytes(b"written locally")
    b = remote.put_bytes(b"written through fsspec")
    assert remote.get_bytes(a) == b"written locally"
    assert local.get_bytes(b) == b"written through fsspec"
    assert {i.sha for i in local.iter_blobs()} == {i.sha for i in remote.iter_blobs()} == {a, b}


def test_local_store_is_created_lazily(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    assert not blobs.exists("0" * 64)
    assert list(blobs.iter_blobs()) == []
    assert not (tmp_path / "blobs").exists()
    assert blobs.path_for("a" * 64) == tmp_path / "blobs" / "aa" / ("a" * 64)


def test_local_failed_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    src = tmp_path / "f"
    src.write_bytes(b"content")

    def failing_replace(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        blobs.put_bytes(b"x")
    with pytest.raises(OSError, match="disk full"):
        blobs.put_file(src)
    assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []


def test_loading_the_extension_with_local_blobs_does_not_import_fsspec(tmp_path: Path) -> None:
    code = (
        "import sys, json\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "InteractiveShell.instance().run_line_magic('load_ext', 'mlops_jupyter')\n"
        "from mlops_jupyter.store.blobs import open_blob_store\n"
        f"open_blob_store({str(tmp_path / 'b')!r}).put_bytes(b'x')\n"
        f"open_blob_store({'file://' + str(tmp_path / 'c')!r}).put_bytes(b'x')\n"
        "print(json.dumps('fsspec' in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) is False


# --------------------------------------------------------------------------- the location


def test_blobs_setting_may_be_a_url(tmp_path: Path) -> None:
    url = "s3://key:s3cret@bucket/mlops/blobs"
    env = {"MLOPS_JUPYTER_STORE": "postgresql://u:pw@db/runs", "MLOPS_JUPYTER_BLOBS": url}
    location = resolve_store_location(env)
    assert location.blob_root == url  # kept as given, not made absolute
    assert location.blobs_description == "s3://key:***@bucket/mlops/blobs"
    assert "s3cret" not in repr(location)
    # fsspec's chained URLs: every link is masked.
    env["MLOPS_JUPYTER_BLOBS"] = "simplecache::s3://key:s3cret@bucket/blobs"
    chained = resolve_store_location(env).blobs_description
    assert chained == "simplecache::s3://key:***@bucket/blobs"
    # A path is still made absolute.
    env["MLOPS_JUPYTER_BLOBS"] = "rel/blobs"
    assert resolve_store_location(env).blob_root == os.path.abspath("rel/blobs")


def test_sweeps_stay_local_when_blobs_are_remote(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("MLOPS_JUPYTER_BLOBS", "s3://bucket/blobs")
    sqlite = "sqlite:///" + (tmp_path / "db" / "runs.db").as_posix()
    # Beside the database, where they are without MLOPS_JUPYTER_BLOBS.
    assert sweeps_folder(resolve_store_location(override=sqlite)) == str(tmp_path / "db" / "sweeps")
    default = tmp_path / "home" / ".local" / "share" / "mlops-jupyter" / "sweeps"
    assert sweeps_folder(resolve_store_location(override="postgresql://u@db/runs")) == str(default)
    monkeypatch.setenv("MLOPS_JUPYTER_BLOBS", str(tmp_path / "shared" / "blobs"))
    assert sweeps_folder(resolve_store_location(override="postgresql://u@db/runs")) == str(
        tmp_path / "shared" / "sweeps"
    )
    monkeypatch.setenv("MLOPS_JUPYTER_BLOBS", "s3://bucket/blobs")
    location = resolve_store_location(override=sqlite)
    assert sweeps_folder(location) == str(tmp_path / "db" / "sweeps")
