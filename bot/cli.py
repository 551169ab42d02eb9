"""The `padome` command: chat in the terminal, run the bot, and staff tasks."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from bot import app as lifecycle
from bot import db
from bot.settings import Settings, describe_validation_error, get_settings
from models.audit import audit
from models.residents import (
    Resident,
    find_identity,
    format_identity,
    identities_of,
    parse_identity,
)
from models.roles import Role, grant_role, list_grants, revoke_role
from models.territory import Locality, Unit, add_locality, list_localities, list_units, unit_by_slug

app = typer.Typer(help="Padome: the residents' council assistant.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
roles_app = typer.Typer(help="Roles of council members and staff.", no_args_is_help=True)
localities_app = typer.Typer(help="Villages and neighbourhoods of each unit.", no_args_is_help=True)
units_app = typer.Typer(help="The municipality's units.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(roles_app, name="roles")
app.add_typer(localities_app, name="localities")
app.add_typer(units_app, name="units")

out = Console()
T = TypeVar("T")


def load_settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as error:
        typer.echo(describe_validation_error(error), err=True)
        raise typer.Exit(2) from None


def setup_logging(settings: Settings, *, quiet: bool = False) -> None:
    level = logging.WARNING if quiet else getattr(logging, settings.log_level)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The HTTP clients log request URLs (holding the bot token) and, at DEBUG, bodies
    # (holding residents' messages): they never log below WARNING.
    for name in ("httpx", "httpcore", "telegram", "apscheduler", "twilio"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


def fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one unit of staff work in one transaction on a migrated database."""
    settings = load_settings()

    async def main() -> T:
        async with lifecycle.open_app(settings) as opened:
            async with opened.sessionmaker() as session, session.begin():
                return await work(session)

    return asyncio.run(main())


@app.command()
def chat(
    user: Annotated[str, typer.Option(help="Your name in this console chat.")] = "resident",
) -> None:
    """Chat with the bot in this terminal (no tokens needed)."""
    if not user.strip() or len(user) > 64 or any(ch.isspace() for ch in user):
        raise fail("--user takes a name of 1 to 64 characters without spaces.")
    settings = load_settings()
    setup_logging(settings, quiet=True)
    asyncio.run(lifecycle.chat(settings, user=user, stdin=sys.stdin, stdout=sys.stdout))


@app.command()
def run() -> None:
    """Run the bot on the configured channels."""
    settings = load_settings()
    setup_logging(settings)
    asyncio.run(lifecycle.run(settings))


@db_app.command("upgrade")
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


@db_app.command("downgrade")
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


async def _territory(
    session: AsyncSession, text: str | None
) -> tuple[Unit | None, Locality | None]:
    """Read `alsviku` or `alsviku/<locality name>`."""
    if not text:
        return None, None
    slug, _, locality_name = text.partition("/")
    unit = await unit_by_slug(session, slug.strip().casefold())
    if unit is None:
        raise fail(f"No unit {slug!r}. See `padome units list`.")
    if not locality_name:
        return unit, None
    wanted = locality_name.strip().casefold()
    for locality in await list_localities(session, unit.id):
        if locality.name.casefold() == wanted:
            return None, locality
    raise fail(f"{unit.name} has no locality {locality_name!r}. See `padome localities list`.")


async def _registered(session: AsyncSession, identity: str) -> Resident:
    try:
        channel, external_id = parse_identity(identity)
    except ValueError as error:
        raise fail(str(error)) from None
    found = await find_identity(session, channel, external_id)
    if found is None:
        raise fail(f"Nobody is registered as {identity}; they must /start the bot first.")
    return found.resident


def _parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise fail(f"No role {text!r}. Roles: {', '.join(r.value for r in Role)}.") from None


@roles_app.command("grant")
def roles_grant(
    identity: Annotated[str, typer.Argument(help="tg:<telegram id>, wa:<phone>, console:<name>")],
    role: Annotated[str, typer.Argument(help="representative, deputy, coordinator, …")],
    territory: Annotated[
        str | None, typer.Option(help="unit slug, or unit/locality for a deputy")
    ] = None,
) -> None:
    """Give a registered resident a role."""
    wanted = _parse_role(role)

    async def work(session: AsyncSession) -> str:
        resident = await _registered(session, identity)
        unit, locality = await _territory(session, territory)
        try:
            _, created = await grant_role(
                session, resident=resident, role=wanted, unit=unit, locality=locality
            )
        except ValueError as error:
            raise fail(str(error)) from None
        await audit(
            session,
            action="role_granted",
            actor_id=None,
            role=wanted.value,
            resident=resident.id,
            via="cli",
        )
        return "Granted." if created else "They already have that role."

    typer.echo(in_session(work))


@roles_app.command("revoke")
def roles_revoke(
    identity: str,
    role: str,
    territory: Annotated[
        str | None, typer.Option(help="only in this unit, or unit/locality")
    ] = None,
) -> None:
    """Take a role away from a resident."""
    wanted = _parse_role(role)

    async def work(session: AsyncSession) -> int:
        resident = await _registered(session, identity)
        unit, locality = await _territory(session, territory)
        removed = await revoke_role(
            session, resident=resident, role=wanted, unit=unit, locality=locality
        )
        await audit(
            session,
            action="role_revoked",
            actor_id=None,
            role=wanted.value,
            resident=resident.id,
            removed=removed,
            via="cli",
        )
        return removed

    typer.echo(f"Revoked {in_session(work)} grant(s).")


@roles_app.command("list")
def roles_list() -> None:
    """List every role grant."""

    async def work(session: AsyncSession) -> Table:
        table = Table("resident", "accounts", "role", "territory")
        for grant in await list_grants(session):
            identities = await identities_of(session, grant.resident_id)
            accounts = ", ".join(format_identity(i.channel, i.external_id) for i in identities)
            table.add_row(str(grant.resident_id), accounts, grant.role, grant.place)
        return table

    out.print(in_session(work))


@localities_app.command("add")
def localities_add(unit: str, name: str) -> None:
    """Add a village or neighbourhood to a unit."""

    async def work(session: AsyncSession) -> str:
        found = await unit_by_slug(session, unit.casefold())
        if found is None:
            raise fail(f"No unit {unit!r}. See `padome units list`.")
        try:
            locality = await add_locality(session, unit=found, name=name)
        except ValueError as error:
            raise fail(str(error)) from None
        await audit(session, action="locality_added", actor_id=None, locality=locality.id)
        return f"Added {locality.name} to {found.name}."

    typer.echo(in_session(work))


@localities_app.command("list")
def localities_list(unit: Annotated[str | None, typer.Argument()] = None) -> None:
    """List localities, of one unit or of all."""

    async def work(session: AsyncSession) -> Table:
        table = Table("unit", "locality")
        for item in await list_units(session):
            if unit is None or item.slug == unit.casefold():
                for locality in await list_localities(session, item.id):
                    table.add_row(item.slug, locality.name)
        return table

    out.print(in_session(work))


@units_app.command("list")
def units_list() -> None:
    """List the units with their slugs."""

    async def work(session: AsyncSession) -> Table:
        table = Table("slug", "name", "localities", "group link")
        for item in await list_units(session):
            count = len(await list_localities(session, item.id))
            table.add_row(item.slug, item.name, str(count), item.invite_link or "")
        return table

    out.print(in_session(work))
