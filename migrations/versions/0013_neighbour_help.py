"""Neighbour help: rides and parcel runs offered and asked for, matches between residents,
each unit's common destinations, blocks, reports, bans from posting and subscriptions.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "help_destinations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_help_destinations_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_destinations")),
        sa.UniqueConstraint("unit_id", "name", name=op.f("uq_help_destinations_unit_id_name")),
    )
    op.create_index(
        op.f("ix_help_destinations_unit_id"), "help_destinations", ["unit_id"], unique=False
    )
    op.create_table(
        "help_months",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("sent_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_months")),
        sa.UniqueConstraint("month", name=op.f("uq_help_months_month")),
    )
    op.create_table(
        "help_bans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["residents.id"],
            name=op.f("fk_help_bans_by_id_residents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_help_bans_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_bans")),
        sa.UniqueConstraint("resident_id", name=op.f("uq_help_bans_resident_id")),
    )
    op.create_table(
        "help_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("blocker_id", sa.Integer(), nullable=False),
        sa.Column("blocked_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["blocked_id"],
            ["residents.id"],
            name=op.f("fk_help_blocks_blocked_id_residents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["blocker_id"],
            ["residents.id"],
            name=op.f("fk_help_blocks_blocker_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_blocks")),
        sa.UniqueConstraint(
            "blocker_id", "blocked_id", name=op.f("uq_help_blocks_blocker_id_blocked_id")
        ),
    )
    op.create_index(op.f("ix_help_blocks_blocked_id"), "help_blocks", ["blocked_id"], unique=False)
    op.create_table(
        "help_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("locality_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("from_place", sa.String(length=80), nullable=True),
        sa.Column("to_place", sa.String(length=80), nullable=True),
        sa.Column("starts_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("returns_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=True),
        sa.Column("contact", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("to_group", sa.Boolean(), nullable=False),
        sa.Column("group_broadcast_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["residents.id"],
            name=op.f("fk_help_posts_author_id_residents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["group_broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_help_posts_group_broadcast_id_broadcasts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["locality_id"],
            ["localities.id"],
            name=op.f("fk_help_posts_locality_id_localities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_help_posts_unit_id_units"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_posts")),
    )
    op.create_index(op.f("ix_help_posts_author_id"), "help_posts", ["author_id"], unique=False)
    op.create_index(op.f("ix_help_posts_status"), "help_posts", ["status"], unique=False)
    op.create_index(op.f("ix_help_posts_unit_id"), "help_posts", ["unit_id"], unique=False)
    op.create_table(
        "help_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=80), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_help_subscriptions_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_help_subscriptions_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_subscriptions")),
        sa.UniqueConstraint(
            "resident_id",
            "unit_id",
            "place",
            name=op.f("uq_help_subscriptions_resident_id_unit_id_place"),
        ),
    )
    op.create_index(
        op.f("ix_help_subscriptions_resident_id"),
        "help_subscriptions",
        ["resident_id"],
        unique=False,
    )
    op.create_table(
        "help_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("asker_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("contact", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_asked", sa.Boolean(), nullable=False),
        sa.Column("author_says_done", sa.Boolean(), nullable=True),
        sa.Column("asker_says_done", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["asker_id"],
            ["residents.id"],
            name=op.f("fk_help_requests_asker_id_residents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["help_posts.id"],
            name=op.f("fk_help_requests_post_id_help_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_requests")),
    )
    op.create_index(op.f("ix_help_requests_asker_id"), "help_requests", ["asker_id"], unique=False)
    op.create_index(op.f("ix_help_requests_post_id"), "help_requests", ["post_id"], unique=False)
    op.create_table(
        "help_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handled_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["help_posts.id"],
            name=op.f("fk_help_reports_post_id_help_posts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["residents.id"],
            name=op.f("fk_help_reports_reporter_id_residents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["help_requests.id"],
            name=op.f("fk_help_reports_request_id_help_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_reports")),
    )
    op.create_index(op.f("ix_help_reports_post_id"), "help_reports", ["post_id"], unique=False)


def downgrade() -> None:
    op.drop_table("help_months")
    op.drop_index(op.f("ix_help_reports_post_id"), table_name="help_reports")
    op.drop_table("help_reports")
    op.drop_index(op.f("ix_help_requests_post_id"), table_name="help_requests")
    op.drop_index(op.f("ix_help_requests_asker_id"), table_name="help_requests")
    op.drop_table("help_requests")
    op.drop_index(op.f("ix_help_subscriptions_resident_id"), table_name="help_subscriptions")
    op.drop_table("help_subscriptions")
    op.drop_index(op.f("ix_help_posts_unit_id"), table_name="help_posts")
    op.drop_index(op.f("ix_help_posts_status"), table_name="help_posts")
    op.drop_index(op.f("ix_help_posts_author_id"), table_name="help_posts")
    op.drop_table("help_posts")
    op.drop_index(op.f("ix_help_blocks_blocked_id"), table_name="help_blocks")
    op.drop_table("help_blocks")
    op.drop_table("help_bans")
    op.drop_index(op.f("ix_help_destinations_unit_id"), table_name="help_destinations")
    op.drop_table("help_destinations")
