"""Residents' ideas and concerns, the council's areas of responsibility, weekly digests.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The areas the conference named; staff add, rename and hide areas later (`padome areas`).
AREAS = [
    (
        "improvement",
        {
            "lv": "Labiekārtošana un tīrība",
            "ru": "Благоустройство и чистота",
            "en": "Local improvement and cleanliness",
        },
    ),
    (
        "culture",
        {
            "lv": "Kultūra un kultūras mantojums",
            "ru": "Культура и культурное наследие",
            "en": "Culture and heritage",
        },
    ),
    (
        "economy",
        {
            "lv": "Saimnieciskā darbība",
            "ru": "Хозяйственная деятельность",
            "en": "Economic activity",
        },
    ),
    (
        "roads",
        {"lv": "Ceļi un transports", "ru": "Дороги и транспорт", "en": "Roads and transport"},
    ),
    ("social", {"lv": "Sociālie jautājumi", "ru": "Социальные вопросы", "en": "Social matters"}),
    ("youth", {"lv": "Jaunieši", "ru": "Молодёжь", "en": "Youth"}),
    ("seniors", {"lv": "Seniori", "ru": "Пожилые люди", "en": "Seniors"}),
    ("other", {"lv": "Cits", "ru": "Другое", "en": "Other"}),
]


def upgrade() -> None:
    areas = op.create_table(
        "idea_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("specialist_name", sa.String(length=200), nullable=True),
        sa.Column("specialist_contact", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idea_areas")),
        sa.UniqueConstraint("slug", name=op.f("uq_idea_areas_slug")),
    )
    op.create_table(
        "idea_area_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["idea_areas.id"],
            name=op.f("fk_idea_area_members_area_id_idea_areas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["residents.id"],
            name=op.f("fk_idea_area_members_assigned_by_id_residents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_idea_area_members_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idea_area_members")),
        sa.UniqueConstraint(
            "area_id", "resident_id", name=op.f("uq_idea_area_members_area_id_resident_id")
        ),
    )
    with op.batch_alter_table("idea_area_members") as batch:
        batch.create_index(
            batch.f("ix_idea_area_members_resident_id"), ["resident_id"], unique=False
        )

    op.create_table(
        "ideas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("locality_id", sa.Integer(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("photo_ref", sa.String(length=200), nullable=True),
        sa.Column("photo_channel", sa.String(length=16), nullable=True),
        sa.Column("show_author", sa.Boolean(), nullable=False),
        sa.Column("keep_text", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("forwarded_to_id", sa.Integer(), nullable=True),
        sa.Column("submission_key", sa.String(length=40), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["area_id"], ["idea_areas.id"], name=op.f("fk_ideas_area_id_idea_areas")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["residents.id"],
            name=op.f("fk_ideas_author_id_residents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["ideas.id"],
            name=op.f("fk_ideas_duplicate_of_id_ideas"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["forwarded_to_id"],
            ["residents.id"],
            name=op.f("fk_ideas_forwarded_to_id_residents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["locality_id"],
            ["localities.id"],
            name=op.f("fk_ideas_locality_id_localities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_ideas_unit_id_units"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ideas")),
        sa.UniqueConstraint("submission_key", name=op.f("uq_ideas_submission_key")),
    )
    with op.batch_alter_table("ideas") as batch:
        for column in (
            "area_id",
            "author_id",
            "created_at",
            "forwarded_to_id",
            "locality_id",
            "status",
            "unit_id",
        ):
            batch.create_index(batch.f(f"ix_ideas_{column}"), [column], unique=False)

    op.create_table(
        "idea_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["residents.id"],
            name=op.f("fk_idea_answers_by_id_residents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["idea_id"],
            ["ideas.id"],
            name=op.f("fk_idea_answers_idea_id_ideas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idea_answers")),
    )
    with op.batch_alter_table("idea_answers") as batch:
        batch.create_index(batch.f("ix_idea_answers_idea_id"), ["idea_id"], unique=False)

    op.create_table(
        "idea_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("sent_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idea_digests")),
        sa.UniqueConstraint("week", name=op.f("uq_idea_digests_week")),
    )

    op.bulk_insert(
        areas,
        [
            {"slug": slug, "names": names, "sort_order": (index + 1) * 10, "hidden": False}
            for index, (slug, names) in enumerate(AREAS)
        ],
    )


def downgrade() -> None:
    op.drop_table("idea_digests")
    op.drop_table("idea_answers")
    op.drop_table("ideas")
    op.drop_table("idea_area_members")
    op.drop_table("idea_areas")
