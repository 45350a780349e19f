"""Engine settings and metrics period of each run

Revision ID: 0003_engine_settings
Revises: 0001
Create Date: 2026-11-30 06:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# JSONB on PostgreSQL (indexable, compact), JSON text elsewhere.
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = "0003_engine_settings"
down_revision = "0002_llm_call_repairs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Runs stored before this revision keep NULL: they ran with the engine's defaults of then.
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("engine", JSON, nullable=True))
        batch.add_column(sa.Column("metrics_period", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("metrics_period")
        batch.drop_column("engine")
