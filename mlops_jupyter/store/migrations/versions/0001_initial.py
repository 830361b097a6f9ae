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


def _run_fk() -> sa.Column[str]:
    return sa.Column(
        "run_id",
        sa.String(64),
        sa.ForeignKey("runs.id", ondelete="CASCADE"),
        primary_key=True,
    )


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("experiment", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("ended_at", sa.String(32), nullable=True),
        sa.Column("heartbeat_at", sa.String(32), nullable=True),
        sa.Column("host", sa.Text, nullable=True),
        sa.Column("pid", sa.BigInteger, nullable=True),
        sa.Column("reproduction_of", sa.String(64), nullable=True),
        sa.Column("sweep_id", sa.String(64), nullable=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("env_sha256", sa.String(64), nullable=True),
        sa.Column("history_sha256", sa.String(64), nullable=True),
    )
    op.create_index("ix_runs_experiment_started_at", "runs", ["experiment", "started_at"])
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_index("ix_runs_started_at", "runs", ["started_at"])
    op.create_index("ix_runs_reproduction_of", "runs", ["reproduction_of"])
    op.create_index("ix_runs_sweep_id", "runs", ["sweep_id"])

    op.create_table(
        "params",
        _run_fk(),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value_json", sa.Text, nullable=False),
        sa.Column("value_num", sa.Double, nullable=True),
        sa.Column("value_text", sa.Text, nullable=True),
    )
    op.create_index("ix_params_key_value_num", "params", ["key", "value_num"])

    op.create_table(
        "metrics",
        _run_fk(),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Double, nullable=True),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("timestamp", sa.Double, nullable=False),
    )
    op.create_index("ix_metrics_key_value", "metrics", ["key", "value"])

    op.create_table(
        "metric_steps",
        sa.Column(
            "run_id",
            sa.String(64),
            sa.ForeignKey("runs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("value", sa.Double, nullable=True),
        sa.Column("timestamp", sa.Double, nullable=False),
    )
    op.create_index("ix_metric_steps_run_id_key_step", "metric_steps", ["run_id", "key", "step"])

    op.create_table(
        "tags",
        _run_fk(),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
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
