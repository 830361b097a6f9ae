"""Content-addressed blob stores: blobs are kept under ``<root>/<sha[:2]>/<sha256>``.

:class:`LocalBlobStore` keeps them in a local directory (the default). :class:`FsspecBlobStore`
keeps them on anything `fsspec <https://filesystem-spec.readthedocs.io>`_ reaches
(``s3://bucket/blobs``, ``gs://…``, ``sftp://host/path``, ``memory://…``), with the same
layout, so a store written by one can be read by the other. :func:`open_blob_store` picks one
for a setting. fsspec is imported only by :class:`FsspecBlobStore`: a kernel whose blobs are
local never loads it.
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from ...errors import InvalidArgumentError
from ...models import FileRecord

if TYPE_CHECKING:
    from .local import LocalBlobStore
    from .remote import FsspecBlobStore

__all__ = [
    "CHUNK",
    "PREFIX_RE",
    "SHA256_RE",
    "TMP_PREFIX",
    "BlobInfo",
    "BlobStore",
    "FsspecBlobStore",
    "LocalBlobStore",
    "is_url",
    "open_blob_store",
    "validate_sha256",
]

SHA256_RE = re.compile(r"[0-9a-f]{64}")
PREFIX_RE = re.compile(r"[0-9a-f]{2}")
CHUNK = 1 << 20
TMP_PREFIX = ".tmp-"


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
        """Return the content of blob ``sha``.

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
            BlobNotFoundError: If no such blob is stored.
        """

    @abstractmethod
    def open(self, sha: str) -> BinaryIO:
        """Open blob ``sha`` for binary reading (the caller closes it).

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
            BlobNotFoundError: If no such blob is stored.
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


def __getattr__(name: str) -> Any:
    # The implementations are loaded on first use (fsspec only by the remote one).
    if name == "LocalBlobStore":
        from .local import LocalBlobStore

        return LocalBlobStore
    if name == "FsspecBlobStore":
        from .remote import FsspecBlobStore

        return FsspecBlobStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
