"""Content digests of the files a run read or wrote."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass

__all__ = ["CHUNK_SIZE", "FileDigest", "hash_file"]

CHUNK_SIZE = 1 << 20  # 1 MiB: large enough to amortise the read calls, small in memory


@dataclass(frozen=True)
class FileDigest:
    """The SHA-256 digest of a file's content.

    Attributes:
        path: The path relative to the ``base`` given to :func:`hash_file` (with ``/``
            separators) when the file is inside it, else the absolute path.
        sha256: The hex digest of the content.
        size: The number of bytes hashed.
    """

    path: str
    sha256: str
    size: int


def hash_file(path: str | os.PathLike[str], *, base: str | None = None) -> FileDigest:
    """Hash a file's content, streaming it in 1 MiB chunks.

    Args:
        path: The file.
        base: A directory (usually the notebook's or the repository's); the recorded path is
            relative to it when the file is inside it.

    Returns:
        The file's digest.

    Raises:
        FileNotFoundError: If the file does not exist.
        IsADirectoryError: If the path is a directory.
        PermissionError: If the file cannot be read.
    """
    absolute = os.path.abspath(os.fspath(path))
    digest = hashlib.sha256()
    size = 0
    try:
        handle = open(absolute, "rb", buffering=0)
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "cannot hash a missing file", absolute) from None
    except IsADirectoryError:
        raise IsADirectoryError(errno.EISDIR, "cannot hash a directory", absolute) from None
    with handle:
        # Some platforms open directories; check the opened file itself.
        if stat.S_ISDIR(os.fstat(handle.fileno()).st_mode):
            raise IsADirectoryError(errno.EISDIR, "cannot hash a directory", absolute)
        buffer = bytearray(CHUNK_SIZE)
        view = memoryview(buffer)
        while count := handle.readinto(buffer):
            digest.update(view[:count])
            size += count
    return FileDigest(path=_recorded_path(absolute, base), sha256=digest.hexdigest(), size=size)


def _recorded_path(absolute: str, base: str | None) -> str:
    if base is None:
        return absolute
    base_abs = os.path.abspath(base)
    try:
        inside = os.path.commonpath([absolute, base_abs]) == base_abs
    except ValueError:  # different drives on Windows
        inside = False
    if not inside or absolute == base_abs:
        return absolute
    return os.path.relpath(absolute, base_abs).replace(os.sep, "/")
