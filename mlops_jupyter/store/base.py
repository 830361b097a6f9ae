"""The abstract run store: a few primitives that backends implement, helpers on top."""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError
from ..models import MetricPoint, Run, RunStatus, dumps_strict
from .blobs import BlobStore

if TYPE_CHECKING:
    from ..query import FilterNode, RunPage, SortKey
    from ..series import SampledSeries
    from .lifecycle import LifecycleStore
    from .location import StoreLocation

__all__ = ["RunStore"]

_JSON_CACHE_SIZE = 64
_PUT_MEMO_SIZE = 16


def _copy_json(value: Any) -> Any:
    # Faster than copy.deepcopy (no memo) and enough for parsed JSON, which has no cycles
    # and only dict/list containers.
    t = type(value)
    if t is dict:
        return {k: _copy_json(v) if type(v) in (dict, list) else v for k, v in value.items()}
    if t is list:
        return [_copy_json(v) if type(v) in (dict, list) else v for v in value]
    return value


class RunStore(ABC):
    r"""Contract of a run store (shaped like MLflow's ``AbstractStore``).

    Backends implement the abstract primitives; listing, counting and JSON-blob helpers are
    built on them and may be overridden with faster versions. Every method may raise
    :class:`~mlops_jupyter.errors.MlopsError` subclasses (the store's own are
    :class:`~mlops_jupyter.store.errors.StoreError`\ s).

    Args:
        blobs: The blob store holding large, repeated parts of runs and artifacts.
    """

    def __init__(self, blobs: BlobStore) -> None:
        self._blobs = blobs
        self._json_cache: OrderedDict[str, Any] = OrderedDict()
        self._json_cache_lock = threading.Lock()
        # id(obj) -> (snapshot of obj, sha) for recently stored JSON blobs.
        self._put_memo: OrderedDict[int, tuple[Any, str]] = OrderedDict()

    # -- primitives -------------------------------------------------------------------

    @abstractmethod
    def create_run(self, run: Run) -> None:
        """Insert a new run.

        Raises:
            RunAlreadyExistsError: If a run with the same id is stored (a ``StoreError``).
        """

    @abstractmethod
    def update_run(self, run: Run) -> None:
        """Replace the stored record of ``run`` (all fields) in one transaction.

        Raises:
            RunNotFoundError: If the run is not stored.
        """

    @abstractmethod
    def log_metric_points(
        self, run_id: str, points: Sequence[MetricPoint], *, replace_existing: bool = False
    ) -> None:
        """Append points to the run's metric series and update its final values.

        The final value of a key is its point with the highest step, ties going to the later
        timestamp. All points are written in one transaction.

        Args:
            run_id: The run.
            points: The points, in any order.
            replace_existing: First remove stored points with the same ``(key, step,
                timestamp)``, which makes writing the same batch twice harmless (a spooled
                batch whose first commit may or may not have reached the database).

        Raises:
            RunNotFoundError: If the run is not stored.
        """

    @abstractmethod
    def heartbeat(self, run_ids: Sequence[str], at: datetime | None = None) -> None:
        """Record that the given running runs are alive at ``at`` (default now).

        Unknown ids and runs that are no longer running are ignored.
        """

    @abstractmethod
    def get_run(self, run_id: str) -> Run:
        """Return the run with id ``run_id``.

        Raises:
            RunNotFoundError: If the run is not stored.
        """

    @abstractmethod
    def search_runs(
        self,
        *,
        experiment: str | None = None,
        status: RunStatus | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Run]:
        """Return runs, newest first (``started_at`` descending, then id descending).

        Args:
            experiment: Only runs of this experiment.
            status: Only runs in this state.
            limit: At most this many runs (None: all).
            offset: Skip this many runs first.

        Raises:
            InvalidArgumentError: On a negative limit or offset, or an unknown status.
        """

    @abstractmethod
    def metric_series(self, run_id: str, key: str) -> list[MetricPoint]:
        """Return every logged point of metric ``key``, ordered by step then timestamp.

        Raises:
            RunNotFoundError: If the run is not stored.
        """

    @abstractmethod
    def mark_stale_runs_crashed(
        self, lease_seconds: float, now: datetime | None = None
    ) -> list[str]:
        """Mark as CRASHED the running runs whose process is evidently gone.

        A running run is gone when its last heartbeat (or its start, if it never sent one)
        is older than ``lease_seconds`` before ``now``, or when it was started on this
        machine (``host`` equals this hostname) by a process (``pid``) that no longer
        exists. Such runs get ``ended_at`` = their last heartbeat (or start); their metrics
        and everything else are kept.

        Returns:
            The ids of the runs marked crashed.
        """

    @abstractmethod
    def list_runs(
        self,
        *,
        where: FilterNode | None = None,
        sort: SortKey | None = None,
        descending: bool = True,
        limit: int = 100,
        offset: int = 0,
        experiment: str | None = None,
    ) -> RunPage:
        """Return one page of run summaries matching a filter, and how many match in all.

        Args:
            where: A filter from :func:`mlops_jupyter.query.parse_filter` (None: all runs).
            sort: What to sort by (default ``started_at``). Runs lacking a sorted param or
                metric (or whose metric is NaN) come last in both orders; ties are broken by
                run id, in the same direction.
            descending: Sort direction.
            limit: Page size (0 or more).
            offset: How many matching runs to skip.
            experiment: Only runs of this experiment.

        Raises:
            InvalidArgumentError: On a negative limit or offset.
        """

    @abstractmethod
    def change_token(self) -> str:
        """Return a short token that changes whenever a run is created or changed.

        Heartbeats alone do not change it: they change nothing a run list shows.
        """

    @abstractmethod
    def close(self) -> None:
        """Release connections; the store must not be used afterwards."""

    @property
    @abstractmethod
    def location(self) -> StoreLocation:
        """Where the store is: its database URL (for spools) and blob root."""

    @property
    @abstractmethod
    def lifecycle(self) -> LifecycleStore:
        """Models, versions, aliases, the lifecycle event log and lineage, kept beside the
        runs in the same database."""

    def forget_after_fork(self) -> None:  # noqa: B027 - optional hook, no-op by default
        """In a forked child process: drop the parent's connections without closing them.

        The default does nothing (a store without pooled connections).
        """

    # -- helpers ----------------------------------------------------------------------

    @property
    def blobs(self) -> BlobStore:
        """The blob store: environments, histories, notebook snapshots, diffs, artifacts."""
        return self._blobs

    def run_ids_with_prefix(self, prefix: str, limit: int = 10) -> list[str]:
        """Up to ``limit`` run ids starting with ``prefix`` (lowercase hex), sorted.

        Backends override this with an indexed lookup.
        """
        prefix = prefix.lower()
        found = sorted(r.id for r in self.search_runs() if r.id.startswith(prefix))
        return found[:limit]

    def runs_for_experiment(self, experiment: str, limit: int | None = None) -> list[Run]:
        """Return the runs of one experiment, newest first."""
        return self.search_runs(experiment=experiment, limit=limit)

    def count_runs(self, *, experiment: str | None = None, status: RunStatus | None = None) -> int:
        """Return how many runs match the filters (see :meth:`search_runs`)."""
        return len(self.search_runs(experiment=experiment, status=status))

    def experiments(self) -> list[str]:
        """Return the names of all experiments that have runs, sorted."""
        return sorted({run.experiment for run in self.search_runs()})

    def experiment_summaries(self) -> list[dict[str, Any]]:
        """Return ``{"name", "runs", "last_started_at"}`` per experiment, sorted by name."""
        found: dict[str, dict[str, Any]] = {}
        for run in self.search_runs():
            started = run.to_json(strict=False)["started_at"]
            entry = found.setdefault(
                run.experiment, {"name": run.experiment, "runs": 0, "last_started_at": started}
            )
            entry["runs"] += 1
            entry["last_started_at"] = max(entry["last_started_at"], started)
        return [found[name] for name in sorted(found)]

    def metric_step_values(self, run_id: str, key: str) -> list[tuple[int, float | None]]:
        """Return ``(step, value)`` of every point of one metric, ordered by step.

        NaN comes back as None. Backends override this with a leaner read than
        :meth:`metric_series`.

        Raises:
            RunNotFoundError: If the run is not stored.
        """
        return [
            (p.step, None if p.value != p.value else p.value)
            for p in self.metric_series(run_id, key)
        ]

    def metric_summaries(self, run_id: str) -> list[dict[str, Any]]:
        """Return ``{"key", "count", "last", "last_step"}`` for each metric of a run.

        ``count`` is the number of logged points (0 for a final value set without a series),
        ``last`` the final value (None if the run has a series but no final value).

        Raises:
            RunNotFoundError: If the run is not stored.
        """
        run = self.get_run(run_id)
        summaries: list[dict[str, Any]] = []
        for key in sorted(set(run.metrics)):
            points = self.metric_series(run_id, key)
            summaries.append(
                {
                    "key": key,
                    "count": len(points),
                    "last": run.metrics.get(key),
                    "last_step": points[-1].step if points else 0,
                }
            )
        return summaries

    def sampled_metric_series(self, run_id: str, key: str, max_points: int) -> SampledSeries:
        """Return a metric series reduced to at most ``max_points`` points.

        See :func:`mlops_jupyter.series.downsample` for what is kept.

        Returns:
            A :class:`mlops_jupyter.series.SampledSeries`.

        Raises:
            RunNotFoundError: If the run is not stored.
            NotFoundError: If the run has no points for ``key``.
            InvalidArgumentError: If ``max_points`` is below 2.
        """
        from ..series import downsample

        rows = self.metric_step_values(run_id, key)
        if not rows:
            raise NotFoundError(f"run {run_id!r} has no metric series {key!r}")
        return downsample(rows, max_points)

    def put_json_blob(self, obj: Any, *, fsync: bool = False) -> str:
        """Store ``obj`` as strict JSON with sorted keys and return its sha256.

        Equal objects give equal bytes, so e.g. an environment manifest shared by many runs
        is stored once. JSON blobs are run metadata, written without fsync by default (see
        :meth:`LocalBlobStore.put_bytes`).
        """
        # Every run of a kernel usually passes the same environment dict, which takes longer
        # to serialize than the rest of the run: when the very object stored last time is
        # still equal to a snapshot taken then, its blob is the same. (Only an in-place
        # swap of 1 for True or 1.0 inside that object would slip through.)
        memo_key = id(obj)
        with self._json_cache_lock:
            memo = self._put_memo.get(memo_key)
        if memo is not None:
            try:
                if memo[0] == obj:
                    return memo[1]
            except Exception:  # noqa: S110 - e.g. an array inside, whose == is elementwise
                pass
        try:
            # Fast path: skip json_safe's walk when there is no NaN/Infinity; the bytes
            # are then identical to dumps_strict's.
            text = json.dumps(obj, allow_nan=False, sort_keys=True)
        except ValueError:
            text = dumps_strict(obj)
        sha = self._blobs.put_bytes(text.encode("utf-8"), fsync=fsync)
        # Only dicts (environment manifests, shared by every run of a kernel) are memoized:
        # a list such as an execution history grows with every run and never repeats, so
        # copying it for the memo would cost more than it saves.
        if isinstance(obj, dict):
            with self._json_cache_lock:
                self._put_memo[memo_key] = (_copy_json(obj), sha)
                self._put_memo.move_to_end(memo_key)
                while len(self._put_memo) > _PUT_MEMO_SIZE:
                    self._put_memo.popitem(last=False)
        return sha

    def get_json_blob(self, sha: str) -> Any:
        """Return the object stored by :meth:`put_json_blob` under ``sha``.

        Recently read blobs are cached, so listing many runs that share an environment
        parses it once. Each call returns a fresh copy that the caller may modify.

        Raises:
            InvalidArgumentError: If ``sha`` is not a lowercase hex sha256.
            BlobNotFoundError: If no such blob is stored.
        """
        with self._json_cache_lock:
            if sha in self._json_cache:
                self._json_cache.move_to_end(sha)
                return _copy_json(self._json_cache[sha])
        value = json.loads(self._blobs.get_bytes(sha))
        with self._json_cache_lock:
            self._json_cache[sha] = value
            while len(self._json_cache) > _JSON_CACHE_SIZE:
                self._json_cache.popitem(last=False)
        return _copy_json(value)

    def __enter__(self) -> RunStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
