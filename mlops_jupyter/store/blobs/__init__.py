"""Content-addressed blob stores: blobs are kept under ``<root>/<sha[:2]>/<sha256>``.

:class:`LocalBlobStore` keeps them in a local directory (the default). :class:`FsspecBlobStore`
keeps them on anything `fsspec <https://filesystem-spec.readthedocs.io>`_ reaches
(``s3://bucket/blobs``, ``gs://…``, ``sftp://host/path``, ``memory://…``), with the same
layout, so a store written by one can be read by the other. :func:`open_blob_store` picks one
for a setting. fsspec is imported only by :class:`FsspecBlobStore`: a kernel whose blobs are
local never loads it.

A blob store may be shared (a team's folder or bucket), so what is read from it is checked:
every read verifies that the content hashes to the blob's name, and the local store never
follows a symbolic link below its root (:class:`~mlops_jupyter.store.errors.BlobCorruptedError`
otherwise).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from ...errors import InvalidArgumentError
from ...models import FileRecord

if TYPE_CHECKING:
    from .local import LocalBlobStore
    from .remote import FsspecBlobStore

__all__ = [
    "CHUNK",
    "PREFIX_RE",
    "SHA256_RE",
    "TEMPORARY_RE",
    "TMP_PREFIX",
    "BlobInfo",
    "BlobStore",
    "FsspecBlobStore",
    "LocalBlobStore",
    "TemporaryInfo",
    "is_url",
    "open_blob_store",
    "validate_sha256",
    "validate_temporary_key",
    "verifying_reader",
]

SHA256_RE = re.compile(r"[0-9a-f]{64}")
PREFIX_RE = re.compile(r"[0-9a-f]{2}")
CHUNK = 1 << 20
TMP_PREFIX = ".tmp-"
#: The name of a temporary file of a write (in the root or in a blob's folder).
TEMPORARY_RE = re.compile(r"\.tmp-[0-9a-f]{16}")
_TEMPORARY_KEY_RE = re.compile(r"(?:[0-9a-f]{2}/)?\.tmp-[0-9a-f]{16}")


def validate_sha256(sha: object) -> str:
    """Check that ``sha`` is 64 lowercase hex characters.

    Blob hashes can come from request paths, so nothing else may reach the filesystem.

    Args:
        sha: The candidate hash.

    Returns:
        The hash, unchanged.

    Raises:
        InvalidArgumentError: If it is not a lowercase hex sha256.
    """
    if not isinstance(sha, str) or SHA256_RE.fullmatch(sha) is None:
        raise InvalidArgumentError(f"invalid sha256: {sha!r:.80}")
    return sha


def validate_temporary_key(key: object) -> str:
    """Check that ``key`` names a temporary file: ``.tmp-<16 hex>``, maybe in a blob folder.

    Raises:
        InvalidArgumentError: Otherwise (nothing else may be deleted as a temporary).
    """
    if not isinstance(key, str) or _TEMPORARY_KEY_RE.fullmatch(key) is None:
        raise InvalidArgumentError(f"not a temporary file of the blob store: {key!r:.80}")
    return key


def is_url(root: str) -> bool:
    """Return whether a blob-store setting is a URL (``scheme://…``) rather than a path."""
    return "://" in root


def open_blob_store(root: str) -> BlobStore:
    """Open the blob store a setting names.

    A path, and a ``file://`` URL, give a :class:`LocalBlobStore` on that directory: the same
    layout as fsspec's, with fsync and without fsspec's overhead. Any other URL
    (``s3://bucket/blobs``, ``memory://x``, ``simplecache::s3://…``) gives a
    :class:`FsspecBlobStore`.

    Args:
        root: A directory, or an fsspec URL.

    Returns:
        The blob store (nothing is created until the first write).

    Raises:
        StoreError: If the URL's filesystem cannot be loaded (e.g. ``s3fs`` is not installed).
    """
    from .local import LocalBlobStore

    if not is_url(root):
        return LocalBlobStore(root)
    if root.startswith("file://"):
        # As fsspec reads it: file:///abs/path is /abs/path (a relative rest is relative
        # to the current directory, which kernels and the server do not share).
        return LocalBlobStore(os.path.abspath(root[len("file://") :]))
    from .remote import FsspecBlobStore

    return FsspecBlobStore(root)


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """One stored blob, as :meth:`BlobStore.iter_blobs` lists it.

    Attributes:
        sha: The blob's sha256 (hex).
        size: Its size in bytes.
        mtime: When it was written (Unix time), or None if the filesystem does not say.
    """

    sha: str
    size: int
    mtime: float | None


@dataclass(frozen=True, slots=True)
class TemporaryInfo:
    """A temporary file of a write, as :meth:`BlobStore.iter_temporaries` lists it.

    Attributes:
        key: Where it is, relative to the root (``.tmp-…`` or ``<sha[:2]>/.tmp-…``).
        size: Its size in bytes.
        mtime: When it was last written (Unix time), or None if the filesystem does not say.
    """

    key: str
    size: int
    mtime: float | None


class _VerifyingRaw(io.RawIOBase):
    """Reads a blob, hashing what passes; at the end, raises if it does not match its name."""

    def __init__(self, raw: Any, sha: str, corrupted: Callable[[str], Exception]) -> None:
        super().__init__()
        self._raw = raw
        self._sha = sha
        self._corrupted = corrupted
        self._digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        readinto = getattr(self._raw, "readinto", None)
        if readinto is not None:  # local files, most fsspec files: no copy
            n = readinto(view) or 0
        else:
            data = self._raw.read(len(view))
            n = len(data)
            view[:n] = data
        if n:
            self._digest.update(view[:n])
        elif len(view):
            actual = self._digest.hexdigest()
            if actual != self._sha:
                raise self._corrupted(f"its content does not match its name (sha256 {actual})")
        return n

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def verifying_reader(
    raw: Any, sha: str, corrupted: Callable[[str], Exception], buffer_size: int = CHUNK
) -> BinaryIO:
    """Wrap an open blob so that reading it to the end checks its sha256.

    The content is hashed while it is read (a large artifact is not read twice); at the end
    of the file a mismatch raises ``corrupted(reason)``. A caller that acts on the content
    must therefore read it to the end first (``read()`` does).

    Args:
        raw: The blob opened for binary reading (``read(n)`` and ``close()`` are used).
        sha: The blob's name.
        corrupted: Builds the error raised on a mismatch.
        buffer_size: Read-ahead of the returned reader.
    """
    return cast(BinaryIO, io.BufferedReader(_VerifyingRaw(raw, sha, corrupted), buffer_size))


class BlobStore(ABC):
    """Immutable blobs keyed by the sha256 of their content.

    Every implementation promises: a blob appears atomically, whole or not at all, even if
    the writer is killed; a blob that exists is never rewritten, so concurrent writers of the
    same content are harmless; a hash is validated before any path is built from it (hashes
    come from HTTP requests). Errors are :class:`~mlops_jupyter.store.errors.StoreError`\\ s,
    except that a local file given to :meth:`put_file` raises the usual ``OSError``.

    Attributes:
        root: Where the blobs are, safe to show in logs and errors: a local directory, or a
            URL with its credentials masked.
    """

    root: str | os.PathLike[str]

    @abstractmethod
    def exists(self, sha: str) -> bool:
        """Return whether the blob ``sha`` is stored.

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
        """

    @abstractmethod
    def put_bytes(self, data: bytes, *, fsync: bool = True) -> str:
        """Store ``data`` (unless already stored) and return its sha256 (hex).

        Args:
            data: The content.
            fsync: Make the blob durable before publishing it, where the store can.

        Returns:
            The sha256 of ``data``.
        """

    @abstractmethod
    def put_file(self, path: str | os.PathLike[str]) -> FileRecord:
        """Copy the file at ``path`` into the store, streaming it in chunks and hashing the
        bytes actually copied (the stored blob matches its name even if the file changes).

        Args:
            path: The local file to store.

        Returns:
            A record with ``path`` as given, the content's sha256 and its size in bytes.

        Raises:
            OSError: If ``path`` cannot be read (nothing is left in the store).
        """

    @abstractmethod
    def get_bytes(self, sha: str) -> bytes:
        """Return the content of blob ``sha``, checked against its name.

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
            BlobNotFoundError: If no such blob is stored.
            BlobCorruptedError: If the content does not hash to ``sha``, or the blob is a
                link or not a regular file.
        """

    @abstractmethod
    def open(self, sha: str) -> BinaryIO:
        """Open blob ``sha`` for binary reading (the caller closes it).

        The content is checked against its name as it is read: reading to the end raises
        :class:`~mlops_jupyter.store.errors.BlobCorruptedError` if it does not match, so a
        caller must not act on the content before it has read it all.

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
            BlobNotFoundError: If no such blob is stored.
            BlobCorruptedError: If the blob is a link or not a regular file (at once), or
                its content does not hash to ``sha`` (at the end of the file).
        """

    @abstractmethod
    def iter_blobs(self) -> Iterator[BlobInfo]:
        """List the stored blobs, in no particular order.

        Temporary files of writes in progress (or of killed writers) and anything else that
        is not ``<sha[:2]>/<sha>`` are skipped.
        """

    @abstractmethod
    def delete(self, sha: str) -> None:
        """Delete blob ``sha`` (directories are kept: a writer may be about to use them).

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
            BlobNotFoundError: If no such blob is stored.
        """

    @abstractmethod
    def iter_temporaries(self) -> Iterator[TemporaryInfo]:
        """List the temporary files of writes, in progress or left by killed writers."""

    @abstractmethod
    def delete_temporary(self, key: str) -> None:
        """Delete a temporary file :meth:`iter_temporaries` listed (gone already: nothing).

        Raises:
            InvalidArgumentError: If ``key`` does not name a temporary file.
        """


def __getattr__(name: str) -> Any:
    # The implementations are loaded on first use (fsspec only by the remote one).
    if name == "LocalBlobStore":
        from .local import LocalBlobStore

        return LocalBlobStore
    if name == "FsspecBlobStore":
        from .remote import FsspecBlobStore

        return FsspecBlobStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
