"""Run store on SQLAlchemy Core: SQLite today, PostgreSQL with the same tables.

Importing this module imports SQLAlchemy (tens of milliseconds), so it is only loaded when a
store is opened (see :func:`mlops_jupyter.store.open_store`).
"""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import random
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Double,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    create_engine,
    event,
    exists,
    func,
    literal_column,
    not_,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.engine import Connection, CursorResult, Dialect, Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)
from sqlalchemy.sql.expression import ClauseElement

from ..models import (
    MetricPoint,
    Run,
    RunStatus,
    format_datetime,
    json_safe,
    parse_datetime,
    utcnow,
)
from ..query import DEFAULT_SORT, FilterNode, RunPage, SortKey, compile_count, compile_filter
from .base import RunStore
from .blobs import open_blob_store
from .errors import (
    InvalidArgumentError,
    RunAlreadyExistsError,
    RunNotFoundError,
    StoreCorruptedError,
    StoreError,
    StoreFullError,
    StoreUnavailableError,
)
from .location import StoreLocation, mask_url, normalize_db_url
from .schema import SCHEMA_REVISION, metric_steps, metrics, params, runs, store_state, tags

__all__ = ["MIGRATIONS_DIR", "SCHEMA_REVISION", "SqlRunStore", "alembic_config"]

log = logging.getLogger(__name__)

T = TypeVar("T")
# Row is generic over a tuple in SQLAlchemy 2.0 and variadic in 2.1; rows are used by
# attribute name here, so spell them as Any to type-check against both.
_Row = Any

#: Alembic script directory, inside the package so it ships in the wheel.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_BUSY_TIMEOUT_MS = 5_000
# Total time a transaction keeps retrying on "database is locked" before giving up. Large on
# purpose: losing a run is worse than a slow cell, and SQLite's own busy handler already
# waited up to _BUSY_TIMEOUT_MS per attempt.
_LOCK_DEADLINE_S = 120.0
_RETRY_FIRST_DELAY_S = 0.002
_RETRY_MAX_DELAY_S = 0.25
# SQLite builds before 3.32 cap bound parameters at 999 per statement.
_IN_CHUNK = 500
# Arbitrary constant naming the migration lock among PostgreSQL advisory locks.
_PG_MIGRATION_LOCK_ID = 0x6D6C6F7073
# Seconds to wait for a PostgreSQL connection when the URL does not say (libpq waits
# forever): a database that is down must not hang a kernel's writer for minutes.
_PG_CONNECT_TIMEOUT_S = 5
# PostgreSQL SQLSTATEs. serialization_failure and deadlock_detected: the transaction was
# rolled back and may simply be run again, like SQLite's "database is locked".
_PG_RETRY_STATES = frozenset({"40001", "40P01"})
# admin_shutdown, crash_shutdown, cannot_connect_now (starting up or shutting down).
_PG_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03"})
_PG_DISK_FULL = "53100"
_PG_UNDEFINED_TABLE = "42P01"
# How a full disk shows in driver messages: SQLite's SQLITE_FULL, and the OS's strerror
# (PostgreSQL reports "could not extend file ...: No space left on device").
_DISK_FULL_MESSAGES = ("database or disk is full",) + tuple(
    os.strerror(code).lower()
    for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EFBIG)
    if code is not None
)
_NUL_IN_TEXT = "cannot contain nul"

_RUN_COLUMNS = tuple(c.name for c in runs.columns)
# Everything a run summary needs: the source may be large and is left out of lists.
_LIST_COLUMNS = tuple(c for c in runs.columns if c.name != "source")
# Total counts cached per (filter, experiment, change token): paging and polling an
# unchanged store never count twice.
_COUNT_CACHE_SIZE = 32
_METRIC_COLUMNS = ("run_id", "key", "value", "step", "timestamp")
_STEP_COLUMNS = ("run_id", "key", "step", "value", "timestamp")
# Fields kept outside the ``record`` JSON: in columns, in their own tables, in blobs, or
# derived (duration).
_NOT_IN_RECORD = frozenset(_RUN_COLUMNS) | {
    "params",
    "metrics",
    "tags",
    "env",
    "history",
    "duration",
}


def _json_default(value: Any) -> Any:
    # Params and extras come from user code: NumPy scalars and arrays, sets, paths... A
    # tracked cell must not fail because of them, so keep what JSON can express.
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError):
            pass
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return tolist()
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    return str(value)


def _dumps_internal(value: Any) -> str:
    # Internal columns keep NaN/Infinity as JSON's non-standard tokens, which json.loads
    # reads back as floats: stored runs come back exactly as written. Strict JSON is
    # produced at the API boundary (Run.to_json).
    return json.dumps(value, separators=(",", ":"), default=_json_default)


def _nan_to_none(value: float) -> float | None:
    return None if value != value else value


def _param_row(run_id: str, key: str, value: Any) -> dict[str, Any]:
    value_num: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            value_num = _nan_to_none(float(value))
        except OverflowError:  # an int too large for a double
            value_num = None
    return {
        "run_id": run_id,
        "key": key,
        "value_json": _dumps_internal(value),
        "value_num": value_num,
        # Only filters and sorts read value_text (value_json is the value): a NUL, which
        # PostgreSQL text cannot hold, becomes U+FFFD there on every backend alike.
        "value_text": value.replace("\x00", "\ufffd") if isinstance(value, str) else None,
    }


def _chunks(items: Sequence[T], size: int = _IN_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _orig_message(exc: DBAPIError) -> str:
    return str(exc.orig).lower()


def _sqlstate(exc: DBAPIError) -> str | None:
    # psycopg 3 says sqlstate, psycopg2 pgcode; None when the server sent no error (the
    # connection failed or broke) and for SQLite.
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return state if isinstance(state, str) else None


def _is_busy(exc: DBAPIError) -> bool:
    message = _orig_message(exc)
    return (
        "database is locked" in message
        or "database is busy" in message
        or ("database table is locked" in message)
    )


def _is_corrupt(exc: DBAPIError) -> bool:
    message = _orig_message(exc)
    return any(
        s in message for s in ("not a database", "malformed", "file is encrypted", "disk image")
    )


def _is_missing_table(exc: DBAPIError) -> bool:
    return _sqlstate(exc) == _PG_UNDEFINED_TABLE or "no such table" in _orig_message(exc)


def _classify(exc: BaseException, backend: str) -> str | None:
    """Say what kind of failure a database error is, for :meth:`SqlRunStore._translate`.

    Args:
        exc: An error raised by SQLAlchemy (or an ``OSError``).
        backend: ``"sqlite"`` or ``"postgresql"``: a driver error without SQLSTATE only
            means "no connection" on PostgreSQL.

    Returns:
        ``"retry"`` (locked, serialization failure, deadlock: run the transaction again),
        ``"unavailable"`` (cannot connect, connection lost, server shutting down),
        ``"full"`` (no space left), ``"corrupt"`` (not a database), ``"nul"`` (PostgreSQL
        text cannot hold the NUL character) or None (any other error).
    """
    if isinstance(exc, OSError):
        codes = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
        return "full" if exc.errno in codes else None
    if not isinstance(exc, DBAPIError):
        return None
    state = _sqlstate(exc)
    message = _orig_message(exc)
    if state == _PG_DISK_FULL or any(m in message for m in _DISK_FULL_MESSAGES):
        return "full"
    if state in _PG_RETRY_STATES or _is_busy(exc):
        return "retry"
    if state in _PG_UNAVAILABLE_STATES or (state or "").startswith("08"):
        return "unavailable"
    if exc.connection_invalidated:
        return "unavailable"
    # psycopg raises OperationalError without SQLSTATE when there is no usable connection:
    # refused, timed out, closed by the server, authentication refused.
    no_connection = isinstance(exc, OperationalError | InterfaceError) and state is None
    if backend == "postgresql" and no_connection:
        return "unavailable"
    if backend == "sqlite" and "unable to open database" in message:
        return "unavailable"
    if _is_corrupt(exc):
        return "corrupt"
    if _NUL_IN_TEXT in message:
        return "nul"
    return None


def _validate_run(run: Run) -> None:
    if not isinstance(run, Run):
        raise InvalidArgumentError(f"expected a Run, got {type(run).__name__}")
    if not isinstance(run.id, str) or not run.id or len(run.id) > 64:
        raise InvalidArgumentError(f"invalid run id {run.id!r:.80}: 1 to 64 characters")
    if not isinstance(run.experiment, str) or not run.experiment:
        raise InvalidArgumentError("a run needs a non-empty experiment name")
    try:
        RunStatus(run.status)
    except ValueError:
        raise InvalidArgumentError(f"invalid run status {run.status!r}") from None


def _metric_values(run: Run) -> dict[str, float | None]:
    try:
        return {str(k): _nan_to_none(float(v)) for k, v in run.metrics.items()}
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"metric values must be numbers: {exc}") from None


def _status_value(status: RunStatus | str | None) -> str | None:
    if status is None:
        return None
    try:
        return RunStatus(status).value
    except ValueError:
        raise InvalidArgumentError(f"unknown run status {status!r}") from None


class _Prepared:
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
        if self.defaults:
            values = {**self.defaults, **values}
        if self.order is None:
            return dict(values)
        return tuple([values[k] for k in self.order])

    def execute(self, conn: Connection, values: Mapping[str, Any]) -> CursorResult[Any]:
        return conn.exec_driver_sql(self.sql, self.bind(values))

    def executemany(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            conn.exec_driver_sql(self.sql, [self.bind(r) for r in rows])


class _Statements:
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
    def run_insert(self) -> _Prepared:
        return _Prepared(runs.insert(), self.dialect, _RUN_COLUMNS)

    @cached_property
    def run_update(self) -> _Prepared:
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
        keys = [c for c in _RUN_COLUMNS if c not in ("id", "heartbeat_at")]
        return _Prepared(stmt, self.dialect, keys)

    @cached_property
    def run_exists(self) -> _Prepared:
        return _Prepared(select(runs.c.id).where(runs.c.id == bindparam("id")), self.dialect)

    @cached_property
    def run_select(self) -> _Prepared:
        return _Prepared(select(runs).where(runs.c.id == bindparam("id")), self.dialect)

    @cached_property
    def children_select(self) -> _Prepared:
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
        return _Prepared(stmt, self.dialect)

    @cached_property
    def params_insert(self) -> _Prepared:
        return _Prepared(
            params.insert(),
            self.dialect,
            ["run_id", "key", "value_json", "value_num", "value_text"],
        )

    @cached_property
    def params_delete(self) -> _Prepared:
        stmt = params.delete().where(params.c.run_id == bindparam("b_run_id"))
        return _Prepared(stmt, self.dialect)

    @cached_property
    def tags_insert(self) -> _Prepared:
        return _Prepared(tags.insert(), self.dialect, ["run_id", "key", "value"])

    @cached_property
    def tags_delete(self) -> _Prepared:
        stmt = tags.delete().where(tags.c.run_id == bindparam("b_run_id"))
        return _Prepared(stmt, self.dialect)

    @cached_property
    def metrics_insert(self) -> _Prepared:
        return _Prepared(metrics.insert(), self.dialect, _METRIC_COLUMNS)

    @cached_property
    def metrics_select(self) -> _Prepared:
        stmt = select(metrics.c.key, metrics.c.value).where(
            metrics.c.run_id == bindparam("b_run_id")
        )
        return _Prepared(stmt, self.dialect)

    @cached_property
    def metrics_delete_key(self) -> _Prepared:
        stmt = metrics.delete().where(
            metrics.c.run_id == bindparam("b_run_id"), metrics.c.key == bindparam("b_key")
        )
        return _Prepared(stmt, self.dialect)

    @cached_property
    def metrics_set_value(self) -> _Prepared:
        # update_run: a new value for the key, keeping the step/timestamp it was logged at.
        stmt = self._upsert_metrics()
        stmt = stmt.on_conflict_do_update(
            index_elements=[metrics.c.run_id, metrics.c.key],
            set_={"value": stmt.excluded.value},
        )
        return _Prepared(stmt, self.dialect, _METRIC_COLUMNS)

    @cached_property
    def metrics_log_final(self) -> _Prepared:
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
        return _Prepared(stmt, self.dialect, _METRIC_COLUMNS)

    @cached_property
    def steps_insert(self) -> _Prepared:
        return _Prepared(metric_steps.insert(), self.dialect, _STEP_COLUMNS)

    @cached_property
    def steps_delete_exact(self) -> _Prepared:
        stmt = metric_steps.delete().where(
            metric_steps.c.run_id == bindparam("b_run_id"),
            metric_steps.c.key == bindparam("b_key"),
            metric_steps.c.step == bindparam("b_step"),
            metric_steps.c.timestamp == bindparam("b_ts"),
        )
        return _Prepared(stmt, self.dialect)

    @cached_property
    def steps_select(self) -> _Prepared:
        stmt = (
            select(metric_steps.c.step, metric_steps.c.value, metric_steps.c.timestamp)
            .where(
                metric_steps.c.run_id == bindparam("b_run_id"),
                metric_steps.c.key == bindparam("b_key"),
            )
            .order_by(metric_steps.c.step, metric_steps.c.timestamp)
        )
        return _Prepared(stmt, self.dialect)

    @cached_property
    def bump_change_seq(self) -> _Prepared:
        stmt = (
            store_state.update()
            .where(store_state.c.id == 1)
            .values(change_seq=store_state.c.change_seq + 1)
        )
        return _Prepared(stmt, self.dialect)

    @cached_property
    def change_token(self) -> _Prepared:
        stmt = select(store_state.c.store_id, store_state.c.change_seq).where(store_state.c.id == 1)
        return _Prepared(stmt, self.dialect)

    @cached_property
    def heartbeat(self) -> _Prepared:
        stmt = (
            runs.update()
            .where(runs.c.id == bindparam("b_id"), runs.c.status == RunStatus.RUNNING.value)
            .values(heartbeat_at=bindparam("b_at"))
        )
        return _Prepared(stmt, self.dialect)


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
        self.location = location
        # mask_url again: a location built by hand may carry the raw URL as description.
        self._display = location.sqlite_path or mask_url(location.description)
        self._secrets: tuple[str, ...] = ()
        if location.sqlite_path is not None:
            Path(location.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._engine = self._create_engine()
        except ArgumentError:
            # The message would repeat the URL, password included.
            raise StoreError(f"invalid database URL {self._display}") from None
        except ImportError as exc:
            if location.scheme in ("postgresql", "postgres"):
                raise StoreError(
                    f"cannot open the run database {self._display}: the PostgreSQL driver "
                    "is missing: install mlops-jupyter[postgres] (psycopg)"
                ) from exc
            raise StoreError(f"cannot open the run database {self._display}: {exc}") from exc
        except SQLAlchemyError as exc:
            raise StoreError(
                f"cannot open the run database {self._display}: {self._scrub(str(exc))}"
            ) from exc
        self._backend = self._engine.dialect.name
        write_options: dict[str, Any] = {"mlops_write": True}
        read_options: dict[str, Any] = {}
        if self._backend == "postgresql":
            # Set explicitly, whatever the server's default_transaction_isolation: writes
            # need READ COMMITTED (each statement sees what committed before it, which the
            # migration lock relies on; concurrent writers wait instead of failing), reads
            # one snapshot for all their statements, as on SQLite (a list's change token,
            # count and rows agree). Read-only transactions never fail to serialize.
            write_options["isolation_level"] = "READ COMMITTED"
            read_options["isolation_level"] = "REPEATABLE READ"
        self._write_engine = self._engine.execution_options(**write_options)
        self._read_engine = self._engine.execution_options(**read_options)
        self._sql = _Statements(self._engine.dialect)
        self._count_cache: dict[tuple[Any, ...], int] = {}
        self._count_cache_lock = threading.Lock()
        try:
            #: Whether opening this store ran the migrations (False if already current).
            self.migrated = self._ensure_schema()
        except BaseException:
            self._engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"SqlRunStore({self._display!r})"

    # -- connection handling ----------------------------------------------------------

    def _create_engine(self) -> Engine:
        if self.location.scheme != "sqlite":
            return self._create_server_engine()

        engine = create_engine(self.location.db_url)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Take BEGIN away from the sqlite3 module (it would defer it until the first
            # DML statement) so that _on_begin decides when and how transactions start.
            # isolation_level only counts in the legacy mode, which Python 3.16 stops
            # making the default; commit()/rollback() still end our transactions in it.
            legacy = getattr(sqlite3, "LEGACY_TRANSACTION_CONTROL", None)
            if legacy is not None:
                dbapi_conn.autocommit = legacy
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            try:
                # busy_timeout first: switching to WAL needs a lock another process may hold.
                cursor.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
                cursor.execute("PRAGMA foreign_keys = ON")
            finally:
                cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # IMMEDIATE takes the write lock up front: a deferred transaction that reads
            # and then writes can fail with SQLITE_BUSY without the busy handler waiting.
            if conn.get_execution_options().get("mlops_write"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        return engine

    def _create_server_engine(self) -> Engine:
        url = make_url(normalize_db_url(self.location.db_url))
        if url.password:
            # Some driver messages quote connection parameters: never show the password.
            self._secrets = (str(url.password),)
        connect_args: dict[str, Any] = {}
        if (
            url.get_backend_name() == "postgresql"
            and "connect_timeout" not in url.query
            and not os.environ.get("PGCONNECT_TIMEOUT")  # libpq's own setting wins too
        ):
            connect_args["connect_timeout"] = _PG_CONNECT_TIMEOUT_S
        # pool_pre_ping: a pooled connection the server dropped (restart, failover, idle
        # timeout) is replaced at checkout instead of failing the next operation.
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)

    def _transact(self, fn: Callable[[Connection], T], *, write: bool) -> T:
        """Run ``fn`` in a transaction, retrying while the database is locked.

        "Locked" is SQLite's busy database, and PostgreSQL's serialization failures and
        deadlocks. ``fn`` may run several times, so it must not have side effects outside
        the database. Write transactions commit when ``fn`` returns; read ones roll back.
        """
        engine = self._write_engine if write else self._read_engine
        delay = _RETRY_FIRST_DELAY_S
        deadline: float | None = None
        while True:
            try:
                with engine.connect() as conn:
                    if not write:
                        # Autobegin emits BEGIN (one snapshot for all of fn's reads); the
                        # transaction is rolled back when the connection goes back to the
                        # pool.
                        return fn(conn)
                    with conn.begin():
                        return fn(conn)
            except DBAPIError as exc:
                if _classify(exc, self._backend) != "retry":
                    raise self._translate(exc) from exc
                now = time.monotonic()
                if deadline is None:
                    deadline = now + _LOCK_DEADLINE_S
                if now >= deadline:
                    raise StoreError(
                        f"the run database {self._display} stayed locked for more than "
                        f"{_LOCK_DEADLINE_S:.0f} s"
                    ) from exc
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, _RETRY_MAX_DELAY_S)
            except SQLAlchemyError as exc:
                raise self._translate(exc) from exc

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _translate(self, exc: BaseException) -> StoreError:
        """The :class:`StoreError` telling what ``exc`` means to a user, without secrets."""
        # The driver's own message: SQLAlchemy's would add the statement and parameters.
        raw = str(exc.orig) if isinstance(exc, DBAPIError) else str(exc)
        detail = self._scrub(" ".join(raw.split()))
        kind = _classify(exc, self._backend)
        if kind == "unavailable":
            return StoreUnavailableError(self._display, detail)
        if kind == "full":
            return StoreFullError(self._display, detail)
        if kind == "corrupt":
            return StoreCorruptedError(self._display, detail)
        if kind == "nul":
            return InvalidArgumentError(
                f"the run database {self._display} cannot store the NUL character (\\x00) in "
                "text: remove it from the run's name, experiment, tags, source or metric names"
            )
        return StoreError(f"database error ({self._display}): {detail}")

    # -- schema -----------------------------------------------------------------------

    def _ensure_schema(self) -> bool:
        def read_version(conn: Connection) -> set[str] | None:
            try:
                rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version")
                return {str(v) for v in rows.scalars()}
            except (OperationalError, ProgrammingError) as exc:
                if not _is_missing_table(exc):
                    raise
                return None  # no alembic_version table: a new database

        if self._transact(read_version, write=False) == {SCHEMA_REVISION}:
            return False
        return self._transact(self._migrate, write=True)

    def _migrate(self, conn: Connection) -> bool:
        # Runs inside the write transaction, which is the migration lock: on SQLite BEGIN
        # IMMEDIATE excludes every other writer, on PostgreSQL an advisory lock does. The
        # DDL commits or rolls back with it.
        from sqlalchemy import inspect

        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK_ID})")
        current: set[str] = set()
        if inspect(conn).has_table("alembic_version"):
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version")
            current = {str(v) for v in rows.scalars()}
            if current == {SCHEMA_REVISION}:
                return False  # another process migrated while we waited for the lock

        from alembic import command
        from alembic.util import CommandError

        config = alembic_config()
        config.attributes["connection"] = conn
        try:
            command.upgrade(config, "head")
        except CommandError as exc:
            raise StoreError(
                f"the run database {self._display} has schema revision "
                f"{', '.join(sorted(current)) or '?'}, which this version of mlops-jupyter "
                f"does not know (it expects {SCHEMA_REVISION}); upgrade mlops-jupyter"
            ) from exc
        log.info("migrated the run database %s to schema %s", self._display, SCHEMA_REVISION)
        return True

    # -- row conversion ---------------------------------------------------------------

    def _run_columns(self, run: Run) -> dict[str, Any]:
        # Blobs are written before the transaction: it may be retried, and an orphan blob
        # left by a failed transaction is harmless (content-addressed, immutable).
        env_sha = self.put_json_blob(run.env) if run.env else None
        history_sha = self.put_json_blob(run.history) if run.history else None
        data = run.to_json(strict=False)
        columns = {name: data.get(name) for name in _RUN_COLUMNS}
        columns["source"] = run.source or ""
        columns["record"] = _dumps_internal(
            {k: v for k, v in data.items() if k not in _NOT_IN_RECORD}
        )
        columns["env_sha256"] = env_sha
        columns["history_sha256"] = history_sha
        return columns

    @staticmethod
    def _child_rows(run: Run) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        # Keyed by str(key) first: {1: a, "1": b} must not collide on the primary key.
        param_values = {str(k): v for k, v in run.params.items()}
        param_rows = [_param_row(run.id, k, v) for k, v in param_values.items()]
        tag_values = {str(k): str(v) for k, v in run.tags.items()}
        tag_rows = [{"run_id": run.id, "key": k, "value": v} for k, v in tag_values.items()]
        return param_rows, tag_rows

    def _load_blob(self, sha: str | None, empty: Any) -> Any:
        if sha is None:
            return empty
        try:
            return self.get_json_blob(sha)
        except (StoreError, OSError, ValueError):
            # Keep the run readable if its blob was lost or is not reachable from here (a
            # PostgreSQL store used from another machine, a shared blob location offline).
            log.warning("blob %s missing or unreadable in %s", sha, self.blobs.root)
            return empty

    def _build_run(self, row: _Row, children: Sequence[_Row], *, blobs: bool = True) -> Run:
        data: dict[str, Any] = json.loads(row.record)
        for name in _RUN_COLUMNS:
            # A list row lacks the source column (see _LIST_COLUMNS).
            data[name] = getattr(row, name, None)
        run_params: dict[str, Any] = {}
        run_metrics: dict[str, float] = {}
        run_tags: dict[str, str] = {}
        for kind, key, text, num in sorted(children, key=lambda c: c[1]):
            if kind == "p":
                run_params[key] = json.loads(text)
            elif kind == "m":
                run_metrics[key] = math.nan if num is None else float(num)
            else:
                run_tags[key] = text
        data["params"] = run_params
        data["tags"] = run_tags
        data["env"] = self._load_blob(row.env_sha256, {}) if blobs else {}
        data["history"] = self._load_blob(row.history_sha256, []) if blobs else []
        run = Run.from_json(data)
        # from_json would read these again; set them directly (NaN arrives as None).
        run.metrics = run_metrics
        return run

    def _require_run(self, conn: Connection, run_id: str) -> None:
        if self._sql.run_exists.execute(conn, {"id": run_id}).first() is None:
            raise RunNotFoundError(run_id)

    # -- primitives -------------------------------------------------------------------

    def create_run(self, run: Run) -> None:
        """Insert a new run (see :meth:`RunStore.create_run`)."""
        _validate_run(run)
        metric_values = _metric_values(run)
        columns = self._run_columns(run)
        param_rows, tag_rows = self._child_rows(run)
        now = time.time()
        metric_rows = [
            {
                "run_id": run.id,
                "key": k,
                "value": value,
                "step": 0,
                "timestamp": now,
            }
            for k, value in metric_values.items()
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
            sql.bump_change_seq.execute(conn, {})

        self._transact(write, write=True)

    def update_run(self, run: Run) -> None:
        """Replace the stored run (see :meth:`RunStore.update_run`).

        ``run.metrics`` replaces the final metric values: keys missing from it are
        removed. A key that already had a final value keeps the step and timestamp it was
        logged at, so later points still only win with a later step. ``heartbeat_at`` is
        the exception to "replace": it never moves backwards.
        """
        _validate_run(run)
        new_metrics = _metric_values(run)
        columns = self._run_columns(run)
        columns["b_id"] = columns.pop("id")
        columns["b_heartbeat_at"] = columns.pop("heartbeat_at")
        param_rows, tag_rows = self._child_rows(run)
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
            sql.bump_change_seq.execute(conn, {})

        self._transact(write, write=True)

    def log_metric_points(
        self, run_id: str, points: Sequence[MetricPoint], *, replace_existing: bool = False
    ) -> None:
        """Append metric points (see :meth:`RunStore.log_metric_points`).

        Non-finite values are kept (NaN is stored as NULL). Rows are bound as plain tuples
        through the driver's ``executemany``; a million points take a few seconds.
        """
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
            if current is None or (step, timestamp) >= (current[0], current[1]):
                best[key] = (step, timestamp, i)
        finals = [
            {"run_id": run_id, "key": key, "value": rows[i][3], "step": step, "timestamp": ts}
            for key, (step, ts, i) in best.items()
        ]
        steps = self._sql.steps_insert
        copy = self._engine.dialect.driver == "psycopg"
        bound: Sequence[Any] = rows
        if steps.order is None and not copy:
            bound = [dict(zip(_STEP_COLUMNS, r, strict=True)) for r in rows]
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
                    _copy_rows(conn, "metric_steps", _STEP_COLUMNS, rows)
                else:
                    conn.exec_driver_sql(steps.sql, bound)
                sql.metrics_log_final.executemany(conn, finals)
                sql.bump_change_seq.execute(conn, {})

        self._transact(write, write=True)

    def heartbeat(self, run_ids: Sequence[str], at: datetime | None = None) -> None:
        """Record heartbeats (see :meth:`RunStore.heartbeat`)."""
        stamp = format_datetime(at or utcnow())
        rows = [{"b_id": run_id, "b_at": stamp} for run_id in dict.fromkeys(run_ids)]
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
        sql = self._sql

        def read(conn: Connection) -> tuple[_Row, Sequence[_Row]]:
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
            clauses.append(runs.c.experiment == experiment)
        status_value = _status_value(status)
        if status_value is not None:
            clauses.append(runs.c.status == status_value)
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

        def read(conn: Connection) -> tuple[Sequence[_Row], dict[str, list[_Row]]]:
            run_rows = conn.execute(query).all()
            return run_rows, _children(conn, [r.id for r in run_rows])

        run_rows, children = self._transact(read, write=False)
        return [self._build_run(r, children.get(r.id, ())) for r in run_rows]

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
        _check_page(limit, offset)
        sort = sort or DEFAULT_SORT
        condition = compile_filter(where)
        count_query: Any
        if experiment is None:
            count_query = compile_count(where)
        else:
            condition = and_(condition, runs.c.experiment == experiment)
            count_query = (
                select(func.count())
                .select_from(runs)
                .where(compile_filter(where, membership=True), runs.c.experiment == experiment)
            )
        cache_key = (where, experiment)

        def read(conn: Connection) -> tuple[str, int, Sequence[_Row], dict[str, list[_Row]]]:
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
                rows: Sequence[_Row] = []
            elif sort.kind == "metrics":
                rows = self._page_by_metric(conn, condition, sort.name, descending, limit, offset)
            else:
                rows = conn.execute(
                    self._sorted_query(condition, sort, descending).limit(limit).offset(offset)
                ).all()
            return token, total, rows, _children(conn, [r.id for r in rows], raw=True)

        token, total, rows, children = self._transact(read, write=False)
        summaries = [_summary(r, children.get(r.id, ())) for r in rows]
        return RunPage(runs=summaries, total=total, version=token)

    @staticmethod
    def _sorted_query(condition: Any, sort: SortKey, descending: bool) -> Any:
        query = select(*_LIST_COLUMNS).where(condition)
        by_id = _direction(runs.c.id, descending)
        if sort.kind == "column":
            column = runs.c[sort.name]
            if sort.name == "started_at":  # never NULL: let the index give the order
                return query.order_by(_direction(column, descending), by_id)
            return query.order_by(column.is_(None), _direction(column, descending), by_id)
        # A param: numbers (numerically), then strings, then runs lacking it (or holding
        # a boolean, list, ...), in both directions.
        p = params.alias("sort_param")
        group = case((p.c.value_num.is_not(None), 0), (p.c.value_text.is_not(None), 1), else_=2)
        joined = runs.outerjoin(p, and_(p.c.run_id == runs.c.id, p.c.key == sort.name))
        return query.select_from(joined).order_by(
            group,
            _direction(p.c.value_num, descending),
            _direction(p.c.value_text, descending),
            by_id,
        )

    @staticmethod
    def _page_by_metric(
        conn: Connection, condition: Any, key: str, descending: bool, limit: int, offset: int
    ) -> list[_Row]:
        m = metrics.alias("sort_metric")
        has_value = and_(m.c.key == key, m.c.value.is_not(None))
        with_metric = (
            select(*_LIST_COLUMNS)
            .select_from(m.join(runs, runs.c.id == m.c.run_id))
            .where(has_value, condition)
        )
        rows = list(
            conn.execute(
                with_metric.order_by(
                    _direction(m.c.value, descending), _direction(m.c.run_id, descending)
                )
                .limit(limit)
                .offset(offset)
            ).all()
        )
        if len(rows) == limit:
            return rows
        # The page reaches past the runs having the metric: how many there are is known
        # unless this page holds none of them.
        if rows or offset == 0:
            n_with = offset + len(rows)
        else:
            n_with = int(
                conn.execute(select(func.count()).select_from(with_metric.subquery())).scalar_one()
            )
        lacking = not_(
            exists(
                select(1).where(
                    metrics.c.run_id == runs.c.id,
                    metrics.c.key == key,
                    metrics.c.value.is_not(None),
                )
            )
        )
        rest = conn.execute(
            select(*_LIST_COLUMNS)
            .where(condition, lacking)
            .order_by(_direction(runs.c.id, descending))
            .limit(limit - len(rows))
            .offset(max(0, offset - n_with))
        ).all()
        return rows + list(rest)

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

        def crash_reason(row: _Row) -> str | None:
            last = row.heartbeat_at or row.started_at
            if last < cutoff:
                return f"no heartbeat for more than {lease_seconds:g} s"
            if row.host == hostname and row.pid is not None and not _pid_alive(row.pid):
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
            for chunk in _chunks(candidates):
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
                    record = json.loads(row.record)
                    extra = record.get("extra")
                    if not isinstance(extra, dict):
                        extra = record["extra"] = {}
                    extra["crash_reason"] = reason
                    ended_at = row.heartbeat_at or row.started_at
                    duration = (
                        parse_datetime(ended_at) - parse_datetime(row.started_at)
                    ).total_seconds()
                    conn.execute(
                        runs.update()
                        .where(runs.c.id == row.id)
                        .values(
                            status=RunStatus.CRASHED.value,
                            ended_at=ended_at,
                            duration=duration,
                            record=_dumps_internal(record),
                        )
                    )
                    crashed.append(row.id)
            if crashed:
                self._sql.bump_change_seq.execute(conn, {})
            return crashed

        return self._transact(write, write=True)

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def _forget_after_fork(self) -> None:
        # A forked child must neither use nor close the parent's SQLite connections.
        self._engine.dispose(close=False)


def _copy_rows(
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


def _children(
    conn: Connection, run_ids: Sequence[str], *, raw: bool = False
) -> dict[str, list[_Row]]:
    """(kind, key, text, num) rows of params ("p"), final metrics ("m") and tags ("t").

    ``raw`` reads the driver's plain tuples, skipping SQLAlchemy's row objects (a page of
    runs has about fifteen children per run).
    """
    no_text = cast(null(), Text)
    no_num = cast(null(), Double)
    children: dict[str, list[_Row]] = {}
    for chunk in _chunks(run_ids):
        ids = list(chunk)
        child_query = union_all(
            select(
                params.c.run_id, literal_column("'p'"), params.c.key, params.c.value_json, no_num
            ).where(params.c.run_id.in_(ids)),
            select(
                metrics.c.run_id, literal_column("'m'"), metrics.c.key, no_text, metrics.c.value
            ).where(metrics.c.run_id.in_(ids)),
            select(tags.c.run_id, literal_column("'t'"), tags.c.key, tags.c.value, no_num).where(
                tags.c.run_id.in_(ids)
            ),
        )
        result = conn.execute(child_query)
        if raw and result.cursor is not None:
            found: Any = result.cursor.fetchall()
            result.close()
        else:
            found = result
        for r in found:
            children.setdefault(r[0], []).append(tuple(r)[1:])
    return children


def _summary(row: _Row, children: Sequence[_Row]) -> dict[str, Any]:
    """The run summary (see :func:`mlops_jupyter.query.run_summary`) straight from a row.

    Building a whole :class:`Run` first would cost several times more for a page of runs; a
    test checks that both give the same result.
    """
    record = json.loads(row.record)
    run_metrics: dict[str, Any] = {}
    run_tags: dict[str, str] = {}
    param_keys: list[str] = []
    param_texts: list[str] = []
    for kind, key, text, num in sorted(children, key=lambda c: c[1]):
        if kind == "p":
            param_keys.append(key)
            param_texts.append(text)
        elif kind == "m":
            run_metrics[key] = "NaN" if num is None else num
        else:
            run_tags[key] = text
    # One parse for all the params of the run instead of one per param.
    run_params = dict(zip(param_keys, json.loads(f"[{','.join(param_texts)}]"), strict=True))
    git = record.get("git")
    notebook = record.get("notebook")
    error = record.get("error")
    return {
        "id": row.id,
        "name": row.name,
        "experiment": row.experiment,
        "status": row.status,
        "started_at": row.started_at,
        "ended_at": row.ended_at,
        "duration": row.duration,
        "params": json_safe(run_params),
        "metrics": json_safe(run_metrics),
        "tags": run_tags,
        "reproduction_of": row.reproduction_of,
        "sweep_id": row.sweep_id,
        "git": None
        if git is None
        else {
            "commit": git.get("commit"),
            "branch": git.get("branch"),
            "dirty": bool(git.get("dirty", False)),
        },
        "notebook_path": None if notebook is None else notebook.get("path"),
        "error_type": None if error is None else error.get("type", ""),
    }


def _direction(column: Any, descending: bool) -> Any:
    return column.desc() if descending else column.asc()


def _check_page(limit: object, offset: object) -> None:
    for name, value in (("limit", limit), ("offset", offset)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidArgumentError(f"{name} must be a non-negative integer, got {value!r}")


def _pid_alive(pid: int) -> bool:
    import psutil

    if pid == os.getpid():
        return True
    try:
        return bool(psutil.pid_exists(pid))
    except (OverflowError, ValueError):
        return False


def alembic_config() -> Any:
    """Return an Alembic ``Config`` for the store's migrations, built without an ini file.

    Returns:
        An ``alembic.config.Config`` whose ``script_location`` is :data:`MIGRATIONS_DIR`.
    """
    from alembic.config import Config

    config = Config()
    # Config values go through configparser interpolation, where % is special.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config
