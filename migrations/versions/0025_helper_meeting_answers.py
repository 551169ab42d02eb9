"""Trusted persons: a meeting answer keeps who gave it for the resident, and wrong link
codes are counted per person so that guessing is slowed down.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, never a batch copy; a new column on an existing table carries no
    # foreign key (SQLite cannot add one), as survey_responses.helper_id.
    op.add_column("meeting_answers", sa.Column("helper_id", sa.Integer(), nullable=True))
    op.add_column(
        "meeting_answers",
        sa.Column("through_helper", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "helper_code_tries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_helper_code_tries_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helper_code_tries")),
    )
    op.create_index(
        op.f("ix_helper_code_tries_resident_id"),
        "helper_code_tries",
        ["resident_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_helper_code_tries_resident_id"), table_name="helper_code_tries")
    op.drop_table("helper_code_tries")
    op.drop_column("meeting_answers", "through_helper")
    op.drop_column("meeting_answers", "helper_id")
