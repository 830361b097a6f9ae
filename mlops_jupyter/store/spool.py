"""A local write-ahead spool for store writes that could not reach the database.

When the database is unreachable (a PostgreSQL server restarting, a network outage) or its
disk is full, a kernel must not lose the runs it records. The kernel's writer thread then
appends each write to a spool file on the local disk, in order, and replays the file once
the database answers again.

Replay is idempotent, so a write whose commit was lost with the connection (it may or may
not have been applied) can safely be replayed:

* ``create`` of a run that already exists becomes an ``update`` with the same record;
* ``update`` replaces the whole record, so applying it twice is harmless;
* ``points`` first removes points with the same ``(key, step, timestamp)``.

The whole file is replayed in order, every time, until every write succeeded; only then is
it deleted. A later write therefore always lands after an earlier one.

Each spool file belongs to one process, which holds an exclusive ``flock`` on it while it
lives. A file whose lock can be taken belongs to a process that is gone (a kernel killed
while the database was down): any process using the same store adopts and replays it
(:func:`replay_orphans`, run by kernels on their first tracked cell, by the Jupyter server
at start and by ``mlops-jupyter store sync``).

Spools live in ``$MLOPS_JUPYTER_SPOOL`` or ``$XDG_STATE_HOME/mlops-jupyter/spool`` (default
``~/.local/state/mlops-jupyter/spool``), one folder per store named after a hash of the
database URL: the URL itself, which may hold a password, is never written.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import MlopsError
from ..models import MetricPoint, Run
from .base import RunStore
from .errors import RunAlreadyExistsError
from .location import SPOOL_ENV_VAR, default_spool_root

__all__ = [
    "SPOOL_ENV_VAR",
    "ReplayResult",
    "Spool",
    "default_spool_root",
    "is_retryable",
    "replay_orphans",
    "spool_dir_for",
]

log = logging.getLogger(__name__)

_SUFFIX = ".jsonl"
_FORMAT = 1
# errno values that mean "no room": a full disk, a quota, a file-size limit.
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no cross-process locks, no adoption
    fcntl = None  # type: ignore[assignment]


def spool_dir_for(db_url: str, root: Path | None = None) -> Path:
    """Return the spool folder of the store at ``db_url`` (named by a hash of the URL)."""
    digest = hashlib.sha256(db_url.encode("utf-8")).hexdigest()[:16]
    return (root or default_spool_root()) / digest


def is_retryable(exc: BaseException) -> bool:
    """Whether a failed write may succeed later, so it is worth spooling.

    True for an unreachable database (code 503), a full disk (507), a database locked for
    too long, and operating-system errors (a full or unmounted blob location); False for
    mistakes that replaying cannot fix (an unknown run, a malformed value).
    """
    if isinstance(exc, MlopsError):
        return exc.code in (503, 507) or "stayed locked" in str(exc)
    return isinstance(exc, OSError)


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or its cause) says that a disk or quota is full."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, MlopsError) and seen.code == 507:
            return True
        if isinstance(seen, OSError) and seen.errno in _FULL_ERRNOS:
            return True
        seen = seen.__cause__
    return False


@dataclass(frozen=True)
class ReplayResult:
    """What a replay did.

    Attributes:
        applied: Writes applied to the store.
        remaining: Writes still spooled (the store failed again, or is still down).
        skipped: Unreadable lines skipped (a torn last line of a killed process).
        error: Why the replay stopped early, if it did.
        dropped: Writes that can never apply (e.g. to a run deleted meanwhile), with why;
            they are counted in ``applied`` and not retried.
    """

    applied: int
    remaining: int
    skipped: int = 0
    error: str | None = None
    dropped: tuple[str, ...] = ()


def _encode(op: str, payload: Mapping[str, Any]) -> bytes:
    # Non-finite floats are kept as JSON's NaN/Infinity tokens (read back by json.loads):
    # the spool is private, and values must come back exactly as they were.
    record = {"v": _FORMAT, "op": op, **payload}
    return (json.dumps(record, separators=(",", ":"), default=str) + "\n").encode("utf-8")


def _apply(store: RunStore, record: Mapping[str, Any]) -> None:
    op = record.get("op")
    if op == "create":
        run = Run.from_json(record["run"])
        try:
            store.create_run(run)
        except RunAlreadyExistsError:
            store.update_run(run)
    elif op == "update":
        store.update_run(Run.from_json(record["run"]))
    elif op == "points":
        points = [
            MetricPoint(str(k), float(v), int(s), float(t)) for k, v, s, t in record["points"]
        ]
        store.log_metric_points(str(record["run_id"]), points, replace_existing=True)
    else:
        raise ValueError(f"unknown spooled write {op!r}")


def _read_records(path: Path) -> tuple[list[dict[str, Any]], int]:
    records: list[dict[str, Any]] = []
    skipped = 0
    with open(path, "rb") as f:
        for line in f:
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or record.get("v") != _FORMAT:
                    raise ValueError("not a spooled write")
            except ValueError:
                # Only the last line can be torn (appends are sequential); a foreign or
                # damaged line is skipped rather than blocking every write after it.
                skipped += 1
                continue
            records.append(record)
    return records, skipped


def _replay_file(store: RunStore, path: Path) -> ReplayResult:
    records, skipped = _read_records(path)
    dropped: list[str] = []
    for done, record in enumerate(records):
        try:
            _apply(store, record)
        except Exception as exc:
            if is_retryable(exc):
                return ReplayResult(
                    done, len(records) - done, skipped, _describe(exc), tuple(dropped)
                )
            # Replaying will never fix it (e.g. a run deleted meanwhile): drop the write.
            log.info("dropping a spooled write that cannot be applied: %s", _describe(exc))
            dropped.append(_describe(exc))
    return ReplayResult(len(records), 0, skipped, None, tuple(dropped))


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class Spool:
    """This process's spool for one store: append while the database is away, replay later.

    Thread-safe. The file is created on the first :meth:`append`, and locked for the
    lifetime of the process so that no other process adopts it meanwhile.

    Args:
        directory: The store's spool folder (see :func:`spool_dir_for`).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._file: Any = None
        self._path: Path | None = None
        self._count = 0

    @property
    def path(self) -> Path | None:
        """The spool file, once something was spooled."""
        return self._path

    def __len__(self) -> int:
        """Writes waiting in the spool."""
        return self._count

    def append_create(self, run: Run) -> None:
        """Spool the creation of ``run``."""
        self._append(_encode("create", {"run": run.to_json(strict=False)}))

    def append_update(self, run: Run) -> None:
        """Spool a full update of ``run``."""
        self._append(_encode("update", {"run": run.to_json(strict=False)}))

    def append_points(self, run_id: str, points: Sequence[MetricPoint]) -> None:
        """Spool metric points of run ``run_id``."""
        rows = [[p.key, p.value, p.step, p.timestamp] for p in points]
        self._append(_encode("points", {"run_id": run_id, "points": rows}))

    def _append(self, line: bytes) -> None:
        with self._lock:
            f = self._open()
            # One write call per record and an fsync: the spool is the only copy of the
            # write until the database answers again.
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
            self._count += 1

    def _open(self) -> Any:
        if self._file is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}{_SUFFIX}"
            path = self.directory / name
            f = open(path, "ab")
            if fcntl is not None:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._file, self._path = f, path
        return self._file

    def replay(self, store: RunStore) -> ReplayResult:
        """Apply every spooled write to ``store``, in order; empty the spool if all applied.

        Never raises for a store failure: the result says what remains.
        """
        with self._lock:
            if self._path is None or self._count == 0:
                return ReplayResult(0, 0)
            self._file.flush()
            result = _replay_file(store, self._path)
            if result.remaining == 0:
                self._close_and_remove()
            return result

    def _close_and_remove(self) -> None:
        path, f = self._path, self._file
        self._path = self._file = None
        self._count = 0
        if path is not None:
            path.unlink(missing_ok=True)
        if f is not None:
            f.close()

    def close(self) -> None:
        """Release the file (it stays on disk, to be adopted, if writes remain)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
                if self._count == 0 and self._path is not None:
                    self._path.unlink(missing_ok=True)
                self._path = None


def pending_files(directory: Path) -> Iterator[Path]:
    """Spool files in ``directory`` (of live and dead processes)."""
    try:
        entries = sorted(directory.iterdir())
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.name.endswith(_SUFFIX) and entry.is_file():
            yield entry


def replay_orphans(store: RunStore, directory: Path) -> list[tuple[Path, ReplayResult]]:
    """Replay the spool files left by processes that are gone, deleting those fully applied.

    A file whose owner still lives is locked and left alone.

    Returns:
        Each adopted file with what its replay did.
    """
    results: list[tuple[Path, ReplayResult]] = []
    if fcntl is None:  # pragma: no cover - no way to tell a live owner from a dead one
        return results
    for path in pending_files(directory):
        try:
            f = open(path, "rb+")
        except FileNotFoundError:  # replayed by another process meanwhile
            continue
        with f:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its process is alive (or another adopter holds it)
            if not path.exists():  # adopted and removed between our open and our lock
                continue
            result = _replay_file(store, path)
            if result.remaining == 0:
                path.unlink(missing_ok=True)
            results.append((path, result))
    return results
