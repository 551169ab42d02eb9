"""The call list after an important message: the mark on a broadcast, read receipts, and
what representatives did for each resident it did not reach.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 10:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, never a batch copy.
    op.add_column(
        "broadcasts",
        sa.Column("important", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "broadcasts",
        sa.Column("call_list_at", models.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "message_statuses",
        sa.Column("read_at", models.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "call_list_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("marked_by_id", sa.Integer(), nullable=True),
        sa.Column("marked_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_call_list_marks_broadcast_id_broadcasts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_call_list_marks_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["marked_by_id"],
            ["residents.id"],
            name=op.f("fk_call_list_marks_marked_by_id_residents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_list_marks")),
        sa.UniqueConstraint(
            "broadcast_id", "resident_id", name=op.f("uq_call_list_marks_broadcast_id_resident_id")
        ),
    )
    op.create_index(
        op.f("ix_call_list_marks_broadcast_id"), "call_list_marks", ["broadcast_id"], unique=False
    )
    op.create_index(
        op.f("ix_call_list_marks_resident_id"), "call_list_marks", ["resident_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_call_list_marks_resident_id"), table_name="call_list_marks")
    op.drop_index(op.f("ix_call_list_marks_broadcast_id"), table_name="call_list_marks")
    op.drop_table("call_list_marks")
    op.drop_column("message_statuses", "read_at")
    op.drop_column("broadcasts", "call_list_at")
    op.drop_column("broadcasts", "important")
