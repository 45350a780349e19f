"""Strategist calls record the repairs made to an answer and whether the offline strategist
answered instead (fallback)

Revision ID: 0002_llm_call_repairs
Revises: 0001
Create Date: 2026-11-30 06:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = "0002_llm_call_repairs"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("llm_calls") as batch:
        batch.add_column(sa.Column("repairs", JSON, server_default=sa.text("'[]'"), nullable=False))
        batch.add_column(
            sa.Column("fallback", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("llm_calls") as batch:
        batch.drop_column("fallback")
        batch.drop_column("repairs")
