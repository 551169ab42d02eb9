"""Trusted helpers: the link between a resident and their helper, what the helper did for
them, survey answers given through a helper, and helpers' copies of council messages.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 10:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "helper_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("helper_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=True),
        sa.Column("code_expires_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("active_since", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["helper_id"],
            ["residents.id"],
            name=op.f("fk_helper_links_helper_id_residents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_helper_links_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helper_links")),
    )
    op.create_index("ix_helper_links_code", "helper_links", ["code"], unique=False)
    op.create_index(op.f("ix_helper_links_helper_id"), "helper_links", ["helper_id"], unique=False)
    op.create_index(
        op.f("ix_helper_links_resident_id"), "helper_links", ["resident_id"], unique=False
    )
    op.create_table(
        "helper_acts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["helper_links.id"],
            name=op.f("fk_helper_acts_link_id_helper_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helper_acts")),
    )
    op.create_index(op.f("ix_helper_acts_link_id"), "helper_acts", ["link_id"], unique=False)
    # Plain ALTER TABLE, never a batch copy; new columns on existing tables carry no
    # foreign key (SQLite cannot add one).
    op.add_column("survey_responses", sa.Column("helper_id", sa.Integer(), nullable=True))
    op.add_column("broadcasts", sa.Column("for_resident_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("broadcasts", "for_resident_id")
    op.drop_column("survey_responses", "helper_id")
    op.drop_index(op.f("ix_helper_acts_link_id"), table_name="helper_acts")
    op.drop_table("helper_acts")
    op.drop_index(op.f("ix_helper_links_resident_id"), table_name="helper_links")
    op.drop_index(op.f("ix_helper_links_helper_id"), table_name="helper_links")
    op.drop_index("ix_helper_links_code", table_name="helper_links")
    op.drop_table("helper_links")
