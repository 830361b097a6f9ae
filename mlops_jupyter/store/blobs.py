"""Content-addressed blob stores: blobs are kept under ``<root>/<sha[:2]>/<sha256>``.

:class:`LocalBlobStore` keeps them in a local directory (the default). :class:`FsspecBlobStore`
keeps them on anything `fsspec <https://filesystem-spec.readthedocs.io>`_ reaches
(``s3://bucket/blobs``, ``gs://…``, ``sftp://host/path``, ``memory://…``), with the same
layout, so a store written by one can be read by the other. :func:`open_blob_store` picks one
for a setting. fsspec is imported only by :class:`FsspecBlobStore`: a kernel whose blobs are
local never loads it.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO, NoReturn, cast

from ..models import FileRecord
from .errors import BlobNotFoundError, InvalidArgumentError, StoreError

__all__ = [
    "BlobInfo",
    "BlobStore",
    "FsspecBlobStore",
    "LocalBlobStore",
    "is_url",
    "open_blob_store",
    "validate_sha256",
]

_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_PREFIX_RE = re.compile(r"[0-9a-f]{2}")
_CHUNK = 1 << 20
_TMP_PREFIX = ".tmp-"
# Object stores publish an object atomically when its upload completes (one PUT, or the
# completion of a multipart upload) and have no rename: a blob whose hash is known up front
# is written straight to its key. Every other filesystem gets a temporary name and a move.
_OBJECT_STORE_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "oss"})


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
    if not isinstance(sha, str) or _SHA256_RE.fullmatch(sha) is None:
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
    if not is_url(root):
        return LocalBlobStore(root)
    if root.startswith("file://"):
        # As fsspec reads it: file:///abs/path is /abs/path (a relative rest is relative
        # to the current directory, which kernels and the server do not share).
        return LocalBlobStore(os.path.abspath(root[len("file://") :]))
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
                while chunk := src.read(_CHUNK):
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
            prefixes = [e for e in os.scandir(self.root) if _PREFIX_RE.fullmatch(e.name)]
        except FileNotFoundError:
            return
        for prefix in prefixes:
            try:
                entries = list(os.scandir(prefix.path))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for entry in entries:
                name = entry.name
                if not name.startswith(prefix.name) or _SHA256_RE.fullmatch(name) is None:
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
            tmp = directory / f"{_TMP_PREFIX}{secrets.token_hex(8)}"
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


class FsspecBlobStore(BlobStore):
    """Blobs on any filesystem fsspec reaches, given by a URL.

    How a blob appears atomically depends on the filesystem:

    * object stores (``s3``, ``gs``/``gcs``, ``az``/``abfs``, ``oss``) have no rename, but
      publish an object only when its upload completes: :meth:`put_bytes` uploads straight
      to the blob's key, and :meth:`put_file` (whose hash is known only at the end) uploads
      to a temporary key and then copies it server-side to the blob's key;
    * every other filesystem (``file``, ``sftp``, ``hdfs``, ``memory``, …) gets the data
      under a temporary name in the root (``.tmp-…``), then the filesystem's own ``mv`` (a
      rename: ``file``, ``sftp``, ``hdfs``, ``smb``, ``ftp``, …) or, lacking one, a copy of
      that file to the blob's key (``memory``, …).

    A blob that exists is not written again; two writers racing on the same new content may
    both publish it, which leaves the same bytes. ``fsync`` is not available through fsspec
    and is ignored (:func:`open_blob_store` serves ``file://`` URLs with a
    :class:`LocalBlobStore`, which has it).

    Credentials in the URL (``user:password@``, ``?token=…``) never appear in ``repr``,
    :attr:`root` or the errors raised.

    Args:
        url: An fsspec URL, e.g. ``s3://bucket/mlops/blobs``.
        **storage_options: Passed to the filesystem (e.g. ``anon=True``); most filesystems
            also read their usual environment variables and config files.

    Raises:
        StoreError: If the filesystem cannot be loaded (unknown protocol, its package is not
            installed, or it refuses the options).
    """

    def __init__(self, url: str, **storage_options: Any) -> None:
        from .location import mask_url

        # fsspec chains URLs with "::" (simplecache::s3://...): mask each link.
        self.root: str = "::".join(mask_url(part) for part in url.split("::"))
        self._url = url
        self._secrets = _url_secrets(url)
        try:
            from fsspec.core import url_to_fs

            fs, base = url_to_fs(url, **storage_options)
        except Exception as exc:
            self._raise(exc, "open the blob store")
        from fsspec import AbstractFileSystem

        self._fs: Any = fs
        self._base: str = str(base).rstrip("/")
        protocols = fs.protocol if isinstance(fs.protocol, tuple | list) else (fs.protocol,)
        self._direct_put = any(p in _OBJECT_STORE_PROTOCOLS for p in protocols)
        # A filesystem with its own mv has a rename; the generic mv copies, and would copy
        # *into* a folder found at the target: copy the one file explicitly instead.
        self._native_mv = type(fs).mv is not AbstractFileSystem.mv

    def __repr__(self) -> str:
        return f"FsspecBlobStore({self.root!r})"

    # -- paths ------------------------------------------------------------------------

    def _key(self, sha: str) -> str:
        validate_sha256(sha)
        return f"{self._base}/{sha[:2]}/{sha}"

    def _temp_key(self) -> str:
        return f"{self._base}/{_TMP_PREFIX}{secrets.token_hex(8)}"

    # -- errors -----------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        text = text.replace(self._url, self.root)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _raise(self, exc: BaseException, action: str) -> NoReturn:
        if isinstance(exc, StoreError):
            raise exc
        detail = self._scrub(f"{type(exc).__name__}: {exc}")
        error = StoreError(f"blob store {self.root}: cannot {action} ({detail})")
        # The original may quote the secret (a URL in its message): keep it off the chain.
        leaks = self._secrets and any(s in str(exc) for s in self._secrets)
        raise error from (None if leaks else exc)

    # -- the interface ----------------------------------------------------------------

    def exists(self, sha: str) -> bool:
        """Return whether the blob ``sha`` is stored.

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
            StoreError: If the filesystem fails.
        """
        key = self._key(sha)
        try:
            return bool(self._fs.isfile(key))
        except Exception as exc:
            self._raise(exc, f"look up blob {sha}")

    def put_bytes(self, data: bytes, *, fsync: bool = True) -> str:
        """Store ``data`` and return its sha256 (hex); ``fsync`` is ignored (see the class).

        Raises:
            StoreError: If the filesystem fails (nothing is published).
        """
        sha = hashlib.sha256(data).hexdigest()
        key = self._key(sha)
        try:
            if self._fs.isfile(key):
                return sha
            if self._direct_put:
                self._fs.pipe_file(key, data)
                return sha
            self._fs.makedirs(self._base, exist_ok=True)
            tmp = self._temp_key()
            try:
                self._fs.pipe_file(tmp, data)
                self._publish(tmp, sha)
            except BaseException:
                self._remove_quietly(tmp)
                raise
        except Exception as exc:
            self._raise(exc, "store a blob")
        return sha

    def put_file(self, path: str | os.PathLike[str]) -> FileRecord:
        """Copy the local file at ``path`` into the store in chunks of 1 MiB.

        Raises:
            OSError: If ``path`` cannot be read (nothing is left in the store).
            StoreError: If the filesystem fails (nothing is published).
        """
        source = os.fspath(path)
        digest = hashlib.sha256()
        size = 0
        # Opened first: a missing source is the caller's OSError, and leaves no temporary.
        with open(source, "rb") as src:
            tmp = self._temp_key()
            try:
                try:
                    self._fs.makedirs(self._base, exist_ok=True)
                    dst = self._fs.open(tmp, "wb")
                except Exception as exc:
                    self._raise(exc, "store a blob")
                with dst:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        try:
                            dst.write(chunk)
                        except Exception as exc:
                            self._raise(exc, "store a blob")
                sha = digest.hexdigest()
                key = self._key(sha)
                try:
                    if self._fs.isfile(key):
                        self._fs.rm_file(tmp)
                    else:
                        self._publish(tmp, sha)
                except Exception as exc:
                    self._raise(exc, "store a blob")
            except BaseException:
                self._remove_quietly(tmp)
                raise
        return FileRecord(path=source, sha256=sha, size=size)

    def _publish(self, tmp: str, sha: str) -> None:
        key = self._key(sha)
        if not self._direct_put:
            self._fs.makedirs(f"{self._base}/{sha[:2]}", exist_ok=True)
        try:
            if self._native_mv:
                self._fs.mv(tmp, key)
            else:
                # Object stores: a server-side copy, which publishes the object whole.
                self._fs.cp_file(tmp, key)
                self._fs.rm_file(tmp)
        except Exception:
            # Some renames refuse an existing target (SFTP): another writer published the
            # same content first, which is as good.
            if not self._fs.isfile(key):
                raise
            self._remove_quietly(tmp)

    def _remove_quietly(self, key: str) -> None:
        try:
            self._fs.rm_file(key)
        except Exception:  # already gone, or the filesystem is down: it is only a temporary
            pass

    def get_bytes(self, sha: str) -> bytes:
        """Return the content of blob ``sha``.

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
            BlobNotFoundError: If no such blob is stored.
            StoreError: If the filesystem fails.
        """
        key = self._key(sha)
        try:
            return bytes(self._fs.cat_file(key))
        except FileNotFoundError:
            raise BlobNotFoundError(sha) from None
        except Exception as exc:
            self._raise(exc, f"read blob {sha}")

    def open(self, sha: str) -> BinaryIO:
        """Open blob ``sha`` for binary reading (the caller closes it).

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
            BlobNotFoundError: If no such blob is stored.
            StoreError: If the filesystem fails.
        """
        key = self._key(sha)
        try:
            return cast(BinaryIO, self._fs.open(key, "rb"))
        except FileNotFoundError:
            raise BlobNotFoundError(sha) from None
        except Exception as exc:
            self._raise(exc, f"read blob {sha}")

    def iter_blobs(self) -> Iterator[BlobInfo]:
        """List the stored blobs, one ``ls`` per ``<sha[:2]>`` folder (bounded memory).

        Raises:
            StoreError: If the filesystem fails.
        """
        try:
            # Listings may be cached (s3fs, gcsfs): a maintenance pass wants the truth.
            self._fs.invalidate_cache(self._base)
            top = self._fs.ls(self._base, detail=False)
        except FileNotFoundError:
            return
        except Exception as exc:
            self._raise(exc, "list blobs")
        prefixes = sorted({p.rstrip("/").rsplit("/", 1)[-1] for p in top})
        for prefix in prefixes:
            if _PREFIX_RE.fullmatch(prefix) is None:
                continue
            folder = f"{self._base}/{prefix}"
            try:
                entries = self._fs.ls(folder, detail=True)
            except (FileNotFoundError, NotADirectoryError):
                continue
            except Exception as exc:
                self._raise(exc, "list blobs")
            for info in entries:
                name = str(info.get("name", "")).rstrip("/").rsplit("/", 1)[-1]
                if info.get("type") != "file" or not name.startswith(prefix):
                    continue
                if _SHA256_RE.fullmatch(name) is None:
                    continue
                yield BlobInfo(name, int(info.get("size") or 0), _info_mtime(info))

    def delete(self, sha: str) -> None:
        """Delete blob ``sha``.

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
            BlobNotFoundError: If no such blob is stored.
            StoreError: If the filesystem fails.
        """
        key = self._key(sha)
        try:
            # Object stores answer a DELETE of a missing key with success: ask first.
            if not self._fs.isfile(key):
                raise BlobNotFoundError(sha)
            self._fs.rm_file(key)
        except FileNotFoundError:
            raise BlobNotFoundError(sha) from None
        except Exception as exc:
            self._raise(exc, f"delete blob {sha}")


def _url_secrets(url: str) -> list[str]:
    """The secret parts of a URL (password, secret query values), raw and percent-decoded."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    from .location import _SECRET_QUERY_KEYS

    found: set[str] = set()
    for link in url.split("::"):  # fsspec's chained URLs
        try:
            parts = urlsplit(link)
            userinfo = parts.netloc.rpartition("@")[0]
            if ":" in userinfo:
                found.add(userinfo.split(":", 1)[1])
            for key, value in parse_qsl(parts.query, keep_blank_values=True):
                if key.lower() in _SECRET_QUERY_KEYS:
                    found.add(value)
        except ValueError:
            continue
    found |= {unquote(s) for s in found}
    # Longest first, so a secret containing another is replaced whole.
    return sorted((s for s in found if s), key=len, reverse=True)


# Where filesystems put a file's modification time in their ``info``: local and sftp
# ("mtime"), memory ("created"), s3 ("LastModified"), gcs ("updated"), azure
# ("last_modified").
_MTIME_KEYS = ("mtime", "LastModified", "last_modified", "updated", "created")


def _info_mtime(info: dict[str, Any]) -> float | None:
    for key in _MTIME_KEYS:
        value = info.get(key)
        if value is None:
            continue
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
        if isinstance(value, datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=timezone.utc)
            return value.timestamp()
    return None
