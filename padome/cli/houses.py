"""`padome houses`: the houses of each parish or town, and how many of them the council
reaches."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import audit
from models.houses import (
    Coverage,
    ImportRefused,
    ImportReport,
    add_house,
    coverage,
    houses_of,
    import_houses,
)
from models.territory import list_units
from padome.cli.common import en, fail, find_territory, in_session, known_unit, out

app = typer.Typer(
    help="Houses (addresses) of each parish or town, and coverage.", no_args_is_help=True
)

UnitOption = Annotated[str, typer.Option("--unit", help="Parish or town slug: alsviku.")]


@app.command("import")
def houses_import(
    file: Annotated[Path, typer.Argument(help="A CSV export of the State Address Register.")],
    unit: UnitOption,
) -> None:
    """Import the houses of a parish or town from the State Address Register's CSV export.
    Bad rows are named by line and left out; a re-import updates houses by address code."""
    try:
        content = file.read_bytes()
    except OSError as error:
        raise fail(f"Cannot read {file}: {error.strerror}.") from None

    async def work(session: AsyncSession) -> ImportReport:
        found = await known_unit(session, unit)
        try:
            report = await import_houses(session, unit=found, content=content)
        except ImportRefused as error:
            raise fail(f"The whole file is refused, nothing was imported: {error}.") from None
        await audit(
            session,
            action="houses_imported",
            actor_id=None,
            unit=found.id,
            added=report.added,
            updated=report.updated,
            via="cli",
        )
        return report

    report = in_session(work)
    for line, reason in report.problems:
        typer.echo(f"Line {line}: not imported: {reason}.", err=True)
    for line, note in report.notes:
        typer.echo(f"Line {line}: {note}.", err=True)
    typer.echo(
        ", ".join(
            (
                en.ngettext("{n} house added", "{n} houses added", report.added),
                en.ngettext("{n} house updated", "{n} houses updated", report.updated),
                en.ngettext("{n} house unchanged", "{n} houses unchanged", report.unchanged),
                en.ngettext("{n} row left out", "{n} rows left out", len(report.problems)),
            )
        )
        + "."
    )


@app.command("add")
def houses_add(
    territory: Annotated[
        str, typer.Argument(help="Parish or town slug, or parish/village: alsviku/Kolberģis.")
    ],
    street: Annotated[str | None, typer.Option(help="Street name: Pils iela.")] = None,
    number: Annotated[str | None, typer.Option(help="House number: 12, 12a, 3k-2.")] = None,
    name: Annotated[str | None, typer.Option(help="A rural house's name: Kalnieši.")] = None,
    code: Annotated[
        str | None, typer.Option(help="The State Address Register's address code.")
    ] = None,
    postcode: Annotated[str | None, typer.Option(help="Postcode: LV-4301.")] = None,
    flats: Annotated[
        int | None, typer.Option(help="Number of flats of an apartment block.", min=0)
    ] = None,
) -> None:
    """Add one house by hand."""

    async def work(session: AsyncSession) -> str:
        unit, locality = await find_territory(session, territory)
        if unit is None and locality is not None:
            unit = locality.unit
        assert unit is not None
        try:
            house = await add_house(
                session,
                unit=unit,
                locality=locality,
                street=street,
                house_name=name,
                number=number,
                address_code=code,
                postcode=postcode,
                flats=flats,
            )
        except ValueError as error:
            raise fail(f"Not added: {error}.") from None
        await audit(session, action="house_added", actor_id=None, house=house.id, via="cli")
        added = f"Added house No. {house.id}: {house.label}."
        if postcode and house.postcode is None:
            # As in the import: a bad postcode does not cost the house, it is only left out.
            added += f"\nPostcode {postcode!r} left out: not like LV-4301 or 4301."
        return added

    typer.echo(in_session(work))


@app.command("list")
def houses_list(unit: UnitOption) -> None:
    """List the houses of a parish or town."""

    async def work(session: AsyncSession) -> Table:
        found = await known_unit(session, unit)
        table = Table("no.", "address", "village", "postcode", "flats", "address code")
        for house in await houses_of(session, unit_id=found.id):
            table.add_row(
                str(house.id),
                house.label,
                house.locality.name if house.locality else "",
                house.postcode or "",
                str(house.flats) if house.flats else "",
                house.address_code or "",
            )
        return table

    out.print(in_session(work))


def _share(part: int, whole: int) -> str:
    return f"{part} of {whole} ({round(100 * part / whole)}%)" if whole else "–"


def coverage_table(rows: list[Coverage]) -> Table:
    table = Table("parish or town", "village", "houses", "reached", "flats reached")
    for row in rows:
        if row.total:
            village = "all"
        else:
            village = row.locality.name if row.locality else "(no village)"
        table.add_row(
            row.unit.name,
            village,
            str(row.houses),
            _share(row.reached, row.houses),
            _share(row.flats_reached, row.flats),
        )
    return table


@app.command("coverage")
def houses_coverage(
    unit: Annotated[str | None, typer.Option("--unit", help="Only this parish or town.")] = None,
) -> None:
    """How many known houses have at least one resident the council reaches, per parish or
    town and village; and for apartment blocks, flats reached of all flats."""

    async def work(session: AsyncSession) -> Table:
        units = [await known_unit(session, unit)] if unit else await list_units(session)
        rows = await coverage(session, units=units)
        if not unit:
            rows = [row for row in rows if row.houses]
        return coverage_table(rows)

    out.print(in_session(work))
