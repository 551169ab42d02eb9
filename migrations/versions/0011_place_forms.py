"""Units and localities carry the case forms of their names, so texts put a name in the case
their grammar needs ("Alsviķu pagasta pārstāvis", "представитель Алсвикской волости").

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.place_forms import latvian_forms

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _latvian(name: str) -> dict[str, str]:
    """`Alsviķu pagasts`, `Alūksnes pilsēta`: the first word is a genitive and stays."""
    head, noun = name.rsplit(" ", 1)
    if noun == "pagasts":
        endings = {"gen": "pagasta", "dat": "pagastam", "loc": "pagastā", "acc": "pagastu"}
    elif noun == "pilsēta":
        endings = {"gen": "pilsētas", "dat": "pilsētai", "loc": "pilsētā", "acc": "pilsētu"}
    else:
        return {}
    return {case: f"{head} {form}" for case, form in endings.items()}


def _russian(name: str) -> dict[str, str]:
    """`Алсвикская волость` (an adjective in -ская and a feminine noun) or `город Алуксне`
    (the town's name stays as it is after "город")."""
    first, rest = name.split(" ", 1)
    if first == "город":
        endings = {"gen": "города", "dat": "городу", "acc": "город", "ins": "городом"}
        return {
            **{case: f"{word} {rest}" for case, word in endings.items()},
            "prep": f"городе {rest}",
        }
    if rest != "волость" or not first.endswith("ская"):
        return {}
    stem = first[: -len("ая")]
    return {
        "gen": f"{stem}ой волости",
        "dat": f"{stem}ой волости",
        "acc": f"{stem}ую волость",
        "ins": f"{stem}ой волостью",
        "prep": f"{stem}ой волости",
    }


def upgrade() -> None:
    # Plain ALTER TABLE, never a batch copy: on SQLite a copy drops and recreates `units`,
    # and its foreign keys would delete every locality and role grant with it.
    for table in ("units", "localities"):
        op.add_column(
            table, sa.Column("forms", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    connection = op.get_bind()
    units = sa.table(
        "units",
        sa.column("id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("names", sa.JSON()),
        sa.column("forms", sa.JSON()),
    )
    for unit_id, name, names in connection.execute(
        sa.select(units.c.id, units.c.name, units.c.names)
    ).all():
        forms = {"lv": _latvian(name)}
        russian = (names or {}).get("ru")
        if russian:
            forms["ru"] = _russian(russian)
        forms = {language: cases for language, cases in forms.items() if cases}
        connection.execute(units.update().where(units.c.id == unit_id).values(forms=forms))
    # Localities added before: the forms their ending tells for certain, none otherwise.
    localities = sa.table(
        "localities",
        sa.column("id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("forms", sa.JSON()),
    )
    for locality_id, name in connection.execute(
        sa.select(localities.c.id, localities.c.name)
    ).all():
        forms = latvian_forms(name)
        if forms:
            connection.execute(
                localities.update()
                .where(localities.c.id == locality_id)
                .values(forms={"lv": forms})
            )


def downgrade() -> None:
    for table in ("localities", "units"):
        op.drop_column(table, "forms")
