"""The store's fixed SQL statements, compiled once per dialect and run with the driver.

Shared by every table family of :class:`~mlops_jupyter.store.sql.store.SqlRunStore`:
``Prepared`` skips SQLAlchemy's per-execution work on the hot paths, ``Statements`` holds
the statements of runs, params, tags, metrics and metric points, ``copy_rows`` loads long
metric series with PostgreSQL's COPY.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import (
    Double,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.engine import Connection, CursorResult, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import ClauseElement

from ...models import RunStatus
from ..errors import StoreError
from ..schema import lineage_edges, metric_steps, metrics, params, runs, store_state, tags

__all__ = [
    "IN_CHUNK",
    "METRIC_COLUMNS",
    "RUN_COLUMNS",
    "STEP_COLUMNS",
    "Prepared",
    "Statements",
    "chunks",
    "copy_rows",
]

T = TypeVar("T")

#: SQLite builds before 3.32 cap bound parameters at 999 per statement.
IN_CHUNK = 500
RUN_COLUMNS = tuple(c.name for c in runs.columns)
METRIC_COLUMNS = ("run_id", "key", "value", "step", "timestamp")
STEP_COLUMNS = ("run_id", "key", "step", "value", "timestamp")


def chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size`` (bound-parameter limits)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Prepared:
    """A Core statement compiled once for the dialect, then run with ``exec_driver_sql``.

    The hot paths issue several small statements per call; skipping SQLAlchemy's
    per-execution cache-key generation and parameter processing roughly halves the cost of
    each. Only types without bind processors (str, int, float, None) are passed.
    """

    __slots__ = ("defaults", "order", "sql")

    def __init__(
        self, stmt: ClauseElement, dialect: Dialect, column_keys: Sequence[str] | None = None
    ) -> None:
        compiled = stmt.compile(
            dialect=dialect, column_keys=None if column_keys is None else list(column_keys)
        )
        self.sql = str(compiled)
        positional = getattr(compiled, "positional", False)
        order = getattr(compiled, "positiontup", None)
        self.order: tuple[str, ...] | None = tuple(order or ()) if positional else None
        # Literals in the statement (e.g. status = 'running') compile to parameters too.
        names = getattr(compiled, "bind_names", {})
        self.defaults: dict[str, Any] = {
            names[bp]: bp.effective_value
            for bp in getattr(compiled, "binds", {}).values()
            if not bp.required and bp in names
        }

    def bind(self, values: Mapping[str, Any]) -> Any:
        """The parameters in the driver's style (a tuple for positional drivers)."""
        if self.defaults:
            values = {**self.defaults, **values}
        if self.order is None:
            return dict(values)
        return tuple([values[k] for k in self.order])

    def execute(self, conn: Connection, values: Mapping[str, Any]) -> CursorResult[Any]:
        """Run the statement once."""
        return conn.exec_driver_sql(self.sql, self.bind(values))

    def executemany(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement for each row (nothing for no rows)."""
        if rows:
            conn.exec_driver_sql(self.sql, [self.bind(r) for r in rows])


class Statements:
    """The store's fixed statements, each compiled on first use (opening stays cheap)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

    def _upsert_metrics(self) -> Any:
        if self.dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            return sqlite_insert(metrics)
        if self.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(metrics)
        raise StoreError(f"unsupported database {self.dialect.name}")

    @cached_property
    def run_insert(self) -> Prepared:
        return Prepared(runs.insert(), self.dialect, RUN_COLUMNS)

    @cached_property
    def run_update(self) -> Prepared:
        # heartbeat_at only moves forward: heartbeats come from another thread, and the
        # caller's Run may still hold an older value, which would make a live run look
        # stale to mark_stale_runs_crashed.
        new_beat = cast(bindparam("b_heartbeat_at", type_=String(32)), String(32))
        stmt = (
            runs.update()
            .where(runs.c.id == bindparam("b_id"))
            .values(
                heartbeat_at=case(
                    (new_beat.is_(None), runs.c.heartbeat_at),
                    (runs.c.heartbeat_at.is_(None), new_beat),
                    (runs.c.heartbeat_at < new_beat, new_beat),
                    else_=runs.c.heartbeat_at,
                )
            )
        )
        keys = [c for c in RUN_COLUMNS if c not in ("id", "heartbeat_at")]
        return Prepared(stmt, self.dialect, keys)

    @cached_property
    def run_exists(self) -> Prepared:
        return Prepared(select(runs.c.id).where(runs.c.id == bindparam("id")), self.dialect)

    @cached_property
    def run_select(self) -> Prepared:
        return Prepared(select(runs).where(runs.c.id == bindparam("id")), self.dialect)

    @cached_property
    def children_select(self) -> Prepared:
        # One round trip instead of three: (kind, key, text, num) rows for params ("p"),
        # final metrics ("m") and tags ("t").
        rid: Any = bindparam("run_id")
        no_text = cast(null(), Text)
        no_num = cast(null(), Double)
        stmt = union_all(
            select(literal_column("'p'"), params.c.key, params.c.value_json, no_num).where(
                params.c.run_id == rid
            ),
            select(literal_column("'m'"), metrics.c.key, no_text, metrics.c.value).where(
                metrics.c.run_id == rid
            ),
            select(literal_column("'t'"), tags.c.key, tags.c.value, no_num).where(
                tags.c.run_id == rid
            ),
        )
        return Prepared(stmt, self.dialect)

    @cached_property
    def params_insert(self) -> Prepared:
        return Prepared(
            params.insert(),
            self.dialect,
            ["run_id", "key", "value_json", "value_num", "value_text"],
        )

    @cached_property
    def params_delete(self) -> Prepared:
        stmt = params.delete().where(params.c.run_id == bindparam("b_run_id"))
        return Prepared(stmt, self.dialect)

    @cached_property
    def tags_insert(self) -> Prepared:
        return Prepared(tags.insert(), self.dialect, ["run_id", "key", "value"])

    @cached_property
    def tags_delete(self) -> Prepared:
        stmt = tags.delete().where(tags.c.run_id == bindparam("b_run_id"))
        return Prepared(stmt, self.dialect)

    @cached_property
    def metrics_insert(self) -> Prepared:
        return Prepared(metrics.insert(), self.dialect, METRIC_COLUMNS)

    @cached_property
    def metrics_select(self) -> Prepared:
        stmt = select(metrics.c.key, metrics.c.value).where(
            metrics.c.run_id == bindparam("b_run_id")
        )
        return Prepared(stmt, self.dialect)

    @cached_property
    def metrics_delete_key(self) -> Prepared:
        stmt = metrics.delete().where(
            metrics.c.run_id == bindparam("b_run_id"), metrics.c.key == bindparam("b_key")
        )
        return Prepared(stmt, self.dialect)

    @cached_property
    def metrics_set_value(self) -> Prepared:
        # update_run: a new value for the key, keeping the step/timestamp it was logged at.
        stmt = self._upsert_metrics()
        stmt = stmt.on_conflict_do_update(
            index_elements=[metrics.c.run_id, metrics.c.key],
            set_={"value": stmt.excluded.value},
        )
        return Prepared(stmt, self.dialect, METRIC_COLUMNS)

    @cached_property
    def metrics_log_final(self) -> Prepared:
        # log_metric_points: replace the final value only with a later (step, timestamp).
        stmt = self._upsert_metrics()
        new = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=[metrics.c.run_id, metrics.c.key],
            set_={"value": new.value, "step": new.step, "timestamp": new.timestamp},
            where=or_(
                new.step > metrics.c.step,
                and_(new.step == metrics.c.step, new.timestamp >= metrics.c.timestamp),
            ),
        )
        return Prepared(stmt, self.dialect, METRIC_COLUMNS)

    @cached_property
    def steps_insert(self) -> Prepared:
        return Prepared(metric_steps.insert(), self.dialect, STEP_COLUMNS)

    @cached_property
    def steps_delete_exact(self) -> Prepared:
        stmt = metric_steps.delete().where(
            metric_steps.c.run_id == bindparam("b_run_id"),
            metric_steps.c.key == bindparam("b_key"),
            metric_steps.c.step == bindparam("b_step"),
            metric_steps.c.timestamp == bindparam("b_ts"),
        )
        return Prepared(stmt, self.dialect)

    @cached_property
    def steps_select(self) -> Prepared:
        stmt = (
            select(metric_steps.c.step, metric_steps.c.value, metric_steps.c.timestamp)
            .where(
                metric_steps.c.run_id == bindparam("b_run_id"),
                metric_steps.c.key == bindparam("b_key"),
            )
            .order_by(metric_steps.c.step, metric_steps.c.timestamp)
        )
        return Prepared(stmt, self.dialect)

    @cached_property
    def bump_change_seq(self) -> Prepared:
        stmt = (
            store_state.update()
            .where(store_state.c.id == 1)
            .values(change_seq=store_state.c.change_seq + 1)
        )
        return Prepared(stmt, self.dialect)

    @cached_property
    def change_token(self) -> Prepared:
        stmt = select(store_state.c.store_id, store_state.c.change_seq).where(store_state.c.id == 1)
        return Prepared(stmt, self.dialect)

    @cached_property
    def edges_insert(self) -> Prepared:
        return Prepared(
            lineage_edges.insert(),
            self.dialect,
            ["src_kind", "src", "dst_kind", "dst", "relation"],
        )

    @cached_property
    def run_edges_delete(self) -> Prepared:
        # A run's own lineage (what it read and ran); edges from it (to model versions, to
        # its reproductions) belong to those.
        stmt = lineage_edges.delete().where(
            lineage_edges.c.dst_kind == "run", lineage_edges.c.dst == bindparam("b_run_id")
        )
        return Prepared(stmt, self.dialect)

    @cached_property
    def heartbeat(self) -> Prepared:
        stmt = (
            runs.update()
            .where(runs.c.id == bindparam("b_id"), runs.c.status == RunStatus.RUNNING.value)
            .values(heartbeat_at=bindparam("b_at"))
        )
        return Prepared(stmt, self.dialect)


def copy_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` with PostgreSQL's COPY, in the connection's transaction.

    Several times faster than ``executemany`` for long metric series (psycopg 3 only).
    """
    driver: Any = conn.connection.driver_connection
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    dbapi_error: Any = conn.dialect.loaded_dbapi.Error
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except dbapi_error as exc:
        # The raw cursor bypasses SQLAlchemy: wrap the driver's error as SQLAlchemy would,
        # so that it is retried or translated like any other.
        lost = conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection, None)
        raise DBAPIError.instance(
            statement, None, exc, dbapi_error, connection_invalidated=lost
        ) from exc
