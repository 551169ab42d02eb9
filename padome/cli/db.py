"""`padome db`: the database schema."""

from __future__ import annotations

import asyncio

import typer

from bot import db
from models.territory_file import TerritoryFileError
from padome.cli.common import fail, load_settings, territory_problems

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    settings = load_settings()

    async def main() -> None:
        engine = db.create_engine(settings.database_url)
        try:
            await db.upgrade(engine, revision, territory_file=settings.territory_file)
        finally:
            await engine.dispose()

    try:
        asyncio.run(main())
    except TerritoryFileError as error:
        raise fail(territory_problems(error)) from None
    typer.echo(f"Database at revision {revision}.")


@app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION (`base` empties the database)."""
    settings = load_settings()

    async def main() -> None:
        engine = db.create_engine(settings.database_url)
        try:
            await db.downgrade(engine, revision)
        finally:
            await engine.dispose()

    asyncio.run(main())
    typer.echo(f"Database at revision {revision}.")
