"""Blobs in a local directory: atomic writes (temporary file, fsync, rename), no fsspec."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ...models import FileRecord
from ..errors import BlobNotFoundError
from . import CHUNK, PREFIX_RE, SHA256_RE, TMP_PREFIX, BlobInfo, BlobStore, validate_sha256

__all__ = ["LocalBlobStore"]


class LocalBlobStore(BlobStore):
    """Blobs in a local directory.

    Writes are atomic (temporary file in the store, fsync, rename). Directories are created
    on first write.

    Args:
        root: The store directory.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root: Path = Path(root)

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def path_for(self, sha: str) -> Path:
        """Return where the blob ``sha`` is (or would be) stored.

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
        """
        validate_sha256(sha)
        return self.root / sha[:2] / sha

    def exists(self, sha: str) -> bool:
        """Return whether the blob ``sha`` is stored.

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
        """
        return self.path_for(sha).is_file()

    def put_bytes(self, data: bytes, *, fsync: bool = True) -> str:
        """Store ``data`` and return its sha256 (hex).

        Args:
            data: The content.
            fsync: Flush the blob to disk before publishing it. Either way the blob appears
                atomically (a killed process never leaves a torn blob); without fsync an
                operating-system crash may lose it, which is the same promise SQLite makes in
                WAL mode with ``synchronous=NORMAL``. Run metadata (environment, history,
                notebook snapshots, diffs) is written without it: an fsync costs about a
                millisecond, the whole budget of a tracked cell.

        Returns:
            The sha256 of ``data``.
        """
        sha = hashlib.sha256(data).hexdigest()
        target = self.path_for(sha)
        if target.is_file():
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp, fd = self._create_temp(target.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                if fsync:
                    f.flush()
                    os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            _unlink_quietly(tmp)
            raise
        return sha

    def put_file(self, path: str | os.PathLike[str]) -> FileRecord:
        """Copy the file at ``path`` into the store, hashing it on the way.

        The file is streamed in chunks (artifacts can be gigabytes) and hashed from the
        bytes actually copied, so the stored blob always matches its name even if the file
        changes meanwhile.

        Args:
            path: The file to store.

        Returns:
            A record with ``path`` as given, the content's sha256 and its size in bytes.
        """
        source = os.fspath(path)
        self.root.mkdir(parents=True, exist_ok=True)
        # The hash (hence the final directory) is only known at the end: stage in the root,
        # which is on the same filesystem as every blob directory.
        tmp, fd = self._create_temp(self.root)
        try:
            digest = hashlib.sha256()
            size = 0
            with open(source, "rb") as src, os.fdopen(fd, "wb") as dst:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    dst.write(chunk)
                    size += len(chunk)
                dst.flush()
                sha = digest.hexdigest()
                target = self.path_for(sha)
                if not target.is_file():
                    os.fsync(dst.fileno())
            if target.is_file():
                _unlink_quietly(tmp)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, target)
        except BaseException:
            _unlink_quietly(tmp)
            raise
        return FileRecord(path=source, sha256=sha, size=size)

    def get_bytes(self, sha: str) -> bytes:
        """Return the content of blob ``sha``.

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
            BlobNotFoundError: If no such blob is stored.
        """
        try:
            return self.path_for(sha).read_bytes()
        except FileNotFoundError:
            raise BlobNotFoundError(sha) from None

    def open(self, sha: str) -> BinaryIO:
        """Open blob ``sha`` for binary reading (the caller closes it).

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
            BlobNotFoundError: If no such blob is stored.
        """
        try:
            return open(self.path_for(sha), "rb")
        except FileNotFoundError:
            raise BlobNotFoundError(sha) from None

    def iter_blobs(self) -> Iterator[BlobInfo]:
        """List the stored blobs (see :meth:`BlobStore.iter_blobs`)."""
        try:
            prefixes = [e for e in os.scandir(self.root) if PREFIX_RE.fullmatch(e.name)]
        except FileNotFoundError:
            return
        for prefix in prefixes:
            try:
                entries = list(os.scandir(prefix.path))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for entry in entries:
                name = entry.name
                if not name.startswith(prefix.name) or SHA256_RE.fullmatch(name) is None:
                    continue  # temporary files (".tmp-…") and strangers
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # deleted since the listing
                    continue
                if entry.is_file(follow_symlinks=False):
                    yield BlobInfo(name, st.st_size, st.st_mtime)

    def delete(self, sha: str) -> None:
        """Delete blob ``sha`` (see :meth:`BlobStore.delete`)."""
        try:
            os.unlink(self.path_for(sha))
        except FileNotFoundError:
            raise BlobNotFoundError(sha) from None

    @staticmethod
    def _create_temp(directory: Path) -> tuple[Path, int]:
        # O_EXCL with a random name instead of tempfile.mkstemp: mkstemp forces mode 0600,
        # which would hide blobs from the other users of a shared store; 0o666 lets the
        # umask decide, like the database file.
        while True:
            tmp = directory / f"{TMP_PREFIX}{secrets.token_hex(8)}"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o666)
            except FileExistsError:
                continue
            return tmp, fd


_O_BINARY: int = getattr(os, "O_BINARY", 0)


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
