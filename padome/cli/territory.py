"""`padome units`, `padome localities` and `padome territory`: the municipality's units,
their villages and the territory file."""

from __future__ import annotations

from pathlib import Path
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
from models.territory_file import (
    TerritoryFileError,
    export_territory,
    import_territory,
    read_territory,
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
def localities_list(
    unit: Annotated[
        str | None, typer.Argument(help="The parish or town (slug or name); all without it.")
    ] = None,
    unit_option: Annotated[
        str | None,
        typer.Option("--unit", help="The parish or town, as elsewhere: --unit alsviku."),
    ] = None,
) -> None:
    """List the villages and neighbourhoods of one parish or town, or of all."""
    if unit is not None and unit_option is not None and unit != unit_option:
        raise fail("Name the parish or town once: `padome localities list --unit <slug>`.")
    unit = unit if unit is not None else unit_option

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
        table = Table("slug", "name", "kind", "localities", "group link")
        for item in await list_units(session):
            count = len(await list_localities(session, item.id))
            table.add_row(item.slug, item.name, item.kind, str(count), item.invite_link or "")
        return table

    out.print(in_session(work))


territory_app = typer.Typer(
    help="The municipality's territory file: its parishes, towns, villages and their names.",
    no_args_is_help=True,
)


@territory_app.command("import")
def territory_import(
    file: Annotated[Path, typer.Argument(help="The territory file (YAML).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only print what would change; store nothing.")
    ] = False,
    retire_missing: Annotated[
        bool,
        typer.Option(
            "--retire-missing",
            help="Remove the parishes, towns and villages the file leaves out, with what "
            "belongs to them (residents keep their accounts and choose again).",
        ),
    ] = False,
) -> None:
    """Load or update the territory from a file. Parishes and towns are matched by slug and
    villages by name (or `formerly:`), so renames keep them and everything tied to them."""
    try:
        spec = read_territory(file)
    except TerritoryFileError as error:
        raise fail("The territory file has problems:\n" + str(error)) from None

    async def work(session: AsyncSession) -> str:
        change = await import_territory(session, spec, retire_missing=retire_missing)
        if change.refused:
            raise fail(
                "Nothing was changed. These are in use and missing from the file:\n"
                + "\n".join(f"  {line}" for line in change.refused)
                + "\nAdd them back to the file, or run again with --retire-missing to remove "
                "them with what belongs to them."
            )
        lines = [f"  {line}" for line in change.lines]
        if change.kept:
            lines.append(
                "Kept, though missing from the file (--retire-missing removes them):\n"
                + "\n".join(f"  {line}" for line in change.kept)
            )
        if not change.changed:
            lines.insert(0, "Nothing to change: the file and the database agree.")
        elif dry_run:
            lines.insert(0, "Would change (dry run, nothing stored):")
        else:
            lines.insert(0, "Changed:")
        if dry_run:
            # Leaving by an exception rolls the transaction back.
            raise _DryRun("\n".join(lines))
        if change.changed:
            await audit(session, action="territory_imported", actor_id=None, file=file.name)
        return "\n".join(lines)

    try:
        typer.echo(in_session(work))
    except _DryRun as done:
        typer.echo(str(done))


class _DryRun(Exception):
    """What an import would change, told after its transaction is rolled back."""


@territory_app.command("export")
def territory_export(
    file: Annotated[
        Path | None, typer.Argument(help="Write to this file; without it, print it.")
    ] = None,
) -> None:
    """Write the territory stored now as a territory file; importing it changes nothing."""

    async def work(session: AsyncSession) -> str:
        return await export_territory(session)

    content = in_session(work)
    if file is None:
        typer.echo(content, nl=False)
        return
    try:
        file.write_text(content, encoding="utf-8")
    except OSError as error:
        raise fail(f"Cannot write {file}: {error.strerror}.") from None
    typer.echo(f"Wrote the territory to {file}.")
