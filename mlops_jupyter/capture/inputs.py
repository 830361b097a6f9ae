"""The files a session reads, learnt without asking: Python's audit hooks see every open.

:class:`InputMonitor` installs one ``sys.addaudithook`` hook per process (hooks cannot be
removed, so it is switched on and off with a flag) and notes every file the session's code
opens for reading: ``open()``, ``io.open``, ``os.open`` with a read mode, and through them
pandas, numpy, csv, PIL and most libraries. Reads over fsspec (``s3://``, ``gs://``,
``memory://``...) and ``urllib`` (pandas' ``http(s)://``) are noted by URL, credentials
stripped. What is not data is left out: the interpreter's own files (site-packages, the
standard library, ``.py``/``.pyc``), ``/proc``, ``/sys``, ``/dev``, the store, Jupyter's
runtime and configuration files, and files the session wrote before reading them.

The hook itself does almost nothing (a string comparison for every audited event, an
``abspath`` and a dict insert for an open): stat-ing and hashing happen when a tracked cell
ends, and hashing on the writer thread (:func:`digest_input`).

Stdlib only.
"""

from __future__ import annotations

import os
import stat
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DEFAULT_FOLDER_THRESHOLD",
    "DEFAULT_MAX_HASH_BYTES",
    "INPUTS_ENV_VAR",
    "InputMonitor",
    "Read",
    "digest_file",
    "digest_folder",
    "get_monitor",
    "path_literals",
]

#: ``MLOPS_JUPYTER_CAPTURE_INPUTS=0`` turns automatic input capture off for a kernel.
INPUTS_ENV_VAR = "MLOPS_JUPYTER_CAPTURE_INPUTS"
#: Files larger than this are hashed by samples (marked as such), never whole.
DEFAULT_MAX_HASH_BYTES = 1 << 30
#: More files than this read under one folder: the folder is one input with a manifest.
DEFAULT_FOLDER_THRESHOLD = 1000
#: Samples of a sampled hash, and their size.
_SAMPLES = 16
_SAMPLE_BYTES = 1 << 20
_CHUNK = 1 << 20
# Extensions of code, not data: imports read them.
_CODE_SUFFIXES = (".py", ".pyc", ".pyo", ".pyi", ".pyd", ".so", ".pth", ".dylib", ".dll")
_SYSTEM_PREFIXES = ("/proc/", "/sys/", "/dev/", "/etc/", "/usr/share/", "/usr/lib/", "/run/")


@dataclass
class Read:
    """One input the session read, as the hook saw it.

    Attributes:
        path: Absolute path, or the URL (credentials stripped) of a remote read.
        cell: Execution count of the cell that first read it (None: outside a cell).
        kind: ``"file"`` or ``"url"``.
        via: ``"open"`` (the audit hook), ``"fsspec"`` or ``"urllib"``.
        at: When it was first read (Unix time).
        version: The remote object's ETag or version id, when the library gave it.
    """

    path: str
    cell: int | None
    kind: str = "file"
    via: str = "open"
    at: float = field(default_factory=time.time)
    version: str | None = None


class InputMonitor:
    """Notes the files and URLs read by this process's code (see the module docstring).

    Args:
        excluded_roots: Folders whose files are never inputs (the store, the spool...),
            besides the interpreter's and Jupyter's own.
    """

    def __init__(self, excluded_roots: Iterable[str] = ()) -> None:
        self.enabled = False
        self.cell: int | None = None
        self.reads: dict[str, Read] = {}
        self.written: set[str] = set()
        self._excluded = tuple(_interpreter_roots()) + tuple(
            os.path.join(os.path.abspath(r), "") for r in excluded_roots
        )
        self._local = threading.local()
        self._installed = False
        self._lock = threading.Lock()

    # -- switching -----------------------------------------------------------------------

    def install(self) -> None:
        """Install the process's audit hook (once; it cannot be removed) and start noting."""
        if not self._installed:
            sys.addaudithook(self._hook)
            self._installed = True
        self.enabled = True

    def exclude(self, root: str) -> None:
        """Never count files under ``root`` (e.g. the store's folder) as inputs."""
        prefix = os.path.join(os.path.abspath(root), "")
        if prefix not in self._excluded:
            self._excluded = (*self._excluded, prefix)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Do not note what this thread opens meanwhile (our own capture reads files)."""
        before = getattr(self._local, "paused", False)
        self._local.paused = True
        try:
            yield
        finally:
            self._local.paused = before

    def pause_thread(self) -> None:
        """Never note what the calling thread opens (our background threads)."""
        self._local.paused = True

    def reset(self) -> None:
        """Forget what was read (a new session)."""
        with self._lock:
            self.reads.clear()
            self.written.clear()

    # -- the hook ------------------------------------------------------------------------

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        # Called for every audited event of the process: keep the common path trivial.
        if event != "open" or not self.enabled:
            if event == "urllib.Request" and self.enabled:
                self._note_url(args)
            return
        if getattr(self._local, "paused", False):
            return
        try:
            path, mode, flags = args
            if isinstance(path, bytes):
                path = os.fsdecode(path)
            elif not isinstance(path, str):
                if hasattr(path, "__fspath__"):
                    path = os.fspath(path)
                if not isinstance(path, str):
                    return  # a file descriptor
            reading, writing = _access(mode, flags)
            absolute = os.path.abspath(path)
            if mode is None and not os.path.isabs(path) and not os.path.exists(absolute):
                return  # os.open relative to a dir_fd: not a path we can name
            if writing:
                self.written.add(absolute)
            if not reading or absolute in self.reads or absolute in self.written:
                return
            if absolute.endswith(_CODE_SUFFIXES) or absolute.startswith(self._excluded):
                return
            self.reads[absolute] = Read(absolute, self.cell)
        except Exception:  # noqa: S110 - an audit hook must never break the user's code
            pass

    def _note_url(self, args: tuple[Any, ...]) -> None:
        try:
            url = args[0]
            if isinstance(url, str) and url not in self.reads:
                from ..redaction import strip_url_credentials

                clean = strip_url_credentials(url)
                self.reads[clean] = Read(clean, self.cell, kind="url", via="urllib")
        except Exception:  # noqa: S110 - never break the user's code
            pass

    def note_remote(self, url: str, version: str | None = None) -> None:
        """Note a remote object read through fsspec (see :func:`watch_fsspec`)."""
        if not self.enabled or getattr(self._local, "paused", False):
            return
        from ..redaction import strip_url_credentials

        clean = strip_url_credentials(url)
        if clean not in self.reads:
            self.reads[clean] = Read(clean, self.cell, kind="url", via="fsspec", version=version)

    def snapshot(self) -> list[Read]:
        """What was read so far, in the order first read."""
        with self._lock:
            return list(self.reads.values())


_access_modes = os.O_RDONLY | os.O_WRONLY | os.O_RDWR


def _access(mode: Any, flags: Any) -> tuple[bool, bool]:
    """(reads, writes) of an open call's mode string or ``os.open`` flags."""
    if isinstance(mode, str):
        writing = any(c in mode for c in "wax+")
        reading = "r" in mode or "+" in mode
        return reading, writing
    if isinstance(flags, int):
        access = flags & _access_modes
        return access in (os.O_RDONLY, os.O_RDWR), access in (os.O_WRONLY, os.O_RDWR)
    return False, False


def _interpreter_roots() -> list[str]:
    """Folders holding the interpreter, its libraries and Jupyter's own files."""
    # The standard library is where os lives; site-packages folders are on sys.path
    # (sysconfig would say the same, at the cost of importing it on %load_ext).
    roots = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        os.path.dirname(os.__file__),
    }
    home = os.path.expanduser("~")
    roots.update(
        os.path.join(home, part)
        for part in (
            ".ipython",
            ".jupyter",
            ".cache",
            ".config",
            ".local/lib",
            ".local/share/jupyter",
            ".local/state/mlops-jupyter",
        )
    )
    for variable in ("JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR", "IPYTHONDIR"):
        value = os.environ.get(variable)
        if value:
            roots.add(value)
    for path in sys.path:
        if path.endswith(("site-packages", "dist-packages")):
            roots.add(path)
    prefixes = [os.path.join(os.path.abspath(r), "") for r in roots if r]
    return [*_SYSTEM_PREFIXES, *prefixes]


_monitor: InputMonitor | None = None


def get_monitor() -> InputMonitor:
    """This process's input monitor (created on first use, not installed)."""
    global _monitor
    if _monitor is None:
        _monitor = InputMonitor()
    return _monitor


# --------------------------------------------------------------------------- fsspec


def watch_fsspec(monitor: InputMonitor) -> bool:
    """Note reads of fsspec filesystems other than the local one (s3, gs, http, memory...).

    fsspec does not go through ``open()`` for remote objects: its base class's ``open`` is
    wrapped once, when fsspec is imported. Returns whether fsspec is watched.
    """
    module = sys.modules.get("fsspec.spec")
    if module is None:
        return False
    base: Any = getattr(module, "AbstractFileSystem", None)
    if base is None or getattr(base.open, "_mlops_watched", False):
        return base is not None
    original = base.open

    def open_watched(self: Any, path: Any, mode: str = "rb", *args: Any, **kwargs: Any) -> Any:
        handle = original(self, path, mode, *args, **kwargs)
        try:
            protocols = (
                self.protocol if isinstance(self.protocol, tuple | list) else (self.protocol,)
            )
            if "r" in mode and "file" not in protocols and "local" not in protocols:
                url = (
                    self.unstrip_protocol(str(path))
                    if hasattr(self, "unstrip_protocol")
                    else str(path)
                )
                monitor.note_remote(url, _remote_version(handle))
        except Exception:  # noqa: S110 - never break the user's read
            pass
        return handle

    open_watched._mlops_watched = True  # type: ignore[attr-defined]
    base.open = open_watched
    return True


def _remote_version(handle: Any) -> str | None:
    """The ETag or version id an fsspec file exposes, without another request."""
    for attribute in ("version_id", "etag", "e_tag"):
        value = getattr(handle, attribute, None)
        if isinstance(value, str) and value:
            return value
    details = getattr(handle, "details", None)
    if isinstance(details, dict):
        for key in ("VersionId", "ETag", "etag", "generation", "md5Hash"):
            value = details.get(key)
            if isinstance(value, str | int) and str(value):
                return str(value)
    return None


# --------------------------------------------------------------------------- digests


@dataclass(frozen=True)
class FileDigestInfo:
    """A file's identity for caching, and its digest.

    Attributes:
        size: Bytes.
        mtime: Modification time (Unix time).
        sha256: Hex digest (of the whole content, or of samples).
        hashing: ``"full"`` or ``"sampled"`` (a file larger than the limit).
    """

    size: int
    mtime: float
    sha256: str
    hashing: str


_digest_cache: dict[tuple[str, int, int, int], FileDigestInfo] = {}
_digest_lock = threading.Lock()


def digest_file(path: str, *, max_bytes: int = DEFAULT_MAX_HASH_BYTES) -> FileDigestInfo:
    """The sha256 of a file, cached for the process per (path, size, mtime, inode).

    Files larger than ``max_bytes`` get a sampled hash: the size and :data:`_SAMPLES`
    chunks of 1 MiB at evenly spaced offsets, marked ``"sampled"``.

    Raises:
        OSError: If the file cannot be read (or is not a regular file).
    """
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise IsADirectoryError(f"not a regular file: {path}")
    key = (path, st.st_size, st.st_mtime_ns, st.st_ino)
    with _digest_lock:
        cached = _digest_cache.get(key)
    if cached is not None:
        return cached
    import hashlib

    digest = hashlib.sha256()
    if st.st_size > max_bytes:
        hashing = "sampled"
        digest.update(f"sampled:{st.st_size}:".encode())
        with open(path, "rb") as handle:
            step = max(1, (st.st_size - _SAMPLE_BYTES) // max(1, _SAMPLES - 1))
            for i in range(_SAMPLES):
                handle.seek(min(i * step, max(0, st.st_size - _SAMPLE_BYTES)))
                digest.update(handle.read(_SAMPLE_BYTES))
    else:
        hashing = "full"
        with open(path, "rb", buffering=0) as handle:
            buffer = bytearray(_CHUNK)
            view = memoryview(buffer)
            while count := handle.readinto(buffer):
                digest.update(view[:count])
    info = FileDigestInfo(st.st_size, st.st_mtime, digest.hexdigest(), hashing)
    with _digest_lock:
        _digest_cache[key] = info
    return info


def digest_folder(
    folder: str, *, max_bytes: int = DEFAULT_MAX_HASH_BYTES
) -> tuple[str, list[dict[str, Any]], int]:
    """A folder's manifest and its digest: sorted relative paths, sizes and per-file hashes.

    Returns:
        ``(sha256 of the manifest, manifest entries, total size)``; entries are
        ``{"path", "size", "sha256"}`` sorted by path (unreadable files carry no sha256).
    """
    entries: list[dict[str, Any]] = []
    total = 0
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(root, name)
            relative = os.path.relpath(full, folder).replace(os.sep, "/")
            try:
                info = digest_file(full, max_bytes=max_bytes)
            except OSError:
                entries.append({"path": relative, "size": None, "sha256": None})
                continue
            total += info.size
            entries.append({"path": relative, "size": info.size, "sha256": info.sha256})
    entries.sort(key=lambda e: e["path"])
    import hashlib

    text = "".join(f"{e['path']}\t{e['size']}\t{e['sha256']}\n" for e in entries)
    return hashlib.sha256(text.encode("utf-8")).hexdigest(), entries, total


def group_folders(
    paths: Iterable[str], threshold: int = DEFAULT_FOLDER_THRESHOLD, *, stop: str | None = None
) -> dict[str, list[str]]:
    """Folders under which more than ``threshold`` of ``paths`` were read.

    Each path is assigned to its lowest ancestor holding more than ``threshold`` read files;
    paths whose ancestors all hold fewer stay single files (absent from the result). The
    folder ``stop`` (the notebook's) and its ancestors are never collapsed: a notebook's own
    folder is not "a dataset".
    """
    barrier = os.path.abspath(stop) if stop else None
    counts: dict[str, int] = {}
    parents: dict[str, list[str]] = {}
    for path in paths:
        chain = []
        folder = os.path.dirname(path)
        while folder and folder != os.path.dirname(folder):
            if barrier is not None and (folder == barrier or barrier.startswith(folder + os.sep)):
                break
            chain.append(folder)
            counts[folder] = counts.get(folder, 0) + 1
            folder = os.path.dirname(folder)
        parents[path] = chain
    grouped: dict[str, list[str]] = {}
    for path, chain in parents.items():
        for folder in chain:
            if counts[folder] > threshold:
                grouped.setdefault(folder, []).append(path)
                break
    return grouped


# --------------------------------------------------------------------------- named files

#: Longest string literal looked at as a possible path.
_MAX_LITERAL = 1024
_literal_cache: dict[str, tuple[str, ...]] = {}


def path_literals(source: str) -> tuple[str, ...]:
    """The string literals of ``source`` that could be file paths (cached by source).

    Code that only checks a file (``os.path.isfile``), or reads it outside Python
    (``pyarrow``, ``h5py``, a subprocess), opens nothing the audit hook sees: the files it
    names by literal are inputs all the same.
    """
    cached = _literal_cache.get(source)
    if cached is not None:
        return cached
    import ast

    found: list[str] = []
    try:
        tree = ast.parse(_strip_magics(source))
    except (SyntaxError, ValueError):
        tree = None
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if (
                    0 < len(text) <= _MAX_LITERAL
                    and ("." in text or "/" in text)  # a file name or a path
                    and "\n" not in text
                    and " " not in text.strip()
                    and "://" not in text
                ):
                    found.append(text)
    result = tuple(dict.fromkeys(found))
    if len(_literal_cache) > 4096:
        _literal_cache.clear()
    _literal_cache[source] = result
    return result


def _strip_magics(source: str) -> str:
    """IPython's ``%magic`` and ``!shell`` lines blanked so that the rest parses."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )
