"""The run store on a SQL database (SQLite or PostgreSQL), through SQLAlchemy Core.

Importing this module imports SQLAlchemy (tens of milliseconds), so it is only loaded when a
store is opened (see :func:`mlops_jupyter.store.open_store`). The database itself (engine,
transactions, faults, migrations) is :class:`~mlops_jupyter.store.sql.database.Database`;
statements, row mapping and list compilation have modules of their own.
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from ...errors import InvalidArgumentError, MlopsError
from ...models import (
    MetricPoint,
    Run,
    RunStatus,
    format_datetime,
    parse_datetime,
    utcnow,
)
from ...query import DEFAULT_SORT, FilterNode, RunPage, SortKey
from ..base import RunStore
from ..blobs import open_blob_store
from ..errors import RunAlreadyExistsError, RunNotFoundError, RunUnreadableError
from ..location import StoreLocation
from ..schema import metric_steps, metrics, runs
from .database import Database
from .lifecycle import SqlLifecycle
from .listing import check_page, compile_count, compile_filter, page_by_metric, sorted_query
from .rows import (
    ChildRow,
    Row,
    build_run,
    check_metric_key,
    check_run_id,
    child_rows,
    dumps_internal,
    lineage_rows,
    metric_values,
    read_children,
    run_columns,
    run_summary_from_row,
    status_value,
    storable_text,
    validate_run,
)
from .statements import STEP_COLUMNS, Statements, chunks, copy_rows

__all__ = ["SqlRunStore"]

log = logging.getLogger(__name__)

# Total counts cached per (filter, experiment, change token): paging and polling an
# unchanged store never count twice.
_COUNT_CACHE_SIZE = 32


class SqlRunStore(RunStore):
    """Run store on a SQL database through SQLAlchemy Core.

    On SQLite the database runs in WAL mode with ``synchronous=NORMAL``; write transactions
    start with ``BEGIN IMMEDIATE`` and are retried with backoff while the database is locked,
    so several kernels can write at once. The schema is created or upgraded on open with
    Alembic, which is only imported when the schema is not current.

    Instances are thread-safe (each operation checks a connection out of a pool).

    Args:
        location: Database URL and blob directory.

    Raises:
        StoreCorruptedError: If the database file is not a readable database (it is left
            untouched).
        StoreError: If the database cannot be opened or migrated.
    """

    def __init__(self, location: StoreLocation) -> None:
        super().__init__(open_blob_store(location.blob_root))
        self._location = location
        self.database = Database(location)
        #: Whether opening this store ran the migrations (False if already current).
        self.migrated = self.database.migrated
        self._transact = self.database.transact
        self._sql = Statements(self.database.engine.dialect)
        self._count_cache: dict[tuple[Any, ...], int] = {}
        self._count_cache_lock = threading.Lock()
        self._lifecycle = SqlLifecycle(self.database)

    def __repr__(self) -> str:
        return f"SqlRunStore({self.database.display!r})"

    @property
    def location(self) -> StoreLocation:
        """Where this store is."""
        return self._location

    @property
    def lifecycle(self) -> SqlLifecycle:
        """Models, versions, aliases, the event log and lineage (see :mod:`.lifecycle`)."""
        return self._lifecycle

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (maintenance and tests read the database through it)."""
        return self.database.engine

    def _load_blob(self, sha: str | None, empty: Any) -> Any:
        if sha is None:
            return empty
        try:
            return self.get_json_blob(sha)
        except (MlopsError, OSError, ValueError):
            # Keep the run readable if its blob was lost or is not reachable from here (a
            # PostgreSQL store used from another machine, a shared blob location offline).
            log.warning("blob %s missing or unreadable in %s", sha, self.blobs.root)
            return empty

    def _build_run(self, row: Row, children: Sequence[ChildRow]) -> Run:
        """The run of a row; a record that cannot be read raises RunUnreadableError."""
        try:
            return build_run(row, children, self._load_blob)
        except MlopsError:
            raise
        except Exception as exc:  # a damaged or foreign record: whatever it makes fail
            raise RunUnreadableError(str(row.id), _reason(exc)) from None

    def _require_run(self, conn: Connection, run_id: str) -> None:
        if self._sql.run_exists.execute(conn, {"id": run_id}).first() is None:
            raise RunNotFoundError(run_id)

    # -- primitives -------------------------------------------------------------------

    def create_run(self, run: Run) -> None:
        """Insert a new run (see :meth:`RunStore.create_run`)."""
        validate_run(run)
        final_values = metric_values(run)
        columns = run_columns(run, self.put_json_blob)
        param_rows, tag_rows = child_rows(run)
        edge_rows = lineage_rows(run)
        now = time.time()
        metric_rows = [
            {
                "run_id": run.id,
                "key": k,
                "value": value,
                "step": 0,
                "timestamp": now,
            }
            for k, value in final_values.items()
        ]
        sql = self._sql

        def write(conn: Connection) -> None:
            try:
                sql.run_insert.execute(conn, columns)
            except IntegrityError:
                raise RunAlreadyExistsError(run.id) from None
            sql.params_insert.executemany(conn, param_rows)
            sql.tags_insert.executemany(conn, tag_rows)
            sql.metrics_insert.executemany(conn, metric_rows)
            sql.edges_insert.executemany(conn, edge_rows)
            sql.bump_change_seq.execute(conn, {})

        self._transact(write, write=True)

    def update_run(self, run: Run) -> None:
        """Replace the stored run (see :meth:`RunStore.update_run`).

        ``run.metrics`` replaces the final metric values: keys missing from it are
        removed. A key that already had a final value keeps the step and timestamp it was
        logged at, so later points still only win with a later step. ``heartbeat_at`` is
        the exception to "replace": it never moves backwards.
        """
        validate_run(run)
        new_metrics = metric_values(run)
        columns = run_columns(run, self.put_json_blob)
        columns["b_id"] = columns.pop("id")
        columns["b_heartbeat_at"] = columns.pop("heartbeat_at")
        param_rows, tag_rows = child_rows(run)
        edge_rows = lineage_rows(run)
        now = time.time()
        key = {"b_run_id": run.id}
        sql = self._sql

        def write(conn: Connection) -> None:
            if sql.run_update.execute(conn, columns).rowcount == 0:
                raise RunNotFoundError(run.id)
            sql.params_delete.execute(conn, key)
            sql.params_insert.executemany(conn, param_rows)
            sql.tags_delete.execute(conn, key)
            sql.tags_insert.executemany(conn, tag_rows)
            old: dict[str, float | None] = {
                r.key: r.value for r in sql.metrics_select.execute(conn, key)
            }
            changed = [
                {"run_id": run.id, "key": k, "value": v, "step": 0, "timestamp": now}
                for k, v in new_metrics.items()
                if k not in old or (old[k] != v and not (old[k] is None and v is None))
            ]
            sql.metrics_set_value.executemany(conn, changed)
            removed = [{"b_run_id": run.id, "b_key": k} for k in old if k not in new_metrics]
            sql.metrics_delete_key.executemany(conn, removed)
            sql.run_edges_delete.execute(conn, key)
            sql.edges_insert.executemany(conn, edge_rows)
            sql.bump_change_seq.execute(conn, {})

        self._transact(write, write=True)

    def log_metric_points(
        self, run_id: str, points: Sequence[MetricPoint], *, replace_existing: bool = False
    ) -> None:
        """Append metric points (see :meth:`RunStore.log_metric_points`).

        Non-finite values are kept (NaN is stored as NULL). Rows are bound as plain tuples
        through the driver's ``executemany``; a million points take a few seconds. A metric
        name holding a NUL or a lone surrogate refuses the batch (400) before anything is
        written.
        """
        check_run_id(run_id)
        try:
            rows = [
                (
                    run_id,
                    p.key,
                    int(p.step),
                    v if (v := float(p.value)) == v else None,
                    float(p.timestamp),
                )
                for p in points
            ]
        except (TypeError, ValueError, OverflowError) as exc:
            raise InvalidArgumentError(f"invalid metric point: {exc}") from None
        # (step, timestamp, row index) of the winning point per key; >= lets the later of
        # two identical (step, timestamp) points win.
        best: dict[str, tuple[int, float, int]] = {}
        for i, (_, key, step, _, timestamp) in enumerate(rows):
            current = best.get(key)
            if current is None:
                check_metric_key(key)
            if current is None or (step, timestamp) >= (current[0], current[1]):
                best[key] = (step, timestamp, i)
        finals = [
            {"run_id": run_id, "key": key, "value": rows[i][3], "step": step, "timestamp": ts}
            for key, (step, ts, i) in best.items()
        ]
        steps = self._sql.steps_insert
        copy = self.database.engine.dialect.driver == "psycopg"
        bound: Sequence[Any] = rows
        if steps.order is None and not copy:
            bound = [dict(zip(STEP_COLUMNS, r, strict=True)) for r in rows]
        sql = self._sql

        def write(conn: Connection) -> None:
            self._require_run(conn, run_id)
            if rows:
                if replace_existing:
                    # The (run_id, key, step) index finds them; the timestamp tells a
                    # replayed point from another one logged at the same step.
                    sql.steps_delete_exact.executemany(
                        conn,
                        [
                            {"b_run_id": run_id, "b_key": k, "b_step": st, "b_ts": ts}
                            for _, k, st, _, ts in rows
                        ],
                    )
                if copy:
                    copy_rows(conn, "metric_steps", STEP_COLUMNS, rows)
                else:
                    conn.exec_driver_sql(steps.sql, bound)
                sql.metrics_log_final.executemany(conn, finals)
                sql.bump_change_seq.execute(conn, {})

        self._transact(write, write=True)

    def heartbeat(self, run_ids: Sequence[str], at: datetime | None = None) -> None:
        """Record heartbeats (see :meth:`RunStore.heartbeat`)."""
        stamp = format_datetime(at or utcnow())
        rows = [
            {"b_id": run_id, "b_at": stamp}
            for run_id in dict.fromkeys(run_ids)
            if storable_text(run_id) == run_id  # no run has any other id
        ]
        if not rows:
            return
        sql = self._sql

        def write(conn: Connection) -> None:
            sql.heartbeat.executemany(conn, rows)

        self._transact(write, write=True)

    def get_run(self, run_id: str) -> Run:
        """Return one run (see :meth:`RunStore.get_run`)."""
        if not isinstance(run_id, str):
            raise InvalidArgumentError(f"run id must be a string, got {type(run_id).__name__}")
        check_run_id(run_id)
        sql = self._sql

        def read(conn: Connection) -> tuple[Row, Sequence[Row]]:
            row = sql.run_select.execute(conn, {"id": run_id}).first()
            if row is None:
                raise RunNotFoundError(run_id)
            return row, sql.children_select.execute(conn, {"run_id": run_id}).all()

        row, children = self._transact(read, write=False)
        return self._build_run(row, children)

    @staticmethod
    def _filters(experiment: str | None, status: RunStatus | str | None) -> list[Any]:
        clauses: list[Any] = []
        if experiment is not None:
            clauses.append(runs.c.experiment == storable_text(experiment))
        wanted = status_value(status)
        if wanted is not None:
            clauses.append(runs.c.status == wanted)
        return clauses

    def search_runs(
        self,
        *,
        experiment: str | None = None,
        status: RunStatus | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Run]:
        """Return matching runs, newest first (see :meth:`RunStore.search_runs`)."""
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise InvalidArgumentError(f"limit must be a non-negative integer, got {limit!r}")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise InvalidArgumentError(f"offset must be a non-negative integer, got {offset!r}")
        query = (
            select(runs)
            .where(*self._filters(experiment, status))
            .order_by(runs.c.started_at.desc(), runs.c.id.desc())
        )
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)

        def read(conn: Connection) -> tuple[Sequence[Row], dict[str, list[Row]]]:
            run_rows = conn.execute(query).all()
            return run_rows, read_children(conn, [r.id for r in run_rows])

        run_rows, children = self._transact(read, write=False)
        found: list[Run] = []
        for row in run_rows:
            try:
                found.append(self._build_run(row, children.get(row.id, ())))
            except RunUnreadableError as exc:
                # One damaged record must not hide every other run: skip it, and say so.
                log.warning("skipped %s", exc)
        return found

    def run_ids_with_prefix(self, prefix: str, limit: int = 10) -> list[str]:
        """Run ids starting with ``prefix`` (a range scan of the primary key)."""
        prefix = prefix.lower()
        if not prefix or any(c not in "0123456789abcdef" for c in prefix):
            return []
        # [prefix, prefix + "g"): every hex id starting with it, and nothing else.
        query = (
            select(runs.c.id)
            .where(runs.c.id >= prefix, runs.c.id < prefix + "g")
            .order_by(runs.c.id)
            .limit(limit)
        )

        def read(conn: Connection) -> list[str]:
            return [str(v) for v in conn.execute(query).scalars()]

        return self._transact(read, write=False)

    def count_runs(self, *, experiment: str | None = None, status: RunStatus | None = None) -> int:
        """Return how many runs match (one ``COUNT(*)`` query)."""
        query = select(func.count()).select_from(runs).where(*self._filters(experiment, status))

        def read(conn: Connection) -> int:
            return int(conn.execute(query).scalar_one())

        return self._transact(read, write=False)

    def experiments(self) -> list[str]:
        """Return the experiment names that have runs, sorted."""
        query = select(runs.c.experiment).distinct().order_by(runs.c.experiment)

        def read(conn: Connection) -> list[str]:
            return [str(v) for v in conn.execute(query).scalars()]

        return self._transact(read, write=False)

    def metric_series(self, run_id: str, key: str) -> list[MetricPoint]:
        """Return the points of one metric (see :meth:`RunStore.metric_series`)."""
        check_run_id(run_id)
        check_metric_key(key)
        sql = self._sql

        def read(conn: Connection) -> list[Any]:
            result = sql.steps_select.execute(conn, {"b_run_id": run_id, "b_key": key})
            # The DBAPI cursor's plain tuples: building a Row per point would double the
            # cost of reading a long series.
            rows: list[Any] = list(result.cursor.fetchall()) if result.cursor is not None else []
            result.close()
            if not rows:
                self._require_run(conn, run_id)
            return rows

        nan = math.nan
        return [
            MetricPoint(key, nan if value is None else value, step, timestamp)
            for step, value, timestamp in self._transact(read, write=False)
        ]

    # -- lists ------------------------------------------------------------------------

    def change_token(self) -> str:
        """Return the change token (see :meth:`RunStore.change_token`)."""
        return self._transact(self._read_token, write=False)

    def _read_token(self, conn: Connection) -> str:
        row: Any = self._sql.change_token.execute(conn, {}).first()
        if row is None:  # pragma: no cover - the migration inserts the row
            return "0"
        return f"{str(row[0])[:8]}-{int(row[1])}"

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
        """Return a page of run summaries (see :meth:`RunStore.list_runs`).

        Sorting by a metric walks the ``(key, value, run_id)`` index in order and stops
        after the page, instead of sorting every matching run: runs having the metric come
        from that walk, and only a page reaching past them reads the runs without it.
        """
        check_page(limit, offset)
        sort = sort or DEFAULT_SORT
        condition = compile_filter(where)
        count_query: Any
        if experiment is None:
            count_query = compile_count(where)
        else:
            stored = storable_text(experiment)
            condition = and_(condition, runs.c.experiment == stored)
            count_query = (
                select(func.count())
                .select_from(runs)
                .where(compile_filter(where, membership=True), runs.c.experiment == stored)
            )
        cache_key = (where, experiment)

        def read(conn: Connection) -> tuple[str, int, Sequence[Row], dict[str, list[Row]]]:
            token = self._read_token(conn)
            with self._count_cache_lock:
                total = self._count_cache.get((*cache_key, token))
            if total is None:
                total = int(conn.execute(count_query).scalar_one())
                with self._count_cache_lock:
                    if len(self._count_cache) >= _COUNT_CACHE_SIZE:
                        self._count_cache.pop(next(iter(self._count_cache)))
                    self._count_cache[(*cache_key, token)] = total
            if limit == 0 or offset >= total:
                rows: Sequence[Row] = []
            elif sort.kind == "metrics":
                rows = page_by_metric(conn, condition, sort.name, descending, limit, offset)
            else:
                rows = conn.execute(
                    sorted_query(condition, sort, descending).limit(limit).offset(offset)
                ).all()
            return token, total, rows, read_children(conn, [r.id for r in rows], raw=True)

        token, total, rows, children = self._transact(read, write=False)
        summaries: list[dict[str, Any]] = []
        skipped: list[dict[str, str]] = []
        for row in rows:
            try:
                summaries.append(run_summary_from_row(row, children.get(row.id, ())))
            except Exception as exc:  # a damaged or foreign record: skip it, say so
                reason = _reason(exc)
                log.warning("skipped run %r: its stored record is damaged (%s)", row.id, reason)
                skipped.append({"id": str(row.id), "reason": reason})
        return RunPage(runs=summaries, total=total, version=token, skipped=skipped)

    def experiment_summaries(self) -> list[dict[str, Any]]:
        """Return per-experiment run counts (see :meth:`RunStore.experiment_summaries`)."""
        query = (
            select(runs.c.experiment, func.count(), func.max(runs.c.started_at))
            .group_by(runs.c.experiment)
            .order_by(runs.c.experiment)
        )

        def read(conn: Connection) -> list[dict[str, Any]]:
            return [
                {"name": str(name), "runs": int(n), "last_started_at": last}
                for name, n, last in conn.execute(query)
            ]

        return self._transact(read, write=False)

    def metric_step_values(self, run_id: str, key: str) -> list[tuple[int, float | None]]:
        """Return ``(step, value)`` rows of one metric (see the base class)."""
        check_run_id(run_id)
        check_metric_key(key)
        sql = self._sql

        def read(conn: Connection) -> list[tuple[int, float | None]]:
            result = sql.steps_select.execute(conn, {"b_run_id": run_id, "b_key": key})
            rows = list(result.cursor.fetchall()) if result.cursor is not None else []
            result.close()
            if not rows:
                self._require_run(conn, run_id)
            return [(r[0], r[1]) for r in rows]

        return self._transact(read, write=False)

    def metric_summaries(self, run_id: str) -> list[dict[str, Any]]:
        """Return per-metric point counts and final values (see the base class)."""
        check_run_id(run_id)
        finals = select(metrics.c.key, metrics.c.value, metrics.c.step).where(
            metrics.c.run_id == run_id
        )
        counts = (
            select(metric_steps.c.key, func.count(), func.max(metric_steps.c.step))
            .where(metric_steps.c.run_id == run_id)
            .group_by(metric_steps.c.key)
        )

        def read(conn: Connection) -> list[dict[str, Any]]:
            self._require_run(conn, run_id)
            found: dict[str, dict[str, Any]] = {}
            for key, n, last_step in conn.execute(counts):
                found[key] = {"key": key, "count": int(n), "last": None, "last_step": last_step}
            for key, value, step in conn.execute(finals):
                entry = found.setdefault(key, {"key": key, "count": 0})
                entry["last"] = math.nan if value is None else float(value)
                entry["last_step"] = int(step)
            return [found[k] for k in sorted(found)]

        return self._transact(read, write=False)

    def mark_stale_runs_crashed(
        self, lease_seconds: float, now: datetime | None = None
    ) -> list[str]:
        """Mark runs whose kernel is gone as crashed (see the base class)."""
        now = now or utcnow()
        cutoff = format_datetime(now - timedelta(seconds=lease_seconds))
        hostname = socket.gethostname()
        liveness = (runs.c.id, runs.c.started_at, runs.c.heartbeat_at, runs.c.host, runs.c.pid)
        query = select(*liveness).where(runs.c.status == RunStatus.RUNNING.value)

        def crash_reason(row: Row) -> str | None:
            last = row.heartbeat_at or row.started_at
            if not isinstance(last, str):  # a damaged row: left for someone to look at
                return None
            if last < cutoff:
                return f"no heartbeat for more than {lease_seconds:g} s"
            if row.host == hostname and isinstance(row.pid, int) and not _pid_alive(row.pid):
                return f"process {row.pid} on {hostname} no longer exists"
            return None

        def find(conn: Connection) -> list[str]:
            return [r.id for r in conn.execute(query) if crash_reason(r) is not None]

        # Look without the write lock first: usually nothing is stale.
        candidates = self._transact(find, write=False)
        if not candidates:
            return []

        def write(conn: Connection) -> list[str]:
            crashed: list[str] = []
            for chunk in chunks(candidates):
                rows = conn.execute(
                    select(*liveness, runs.c.record).where(
                        runs.c.status == RunStatus.RUNNING.value, runs.c.id.in_(list(chunk))
                    )
                ).all()
                for row in rows:
                    # Checked again under the lock: the run may have sent a heartbeat or
                    # ended meanwhile.
                    reason = crash_reason(row)
                    if reason is None:
                        continue
                    ended_at = row.heartbeat_at or row.started_at
                    try:
                        record = json.loads(row.record)
                        extra = record.get("extra")
                        duration = (
                            parse_datetime(ended_at) - parse_datetime(row.started_at)
                        ).total_seconds()
                    except Exception as exc:  # a damaged record is never rewritten
                        log.warning("run %r not marked crashed: %s", row.id, _reason(exc))
                        continue
                    if not isinstance(extra, dict):
                        extra = record["extra"] = {}
                    extra["crash_reason"] = reason
                    conn.execute(
                        runs.update()
                        .where(runs.c.id == row.id)
                        .values(
                            status=RunStatus.CRASHED.value,
                            ended_at=ended_at,
                            duration=duration,
                            record=dumps_internal(record),
                        )
                    )
                    crashed.append(row.id)
            if crashed:
                self._sql.bump_change_seq.execute(conn, {})
            return crashed

        return self._transact(write, write=True)

    def close(self) -> None:
        """Close every pooled connection."""
        self.database.close()

    def forget_after_fork(self) -> None:
        """In a forked child: drop the parent's connections without using or closing them."""
        self.database.forget_after_fork()


def _reason(exc: BaseException) -> str:
    """Why a record could not be read, in one short line."""
    return f"{type(exc).__name__}: {exc}"[:200]


def _pid_alive(pid: int) -> bool:
    import psutil

    if pid == os.getpid():
        return True
    try:
        return bool(psutil.pid_exists(pid))
    except (OverflowError, ValueError):
        return False
