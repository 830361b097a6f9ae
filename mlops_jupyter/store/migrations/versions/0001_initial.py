"""Initial schema: runs, params, metrics, metric_steps, tags.

Revision ID: 0001
Revises:
Create Date: 2025-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _text() -> sa.types.TypeEngine[str]:
    # Byte-order ("C") collation on PostgreSQL: strings then compare and sort as on SQLite
    # and in Python (code point order) whatever the database's locale, where a linguistic
    # collation such as en_US would put "SGD" after "b".
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def _string(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _run_fk() -> sa.Column[str]:
    return sa.Column(
        "run_id",
        _string(64),
        sa.ForeignKey("runs.id", ondelete="CASCADE"),
        primary_key=True,
    )


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", _string(64), primary_key=True),
        sa.Column("experiment", _text(), nullable=False),
        sa.Column("name", _text(), nullable=True),
        sa.Column("status", _string(16), nullable=False),
        sa.Column("started_at", _string(32), nullable=False),
        sa.Column("ended_at", _string(32), nullable=True),
        sa.Column("heartbeat_at", _string(32), nullable=True),
        sa.Column("host", _text(), nullable=True),
        sa.Column("pid", sa.BigInteger, nullable=True),
        sa.Column("reproduction_of", _string(64), nullable=True),
        sa.Column("sweep_id", _string(64), nullable=True),
        sa.Column("source", _text(), nullable=False),
        sa.Column("record", _text(), nullable=False),
        sa.Column("env_sha256", _string(64), nullable=True),
        sa.Column("history_sha256", _string(64), nullable=True),
    )
    op.create_index("ix_runs_experiment_started_at", "runs", ["experiment", "started_at"])
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_index("ix_runs_started_at", "runs", ["started_at"])
    op.create_index("ix_runs_reproduction_of", "runs", ["reproduction_of"])
    op.create_index("ix_runs_sweep_id", "runs", ["sweep_id"])

    op.create_table(
        "params",
        _run_fk(),
        sa.Column("key", _text(), primary_key=True),
        sa.Column("value_json", _text(), nullable=False),
        sa.Column("value_num", sa.Double, nullable=True),
        sa.Column("value_text", _text(), nullable=True),
    )
    op.create_index("ix_params_key_value_num", "params", ["key", "value_num"])

    op.create_table(
        "metrics",
        _run_fk(),
        sa.Column("key", _text(), primary_key=True),
        sa.Column("value", sa.Double, nullable=True),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("timestamp", sa.Double, nullable=False),
    )
    op.create_index("ix_metrics_key_value", "metrics", ["key", "value"])

    op.create_table(
        "metric_steps",
        sa.Column(
            "run_id",
            _string(64),
            sa.ForeignKey("runs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key", _text(), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("value", sa.Double, nullable=True),
        sa.Column("timestamp", sa.Double, nullable=False),
    )
    op.create_index("ix_metric_steps_run_id_key_step", "metric_steps", ["run_id", "key", "step"])

    op.create_table(
        "tags",
        _run_fk(),
        sa.Column("key", _text(), primary_key=True),
        sa.Column("value", _text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tags")
    op.drop_table("metric_steps")
    op.drop_table("metrics")
    op.drop_table("params")
    op.drop_index("ix_runs_sweep_id", table_name="runs")
    op.drop_index("ix_runs_reproduction_of", table_name="runs")
    op.drop_index("ix_runs_started_at", table_name="runs")
    op.drop_index("ix_runs_status", table_name="runs")
    op.drop_index("ix_runs_experiment_started_at", table_name="runs")
    op.drop_table("runs")
