"""Run lists: duration column, covering indexes for filters and sorts, change token.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-29
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _parse(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("duration", sa.Double, nullable=True))
    op.create_index("ix_runs_duration", "runs", ["duration"])

    conn = op.get_bind()
    ended = conn.execute(
        sa.text("SELECT id, started_at, ended_at FROM runs WHERE ended_at IS NOT NULL")
    ).all()
    update = sa.text("UPDATE runs SET duration = :duration WHERE id = :id")
    for run_id, started_at, ended_at in ended:
        seconds = (_parse(ended_at) - _parse(started_at)).total_seconds()
        conn.execute(update, {"duration": seconds, "id": run_id})

    op.drop_index("ix_params_key_value_num", table_name="params")
    op.create_index("ix_params_key_value_num_run_id", "params", ["key", "value_num", "run_id"])
    op.create_index("ix_params_key_value_text_run_id", "params", ["key", "value_text", "run_id"])
    op.drop_index("ix_metrics_key_value", table_name="metrics")
    op.create_index("ix_metrics_key_value_run_id", "metrics", ["key", "value", "run_id"])

    state = op.create_table(
        "store_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("store_id", sa.String(32), nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "store_id": uuid.uuid4().hex, "change_seq": 0}])


def downgrade() -> None:
    op.drop_table("store_state")
    op.drop_index("ix_metrics_key_value_run_id", table_name="metrics")
    op.create_index("ix_metrics_key_value", "metrics", ["key", "value"])
    op.drop_index("ix_params_key_value_text_run_id", table_name="params")
    op.drop_index("ix_params_key_value_num_run_id", table_name="params")
    op.create_index("ix_params_key_value_num", "params", ["key", "value_num"])
    op.drop_index("ix_runs_duration", table_name="runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("duration")
