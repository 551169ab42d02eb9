"""`padome units` and `padome localities`: the municipality's units and their villages."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import audit
from models.territory import add_locality, list_localities, list_units
from padome.cli.common import fail, in_session, known_unit, out

localities_app = typer.Typer(
    help="Villages and neighbourhoods of each parish or town.", no_args_is_help=True
)
units_app = typer.Typer(help="The municipality's parishes and town.", no_args_is_help=True)


@localities_app.command("add")
def localities_add(unit: str, name: str) -> None:
    """Add a village or neighbourhood to a parish or town."""

    async def work(session: AsyncSession) -> str:
        found = await known_unit(session, unit)
        try:
            locality = await add_locality(session, unit=found, name=name)
        except ValueError as error:
            raise fail(str(error)) from None
        await audit(session, action="locality_added", actor_id=None, locality=locality.id)
        return f"Added {locality.name} to {found.name}."

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
