"""Surveys being built in the staff console, kept as drafts between visits.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 14:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["residents.id"],
            name=op.f("fk_survey_drafts_author_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_drafts")),
    )
    op.create_index(
        op.f("ix_survey_drafts_author_id"), "survey_drafts", ["author_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_survey_drafts_author_id"), table_name="survey_drafts")
    op.drop_table("survey_drafts")
