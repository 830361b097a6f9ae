"""The writer thread of a kernel: every store write of its runs, in order, off the cell.

Creates, metric batches, final updates, late git states and heartbeats all go through one
thread per kernel, so a cell pays for its capture alone and two writes of the same run can
never overtake each other. While the database is unreachable (or full) the writes go, in
order, to a local spool (:mod:`mlops_jupyter.store.spool`), retried with backoff and synced
when it answers again. Failures are reported under the next tracked cell.
"""

from __future__ import annotations

import atexit
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..models import MetricPoint, Run, utcnow
from ..store.housekeeping import lease_seconds

if TYPE_CHECKING:
    from ..store.base import RunStore
    from ..store.blobs import BlobStore
    from ..store.spool import Spool

__all__ = ["FLUSH_INTERVAL", "Write", "Writer", "describe_error"]

#: Seconds between two writes of buffered metric points.
FLUSH_INTERVAL = 1.0
# Seconds before the first retry of a spool, doubling up to the maximum while the database
# stays away.
_REPLAY_FIRST_DELAY = 0.5
_REPLAY_MAX_DELAY = 10.0


def describe_error(exc: BaseException) -> str:
    """``Type: message``."""
    return f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class Write:
    """One write of the writer thread: what it does to the store, or to the spool."""

    kind: str  # "create", "update" or "points"
    run_id: str
    run: Run | None = None
    points: list[MetricPoint] | None = None

    def apply(self, store: RunStore) -> None:
        """Apply the write to the store."""
        if self.kind == "points":
            store.log_metric_points(self.run_id, self.points or [])
        elif self.run is not None and self.kind == "create":
            store.create_run(self.run)
        elif self.run is not None:
            store.update_run(self.run)

    def spool(self, spool: Spool) -> None:
        """Append the write to the spool."""
        if self.kind == "points":
            spool.append_points(self.run_id, self.points or [])
        elif self.run is not None and self.kind == "create":
            spool.append_create(self.run)
        elif self.run is not None:
            spool.append_update(self.run)


class Writer:
    """The writer thread of one process, with its spool.

    Args:
        store_factory: Returns the store to write to (default: the shared store of
            :func:`mlops_jupyter.store.get_store`). Called lazily, on first use.
    """

    def __init__(self, store_factory: Callable[[], RunStore] | None = None) -> None:
        self._store_factory = store_factory
        self._store: RunStore | None = None
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[Write | Callable[[], None]] = queue.SimpleQueue()
        # Writes that could not reach the database, replayed when it answers again.
        self._spool: Spool | None = None
        self._next_replay = 0.0
        self._replay_delay = _REPLAY_FIRST_DELAY
        self._orphans_adopted = False
        #: The database could not be reached when the store was first needed: runs are
        #: recorded into the spool, blobs written where they always go.
        self.offline = False
        self._offline_blobs: BlobStore | None = None
        self._thread: threading.Thread | None = None
        self._last_heartbeat = 0.0
        # Failures of background writes, reported under the next tracked cell.
        self._late_warnings: list[str] = []
        #: Called on the writer thread about once a second while idle (metric flushes).
        self.on_idle: Callable[[], None] | None = None

    # -- the store ---------------------------------------------------------------------

    @property
    def has_factory(self) -> bool:
        """Whether a store factory was given (else the process's shared store is used)."""
        return self._store_factory is not None

    def store(self) -> RunStore:
        """The store runs are written to (opened on first use).

        Without a factory this is the process's shared store for the current
        ``MLOPS_JUPYTER_STORE``, looked up on every call (a dictionary hit) so that a changed
        setting or a reset cache is honoured.
        """
        if self._store_factory is None:
            from ..store import get_store

            return get_store()
        if self._store is None:
            self._store = self._store_factory()
        return self._store

    def blobs(self) -> BlobStore:
        """The blob store, also while the database is unreachable (blobs live apart)."""
        if not self.offline:
            return self.store().blobs
        if self._offline_blobs is None:
            from ..store.blobs import open_blob_store
            from ..store.location import resolve_store_location

            self._offline_blobs = open_blob_store(resolve_store_location().blob_root)
        return self._offline_blobs

    def _store_url(self) -> str | None:
        """The database URL of the store (for the spool folder), without opening it."""
        if self._store_factory is None:
            from ..store.location import resolve_store_location

            return resolve_store_location().db_url
        return None if self._store is None else self._store.location.db_url

    def describe_store(self) -> str:
        """The store as shown in messages (never a password)."""
        if self._store_factory is None:
            from ..store.location import resolve_store_location

            return resolve_store_location().description
        return "the run database" if self._store is None else self._store.location.description

    # -- warnings ----------------------------------------------------------------------

    def late_warning(self, message: str) -> None:
        """Remember a message for the next tracked cell (each message once)."""
        with self._lock:
            if message not in self._late_warnings:
                self._late_warnings.append(message)

    def take_late_warnings(self) -> list[str]:
        """The messages for this cell (forgotten afterwards)."""
        with self._lock:
            taken, self._late_warnings = self._late_warnings, []
        return taken

    def spool_notice(self) -> str | None:
        """What to say under a cell whose run went to the spool, if writes wait there."""
        if self._spool is not None and self._spooled:
            return (
                f"the run database cannot be written: this run is kept in the local "
                f"spool {self._spool.directory} and will be synced when it answers again"
            )
        return None

    # -- the thread --------------------------------------------------------------------

    def submit(self, job: Write | Callable[[], None]) -> None:
        """Queue a write (or a control function run on the writer thread)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="mlops-jupyter-writer", daemon=True
                )
                self._thread.start()
                _register_exit_drain(self)
        self._queue.put(job)

    def _loop(self) -> None:
        from ..capture.inputs import get_monitor

        get_monitor().pause_thread()  # hashing inputs and writing blobs read no data
        while True:
            try:
                job = self._queue.get(timeout=FLUSH_INTERVAL)
            except queue.Empty:
                self._idle()
                continue
            if isinstance(job, Write):
                self.perform(job)
                continue
            try:
                job()
            except Exception as exc:  # pragma: no cover - control jobs do not fail
                self.late_warning(f"internal error in the writer ({describe_error(exc)})")

    def _idle(self) -> None:
        """While idle: retry the spool, then let the tracker flush its buffered metrics."""
        if self._spooled and time.monotonic() >= self._next_replay:
            try:
                store = self.store()
                self.offline = False
                self._replay_spool(store)
            except Exception:  # still away (the store cannot even be opened)
                self._back_off()
        if self.on_idle is not None:
            self.on_idle()

    def heartbeat(self, run_id: str) -> None:
        """Renew the lease of a running run, at most every sixth of the lease (writer thread)."""
        now = time.monotonic()
        if now - self._last_heartbeat < lease_seconds() / 6 or self._spooled:
            return
        self._last_heartbeat = now
        try:
            self.store().heartbeat([run_id], utcnow())
        except Exception:  # noqa: S110
            # A lost heartbeat only matters after a whole lease; an unreachable database is
            # reported by the writes themselves.
            pass

    def perform(self, write: Write) -> None:
        """Apply one write to the store, or spool it while the database is away.

        Writes keep their order: once one is spooled, every later write goes to the spool
        too until the spool has been replayed. While the spool waits for its next retry,
        writes go straight to it without trying the database (a connection attempt to a
        host that is down can take seconds).
        """
        from ..store.spool import is_retryable

        pending = self._spooled
        if pending and time.monotonic() < self._next_replay:
            self._to_spool(write, None)
            return
        try:
            store = self.store()
            self.offline = False
            if not self._orphans_adopted:
                self._orphans_adopted = True
                self._adopt_orphans(store)
            if pending and not self._replay_spool(store, force=True):
                self._to_spool(write, None)
                return
            write.apply(store)
        except Exception as exc:
            if is_retryable(exc):
                self._to_spool(write, exc)
            else:
                self.late_warning(f"an earlier run was not fully recorded ({describe_error(exc)})")

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until the queued writes are in the store (or the spool).

        Returns:
            False if they did not finish within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                return True
        done = threading.Event()

        def flush_spool() -> None:
            # Readers and interpreter exit: one more attempt, whatever the backoff says.
            try:
                if self._spooled:
                    self._replay_spool(self.store(), force=True)
            except Exception:  # noqa: S110
                pass  # still away: the writer retries with backoff
            finally:
                done.set()

        self._queue.put(flush_spool)
        return done.wait(max(0.0, deadline - time.monotonic()))

    # -- the spool ---------------------------------------------------------------------

    @property
    def _spooled(self) -> bool:
        """Whether writes wait in the spool."""
        return self._spool is not None and len(self._spool) > 0

    def _spool_for(self) -> Spool | None:
        if self._spool is None:
            db_url = self._store_url()
            if db_url is None:
                return None
            from ..store.spool import Spool, spool_dir_for

            self._spool = Spool(spool_dir_for(db_url))
        return self._spool

    def _to_spool(self, write: Write, error: BaseException | None) -> None:
        from ..store.spool import is_disk_full

        try:
            spool = self._spool_for()
            if spool is None:
                raise RuntimeError("this store has no spool")
            first = len(spool) == 0
            write.spool(spool)
        except Exception as spool_error:
            cause = error or spool_error
            if is_disk_full(cause) or is_disk_full(spool_error):
                self.late_warning(
                    "DISK FULL: an earlier run was not recorded: no space left for the run "
                    f"database {self.describe_store()} nor for the local spool "
                    f"({describe_error(cause)}). Runs already stored are intact; free some "
                    "space and run the cell again."
                )
            else:
                self.late_warning(
                    f"an earlier run was not fully recorded ({describe_error(cause)}); it "
                    f"could not be spooled either ({describe_error(spool_error)})"
                )
            return
        if first:
            self._replay_delay = _REPLAY_FIRST_DELAY
            self._next_replay = time.monotonic() + self._replay_delay
            what = "is full" if error is not None and is_disk_full(error) else "is unreachable"
            self.late_warning(
                f"the run database {self.describe_store()} {what}"
                + (f" ({describe_error(error)})" if error is not None else "")
                + f": runs are kept in the local spool {spool.directory} and will be synced "
                "when it answers again"
            )
        elif error is not None:
            self._back_off()

    def _back_off(self) -> None:
        """A retry of the spool failed: wait longer before the next one."""
        self._replay_delay = min(self._replay_delay * 2, _REPLAY_MAX_DELAY)
        self._next_replay = time.monotonic() + self._replay_delay

    def _replay_spool(self, store: RunStore, *, force: bool = False) -> bool:
        """Try to empty the spool (at most every few seconds unless ``force``).

        Returns:
            True if the spool is now empty.
        """
        spool = self._spool
        if spool is None or not len(spool):
            return True
        if not force and time.monotonic() < self._next_replay:
            return False
        result = spool.replay(store)
        if result.remaining:
            self._back_off()
            return False
        self.late_warning(
            f"the run database {self.describe_store()} answers again: {result.applied} "
            "spooled writes were synced"
        )
        for reason in result.dropped:
            self.late_warning(f"a spooled write could not be applied and was dropped ({reason})")
        return True

    def _adopt_orphans(self, store: RunStore) -> None:
        # Spools left by kernels that died while the database was away.
        db_url = self._store_url()
        if db_url is None:
            return
        try:
            from ..store.spool import replay_orphans, spool_dir_for

            replay_orphans(store, spool_dir_for(db_url))
        except Exception as exc:  # the next process will try again
            self.late_warning(
                f"spooled runs of an earlier kernel not synced ({describe_error(exc)})"
            )


_exit_drain_registered: set[int] = set()


def _register_exit_drain(writer: Writer) -> None:
    # A kernel shut down normally must not lose the runs still queued.
    if id(writer) not in _exit_drain_registered:
        _exit_drain_registered.add(id(writer))
        atexit.register(writer.drain, 10.0)
