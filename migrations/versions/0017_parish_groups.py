"""Parish groups on Telegram: the bot's join link of each unit's group, and join requests.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, never a batch copy: on SQLite a copy drops and recreates `units`,
    # and its foreign keys would delete every locality and role grant with it.
    op.add_column("units", sa.Column("telegram_join_link", sa.String(length=300), nullable=True))
    op.add_column(
        "units", sa.Column("telegram_join_link_problem", sa.String(length=20), nullable=True)
    )
    op.create_table(
        "group_join_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("user_chat_id", sa.String(length=64), nullable=False),
        sa.Column("first_name", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("approved_by", sa.String(length=12), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("welcomed_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_group_join_requests_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_join_requests")),
    )
    op.create_index(
        "ix_group_join_requests_unit_status",
        "group_join_requests",
        ["unit_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_group_join_requests_user_id"), "group_join_requests", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_group_join_requests_user_id"), table_name="group_join_requests")
    op.drop_index("ix_group_join_requests_unit_status", table_name="group_join_requests")
    op.drop_table("group_join_requests")
    op.drop_column("units", "telegram_join_link_problem")
    op.drop_column("units", "telegram_join_link")
