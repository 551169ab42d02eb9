"""The territory comes from a file: the municipality's name and forms, and each unit's kind.

A database set up before keeps its units; it gets Alūksne's municipality, whose units it has.
A database set up now gets its whole territory from the territory file (bot/db.py).

Revision ID: 0019
Revises: 0027
Create Date: 2026-12-03 10:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ALUKSNE = {
    "name": "Alūksnes novads",
    "names": {
        "lv": "Alūksnes novads",
        "ru": "Алуксненский край",
        "en": "Alūksne municipality",
    },
    "forms": {
        "lv": {
            "gen": "Alūksnes novada",
            "dat": "Alūksnes novadam",
            "loc": "Alūksnes novadā",
            "acc": "Alūksnes novadu",
        },
        "ru": {
            "gen": "Алуксненского края",
            "dat": "Алуксненскому краю",
            "acc": "Алуксненский край",
            "ins": "Алуксненским краем",
            "prep": "Алуксненском крае",
        },
    },
}


def upgrade() -> None:
    op.create_table(
        "municipality",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("names", sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("forms", sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_municipality")),
    )
    # Plain ALTER TABLE, never a batch copy: on SQLite a copy drops and recreates `units`,
    # and its foreign keys would delete every locality and role grant with it.
    op.add_column(
        "units",
        sa.Column("kind", sa.String(length=10), server_default="parish", nullable=False),
    )
    connection = op.get_bind()
    units = sa.table("units", sa.column("name", sa.String()), sa.column("kind", sa.String()))
    connection.execute(units.update().where(units.c.name.like("% pilsēta")).values(kind="town"))
    if connection.scalar(sa.select(sa.func.count()).select_from(units)):
        municipality = sa.table(
            "municipality",
            sa.column("name", sa.String()),
            sa.column("names", sa.JSON()),
            sa.column("forms", sa.JSON()),
        )
        connection.execute(municipality.insert().values(**ALUKSNE))


def downgrade() -> None:
    op.drop_column("units", "kind")
    op.drop_table("municipality")
