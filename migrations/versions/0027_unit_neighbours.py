"""Neighbouring units, for the rides of one that pass through the other.

Revision ID: 0027
Revises: 0018
Create Date: 2026-12-03 10:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unit_neighbours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("neighbour_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["neighbour_id"], ["units.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_id", "neighbour_id"),
    )
    op.create_index(op.f("ix_unit_neighbours_unit_id"), "unit_neighbours", ["unit_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_unit_neighbours_unit_id"), table_name="unit_neighbours")
    op.drop_table("unit_neighbours")
