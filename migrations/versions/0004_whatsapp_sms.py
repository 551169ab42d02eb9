"""WhatsApp and SMS: media served by URL, message statuses, the 24-hour window, a preferred channel.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 13:47:58.940473
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media_files",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_media_files")),
    )
    with op.batch_alter_table("media_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_files_created_at"), ["created_at"], unique=False)

    op.create_table(
        "message_statuses",
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.String(length=120), nullable=True),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_message_statuses")),
    )
    with op.batch_alter_table("message_statuses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_statuses_updated_at"), ["updated_at"], unique=False
        )

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_message_id", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_deliveries_provider_message_id"), ["provider_message_id"], unique=False
        )

    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_inbound_at", models.base.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preferred_channel", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.drop_column("preferred_channel")

    with op.batch_alter_table("identities", schema=None) as batch_op:
        batch_op.drop_column("last_inbound_at")

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_provider_message_id"))
        batch_op.drop_column("provider_message_id")

    with op.batch_alter_table("message_statuses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_statuses_updated_at"))

    op.drop_table("message_statuses")
    with op.batch_alter_table("media_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_files_created_at"))

    op.drop_table("media_files")
