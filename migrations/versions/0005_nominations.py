"""Nomination rounds, nominations of unit representatives, and residents' support.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, *, nullable: bool) -> sa.Column:
    return sa.Column(name, models.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "nomination_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_ids", sa.JSON(), nullable=True),
        _utc("starts_at", nullable=False),
        _utc("ends_at", nullable=False),
        sa.Column("supporters_needed", sa.Integer(), nullable=False),
        sa.Column("minimum_age", sa.Integer(), nullable=False),
        sa.Column("multiple_support", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _utc("opened_at", nullable=True),
        _utc("closed_at", nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        _utc("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["residents.id"],
            name=op.f("fk_nomination_rounds_created_by_id_residents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nomination_rounds")),
    )
    with op.batch_alter_table("nomination_rounds") as batch:
        batch.create_index(batch.f("ix_nomination_rounds_ends_at"), ["ends_at"], unique=False)
        batch.create_index(batch.f("ix_nomination_rounds_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "nominations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("nominated_by_id", sa.Integer(), nullable=True),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("candidate_name", sa.String(length=120), nullable=False),
        sa.Column("candidate_phone", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("consent_origin", sa.String(length=16), nullable=True),
        _utc("consented_at", nullable=True),
        sa.Column("support_code", sa.String(length=16), nullable=False),
        _utc("threshold_told_at", nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        _utc("decided_at", nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        _utc("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["residents.id"],
            name=op.f("fk_nominations_candidate_id_residents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["residents.id"],
            name=op.f("fk_nominations_decided_by_id_residents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["nominated_by_id"],
            ["residents.id"],
            name=op.f("fk_nominations_nominated_by_id_residents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["nomination_rounds.id"],
            name=op.f("fk_nominations_round_id_nomination_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_nominations_unit_id_units"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nominations")),
        sa.UniqueConstraint("support_code", name=op.f("uq_nominations_support_code")),
    )
    with op.batch_alter_table("nominations") as batch:
        batch.create_index(batch.f("ix_nominations_candidate_id"), ["candidate_id"], unique=False)
        batch.create_index(batch.f("ix_nominations_round_id"), ["round_id"], unique=False)
        batch.create_index(batch.f("ix_nominations_status"), ["status"], unique=False)
        batch.create_index(batch.f("ix_nominations_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "supports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.Integer(), nullable=False),
        sa.Column("supporter_id", sa.Integer(), nullable=True),
        sa.Column("exclusive_round_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("declared_age", sa.Integer(), nullable=False),
        _utc("declared_at", nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        _utc("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["exclusive_round_id"],
            ["nomination_rounds.id"],
            name=op.f("fk_supports_exclusive_round_id_nomination_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["nomination_id"],
            ["nominations.id"],
            name=op.f("fk_supports_nomination_id_nominations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["residents.id"],
            name=op.f("fk_supports_recorded_by_id_residents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["supporter_id"],
            ["residents.id"],
            name=op.f("fk_supports_supporter_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supports")),
        # One support per resident per candidate, and (when the round says so) per round.
        sa.UniqueConstraint(
            "exclusive_round_id",
            "supporter_id",
            name=op.f("uq_supports_exclusive_round_id_supporter_id"),
        ),
        sa.UniqueConstraint(
            "nomination_id", "supporter_id", name=op.f("uq_supports_nomination_id_supporter_id")
        ),
    )
    with op.batch_alter_table("supports") as batch:
        batch.create_index(batch.f("ix_supports_supporter_id"), ["supporter_id"], unique=False)


def downgrade() -> None:
    op.drop_table("supports")
    op.drop_table("nominations")
    op.drop_table("nomination_rounds")
