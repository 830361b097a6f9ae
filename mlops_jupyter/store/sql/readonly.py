"""Read-only access to a store's database, for checks that must never write or migrate.

SQLite is opened with ``mode=ro`` (SQLite itself refuses every write, so a corrupted file
stays as it was); PostgreSQL transactions are ``READ ONLY`` and give up on a lock after
5 s rather than queue behind a migration. Errors go through the store's one
:class:`~mlops_jupyter.store.sql.faults.FaultTranslator`.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, event, exists, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from ...errors import InvalidArgumentError
from ...redaction import Scrubber
from ..errors import StoreError, StoreUnavailableError
from ..location import StoreLocation
from ..schema import metric_steps, metrics, params, runs, store_state, tags
from .faults import FaultTranslator

__all__ = [
    "ReadOnlyConnection",
    "change_seq",
    "database_problems",
    "display_name",
    "faults_for",
    "known_revisions",
    "readonly_engine",
    "schema_revision",
]

#: Lines of ``PRAGMA integrity_check`` output reported.
_INTEGRITY_LINES = 20
_BUSY_TIMEOUT_S = 5.0


def display_name(location: StoreLocation) -> str:
    """The database as shown to people: its file, or the masked URL."""
    return location.sqlite_path or location.description


def readonly_engine(location: StoreLocation) -> Engine:
    """An engine that can only read the database (and never creates a SQLite file)."""
    display = display_name(location)
    path = location.sqlite_path
    if location.scheme == "sqlite":
        if path is None:
            raise InvalidArgumentError(f"cannot check an in-memory database ({display})")
        if not os.path.isfile(path):
            raise StoreUnavailableError(path, "no such file (nothing was recorded there yet?)")
        # mode=ro: SQLite itself refuses every write, so a corrupted file stays as it was.
        uri = f"file:{quote(os.path.abspath(path))}?mode=ro"

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(uri, uri=True, timeout=_BUSY_TIMEOUT_S, check_same_thread=False)

        return create_engine("sqlite://", creator=connect, poolclass=NullPool)
    try:
        engine = create_engine(location.db_url, poolclass=NullPool)
    except (ImportError, SQLAlchemyError) as exc:  # e.g. the driver is not installed
        detail = Scrubber(location.db_url)(str(exc))
        raise StoreError(f"cannot open the run database {display}: {detail}") from None

    @event.listens_for(engine, "begin")
    def _read_only(conn: Connection) -> None:
        # Per transaction rather than in the connection's options, which the URL may set
        # (e.g. a search_path). Give up rather than queue behind a migration's lock.
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        conn.exec_driver_sql("SET LOCAL lock_timeout = '5s'")

    return engine


def faults_for(location: StoreLocation) -> FaultTranslator:
    """The fault translator for the database at ``location``."""
    return FaultTranslator(display_name(location), location.scheme, Scrubber(location.db_url))


class ReadOnlyConnection:
    """``with ReadOnlyConnection(engine, faults) as conn``: database errors become StoreErrors."""

    def __init__(self, engine: Engine, faults: FaultTranslator) -> None:
        self._engine = engine
        self._faults = faults
        self._conn: Connection | None = None

    def __enter__(self) -> Connection:
        try:
            self._conn = self._engine.connect()
        except SQLAlchemyError as exc:
            raise self._faults.translate(exc) from None
        return self._conn

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except SQLAlchemyError:
                pass
        if isinstance(exc, SQLAlchemyError):
            raise self._faults.translate(exc) from None


def schema_revision(conn: Connection) -> str | None:
    """The database's Alembic revision(s), or None without a schema."""
    from sqlalchemy import inspect

    if not inspect(conn).has_table("alembic_version"):
        return None
    found = sorted(
        str(v) for v in conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars()
    )
    return ", ".join(found) or None


def known_revisions() -> set[str]:
    """Every revision the migrations of this version know."""
    from alembic.script import ScriptDirectory

    from .database import alembic_config

    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def database_problems(conn: Connection, backend: str, has_schema: bool) -> list[str]:
    """Integrity problems of the database, one sentence each (empty when healthy)."""
    problems: list[str] = []
    if backend == "sqlite":
        lines = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA integrity_check")]
        if lines != ["ok"]:
            shown = "; ".join(lines[:_INTEGRITY_LINES])
            more = (
                f" (and {len(lines) - _INTEGRITY_LINES} more)"
                if len(lines) > _INTEGRITY_LINES
                else ""
            )
            problems.append(f"the database failed its integrity check: {shown}{more}")
        dangling: dict[str, int] = {}
        for row in conn.exec_driver_sql("PRAGMA foreign_key_check"):
            dangling[str(row[0])] = dangling.get(str(row[0]), 0) + 1
        for name, count in sorted(dangling.items()):
            problems.append(f"{count} row(s) of table {name} belong to no run")
        return problems
    # PostgreSQL enforces the foreign keys, unless someone dropped or disabled them.
    for child in (params, metrics, metric_steps, tags) if has_schema else ():
        orphaned = ~exists().where(runs.c.id == child.c.run_id)
        rows = conn.execute(select(func.count()).select_from(child).where(orphaned)).scalar()
        if rows:
            problems.append(f"{rows} row(s) of table {child.name} belong to no run")
    return problems


def change_seq(conn: Connection) -> int | None:
    """The store's change counter, or None before schema 0002 (which added it)."""
    from sqlalchemy import inspect

    # Asked first: on PostgreSQL a failed query would abort the whole transaction.
    if not inspect(conn).has_table(store_state.name):
        return None
    value = conn.execute(select(store_state.c.change_seq)).scalar()
    return None if value is None else int(value)
