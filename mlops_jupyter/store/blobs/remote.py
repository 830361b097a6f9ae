"""Blobs on any filesystem fsspec reaches (``s3://``, ``gs://``, ``sftp://``, ``memory://``).

fsspec is imported only here, when a store's blobs are on such a URL.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any, BinaryIO, NoReturn

from ...models import FileRecord
from ...redaction import Scrubber, mask_url
from ..errors import BlobCorruptedError, BlobNotFoundError, StoreError
from . import (
    CHUNK,
    PREFIX_RE,
    SHA256_RE,
    TEMPORARY_RE,
    TMP_PREFIX,
    BlobInfo,
    BlobStore,
    TemporaryInfo,
    validate_sha256,
    validate_temporary_key,
    verifying_reader,
)

__all__ = ["FsspecBlobStore"]

# Object stores publish an object atomically when its upload completes (one PUT, or the
# completion of a multipart upload) and have no rename: a blob whose hash is known up front
# is written straight to its key. Every other filesystem gets a temporary name and a move.
_OBJECT_STORE_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "oss"})


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
        self._scrub = Scrubber(url)
        self.root: str = mask_url(url)
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
        return f"{self._base}/{TMP_PREFIX}{secrets.token_hex(8)}"

    # -- errors -----------------------------------------------------------------------

    def _raise(self, exc: BaseException, action: str) -> NoReturn:
        if isinstance(exc, StoreError):
            raise exc
        detail = self._scrub(f"{type(exc).__name__}: {exc}")
        error = StoreError(f"blob store {self.root}: cannot {action} ({detail})")
        # The original may quote the secret (a URL in its message): keep it off the chain.
        leaks = self._scrub.leaks(str(exc))
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
                    while chunk := src.read(CHUNK):
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
        except Exception:  # noqa: S110 - already gone, or the filesystem is down: a temporary
            pass

    def _corrupted(self, sha: str, reason: str) -> BlobCorruptedError:
        return BlobCorruptedError(sha, self.root, reason)

    def get_bytes(self, sha: str) -> bytes:
        """Return the content of blob ``sha``, checked against its name.

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
            BlobNotFoundError: If no such blob is stored.
            BlobCorruptedError: If its content does not hash to ``sha``.
            StoreError: If the filesystem fails.
        """
        key = self._key(sha)
        try:
            data = bytes(self._fs.cat_file(key))
        except FileNotFoundError:
            raise BlobNotFoundError(sha) from None
        except Exception as exc:
            self._raise(exc, f"read blob {sha}")
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha:
            raise self._corrupted(sha, f"its content does not match its name (sha256 {actual})")
        return data

    def open(self, sha: str) -> BinaryIO:
        """Open blob ``sha`` for binary reading, checked as it is read (see the contract).

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
            BlobNotFoundError: If no such blob is stored.
            BlobCorruptedError: When read to the end, if it does not hash to ``sha``.
            StoreError: If the filesystem fails.
        """
        key = self._key(sha)
        try:
            raw = self._fs.open(key, "rb")
        except FileNotFoundError:
            raise BlobNotFoundError(sha) from None
        except Exception as exc:
            self._raise(exc, f"read blob {sha}")
        return verifying_reader(raw, sha, lambda reason: self._corrupted(sha, reason))

    def _ls(self, folder: str, *, fresh: bool = False) -> list[dict[str, Any]]:
        """The entries of ``folder`` with their details (none if it does not exist)."""
        try:
            if fresh:
                # Listings may be cached (s3fs, gcsfs): a maintenance pass wants the truth.
                self._fs.invalidate_cache(folder)
            return list(self._fs.ls(folder, detail=True))
        except (FileNotFoundError, NotADirectoryError):
            return []
        except Exception as exc:
            self._raise(exc, "list blobs")

    def iter_blobs(self) -> Iterator[BlobInfo]:
        """List the stored blobs, one ``ls`` per ``<sha[:2]>`` folder (bounded memory).

        Raises:
            StoreError: If the filesystem fails.
        """
        prefixes = sorted({_name(info) for info in self._ls(self._base, fresh=True)})
        for prefix in prefixes:
            if PREFIX_RE.fullmatch(prefix) is None:
                continue
            for info in self._ls(f"{self._base}/{prefix}"):
                name = _name(info)
                if info.get("type") != "file" or not name.startswith(prefix):
                    continue
                if SHA256_RE.fullmatch(name) is None:
                    continue
                yield BlobInfo(name, int(info.get("size") or 0), _info_mtime(info))

    def iter_temporaries(self) -> Iterator[TemporaryInfo]:
        """List the temporary files of writes (in the root: see the class).

        Raises:
            StoreError: If the filesystem fails.
        """
        for info in self._ls(self._base, fresh=True):
            name = _name(info)
            if info.get("type") == "file" and TEMPORARY_RE.fullmatch(name) is not None:
                yield TemporaryInfo(name, int(info.get("size") or 0), _info_mtime(info))

    def delete_temporary(self, key: str) -> None:
        """Delete a temporary file (see :meth:`BlobStore.delete_temporary`).

        Raises:
            InvalidArgumentError: If ``key`` does not name a temporary file.
            StoreError: If the filesystem fails.
        """
        validate_temporary_key(key)
        try:
            self._fs.rm_file(f"{self._base}/{key}")
        except FileNotFoundError:
            pass
        except Exception as exc:
            self._raise(exc, "delete a temporary file")

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


# Where filesystems put a file's modification time in their ``info``: local and sftp
# ("mtime"), memory ("created"), s3 ("LastModified"), gcs ("updated"), azure
# ("last_modified").
_MTIME_KEYS = ("mtime", "LastModified", "last_modified", "updated", "created")


def _name(info: dict[str, Any]) -> str:
    """The last part of an entry's path (folders may end with "/")."""
    return str(info.get("name", "")).rstrip("/").rsplit("/", 1)[-1]


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
