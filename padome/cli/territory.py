"""`padome units` and `padome localities`: the municipality's units and their villages."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import audit
from models.territory import (
    Locality,
    add_locality,
    list_localities,
    list_units,
    set_locality_names,
)
from padome.cli.common import fail, find_territory, in_session, known_unit, out

localities_app = typer.Typer(
    help="Villages and neighbourhoods of each parish or town.", no_args_is_help=True
)
units_app = typer.Typer(help="The municipality's parishes and town.", no_args_is_help=True)


_CASE_NAMES = {"gen": "genitive", "dat": "dative", "loc": "locative", "acc": "accusative"}
Genitive = Annotated[
    str | None, typer.Option("--genitive", help="Latvian genitive: Kolberģa (empty: none).")
]
Dative = Annotated[
    str | None, typer.Option("--dative", help="Latvian dative: Kolberģim (empty: none).")
]
Locative = Annotated[
    str | None, typer.Option("--locative", help="Latvian locative: Kolberģī (empty: none).")
]
Accusative = Annotated[
    str | None, typer.Option("--accusative", help="Latvian accusative: Kolberģi (empty: none).")
]
Russian = Annotated[
    str | None,
    typer.Option("--russian", help="The name in Russian texts: Колберьгис (empty: none)."),
]


def _given(**forms: str | None) -> dict[str, str]:
    return {case: form for case, form in forms.items() if form is not None}


def _described(locality: Locality) -> str:
    """The forms stored, as the coordinator checks them."""
    latvian = (locality.forms or {}).get("lv", {})
    lines = [
        f"  {_CASE_NAMES[case]}: {latvian[case]}"
        if latvian.get(case)
        else f"  {_CASE_NAMES[case]}: - (texts avoid this case)"
        for case in _CASE_NAMES
    ]
    russian = (locality.names or {}).get("ru")
    lines.append(f"  Russian name: {russian or '- (Russian texts show the Latvian name)'}")
    return "\n".join(lines)


@localities_app.command("add")
def localities_add(
    unit: str,
    name: str,
    genitive: Genitive = None,
    dative: Dative = None,
    locative: Locative = None,
    accusative: Accusative = None,
    russian: Russian = None,
) -> None:
    """Add a village or neighbourhood to a parish or town. Its Latvian case forms are derived from
    the name's ending where that is certain; give or correct them with the options."""

    async def work(session: AsyncSession) -> str:
        found = await known_unit(session, unit)
        forms = _given(gen=genitive, dat=dative, loc=locative, acc=accusative)
        try:
            locality = await add_locality(
                session, unit=found, name=name, forms=forms, russian=russian
            )
        except ValueError as error:
            raise fail(str(error)) from None
        await audit(session, action="locality_added", actor_id=None, locality=locality.id)
        return f"Added {locality.name} to {found.name}.\n{_described(locality)}"

    typer.echo(in_session(work))


@localities_app.command("forms")
def localities_forms(
    unit: str,
    name: str,
    genitive: Genitive = None,
    dative: Dative = None,
    locative: Locative = None,
    accusative: Accusative = None,
    russian: Russian = None,
) -> None:
    """Show a locality's case forms and Russian name, or correct them with the options."""

    async def work(session: AsyncSession) -> str:
        _, locality = await find_territory(session, f"{unit}/{name}")
        assert locality is not None
        forms = _given(gen=genitive, dat=dative, loc=locative, acc=accusative)
        if forms or russian is not None:
            try:
                set_locality_names(locality, forms=forms, russian=russian)
            except ValueError as error:
                raise fail(str(error)) from None
            await audit(session, action="locality_changed", actor_id=None, locality=locality.id)
        return f"{locality.name} ({locality.unit.name}):\n{_described(locality)}"

    typer.echo(in_session(work))


@localities_app.command("list")
def localities_list(unit: Annotated[str | None, typer.Argument()] = None) -> None:
    """List the villages and neighbourhoods of one parish or town, or of all."""

    async def work(session: AsyncSession) -> Table:
        table = Table("unit", "locality")
        only = await known_unit(session, unit) if unit is not None else None
        for item in await list_units(session):
            if only is None or item.id == only.id:
                for locality in await list_localities(session, item.id):
                    table.add_row(item.slug, locality.name)
        return table

    out.print(in_session(work))


@units_app.command("list")
def units_list() -> None:
    """List the parishes and the town with their slugs."""

    async def work(session: AsyncSession) -> Table:
        table = Table("slug", "name", "localities", "group link")
        for item in await list_units(session):
            count = len(await list_localities(session, item.id))
            table.add_row(item.slug, item.name, str(count), item.invite_link or "")
        return table

    out.print(in_session(work))
