"""The outreach kit: placements with their codes, who joined through each, the unified text,
and representatives' names on posters.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 10:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outreach_placements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("locality_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_outreach_placements_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["locality_id"],
            ["localities.id"],
            name=op.f("fk_outreach_placements_locality_id_localities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["residents.id"],
            name=op.f("fk_outreach_placements_created_by_id_residents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_placements")),
        sa.UniqueConstraint("code", name=op.f("uq_outreach_placements_code")),
    )
    op.create_index(
        op.f("ix_outreach_placements_unit_id"), "outreach_placements", ["unit_id"], unique=False
    )
    op.create_table(
        "outreach_joins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_outreach_joins_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["outreach_placements.id"],
            name=op.f("fk_outreach_joins_placement_id_outreach_placements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_joins")),
        sa.UniqueConstraint("resident_id", name=op.f("uq_outreach_joins_resident_id")),
    )
    op.create_index(
        op.f("ix_outreach_joins_placement_id"), "outreach_joins", ["placement_id"], unique=False
    )
    op.create_table(
        "outreach_texts",
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["residents.id"],
            name=op.f("fk_outreach_texts_updated_by_id_residents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("language", name=op.f("pk_outreach_texts")),
    )
    op.create_table(
        "poster_names",
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("agreed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_poster_names_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resident_id", name=op.f("pk_poster_names")),
    )


def downgrade() -> None:
    op.drop_table("poster_names")
    op.drop_table("outreach_texts")
    op.drop_index(op.f("ix_outreach_joins_placement_id"), table_name="outreach_joins")
    op.drop_table("outreach_joins")
    op.drop_index(op.f("ix_outreach_placements_unit_id"), table_name="outreach_placements")
    op.drop_table("outreach_placements")
