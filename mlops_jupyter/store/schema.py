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
    "idempotency_keys",
    "lifecycle_events",
    "lineage_edges",
    "metadata",
    "metric_steps",
    "metrics",
    "model_aliases",
    "model_versions",
    "models",
    "params",
    "runs",
    "store_state",
    "tags",
]

#: Alembic head revision this code expects; opening a store whose ``alembic_version``
#: differs runs the migrations.
SCHEMA_REVISION = "0004"

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
    # Head of the lifecycle event log (0003): its last sequence number and hash, so that
    # deleting the newest events is detected too.
    Column("event_seq", BigInteger, nullable=False, server_default="0"),
    Column("event_hash", String(64), nullable=False, server_default=""),
)

# -- the model registry (0003) ------------------------------------------------------------

models = Table(
    "models",
    metadata,
    Column("name", Text, primary_key=True),
    Column("description", Text, nullable=False),
    Column("tags", Text, nullable=False),
    # The approval policy (JSON), or NULL for the defaults.
    Column("policy", Text, nullable=True),
    Column("created_at", _TS, nullable=False),
    Column("created_by", Text, nullable=False),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("model", Text, ForeignKey("models.name", ondelete="CASCADE"), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("run_id", _ID, nullable=True),
    # The manifest blob: every file of the model with its sha256 and size.
    Column("manifest_sha256", String(64), nullable=False),
    Column("flavor", String(32), nullable=False),
    Column("signature", Text, nullable=True),
    Column("description", Text, nullable=False),
    Column("tags", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("files", Integer, nullable=False),
    Column("created_at", _TS, nullable=False),
    Column("created_by", Text, nullable=False),
    Index("ix_model_versions_run_id", "run_id"),
    Index("ix_model_versions_manifest", "manifest_sha256"),
)

# The current holder of each alias; its history is the event log.
model_aliases = Table(
    "model_aliases",
    metadata,
    Column("model", Text, ForeignKey("models.name", ondelete="CASCADE"), primary_key=True),
    Column("alias", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", _TS, nullable=False),
)

# Every lifecycle fact (a version registered, an alias moved, an approval, a gate, a trigger
# firing), append-only and hash-chained: hash = sha256(prev_hash + the event's canonical JSON).
lifecycle_events = Table(
    "lifecycle_events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", _TS, nullable=False),
    Column("actor", Text, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("model", Text, nullable=True),
    Column("alias", String(64), nullable=True),
    Column("from_version", Integer, nullable=True),
    Column("to_version", Integer, nullable=True),
    Column("reason", Text, nullable=True),
    Column("payload", Text, nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_lifecycle_events_model_alias_seq", "model", "alias", "seq"),
    Index("ix_lifecycle_events_kind_seq", "kind", "seq"),
)

# Lineage: what came from what. Kinds: data (a content digest), file (an absolute path),
# url, snapshot, commit, sweep, run, version ("name/3").
lineage_edges = Table(
    "lineage_edges",
    metadata,
    Column("src_kind", String(16), primary_key=True),
    Column("src", Text, primary_key=True),
    Column("dst_kind", String(16), primary_key=True),
    Column("dst", Text, primary_key=True),
    Column("relation", String(32), primary_key=True),
    Index("ix_lineage_edges_dst", "dst_kind", "dst"),
)

# A lifecycle action that must happen once (a trigger firing for one cause) claims its key in
# the same transaction as its event (0004).
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("event_seq", BigInteger, nullable=False),
    Column("created_at", _TS, nullable=False),
)
