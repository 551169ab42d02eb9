"""Units and localities carry their names in each language, so a name typed in Russian or
English finds them too.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 14:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The units' names as Russian-language Latvian media write them, and in English.
NAMES = {
    "aluksne": ("город Алуксне", "Alūksne town"),
    "alsviku": ("Алсвикская волость", "Alsviķi parish"),
    "annas": ("Аннинская волость", "Anna parish"),
    "ilzenes": ("Илзенская волость", "Ilzene parish"),
    "jaunaluksnes": ("Яуналуксненская волость", "Jaunalūksne parish"),
    "jaunannas": ("Яунаннинская волость", "Jaunanna parish"),
    "jaunlaicenes": ("Яунлайценская волость", "Jaunlaicene parish"),
    "kalncempju": ("Калнцемпская волость", "Kalncempji parish"),
    "liepnas": ("Лиепнинская волость", "Liepna parish"),
    "malienas": ("Малиенская волость", "Maliena parish"),
    "malupes": ("Малупская волость", "Mālupe parish"),
    "markalnes": ("Маркалнская волость", "Mārkalne parish"),
    "pededzes": ("Педедзская волость", "Pededze parish"),
    "veclaicenes": ("Вецлайценская волость", "Veclaicene parish"),
    "zeltinu": ("Зелтиньская волость", "Zeltiņi parish"),
    "ziemera": ("Зиемерская волость", "Ziemeri parish"),
}


def upgrade() -> None:
    # Plain ALTER TABLE, never a batch copy: on SQLite a copy drops and recreates `units`,
    # and its foreign keys would delete every locality and role grant with it.
    for table in ("units", "localities"):
        op.add_column(
            table, sa.Column("names", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    units = sa.table(
        "units",
        sa.column("slug", sa.String()),
        sa.column("name", sa.String()),
        sa.column("names", sa.JSON()),
    )
    localities = sa.table(
        "localities",
        sa.column("id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("names", sa.JSON()),
    )
    connection = op.get_bind()
    for slug, name in connection.execute(sa.select(units.c.slug, units.c.name)).all():
        russian, english = NAMES.get(slug, (None, None))
        names = {"lv": name, **({"ru": russian, "en": english} if russian else {})}
        connection.execute(units.update().where(units.c.slug == slug).values(names=names))
    for locality_id, name in connection.execute(
        sa.select(localities.c.id, localities.c.name)
    ).all():
        connection.execute(
            localities.update().where(localities.c.id == locality_id).values(names={"lv": name})
        )


def downgrade() -> None:
    for table in ("localities", "units"):
        op.drop_column(table, "names")
