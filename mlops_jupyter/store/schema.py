"""SQLAlchemy Core tables of the SQL run store (imports SQLAlchemy: load lazily).

The Alembic migrations in ``migrations/versions`` create exactly this schema; a test checks
that they agree. Only portable types are used (JSON is kept as TEXT, datetimes as
fixed-width ISO-8601 UTC strings, which sort chronologically) so the same tables work on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = [
    "SCHEMA_REVISION",
    "metadata",
    "metric_steps",
    "metrics",
    "params",
    "runs",
    "store_state",
    "tags",
]

#: Alembic head revision this code expects; opening a store whose ``alembic_version``
#: differs runs the migrations.
SCHEMA_REVISION = "0002"

metadata = MetaData()

_ID = String(64)
_TS = String(32)

runs = Table(
    "runs",
    metadata,
    Column("id", _ID, primary_key=True),
    Column("experiment", Text, nullable=False),
    Column("name", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("started_at", _TS, nullable=False),
    Column("ended_at", _TS, nullable=True),
    Column("heartbeat_at", _TS, nullable=True),
    Column("host", Text, nullable=True),
    Column("pid", BigInteger, nullable=True),
    Column("reproduction_of", _ID, nullable=True),
    Column("sweep_id", _ID, nullable=True),
    Column("source", Text, nullable=False),
    Column("record", Text, nullable=False),
    Column("env_sha256", String(64), nullable=True),
    Column("history_sha256", String(64), nullable=True),
    # Seconds from start to end, kept as a column so lists can sort and filter on it.
    Column("duration", Double, nullable=True),
    Index("ix_runs_experiment_started_at", "experiment", "started_at"),
    Index("ix_runs_status", "status"),
    Index("ix_runs_started_at", "started_at"),
    Index("ix_runs_reproduction_of", "reproduction_of"),
    Index("ix_runs_sweep_id", "sweep_id"),
    Index("ix_runs_duration", "duration"),
)


def _run_fk() -> Column[str]:
    return Column("run_id", _ID, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)


params = Table(
    "params",
    metadata,
    _run_fk(),
    Column("key", Text, primary_key=True),
    Column("value_json", Text, nullable=False),
    Column("value_num", Double, nullable=True),
    Column("value_text", Text, nullable=True),
    # run_id last: filters and sorts on one param are answered from the index alone.
    Index("ix_params_key_value_num_run_id", "key", "value_num", "run_id"),
    Index("ix_params_key_value_text_run_id", "key", "value_text", "run_id"),
)

# Final value per metric. NULL value means NaN: SQLite stores NaN as NULL anyway, so the
# encoding is made explicit and identical on every backend.
metrics = Table(
    "metrics",
    metadata,
    _run_fk(),
    Column("key", Text, primary_key=True),
    Column("value", Double, nullable=True),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", Double, nullable=False),
    # Walked in (value, run_id) order to list the best runs by a metric without sorting.
    Index("ix_metrics_key_value_run_id", "key", "value", "run_id"),
)

metric_steps = Table(
    "metric_steps",
    metadata,
    Column("run_id", _ID, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("key", Text, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("value", Double, nullable=True),
    Column("timestamp", Double, nullable=False),
    Index("ix_metric_steps_run_id_key_step", "run_id", "key", "step"),
)

tags = Table(
    "tags",
    metadata,
    _run_fk(),
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

# One row (id = 1). ``change_seq`` goes up in every transaction that creates or changes a run
# (not on heartbeats, which change nothing a list shows); with ``store_id``, fixed when the
# database is created, it makes the change token lists are polled with.
store_state = Table(
    "store_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("store_id", String(32), nullable=False),
    Column("change_seq", BigInteger, nullable=False),
)
