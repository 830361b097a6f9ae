"""Copying metric points from our SQLite store straight into an MLflow SQLite database.

Most of an export of many runs to a SQLite MLflow database is its metric rows (10k runs of
500 points: 5M rows). When our store is a SQLite file too, those rows need not pass through
Python: a connection of the MLflow database attaches our store read-only, and each chunk of
runs gets its ``metrics`` and ``latest_metrics`` rows from two ``INSERT … SELECT``
statements, in the same transaction as the runs' other rows. They apply exactly the rules
of the generic path (``_rows_of`` in :mod:`.mlflow_sinks`, which a test compares row by row):

* NaN (NULL in our store) is value 0 with ``is_nan`` 1; +-infinity is the largest float;
* the timestamp is ``round(seconds * 1000)`` rounded as Python rounds, half to even;
* identical points (after those rules) are written once: MLflow's primary key of
  ``metrics`` is every one of its columns, so ``INSERT OR IGNORE`` drops exactly those;
* ``latest_metrics`` holds the point of the largest (step, timestamp, value), among equals
  the first in the series' order (step, then seconds, NaN first).

Only runs whose timestamps are finite and below 2^53 ms (:func:`copyable`) are copied; the
export reads the points of any other run into Python as before. Nothing here imports MLflow.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from .mlflow_format import FLOAT_MAX

if TYPE_CHECKING:
    from ..store.base import RunStore

__all__ = ["PointCopier", "copyable", "sqlite_path"]

#: Seconds beyond which ``seconds * 1000`` is no longer an exact integer-or-half double
#: (2^53 ms): such a run's points go the generic way.
_MAX_SECONDS = 2.0**53 / 1000
_SOURCE = "mlops_source"
#: A chunk's copied metrics: our run id (the SQL sink's MLflow run id too), our key, MLflow's.
_MAP = "temp.mlops_copied"
#: What a chunk of runs writes besides the copied points: (table, columns, rows).
TableRows = tuple[str, Sequence[str], Sequence[tuple[Any, ...]]]


def copyable(lowest: float | None, highest: float | None) -> bool:
    """Whether a run whose points have timestamps (seconds) from ``lowest`` to ``highest``
    can be copied: both finite and within 2^53 milliseconds of the epoch."""
    if lowest is None or highest is None:
        return False
    return -_MAX_SECONDS < lowest <= highest < _MAX_SECONDS


def sqlite_path(url: Any) -> str | None:
    """The file of a SQLAlchemy SQLite URL (``sqlite:///x.db``), or None for any other
    database, an in-memory one or a file that does not exist."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = os.path.abspath(database)
    return path if os.path.isfile(path) else None


def _steps() -> Any:
    """Our points table (the schema imports SQLAlchemy: only when a copier is made)."""
    from ..store.schema import metric_steps

    return metric_steps


def _file_uri(path: str, mode: str) -> str:
    return f"file:{quote(path)}?mode={mode}"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _value(alias: str) -> str:
    """MLflow's stored value of our point ``alias``: NaN -> 0, +-inf -> +-largest float."""
    value = f"{alias}.{_quoted(_steps().c.value.name)}"
    return (
        f"(CASE WHEN {value} IS NULL THEN 0.0 WHEN {value} > :largest THEN :largest "
        f"WHEN {value} < -:largest THEN -:largest ELSE {value} END)"
    )


def _millis(alias: str) -> str:
    """``round(seconds * 1000)`` of our point ``alias`` as Python rounds (half to even):
    SQLite's round() takes halves away from zero. ``x - trunc(x)`` is exact below 2^53."""
    x = f"({alias}.{_quoted(_steps().c.timestamp.name)} * 1000)"
    t = f"CAST({x} AS INTEGER)"
    return (
        f"({t} + CASE WHEN {x} - {t} > 0.5 THEN 1 WHEN {x} - {t} < -0.5 THEN -1 "
        f"WHEN {x} - {t} = 0.5 THEN ({t} & 1) WHEN {x} - {t} = -0.5 THEN -({t} & 1) "
        "ELSE 0 END)"
    )


def _statements(metrics_table: str, latest_table: str) -> tuple[str, str]:
    """The two ``INSERT … SELECT`` statements of a chunk (``:largest`` is bound)."""
    metric_steps = _steps()
    steps = f"{_SOURCE}.{_quoted(metric_steps.name)}"
    run_id, key, step, value, seconds = (
        _quoted(metric_steps.c[name].name)
        for name in ("run_id", "key", "step", "value", "timestamp")
    )
    columns = '("key", "value", "timestamp", "step", "is_nan", "run_uuid")'
    # The map is walked in (run, key) order and each series read by our (run_id, key, step)
    # index: rows arrive in MLflow's run_uuid index order, no sorting anywhere.
    metrics = (
        f"INSERT OR IGNORE INTO {_quoted(metrics_table)} {columns} "  # noqa: S608 - names only
        f"SELECT m.mlflow_key, {_value('s')}, {_millis('s')}, s.{step}, s.{value} IS NULL, "
        f"m.run_id FROM {_MAP} AS m CROSS JOIN {steps} AS s "
        f"ON s.{run_id} = m.run_id AND s.{key} = m.our_key "
        f"ORDER BY m.run_id, m.our_key, s.{step}"
    )
    latest = (
        f"INSERT INTO {_quoted(latest_table)} {columns} "  # noqa: S608 - names only
        f"SELECT m.mlflow_key, {_value('s')}, {_millis('s')}, s.{step}, s.{value} IS NULL, "
        f"m.run_id FROM {_MAP} AS m CROSS JOIN {steps} AS s "
        f"WHERE s.rowid = (SELECT p.rowid FROM {steps} AS p "
        f"WHERE p.{run_id} = m.run_id AND p.{key} = m.our_key "
        f"ORDER BY p.{step} DESC, {_millis('p')} DESC, {_value('p')} DESC, p.{seconds}, "
        f"p.{value} IS NULL DESC LIMIT 1)"
    )
    return metrics, latest


class PointCopier:
    """A connection to an MLflow SQLite database with our SQLite store attached read-only.

    Args:
        target: The MLflow database file (its schema already created by MLflow).
        source: Our store's database file.
        metrics_table: MLflow's ``metrics`` table name.
        latest_table: MLflow's ``latest_metrics`` table name.

    Raises:
        sqlite3.Error: If either database cannot be opened or attached as it should be.
    """

    def __init__(self, target: str, source: str, metrics_table: str, latest_table: str) -> None:
        self.source = os.path.realpath(source)
        conn = sqlite3.connect(_file_uri(target, "rw"), uri=True, timeout=60)
        # Transactions are begun and ended here, never implicitly by the sqlite3 module.
        legacy = getattr(sqlite3, "LEGACY_TRANSACTION_CONTROL", None)
        if legacy is not None:
            cast(Any, conn).autocommit = legacy
        conn.isolation_level = None
        try:
            # Inserting into MLflow's metric indexes: a page cache of 256 MB (this
            # connection's only) instead of 2 MB keeps SQLite from reading pages back.
            conn.execute("PRAGMA cache_size = -262144")
            conn.execute(f"ATTACH DATABASE ? AS {_SOURCE}", (_file_uri(self.source, "ro"),))
            attached = {row[1]: row[2] for row in conn.execute("PRAGMA database_list")}
            if os.path.realpath(attached.get(_SOURCE) or "") != self.source:
                raise sqlite3.OperationalError(f"attached {attached.get(_SOURCE)!r}")
            # Read once now: a store that cannot be read this way (a WAL file without its
            # shared-memory file in a read-only folder) falls back to the generic path.
            names = ", ".join(_quoted(c.name) for c in _steps().c)
            table = f"{_SOURCE}.{_quoted(_steps().name)}"
            conn.execute(f"SELECT {names} FROM {table} LIMIT 1").fetchall()  # noqa: S608
            conn.execute(
                f"CREATE TABLE {_MAP} (run_id TEXT NOT NULL, "
                "our_key TEXT NOT NULL, mlflow_key TEXT NOT NULL, PRIMARY KEY (run_id, our_key))"
            )
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        self._metrics, self._latest = _statements(metrics_table, latest_table)

    @classmethod
    def open(
        cls, target_url: Any, store: RunStore, metrics_table: str, latest_table: str
    ) -> PointCopier | None:
        """A copier from ``store`` into the MLflow database at ``target_url``, or None when
        either is not a SQLite file or attaching fails (the export then reads the points)."""
        target = sqlite_path(target_url)
        engine = getattr(store, "engine", None)
        source = sqlite_path(engine.url) if engine is not None else None
        if target is None or source is None or os.path.realpath(target) == os.path.realpath(source):
            return None
        try:
            return cls(target, source, metrics_table, latest_table)
        except sqlite3.Error:
            return None

    def write(self, tables: Sequence[TableRows], copied: Sequence[tuple[str, str, str]]) -> None:
        """Insert ``tables``' rows and copy the points of ``copied`` (our run id, our key,
        MLflow's key), in one transaction.

        Raises:
            sqlite3.Error: Nothing of it is written.
        """
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table, columns, rows in tables:
                if rows:
                    names = ", ".join(_quoted(c) for c in columns)
                    marks = ", ".join("?" * len(columns))
                    conn.executemany(
                        f"INSERT INTO {_quoted(table)} ({names}) VALUES ({marks})",  # noqa: S608
                        rows,
                    )
            if copied:
                conn.executemany(f"INSERT INTO {_MAP} VALUES (?, ?, ?)", copied)  # noqa: S608
                bound = {"largest": FLOAT_MAX}
                conn.execute(self._metrics, bound)
                conn.execute(self._latest, bound)
                conn.execute(f"DELETE FROM {_MAP}")  # noqa: S608
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close the connection (our store is detached with it)."""
        self._conn.close()
