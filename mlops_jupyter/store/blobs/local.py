"""Blobs in a local directory: atomic writes (temporary file, fsync, rename), no fsspec.

The directory may be shared by a team, so nothing below its root is trusted: a blob and its
``<sha[:2]>`` folder are opened without following symbolic links (relative to the folder's
descriptor, so a link swapped in meanwhile is not followed either), a blob must be a regular
file, and its content is checked against its name on every read.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ...models import FileRecord
from ..errors import BlobCorruptedError, BlobNotFoundError
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

__all__ = ["LocalBlobStore"]

_O_BINARY: int = getattr(os, "O_BINARY", 0)
_O_NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY: int = getattr(os, "O_DIRECTORY", 0)
# A FIFO planted under a blob's name would block a reader forever: open without waiting,
# then refuse anything that is not a regular file.
_O_NONBLOCK: int = getattr(os, "O_NONBLOCK", 0)
#: Whether files can be opened relative to a folder's descriptor (every POSIX system). Where
#: they cannot (Windows), the folder is checked with ``realpath`` instead, which a link
#: swapped in between check and use could still defeat.
_DIR_FD = {os.open, os.stat, os.unlink, os.rename} <= os.supports_dir_fd


class LocalBlobStore(BlobStore):
    """Blobs in a local directory.

    Writes are atomic (temporary file in the store, fsync, rename). Directories are created
    on first write. The root itself may be a link (a deployment's choice); nothing below it
    is followed.

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

    # -- safe access below the root ----------------------------------------------------

    def _corrupted(self, sha: str, reason: str) -> BlobCorruptedError:
        return BlobCorruptedError(sha, str(self.root), reason)

    def _folder(self, sha: str, *, create: bool) -> int | None:
        """Open the blob's ``<sha[:2]>`` folder without following a link (its descriptor;
        None where descriptors cannot be used, after a realpath check).

        Raises:
            FileNotFoundError: If it does not exist and ``create`` is false.
            BlobCorruptedError: If it is a symbolic link.
        """
        folder = self.root / sha[:2]
        if create:
            try:
                folder.mkdir(parents=True)  # mkdir never follows a link at the folder's name
            except FileExistsError:
                pass
        if not _DIR_FD:
            if os.path.islink(folder) or os.path.realpath(folder) != os.path.join(
                os.path.realpath(self.root), sha[:2]
            ):
                raise self._corrupted(sha, f"its folder {folder} is a link, never followed")
            if not folder.is_dir():
                raise FileNotFoundError(str(folder))
            return None
        try:
            return os.open(folder, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW)
        except OSError:
            if os.path.islink(folder):
                raise self._corrupted(
                    sha, f"its folder {folder} is a symbolic link, never followed"
                ) from None
            raise

    def _open_blob(self, sha: str) -> int:
        """Open blob ``sha`` for reading: a regular file reached without following links."""
        validate_sha256(sha)
        try:
            folder = self._folder(sha, create=False)
        except (FileNotFoundError, NotADirectoryError):
            raise BlobNotFoundError(sha) from None
        flags = os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | _O_BINARY
        try:
            if folder is None:
                fd = os.open(self.path_for(sha), flags)
            else:
                fd = os.open(sha, flags, dir_fd=folder)
        except FileNotFoundError:
            raise BlobNotFoundError(sha) from None
        except OSError:
            if _is_link(sha, folder, self.path_for(sha)):
                raise self._corrupted(sha, "it is a symbolic link, never followed") from None
            raise
        finally:
            if folder is not None:
                os.close(folder)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise self._corrupted(sha, "it is not a regular file")
            if _O_NONBLOCK:
                os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _stored(self, sha: str, folder: int | None) -> bool:
        # A blob is a regular file at its name; a link there is not one (a write replaces it).
        try:
            if folder is None:
                st = os.lstat(self.path_for(sha))
            else:
                st = os.stat(sha, dir_fd=folder, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return stat.S_ISREG(st.st_mode)

    def _publish(self, tmp: str | Path, sha: str, folder: int | None) -> None:
        """Rename a temporary file (a name in ``folder``, or a path) to the blob's name."""
        if folder is None:
            os.replace(tmp, self.path_for(sha))
        elif isinstance(tmp, Path):
            os.replace(tmp, sha, dst_dir_fd=folder)
        else:
            os.replace(tmp, sha, src_dir_fd=folder, dst_dir_fd=folder)

    # -- the interface ----------------------------------------------------------------

    def exists(self, sha: str) -> bool:
        """Return whether the blob ``sha`` is stored (a regular file, not a link).

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
        """
        validate_sha256(sha)
        try:
            folder = self._folder(sha, create=False)
        except (FileNotFoundError, NotADirectoryError, BlobCorruptedError):
            return False
        try:
            return self._stored(sha, folder)
        finally:
            if folder is not None:
                os.close(folder)

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

        Raises:
            BlobCorruptedError: If the blob's folder is a symbolic link (nothing is written).
        """
        sha = hashlib.sha256(data).hexdigest()
        validate_sha256(sha)
        folder = self._folder(sha, create=True)
        try:
            if self._stored(sha, folder):
                return sha
            tmp, fd = self._create_temp(self.root / sha[:2], folder)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    if fsync:
                        f.flush()
                        os.fsync(f.fileno())
                self._publish(tmp, sha, folder)
            except BaseException:
                _unlink_quietly(tmp, folder)
                raise
        finally:
            if folder is not None:
                os.close(folder)
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

        Raises:
            OSError: If ``path`` cannot be read (nothing is left in the store).
            BlobCorruptedError: If the blob's folder is a symbolic link (nothing is left).
        """
        source = os.fspath(path)
        self.root.mkdir(parents=True, exist_ok=True)
        # The hash (hence the final directory) is only known at the end: stage in the root,
        # which is on the same filesystem as every blob directory.
        tmp, fd = self._create_temp(self.root, None)
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
                folder = self._folder(sha, create=True)
                try:
                    stored = self._stored(sha, folder)
                    if not stored:
                        os.fsync(dst.fileno())
                        dst.close()
                        self._publish(tmp, sha, folder)
                finally:
                    if folder is not None:
                        os.close(folder)
            if stored:
                _unlink_quietly(tmp, None)
        except BaseException:
            _unlink_quietly(tmp, None)
            raise
        return FileRecord(path=source, sha256=sha, size=size)

    def get_bytes(self, sha: str) -> bytes:
        """Return the content of blob ``sha``, checked against its name.

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
            BlobNotFoundError: If no such blob is stored.
            BlobCorruptedError: If it does not hash to ``sha``, is a link (or in a linked
                folder) or is not a regular file.
        """
        with os.fdopen(self._open_blob(sha), "rb") as f:
            data = f.read()
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha:
            raise self._corrupted(sha, f"its content does not match its name (sha256 {actual})")
        return data

    def open(self, sha: str) -> BinaryIO:
        """Open blob ``sha`` for binary reading, checked as it is read (see the contract).

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
            BlobNotFoundError: If no such blob is stored.
            BlobCorruptedError: If it is a link or not a regular file; when read to the end,
                if it does not hash to ``sha``.
        """
        raw = os.fdopen(self._open_blob(sha), "rb", buffering=0)
        return verifying_reader(raw, sha, lambda reason: self._corrupted(sha, reason))

    def iter_blobs(self) -> Iterator[BlobInfo]:
        """List the stored blobs (see :meth:`BlobStore.iter_blobs`); links are not blobs."""
        for prefix in self._prefixes():
            for entry in _scandir(prefix.path):
                name = entry.name
                if not name.startswith(prefix.name) or SHA256_RE.fullmatch(name) is None:
                    continue  # temporary files (".tmp-…") and strangers
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # deleted since the listing
                    continue
                if stat.S_ISREG(st.st_mode):
                    yield BlobInfo(name, st.st_size, st.st_mtime)

    def delete(self, sha: str) -> None:
        """Delete blob ``sha`` (see :meth:`BlobStore.delete`); a link is removed, not its
        target."""
        validate_sha256(sha)
        try:
            folder = self._folder(sha, create=False)
        except (FileNotFoundError, NotADirectoryError):
            raise BlobNotFoundError(sha) from None
        try:
            if folder is None:
                os.unlink(self.path_for(sha))
            else:
                os.unlink(sha, dir_fd=folder)
        except FileNotFoundError:
            raise BlobNotFoundError(sha) from None
        finally:
            if folder is not None:
                os.close(folder)

    def iter_temporaries(self) -> Iterator[TemporaryInfo]:
        """List temporary files, in the root (:meth:`put_file`) and in blob folders
        (:meth:`put_bytes`)."""
        folders: list[tuple[str, str]] = [("", str(self.root))]
        folders += [(f"{p.name}/", p.path) for p in self._prefixes()]
        for relative, path in folders:
            for entry in _scandir(path):
                if TEMPORARY_RE.fullmatch(entry.name) is None:
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # published or removed since the listing
                    continue
                if stat.S_ISREG(st.st_mode):
                    yield TemporaryInfo(relative + entry.name, st.st_size, st.st_mtime)

    def delete_temporary(self, key: str) -> None:
        """Delete a temporary file (see :meth:`BlobStore.delete_temporary`)."""
        validate_temporary_key(key)
        folder, _, name = key.rpartition("/")
        if folder and os.path.islink(self.root / folder):
            return  # not ours: iter_temporaries never lists through a link
        try:
            os.unlink(self.root / folder / name)
        except FileNotFoundError:
            pass

    # -- internals ---------------------------------------------------------------------

    def _prefixes(self) -> list[os.DirEntry[str]]:
        # Real folders only: a linked one is not part of the store.
        return [
            e
            for e in _scandir(str(self.root))
            if PREFIX_RE.fullmatch(e.name) and e.is_dir(follow_symlinks=False)
        ]

    @staticmethod
    def _create_temp(directory: Path, folder: int | None) -> tuple[str | Path, int]:
        # O_EXCL with a random name instead of tempfile.mkstemp: mkstemp forces mode 0600,
        # which would hide blobs from the other users of a shared store; 0o666 lets the
        # umask decide, like the database file. In a blob folder, the name is relative to
        # its descriptor (never through a link swapped in).
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_BINARY
        while True:
            name = f"{TMP_PREFIX}{secrets.token_hex(8)}"
            try:
                if folder is None:
                    return directory / name, os.open(directory / name, flags, 0o666)
                return name, os.open(name, flags, 0o666, dir_fd=folder)
            except FileExistsError:
                continue


def _scandir(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            return list(entries)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _is_link(name: str, folder: int | None, path: Path) -> bool:
    try:
        if folder is None:
            return stat.S_ISLNK(os.lstat(path).st_mode)
        return stat.S_ISLNK(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _unlink_quietly(tmp: str | Path, folder: int | None) -> None:
    try:
        if isinstance(tmp, Path) or folder is None:
            os.unlink(tmp)
        else:
            os.unlink(tmp, dir_fd=folder)
    except FileNotFoundError:
        pass
