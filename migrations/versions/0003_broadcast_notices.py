"""Notices to named residents and a button under a broadcast.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch:
        batch.add_column(sa.Column("resident_ids", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("action_label", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("action_payload", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_column("action_payload")
        batch.drop_column("action_label")
        batch.drop_column("resident_ids")
