"""Calibrations: the loop's false-discovery rate on null data and a run's permutation p-value

Revision ID: 0004_calibration
Revises: 0001
Create Date: 2026-11-30 06:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = "0004_calibration"
down_revision = "0003_engine_settings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calibrations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("theme", sa.String(length=200), nullable=False),
        sa.Column("data_fingerprint", sa.String(length=128), nullable=False),
        sa.Column("nulls", sa.Integer(), nullable=False),
        sa.Column("discoveries", sa.Integer(), nullable=False),
        sa.Column("false_discovery_rate", sa.Float(), nullable=False),
        sa.Column("real_score", sa.Float(), nullable=True),
        sa.Column("p_value", sa.Float(), nullable=True),
        sa.Column("null_runs", JSON, nullable=False),
        sa.Column("settings", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_calibrations_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calibrations")),
    )
    op.create_index(op.f("ix_calibrations_run_id"), "calibrations", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_calibrations_run_id"), table_name="calibrations")
    op.drop_table("calibrations")
