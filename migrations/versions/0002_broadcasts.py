"""Broadcasts and their deliveries (one row per recipient).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 06:28:38.378334
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("unit_ids", sa.JSON(), nullable=True),
        sa.Column("locality_id", sa.Integer(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("attachment_kind", sa.String(length=16), nullable=True),
        sa.Column("attachment_name", sa.String(length=120), nullable=True),
        sa.Column("attachment", sa.LargeBinary(), nullable=True),
        sa.Column("attachment_ref", sa.String(length=200), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("report_channel", sa.String(length=16), nullable=True),
        sa.Column("report_chat_id", sa.String(length=64), nullable=True),
        sa.Column("report_message_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["residents.id"],
            name=op.f("fk_broadcasts_created_by_id_residents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["locality_id"],
            ["localities.id"],
            name=op.f("fk_broadcasts_locality_id_localities"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_broadcasts_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_broadcasts_status"), ["status"], unique=False)

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("is_group", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("parts_done", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=40), nullable=True),
        sa.Column("claimed_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_deliveries_broadcast_id_broadcasts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_deliveries_resident_id_residents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "broadcast_id",
            "channel",
            "chat_id",
            name=op.f("uq_deliveries_broadcast_id_channel_chat_id"),
        ),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deliveries_broadcast_id"), ["broadcast_id"], unique=False
        )
        batch_op.create_index("ix_deliveries_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_deliveries_resident_id"), ["resident_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_resident_id"))
        batch_op.drop_index("ix_deliveries_due")
        batch_op.drop_index(batch_op.f("ix_deliveries_broadcast_id"))

    op.drop_table("deliveries")
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadcasts_status"))
        batch_op.drop_index(batch_op.f("ix_broadcasts_due_at"))

    op.drop_table("broadcasts")
