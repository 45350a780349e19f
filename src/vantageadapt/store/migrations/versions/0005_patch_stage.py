"""Patches record the stage their check ended at (propose, static, sandbox, evaluate, accept)

Revision ID: 0005_patch_stage
Revises: 0004_calibration
Create Date: 2026-11-30 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_patch_stage"
down_revision = "0004_calibration"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: patches saved before this revision never recorded their stage.
    with op.batch_alter_table("patches") as batch:
        batch.add_column(sa.Column("stage", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("patches") as batch:
        batch.drop_column("stage")
