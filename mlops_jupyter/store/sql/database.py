"""One SQL database: its engine, transactions with retry, fault translation and migrations.

:class:`Database` knows nothing of runs: it opens SQLite (WAL, ``BEGIN IMMEDIATE`` writes)
or PostgreSQL (explicit isolation levels, a connect timeout), runs a function in a
transaction while the database is locked (SQLite's busy database, PostgreSQL's
serialization failures and deadlocks), and brings the schema to :data:`SCHEMA_REVISION`
with Alembic, which is imported only when the schema is not current.
"""

from __future__ import annotations

import logging
import os
import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)

from ...redaction import Scrubber, mask_url
from ..errors import StoreError
from ..location import StoreLocation, normalize_db_url
from ..schema import SCHEMA_REVISION
from .faults import FaultTranslator, classify, is_missing_table

__all__ = [
    "BUSY_TIMEOUT_MS",
    "LOCK_DEADLINE_S",
    "MIGRATIONS_DIR",
    "Database",
    "alembic_config",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Alembic script directory, inside the package so it ships in the wheel.
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

#: SQLite's own wait for a lock, per attempt.
BUSY_TIMEOUT_MS = 5_000
#: Total time a transaction keeps retrying on "database is locked" before giving up. Large on
#: purpose: losing a run is worse than a slow cell, and SQLite's own busy handler already
#: waited up to :data:`BUSY_TIMEOUT_MS` per attempt.
LOCK_DEADLINE_S = 120.0
_RETRY_FIRST_DELAY_S = 0.002
_RETRY_MAX_DELAY_S = 0.25
# Our own generator: retry jitter must never move the user's global ``random`` state (a
# reproduction would differ, and the session would report an unseeded draw).
_JITTER = random.Random()  # noqa: S311 - jitter, not crypto
# Arbitrary constant naming the migration lock among PostgreSQL advisory locks.
_PG_MIGRATION_LOCK_ID = 0x6D6C6F7073
# Seconds to wait for a PostgreSQL connection when the URL does not say (libpq waits
# forever): a database that is down must not hang a kernel's writer for minutes.
_PG_CONNECT_TIMEOUT_S = 5


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


class Database:
    """The database of a store, opened and migrated.

    Thread-safe: each transaction checks a connection out of the engine's pool.

    Args:
        location: Where the database is.

    Raises:
        StoreCorruptedError: If the database file is not a readable database (it is left
            untouched).
        StoreError: If the database cannot be opened or migrated.
    """

    def __init__(self, location: StoreLocation) -> None:
        self.location = location
        # mask_url again: a location built by hand may carry the raw URL as description.
        self.display = location.sqlite_path or mask_url(location.description)
        scrubber = Scrubber(location.db_url)
        if location.sqlite_path is not None:
            Path(location.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = self._create_engine()
        except ArgumentError:
            # The message would repeat the URL, password included.
            raise StoreError(f"invalid database URL {self.display}") from None
        except ImportError as exc:
            if location.scheme in ("postgresql", "postgres"):
                raise StoreError(
                    f"cannot open the run database {self.display}: the PostgreSQL driver "
                    "is missing: install mlops-jupyter[postgres] (psycopg)"
                ) from exc
            raise StoreError(f"cannot open the run database {self.display}: {exc}") from exc
        except SQLAlchemyError as exc:
            raise StoreError(
                f"cannot open the run database {self.display}: {scrubber(str(exc))}"
            ) from exc
        self.backend: str = self.engine.dialect.name
        self.faults = FaultTranslator(self.display, self.backend, scrubber)
        write_options: dict[str, Any] = {"mlops_write": True}
        read_options: dict[str, Any] = {}
        if self.backend == "postgresql":
            # Set explicitly, whatever the server's default_transaction_isolation: writes
            # need READ COMMITTED (each statement sees what committed before it, which the
            # migration lock relies on; concurrent writers wait instead of failing), reads
            # one snapshot for all their statements, as on SQLite (a list's change token,
            # count and rows agree). Read-only transactions never fail to serialize.
            write_options["isolation_level"] = "READ COMMITTED"
            read_options["isolation_level"] = "REPEATABLE READ"
        self._write_engine = self.engine.execution_options(**write_options)
        self._read_engine = self.engine.execution_options(**read_options)
        try:
            #: Whether opening ran the migrations (False if the schema was current).
            self.migrated = self._ensure_schema()
        except BaseException:
            self.engine.dispose()
            raise

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
                cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")
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

    def transact(self, fn: Callable[[Connection], T], *, write: bool) -> T:
        """Run ``fn`` in a transaction, retrying while the database is locked.

        "Locked" is SQLite's busy database, and PostgreSQL's serialization failures and
        deadlocks. ``fn`` may run several times, so it must not have side effects outside
        the database. Write transactions commit when ``fn`` returns; read ones roll back.

        Raises:
            StoreError: What the database error means (see :class:`FaultTranslator`), or
                that the database stayed locked for more than :data:`LOCK_DEADLINE_S`.
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
                if classify(exc, self.backend) != "retry":
                    raise self.faults.translate(exc) from exc
                now = time.monotonic()
                if deadline is None:
                    deadline = now + LOCK_DEADLINE_S
                if now >= deadline:
                    raise StoreError(
                        f"the run database {self.display} stayed locked for more than "
                        f"{LOCK_DEADLINE_S:.0f} s"
                    ) from exc
                time.sleep(delay * (0.5 + _JITTER.random()))
                delay = min(delay * 2, _RETRY_MAX_DELAY_S)
            except SQLAlchemyError as exc:
                raise self.faults.translate(exc) from exc

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def forget_after_fork(self) -> None:
        """In a forked child: drop the parent's connections without using or closing them."""
        self.engine.dispose(close=False)

    # -- schema -----------------------------------------------------------------------

    def _ensure_schema(self) -> bool:
        def read_version(conn: Connection) -> set[str] | None:
            try:
                rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version")
                return {str(v) for v in rows.scalars()}
            except (OperationalError, ProgrammingError) as exc:
                if not is_missing_table(exc):
                    raise
                return None  # no alembic_version table: a new database

        if self.transact(read_version, write=False) == {SCHEMA_REVISION}:
            return False
        return self.transact(self._migrate, write=True)

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
                f"the run database {self.display} has schema revision "
                f"{', '.join(sorted(current)) or '?'}, which this version of mlops-jupyter "
                f"does not know (it expects {SCHEMA_REVISION}); upgrade mlops-jupyter"
            ) from exc
        log.info("migrated the run database %s to schema %s", self.display, SCHEMA_REVISION)
        return True
