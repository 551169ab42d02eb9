"""`padome db`: the database schema."""

from __future__ import annotations

import asyncio

import typer

from bot import db
from padome.cli.common import load_settings

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    settings = load_settings()

    async def main() -> None:
        engine = db.create_engine(settings.database_url)
        try:
            await db.upgrade(engine, revision)
        finally:
            await engine.dispose()

    asyncio.run(main())
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
